"""Medicare's front-end edits for the slice: required data.

NCD medical-necessity rules (MCR101 and on) live in rulepacks: ``rulepacks/*.toml`` beside this
module, registered through ``register_rulepacks``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from payer_rules.context import Context
from payer_rules.models import Claim, Provider
from payer_rules.results import Finding
from payer_rules_medicare.rules import RULES, source


def finding(code: str, message: str, line: int | None = None, **overrides: object) -> Finding:
    return RULES[code].finding(message, line=line, source=source(code), **overrides)


@cache
def npi_is_valid(npi: str) -> bool:
    """NPI check digit: Luhn over ``80840`` + the first nine digits (CMS NPI standard)."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def required_data(claim: Claim, context: Context) -> Iterator[Finding]:
    providers: list[tuple[str, Provider | None, str]] = [
        ("billing", claim.billing_provider, "N257"),
        ("rendering", claim.rendering_provider, "N290"),
        ("referring", claim.referring_provider, "N286"),
    ]
    for role, provider, rarc in providers:
        if provider is not None and not npi_is_valid(provider.npi):
            yield finding(
                "MCR010",
                f"{role} provider NPI {provider.npi!r} is not a valid NPI (check digit fails)",
                rarcs=(rarc,),
            )
    if not claim.diagnoses:
        yield finding("MCR011", "the claim has no diagnosis; at least one ICD-10-CM code is required")
    for n, line in enumerate(claim.lines, 1):
        if line.rendering_provider is not None and not npi_is_valid(line.rendering_provider.npi):
            yield finding(
                "MCR010",
                f"line {n}: rendering provider NPI {line.rendering_provider.npi!r} is not a valid NPI",
                line=n,
                rarcs=("N290",),
            )
        bad = [p for p in line.diagnosis_pointers if not 0 < p <= len(claim.diagnoses)]
        if claim.diagnoses and (bad or not line.diagnosis_pointers):
            yield finding(
                "MCR011",
                f"line {n}: diagnosis pointer(s) {bad or 'missing'} point at no "
                f"diagnosis (the claim has {len(claim.diagnoses)})",
                line=n,
            )
        if line.units <= 0:
            yield finding("MCR012", f"line {n}: units must be greater than zero, got {line.units}", line=n)
        if line.charge <= 0:
            yield finding("MCR013", f"line {n}: charge must be greater than zero, got {line.charge}", line=n)
        if line.service_date_end and line.service_date_end < line.service_date:
            yield finding(
                "MCR014",
                f"line {n}: service ends {line.service_date_end} before it starts {line.service_date}",
                line=n,
            )
        elif line.service_date > context.received_date:
            yield finding(
                "MCR014",
                f"line {n}: date of service {line.service_date} is after the "
                f"received date {context.received_date}",
                line=n,
            )
