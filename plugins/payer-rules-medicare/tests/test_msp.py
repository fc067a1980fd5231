"""Medicare Secondary Payer (MCR750-MCR752): the lowest of the three amounts of 42 CFR 411.33(a).

Expected amounts are worked here from the published formula and CMS's published fee: 99213 in
San Francisco (MAC 01112, locality 05), CY2026 non-facility, $117.58 (CMS CY2026 PFS payment
file); Part B coinsurance 20% (42 CFR 410.152), 2026 deductible $283 (CMS fact sheet);
sequestration 2% of the Medicare payment.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from attrs import evolve

from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.io.json_claims import read_json_text
from payer_rules.models import Accumulators, Claim, OtherCoverage, OtherPayerAdjustment, OtherPayment

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "claims"
FEE = Decimal("117.58")  # CMS CY2026 PFS: 99213, MAC 01112 locality 05, non-facility
CHARGE = Decimal("150.00")
DEDUCTIBLE_2026 = Decimal("283.00")
CENT = Decimal("0.01")


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def office_visit() -> Claim:
    (claim,) = list(read_json_text((EXAMPLES / "01-office-visit-2026.json").read_text(), "visit"))
    assert isinstance(claim, Claim)
    return claim


def after_primary(claim: Claim, paid: Decimal, allowed: Decimal, *, contracted: bool = True) -> Claim:
    """The claim as Medicare receives it after a group health plan's remittance (2320 / 2430)."""
    adjustments = []
    if contracted and allowed < CHARGE:
        adjustments.append(OtherPayerAdjustment(group="CO", carc="45", amount=CHARGE - allowed))
    if not contracted and allowed == 0:
        adjustments.append(OtherPayerAdjustment(group="CO", carc="96", amount=CHARGE))
    if allowed > paid:
        adjustments.append(OtherPayerAdjustment(group="PR", carc="2", amount=allowed - paid))
    payment = OtherPayment(
        paid=paid, allowed=allowed, line_paid=(paid,), line_adjustments=(tuple(adjustments),)
    )
    other = OtherCoverage(payer_id="bluepeak", priority="primary", payment=payment)
    return evolve(claim, coverage=evolve(claim.coverage, other_coverage=(other,)))


def expected(
    paid: Decimal, allowed: Decimal, obligated: Decimal | None, deductible_left: Decimal
) -> dict[str, Decimal]:
    """42 CFR 411.33(a), worked by hand for one line."""
    ded = min(deductible_left, FEE)
    coins = cents((FEE - ded) * Decimal("0.20"))
    normal = FEE - ded - coins  # (2) what Medicare pays as primary
    charge_less_paid = (CHARGE if obligated is None else min(CHARGE, obligated)) - paid  # (1)
    higher_allowed_less_paid = max(FEE, allowed) - paid  # (3)
    msp = max(Decimal(0), min(normal, charge_less_paid, higher_allowed_less_paid))
    owed = max(Decimal(0), min(ded + coins, max(FEE, allowed) - paid - msp))
    sequestration = cents(msp * Decimal("0.02"))
    return {
        "msp": msp,
        "paid": msp - sequestration,
        "sequestration": sequestration,
        "PR-1": min(ded, owed),
        "PR-2": owed - min(ded, owed),
        "OA-23": FEE - msp - owed,
    }


def groups(result) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    return {f"{a.group}-{a.carc}": a.amount for a in result.lines[0].adjustments}


@pytest.mark.parametrize(
    ("case", "paid", "allowed", "contracted"),
    [
        ("paid: 80% of a higher allowed amount", Decimal("96.00"), Decimal("120.00"), True),
        ("partly paid: the primary's deductible took half", Decimal("50.00"), Decimal("100.00"), True),
        ("denied by the primary", Decimal("0.00"), Decimal("0.00"), False),
        ("paid more than Medicare's allowed amount", Decimal("130.00"), Decimal("140.00"), True),
        ("paid its allowed amount in full, above Medicare's", Decimal("140.00"), Decimal("140.00"), True),
        ("not contracted with the primary: the charge limits", Decimal("100.00"), CHARGE, False),
    ],
)
def test_medicare_pays_the_lowest_of_the_three_amounts(engine, case, paid, allowed, contracted) -> None:
    claim = after_primary(office_visit(), paid, allowed, contracted=contracted)
    result = engine.adjudicate(claim, "medicare")
    obligated = allowed if contracted else None
    want = expected(paid, allowed, obligated, deductible_left=Decimal(0))
    line = result.lines[0]
    assert line.allowed == FEE, case
    assert line.paid == want["paid"], case
    got = groups(result)
    assert got.get("CO-45") == CHARGE - FEE
    assert got.get("OA-23", Decimal(0)) == want["OA-23"], case
    assert got.get("PR-1", Decimal(0)) == want["PR-1"], case
    assert got.get("PR-2", Decimal(0)) == want["PR-2"], case
    assert got.get("CO-253", Decimal(0)) == want["sequestration"], case
    assert line.billed == line.paid + sum(a.amount for a in line.adjustments)
    assert result.patient_responsibility == want["PR-1"] + want["PR-2"]
    assert "MCR750" in [f.code for f in result.findings]


