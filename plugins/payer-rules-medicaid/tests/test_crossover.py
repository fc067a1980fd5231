"""Medicare to Medicaid crossovers and QMB (MCD801-MCD803).

Medicaid's allowed amounts follow the states' published percent-of-Medicare fee packs applied
to CMS's CY2026 PFS amount for 99213 in San Francisco ($117.58): California 87.5%, New York 80%.
Medicare's remittance is written by hand (paid, PR deductible / coinsurance, CO-45), and
Medicaid's payment is worked here by the formula of each state's crossover policy.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from attrs import evolve

from payer_rules.engine import Engine
from payer_rules.io.json_claims import read_json_text
from payer_rules.models import Claim, OtherCoverage, OtherPayerAdjustment, OtherPayment
from payer_rules_medicaid.crossover import crossover_line

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "medicaid"
MEDICARE_FEE = Decimal("117.58")  # CMS CY2026 PFS, 99213, MAC 01112 locality 05, non-facility
CHARGE = Decimal("150.00")
ZERO = Decimal(0)


def cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


CA_ALLOWED = cents(MEDICARE_FEE * Decimal("0.875"))
NY_ALLOWED = cents(MEDICARE_FEE * Decimal("0.80"))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def crossover(paid: Decimal, deductible: Decimal, coinsurance: Decimal, *, qmb: bool = False) -> Claim:
    (claim,) = list(read_json_text((EXAMPLES / "01-adult-office-visit.json").read_text(), "dual"))
    assert isinstance(claim, Claim)
    adjustments = [OtherPayerAdjustment(group="CO", carc="45", amount=CHARGE - MEDICARE_FEE)]
    if deductible:
        adjustments.append(OtherPayerAdjustment(group="PR", carc="1", amount=deductible))
    if coinsurance:
        adjustments.append(OtherPayerAdjustment(group="PR", carc="2", amount=coinsurance))
    rest = MEDICARE_FEE - paid - deductible - coinsurance  # sequestration and the like
    if rest:
        adjustments.append(OtherPayerAdjustment(group="CO", carc="253", amount=rest))
    payment = OtherPayment(paid=paid, line_paid=(paid,), line_adjustments=(tuple(adjustments),))
    medicare = OtherCoverage(payer_id="medicare", priority="primary", payment=payment)
    return evolve(claim, coverage=evolve(claim.coverage, other_coverage=(medicare,), qmb=qmb))


def by_group(result) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    return {f"{a.group}-{a.carc}": a.amount for a in result.lines[0].adjustments}


CASES = [
    # (case, Medicare paid, PR-1, PR-2)
    ("paid, deductible met", Decimal("92.18"), ZERO, Decimal("23.52")),
    ("partly paid: part of the deductible", Decimal("52.98"), Decimal("50.00"), Decimal("13.52")),
    ("Medicare paid more than the Medicaid rate", Decimal("110.00"), ZERO, Decimal("5.00")),
]


@pytest.mark.parametrize(("case", "paid", "ded", "coins"), CASES)
@pytest.mark.parametrize("qmb", [False, True])
def test_california_pays_the_lesser_of_cost_sharing_and_its_rate_less_medicare(
    engine, case, paid, ded, coins, qmb
) -> None:
    result = engine.adjudicate(crossover(paid, ded, coins, qmb=qmb), "medicaid-ca")
    line = result.lines[0]
    assert line.allowed == CA_ALLOWED, case
    pays = min(ded + coins, max(ZERO, CA_ALLOWED - paid))  # 42 U.S.C. 1396a(n)(2)
    left = min(ded + coins - pays, CA_ALLOWED - pays)
    assert line.paid == pays, case
    groups = by_group(result)
    if qmb:  # never billed: written off, CO
        assert groups.get("CO-23", ZERO) == left and result.patient_responsibility == 0
        assert "MCD802" in [f.code for f in result.findings]
    else:
        assert result.patient_responsibility == left
        assert groups.get("PR-1", ZERO) == min(max(ZERO, ded - pays), left)
    assert groups.get("OA-23", ZERO) == CA_ALLOWED - pays - left
    assert line.billed == line.paid + sum(a.amount for a in line.adjustments)
    assert "MCD801" in [f.code for f in result.findings]


def test_new_york_pays_coinsurance_lesser_of_and_never_bills_dual_eligibles(engine) -> None:
    paid, coins = Decimal("92.18"), Decimal("23.52")
    result = engine.adjudicate(crossover(paid, ZERO, coins), "medicaid-ny")
    pays = min(coins, max(ZERO, NY_ALLOWED - paid))  # SSL 367-a(1)(d): coinsurance lesser-of
    assert result.lines[0].allowed == NY_ALLOWED
    assert result.paid == pays
    assert result.patient_responsibility == 0  # 18 NYCRR 360-7.7(d)
    assert by_group(result)["CO-23"] == coins - pays


def test_new_york_pays_the_deductible_in_full_or_pends_when_it_exceeds_its_rate(engine) -> None:
    small = engine.adjudicate(crossover(Decimal("70.06"), Decimal("30.00"), Decimal("17.52")), "medicaid-ny")
    assert small.paid == Decimal("30.00") + min(Decimal("17.52"), max(ZERO, NY_ALLOWED - Decimal("70.06")))
    whole = engine.adjudicate(crossover(ZERO, MEDICARE_FEE, ZERO), "medicaid-ny")
    assert [f.code for f in whole.findings] == ["MCD803"] and whole.status == "pended"


def test_a_line_medicare_denied_is_judged_as_medicaid_primary(engine) -> None:
    claim = crossover(ZERO, ZERO, ZERO)
    other = claim.coverage.other_coverage[0]
    assert other.payment is not None
    denied = OtherPayment(
        paid=ZERO,
        line_paid=(ZERO,),
        line_adjustments=((OtherPayerAdjustment(group="CO", carc="50", amount=CHARGE),),),
    )
    claim = evolve(claim, coverage=evolve(claim.coverage, other_coverage=(evolve(other, payment=denied),)))
    result = engine.adjudicate(claim, "medicaid-ca")
    assert result.paid == CA_ALLOWED
    assert "MCD801" not in [f.code for f in result.findings]


def test_full_cost_sharing_formula() -> None:
    medicare = (
        OtherPayerAdjustment(group="PR", carc="1", amount=Decimal("10.00")),
        OtherPayerAdjustment(group="PR", carc="2", amount=Decimal("20.00")),
    )
    line = crossover_line(Decimal("60.00"), Decimal("70.00"), medicare, "full-cost-sharing", write_off=False)
    assert line.payment == Decimal("30.00") and line.left == 0
    assert line.prior_payer == Decimal("60.00") - Decimal("30.00")


def test_a_chain_medicare_then_medicaid_crosses_over(engine) -> None:
    (claim,) = list(read_json_text((EXAMPLES / "01-adult-office-visit.json").read_text(), "dual"))
    met = evolve(claim, accumulators=())
    pairs = list(engine.adjudicate_pairs([met], ["medicare", "medicaid-ca"], chain=True))
    (_, medicare), (_, medicaid) = pairs
    ml = medicare.lines[0]
    cost_sharing = sum((a.amount for a in ml.adjustments if a.group == "PR"), ZERO)
    assert medicaid.paid == min(cost_sharing, max(ZERO, CA_ALLOWED - ml.paid))
