"""Result assembly: line results filled in directly equal the records ``LineResult(...)`` builds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from payer_rules.engine.assembly import _claim_result, _line_result
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

LINE = ServiceLine(
    procedure="97110",
    modifiers=("GP", "59"),
    units=Decimal(2),
    charge=Decimal("150"),
    service_date=dt.date(2026, 3, 2),
)


@pytest.mark.parametrize(
    ("status", "allowed", "paid", "adjustments", "rarcs", "basis"),
    [
        (
            LineStatus.PAID,
            Decimal("61.57"),
            Decimal("48.27"),
            (
                Adjustment(group=Group.CO, carc="45", amount=Decimal("88.43")),
                Adjustment(group=Group.PR, carc="2", amount=Decimal("12.31")),
                Adjustment(group=Group.CO, carc="253", amount=Decimal("0.99")),
            ),
            ("N130",),
            "MPFS 2026 locality 05",
        ),
        (
            LineStatus.DENIED,
            Decimal("0.00"),
            Decimal("0.00"),
            (Adjustment(group=Group.CO, carc="50", amount=Decimal("150.00")),),
            ("M76",),
            "",
        ),
        (LineStatus.CLEAN, Decimal("0.00"), Decimal("0.00"), (), (), ""),
    ],
)
def test_a_line_filled_in_directly_equals_the_built_record(status, allowed, paid, adjustments, rarcs, basis):
    billed = money(LINE.charge)
    direct = _line_result(3, LINE, status, billed, allowed, paid, adjustments, rarcs, basis)
    built = LineResult(
        line=3,
        procedure=LINE.procedure,
        modifiers=LINE.modifiers,
        units=LINE.units,
        status=status,
        billed=LINE.charge,  # the converter makes 150.00 of it
        allowed=allowed,
        paid=paid,
        adjustments=adjustments,
        rarcs=rarcs,
        basis=basis,
    )
    assert direct == built and repr(direct) == repr(built) and hash(direct) == hash(built)
    assert [str(getattr(direct, a.name)) for a in attrs.fields(LineResult)] == [
        str(getattr(built, a.name)) for a in attrs.fields(LineResult)
    ]  # the same digits too: 150.00, not 150


def test_a_line_that_does_not_balance_is_still_refused():
    billed = money(LINE.charge)
    taken = (Adjustment(group=Group.CO, carc="45", amount=Decimal("88.43")),)
    with pytest.raises(UnbalancedError, match=r"billed 150\.00 != paid 60\.00"):
        _line_result(1, LINE, LineStatus.PAID, billed, Decimal("61.57"), Decimal("60.00"), taken, (), "")


def test_a_claim_filled_in_directly_equals_the_built_record():
    billed = money(LINE.charge)
    taken = (
        Adjustment(group=Group.CO, carc="45", amount=Decimal("88.43")),
        Adjustment(group=Group.PR, carc="2", amount=Decimal("12.31")),
    )
    paid = _line_result(1, LINE, LineStatus.PAID, billed, Decimal("61.57"), Decimal("49.26"), taken, (), "")
    denied_adjustment = (Adjustment(group=Group.CO, carc="50", amount=billed),)
    denied = _line_result(
        2, LINE, LineStatus.DENIED, billed, Decimal("0.00"), Decimal("0.00"), denied_adjustment, (), ""
    )
    lines = (paid, denied)
    finding = Finding(
        code="MCR101",
        severity=Severity.DENY,
        message="line 2: not covered",
        source=Source(name="medicare", version="1"),
        line=2,
        carc="50",
        group=Group.CO,
    )
    amounts = (Decimal("300.00"), Decimal("61.57"), Decimal("49.26"), Decimal("12.31"))
    args = ("C1", "medicare", ClaimStatus.PARTIAL, dt.date(2026, 3, 2))
    direct = _claim_result(*args, amounts, (finding,), lines, {"payer-rules": "0.1.0"}, "claims.837:3", None)
    built = ClaimResult(
        claim_id="C1",
        payer="medicare",
        status=ClaimStatus.PARTIAL,
        as_of=dt.date(2026, 3, 2),
        billed=Decimal("300"),
        allowed=Decimal("61.57"),
        paid=Decimal("49.26"),
        patient_responsibility=Decimal("12.31"),
        findings=(finding,),
        lines=lines,
        versions={"payer-rules": "0.1.0"},
        origin="claims.837:3",
    )
    assert direct == built and repr(direct) == repr(built)
    with pytest.raises(UnbalancedError, match=r"billed 300\.00 != paid 49\.26"):
        _claim_result(
            *args,
            (Decimal("300.00"), Decimal("61.57"), Decimal("49.26"), Decimal("0")),
            (),
            lines[:1],
            {},
            None,
            None,
        )
