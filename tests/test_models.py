from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from payer_rules.models import ServiceLine
from payer_rules.money import money
from payer_rules.results import (
    Adjustment,
    ClaimResult,
    ClaimStatus,
    Finding,
    Group,
    LineResult,
    LineStatus,
    Severity,
    Source,
    UnbalancedError,
)

SRC = Source(name="t", version="1")


def line_result(**kw):
    values = dict(
        line=1,
        procedure="99213",
        modifiers=(),
        units=Decimal(1),
        status=LineStatus.PAID,
        billed="100.00",
        allowed="80.00",
        paid="64.00",
        adjustments=(
            Adjustment(group=Group.CO, carc="45", amount="20.00"),
            Adjustment(group=Group.PR, carc="2", amount="16.00"),
        ),
    )
    values.update(kw)
    return LineResult(**values)


def test_a_balanced_line_builds_and_reports_patient_share():
    assert line_result().patient_responsibility == Decimal("16.00")


def test_an_unbalanced_line_cannot_exist():
    with pytest.raises(UnbalancedError, match=r"billed 100\.00 != paid 65\.00"):
        line_result(paid="65.00")


def test_an_unbalanced_claim_cannot_exist():
    ln = line_result()
    with pytest.raises(UnbalancedError):
        ClaimResult(
            claim_id="C",
            payer="p",
            status=ClaimStatus.PAID,
            as_of=None,
            billed="100.00",
            allowed="80.00",
            paid="60.00",
            patient_responsibility="16.00",
            lines=(ln,),
        )


def test_claim_totals_must_equal_the_sum_of_lines():
    ln = line_result()
    with pytest.raises(UnbalancedError, match="allowed"):
        ClaimResult(
            claim_id="C",
            payer="p",
            status=ClaimStatus.PAID,
            as_of=None,
            billed="100.00",
            allowed="81.00",
            paid="64.00",
            patient_responsibility="16.00",
            lines=(ln,),
        )


def test_money_refuses_floats_and_rounds_half_up():
    with pytest.raises(TypeError):
        money(0.1)
    assert money("2.345") == Decimal("2.35")
    assert money(Decimal("-2.345")) == Decimal("-2.35")


def test_a_line_takes_at_most_four_modifiers():
    with pytest.raises(ValueError, match="at most 4 modifiers"):
        ServiceLine(
            procedure="99213",
            charge=Decimal(1),
            service_date=dt.date(2026, 1, 1),
            modifiers=("25", "59", "GA", "LT", "RT"),
        )


def test_a_denying_finding_must_name_carc_and_group():
    with pytest.raises(ValueError, match="CARC"):
        Finding(code="X1", severity=Severity.DENY, message="m", source=SRC)
    Finding(code="X1", severity=Severity.WARN, message="m", source=SRC)


def test_models_are_frozen_values():
    ln = line_result()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ln.paid = Decimal(0)  # type: ignore[misc]
