"""The examples in examples/cob, each answer worked by its published formula from the primary's
result (CMS CY2026 PFS: 99213, San Francisco, non-facility $117.58)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from payer_rules.engine import Engine
from payer_rules.io.readers import read_path
from payer_rules.models import Claim

from .conftest import EXAMPLES
from .helpers import assert_balanced

FEE = Decimal("117.58")
ZERO = Decimal(0)


def cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def chain(engine: Engine, name: str, payers: list[str]):  # type: ignore[no-untyped-def]
    [claim] = [c for c in read_path(str(EXAMPLES / "cob" / name)) if isinstance(c, Claim)]
    results = [r for _, r in engine.adjudicate_pairs([claim], payers, chain=True)]
    for r in results:
        assert_balanced(r)
    return results


def test_dual_eligible_qmb_crossover(engine: Engine) -> None:
    medicare, medicaid = chain(engine, "01-dual-eligible-crossover.json", ["medicare", "medicaid-ca"])
    coins = cents(FEE * Decimal("0.20"))
    paid = FEE - coins - cents((FEE - coins) * Decimal("0.02"))
    assert medicare.paid == paid
    allowed = cents(FEE * Decimal("0.875"))  # Medi-Cal TRI: 87.5% of Medicare
    pays = min(coins, max(ZERO, allowed - paid))  # lesser-of, 42 U.S.C. 1396a(n)(2)
    assert medicaid.paid == pays
    assert medicaid.patient_responsibility == 0  # QMB: never billed
    written_off = {(a.group, a.carc): a.amount for a in medicaid.lines[0].adjustments}[("CO", "23")]
    assert written_off == coins - pays


def test_working_aged_medicare_secondary(engine: Engine) -> None:
    primary, medicare = chain(engine, "02-working-aged-medicare-secondary.json", ["bluepeak", "medicare"])
    line = primary.lines[0]
    patient = sum((a.amount for a in line.adjustments if a.group == "PR"), ZERO)
    primary_allowed = line.paid + patient
    normal = FEE - cents(FEE * Decimal("0.20"))  # deductible met on the claim
    msp = max(ZERO, min(normal, line.billed - line.paid, max(FEE, primary_allowed) - line.paid))
    assert medicare.paid == msp - cents(msp * Decimal("0.02"))
    assert medicare.patient_responsibility == max(
        ZERO, min(FEE - normal, max(FEE, primary_allowed) - line.paid - msp)
    )


def test_commercial_non_duplication(engine: Engine) -> None:
    primary, second = chain(engine, "03-commercial-birthday-rule.json", ["bluepeak", "harborline"])
    [claim] = [
        c
        for c in read_path(str(EXAMPLES / "cob" / "03-commercial-birthday-rule.json"))
        if isinstance(c, Claim)
    ]
    from attrs import evolve

    alone = engine.adjudicate(evolve(claim, coverage=evolve(claim.coverage, other_coverage=())), "harborline")
    assert second.paid == max(ZERO, alone.paid - primary.paid)