def test_the_regulations_own_example() -> None:
    """42 CFR 411.33(b): charge $175, primary allowed $150 and paid $120, fee $125, deductible met:
    Medicare pays $30 (the secondary_payment function against the published example)."""
    from payer_rules_medicare.msp import PrimaryLine, secondary_payment

    line = secondary_payment(
        Decimal("175"),
        Decimal("125"),
        Decimal(0),
        Decimal("25"),
        PrimaryLine(Decimal("120"), Decimal("150"), None),
    )
    assert line.payment == Decimal("30")
    assert (line.normal, line.charge_limit, line.allowed_limit) == (
        Decimal("100"),
        Decimal("55"),
        Decimal("30"),
    )


def test_the_deductible_is_credited_though_the_primary_paid_it(engine) -> None:
    session = Session()
    fresh = evolve(office_visit(), accumulators=(Accumulators(year=2026, deductible_met=Decimal(0)),))
    claim = after_primary(fresh, Decimal("96.00"), Decimal("120.00"))
    result = engine.adjudicate(claim, "medicare", session=session)
    want = expected(Decimal("96.00"), Decimal("120.00"), Decimal("120.00"), deductible_left=DEDUCTIBLE_2026)
    assert result.lines[0].paid == want["paid"] == 0
    assert groups(result).get("PR-1") == want["PR-1"] == Decimal("24.00")
    # The next claim of the member, without other coverage, sees the whole $117.58 credited.
    second = evolve(fresh, id="CLM-1002", lines=(evolve(fresh.lines[0], service_date=dt.date(2026, 2, 4)),))
    later = engine.adjudicate(second, "medicare", session=session)
    left = DEDUCTIBLE_2026 - FEE
    assert groups(later).get("PR-1") == min(left, FEE)


def test_a_primary_whose_numbers_do_not_balance_is_returned(engine) -> None:
    claim = after_primary(office_visit(), Decimal("96.00"), Decimal("120.00"))
    other = claim.coverage.other_coverage[0]
    assert other.payment is not None
    broken = evolve(other, payment=evolve(other.payment, line_paid=(Decimal("99.00"),)))
    claim = evolve(claim, coverage=evolve(claim.coverage, other_coverage=(broken,)))
    result = engine.adjudicate(claim, "medicare")
    assert [f.code for f in result.findings] == ["MCR752"]
    assert result.paid == 0 and result.status == "rejected"


def test_medicaid_listed_as_other_coverage_does_not_make_medicare_secondary(engine) -> None:
    claim = after_primary(office_visit(), Decimal("96.00"), Decimal("120.00"))
    other = evolve(claim.coverage.other_coverage[0], payer_id="medicaid-ny")
    claim = evolve(claim, coverage=evolve(claim.coverage, other_coverage=(other,)))
    result = engine.adjudicate(claim, "medicare")
    assert "MCR750" not in [f.code for f in result.findings]
    assert result.lines[0].paid == cents(FEE - cents(FEE * Decimal("0.2"))) - cents(
        (FEE - cents(FEE * Decimal("0.2"))) * Decimal("0.02")
    )


def test_msp_rules_are_explained() -> None:
    from click.testing import CliRunner

    from payer_rules.cli import cli

    for code in ("MCR750", "MCR751", "MCR752"):
        out = CliRunner().invoke(cli, ["explain", code])
        assert out.exit_code == 0, out.output
        assert "411.33" in out.output or "Pub. 100-05" in out.output


def test_medicare_last_in_a_chain_pays_as_secondary(engine) -> None:
    """bluepeak (a commercial PPO) first, then Medicare: Medicare reads bluepeak's remittance."""
    claim = office_visit()
    (_, first), (seen, medicare) = engine.adjudicate_pairs([claim], ["bluepeak", "medicare"], chain=True)
    line = first.lines[0]
    patient = sum((a.amount for a in line.adjustments if a.group == "PR"), Decimal(0))
    contracted = any((a.group, a.carc) == ("CO", "45") for a in line.adjustments)
    want = expected(line.paid, line.paid + patient, line.paid + patient if contracted else None, Decimal(0))
    assert medicare.lines[0].paid == want["paid"]
    assert groups(medicare).get("OA-23", Decimal(0)) == want["OA-23"]
    # The same as writing bluepeak's payment into the claim by hand.
    assert isinstance(seen, Claim)
    assert engine.adjudicate(seen, "medicare").lines[0] == medicare.lines[0]
