"""Small builders for test claims and test plugins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from payer_rules.models import Claim, Coverage, Diagnosis, Person, Provider, ServiceLine
from payer_rules.results import ClaimResult


def make_claim(
    claim_id: str = "C1",
    *,
    lines: list[dict[str, Any]] | None = None,
    diagnoses: tuple[str, ...] = ("I10",),
    **fields: Any,
) -> Claim:
    lines = lines or [{"procedure": "99213", "charge": Decimal("100.00")}]
    values: dict[str, Any] = {
        "id": claim_id,
        "patient": Person(id="P1", birth_date=dt.date(1950, 1, 1)),
        "coverage": Coverage(payer_id="test", member_id="M1"),
        "billing_provider": Provider(npi="1234567893"),
        "diagnoses": tuple(Diagnosis(code=c) for c in diagnoses),
        "lines": tuple(ServiceLine(**{"service_date": dt.date(2026, 2, 3), **ln}) for ln in lines),
        "received_date": dt.date(2026, 2, 10),
    }
    values.update(fields)
    return Claim(**values)


def assert_balanced(result: ClaimResult) -> None:
    """The money invariant, checked again from the outside on a result."""
    if result.status == "error":
        return
    for ln in result.lines:
        if ln.status == "clean":
            continue
        assert ln.billed == ln.paid + sum((a.amount for a in ln.adjustments), Decimal(0))
    if all(ln.status != "clean" for ln in result.lines):
        assert result.billed == result.paid + sum(
            (a.amount for ln in result.lines for a in ln.adjustments), Decimal(0)
        )
        assert result.patient_responsibility == sum(
            (a.amount for ln in result.lines for a in ln.adjustments if a.group == "PR"),
            Decimal(0),
        )
