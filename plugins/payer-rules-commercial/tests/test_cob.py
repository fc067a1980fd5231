"""Commercial coordination of benefits (COM801): traditional and non-duplication.

Each secondary's normal benefit is what it pays for the same claim alone (its benefit as
primary); the secondary payment is then worked here by the method's formula from the primary's
remittance.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from attrs import evolve

from payer_rules.engine import Engine
from payer_rules.io.json_claims import read_json_text
from payer_rules.models import Claim, OtherCoverage, OtherPayerAdjustment, OtherPayment
from payer_rules_commercial.cob import cob_line

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "claims"
ZERO = Decimal(0)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def visit() -> Claim:
    (claim,) = list(read_json_text((EXAMPLES / "01-office-visit-2026.json").read_text(), "visit"))
    assert isinstance(claim, Claim)
    return evolve(claim, coverage=evolve(claim.coverage, plan=None))


def after(claim: Claim, payer: str, paid: Decimal, patient: Decimal, charge: Decimal) -> Claim:
    adjustments = [OtherPayerAdjustment(group="PR", carc="2", amount=patient)] if patient else []
    if charge - paid - patient:
        adjustments.append(OtherPayerAdjustment(group="CO", carc="45", amount=charge - paid - patient))
    payment = OtherPayment(paid=paid, line_paid=(paid,), line_adjustments=(tuple(adjustments),))
    other = OtherCoverage(payer_id=payer, priority="primary", payment=payment)
    return evolve(claim, coverage=evolve(claim.coverage, other_coverage=(other,)))


CASES = [
    ("paid", Decimal("100.00"), Decimal("25.00")),
    ("partly paid: the primary's deductible", Decimal("40.00"), Decimal("80.00")),
    ("denied by the primary", ZERO, ZERO),
    ("paid more than the secondary's allowed", Decimal("140.00"), Decimal("10.00")),
]


@pytest.mark.parametrize(("case", "paid", "patient"), CASES)
@pytest.mark.parametrize(
    ("secondary", "method"), [("bluepeak", "traditional"), ("harborline", "non-duplication")]
)
def test_secondary_pays_by_its_cob_method(engine, case, paid, patient, secondary, method) -> None:
    claim = visit()
    alone = engine.adjudicate(claim, secondary)
    normal = alone.lines[0].paid  # its benefit without other coverage
    allowed = alone.lines[0].allowed
    charge = claim.lines[0].charge
    result = engine.adjudicate(after(claim, "other-plan", paid, patient, charge), secondary)
    if not paid and not patient:  # the primary did not cover it: paid as primary
        want = normal
    elif method == "non-duplication":
        want = max(ZERO, normal - paid)
    else:  # traditional: the lesser of its normal benefit and what the primary left the patient
        want = max(ZERO, min(normal, patient))
    line = result.lines[0]
    assert line.allowed == allowed
    assert line.paid == want, case
    assert line.billed == line.paid + sum(a.amount for a in line.adjustments)
    if paid or patient:
        assert result.patient_responsibility <= max(ZERO, patient - want)
    else:
        assert result.patient_responsibility == alone.patient_responsibility
    assert ("COM801" in [f.code for f in result.findings]) is bool(paid or patient)


def test_a_commercial_chain_equals_the_remittance_by_hand(engine) -> None:
    claim = visit()
    (_, first), (seen, second) = engine.adjudicate_pairs([claim], ["bluepeak", "harborline"], chain=True)
    assert isinstance(seen, Claim)
    line = first.lines[0]
    patient = sum((a.amount for a in line.adjustments if a.group == "PR"), ZERO)
    by_hand = engine.adjudicate(after(claim, "bluepeak", line.paid, patient, line.billed), "harborline")
    assert second.lines[0].paid == by_hand.lines[0].paid


def test_cob_formulas_by_hand() -> None:
    # allowed 100, secondary's own deductible 0, copay 20, coinsurance 16 (20% of 80): normal 64.
    trad = cob_line("traditional", Decimal(100), ZERO, Decimal(20), Decimal(16), Decimal(70), Decimal(30))
    assert trad.payment == Decimal(30)  # min(64, 30)
    nodup = cob_line(
        "non-duplication", Decimal(100), ZERO, Decimal(20), Decimal(16), Decimal(70), Decimal(30)
    )
    assert nodup.payment == ZERO  # 64 - 70 < 0
    assert sum(a.amount for a in nodup.adjustments) == Decimal(100)


def test_order_of_benefits() -> None:
    import datetime as dt

    from payer_rules_commercial.cob import Enrollment, order_of_benefits

    own = Enrollment(payer_id="bluepeak", as_subscriber=True)
    spouse = Enrollment(payer_id="harborline", as_subscriber=False, subscriber_birth_date=dt.date(1980, 1, 5))
    assert order_of_benefits(spouse, own)[:2] == (own, spouse)
    # birthday rule: mother born 14 March 1985, father 2 November 1979: the mother's plan first
    mother = Enrollment(
        payer_id="harborline", as_subscriber=False, subscriber_birth_date=dt.date(1985, 3, 14)
    )
    father = Enrollment(payer_id="bluepeak", as_subscriber=False, subscriber_birth_date=dt.date(1979, 11, 2))
    primary, secondary, why = order_of_benefits(father, mother)
    assert (primary, secondary) == (mother, father) and "birthday" in why
    twin = evolve(father, subscriber_birth_date=dt.date(1990, 3, 14), since=dt.date(2015, 1, 1))
    longer = evolve(mother, since=dt.date(2010, 1, 1))
    assert order_of_benefits(twin, longer)[0] == longer
