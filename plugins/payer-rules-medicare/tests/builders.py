"""The claim and line builders the Medicare tests share.

A physician claim to Medicare billed from San Francisco (ZIP 94110, locality 01112-05) with one
diagnosis; each test file fixes its own defaults with :func:`functools.partial` (claim id,
providers, dates, charges) and each test changes what it is about with keywords
(``attrs.evolve``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine

#: The billing practice (a valid NPI) in San Francisco, and a rendering physician.
BILLING = Provider(npi="1234567893", address=Address(zip="94110"))
RENDERING = Provider(npi="1987654328")


def physician_claim(*lines: ServiceLine, **changes: object) -> Claim:
    """A Medicare physician claim with ``lines``; ``changes`` are any of the claim's fields."""
    base = Claim(
        id="T-1",
        patient=Person(id="P-1"),
        coverage=Coverage(payer_id="medicare", member_id="M1"),
        billing_provider=BILLING,
        rendering_provider=RENDERING,
        service_facility_zip="94110",
        received_date=dt.date(2026, 3, 1),
        diagnoses=(Diagnosis(code="I10"),),
        lines=lines,
    )
    return attrs.evolve(base, **changes)  # type: ignore[arg-type]


def service_line(code: str, *modifiers: str, day: dt.date, charge: Decimal, **kw: object) -> ServiceLine:
    """A line of ``code`` with ``modifiers``; ``kw`` are any other of the line's fields."""
    return ServiceLine(procedure=code, modifiers=modifiers, charge=charge, service_date=day, **kw)  # type: ignore[arg-type]
