"""Order of benefits decided from the claim's coverages (payer_rules.order_of_benefits), and the
payers acting on it: commercial COM807-COM809, Medicare MCR753-MCR755.

Each expectation is the rule as the NAIC Coordination of Benefits Model Regulation (MDL-120 §5 D)
or the Medicare Secondary Payer regulations (42 CFR 411.162, 411.172, 411.204) state it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from attrs import evolve

from payer_rules.engine import Engine
from payer_rules.io.readers import read_path
from payer_rules.models import Claim, OtherCoverage, OtherPayerAdjustment, OtherPayment, Relationship
from payer_rules.order_of_benefits import Enrollment, decide, unstated
from payer_rules.payers import PayerKind

from .conftest import EXAMPLES
from .helpers import assert_balanced

DOS = dt.date(2026, 2, 3)
MEDICARE = PayerKind.MEDICARE


def plan(payer: str, **fields: object) -> Enrollment:
    return Enrollment(payer_id=payer, **fields)  # type: ignore[arg-type]


def first(a: Enrollment, b: Enrollment, **kwargs: object) -> str | None:
    decision = decide(a, b, on=kwargs.pop("on", DOS), **kwargs)  # type: ignore[arg-type]
    return None if decision is None else decision.primary.payer_id


def test_birthday_rule_compares_month_and_day_not_the_year() -> None:
    # mother born 14 March 1984, father 2 November 1982: the father is older, the mother's
    # birthday comes first in the year, so her plan pays first (MDL-120 §5 D(2)(a))
    mother = plan("bluepeak", relationship=Relationship.CHILD, subscriber_birth_date=dt.date(1984, 3, 14))
    father = plan("harborline", relationship=Relationship.CHILD, subscriber_birth_date=dt.date(1982, 11, 2))
    decision = decide(father, mother, on=DOS)
    assert decision is not None and decision.primary is mother and decision.rule == "birthday rule"
    assert decision.citation.endswith("§5 D(2)(a)")
    # the same month and day, different years: the plan that has covered the parent longer
    twin = evolve(father, subscriber_birth_date=dt.date(1990, 3, 14), since=dt.date(2015, 1, 1))
    older = evolve(mother, since=dt.date(2019, 6, 1))
    assert first(older, twin) == "harborline"
    assert first(evolve(twin, since=None), older) is None  # a tie nothing breaks: undecided
    assert first(evolve(mother, subscriber_birth_date=None), father) is None


def test_employee_before_dependent_active_before_retired_and_cobra_last() -> None:
    own = plan("bluepeak", relationship=Relationship.SELF)
    spouse = plan("harborline", relationship=Relationship.SPOUSE)
    assert first(spouse, own) == "bluepeak"
    active = plan("bluepeak", relationship=Relationship.SELF, employment="active")
    retired = plan("harborline", relationship=Relationship.SELF, employment="retired")
    assert first(retired, active) == "bluepeak"
    cobra = plan("harborline", relationship=Relationship.SELF, employment="cobra")
    assert first(cobra, active) == "bluepeak"
    longer = plan("harborline", relationship=Relationship.SELF, since=dt.date(2010, 1, 1))
    shorter = plan("bluepeak", relationship=Relationship.SELF, since=dt.date(2020, 1, 1))
    assert first(shorter, longer) == "harborline"
    assert first(plan("a", relationship=Relationship.SELF), plan("b", relationship=Relationship.SELF)) is None


@pytest.mark.parametrize(
    ("basis", "employment", "size", "expected"),
    [
        ("age", "active", 20, "bluepeak"),  # working aged: 20 or more employees (42 CFR 411.172)
        ("age", "active", 19, "medicare"),
        ("age", "retired", 5000, "medicare"),  # retiree coverage: Medicare first
        ("age", "cobra", 5000, "medicare"),  # COBRA is not current employment
        ("disability", "active", 100, "bluepeak"),  # large group health plan (42 CFR 411.204)
        ("disability", "active", 99, "medicare"),
        ("age", "active", None, None),  # the employer's size is not on the claim: undecided
        (None, "active", 50, None),  # nor why the patient has Medicare (and under 65)
    ],
)
def test_medicare_secondary_by_employer_size(basis, employment, size, expected) -> None:
    medicare = plan("medicare", kind=MEDICARE, medicare_basis=basis)
    ghp = plan("bluepeak", employment=employment, employer_size=size)
    assert first(medicare, ghp, patient_birth_date=dt.date(1970, 1, 1)) == expected


def test_sixty_five_or_older_counts_as_entitled_by_age() -> None:
    medicare = plan("medicare", kind=MEDICARE)
    ghp = plan("bluepeak", employment="active", employer_size=25)
    assert first(medicare, ghp, patient_birth_date=dt.date(1960, 2, 3)) == "bluepeak"  # 66 on DOS
    assert first(medicare, ghp, patient_birth_date=dt.date(1961, 2, 4)) is None  # 64: basis unknown


def test_esrd_thirty_month_coordination_period() -> None:
    # coordination starts 1 January 2024: months 1-30 run to 30 June 2026 (42 CFR 411.162(b))
    medicare = plan(
        "medicare", kind=MEDICARE, medicare_basis="esrd", esrd_coordination_start=dt.date(2024, 1, 1)
    )
    cobra = plan("bluepeak", employment="cobra", employer_size=3)  # size and COBRA do not matter
    assert first(medicare, cobra, on=dt.date(2026, 6, 30)) == "bluepeak"
    assert first(medicare, cobra, on=dt.date(2026, 7, 1)) == "medicare"
    assert first(evolve(medicare, esrd_coordination_start=None), cobra) is None


def test_medicaid_pays_last() -> None:
    assert first(plan("medicaid-ny", kind=PayerKind.MEDICAID), plan("bluepeak")) == "bluepeak"
    medicaid = plan("medicaid-ny", kind=PayerKind.MEDICAID)
    assert first(plan("medicare", kind=MEDICARE), medicaid) == "medicare"


# -- the payers, on claims ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def example(name: str) -> Claim:
    [claim] = [c for c in read_path(str(EXAMPLES / "cob" / name)) if isinstance(c, Claim)]
    return claim


def codes(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in result.findings]


def test_the_birthday_rule_example_decides_who_pays_first(engine: Engine) -> None:
    claim = example("03-commercial-birthday-rule.json")
    [found] = unstated(claim, "harborline")
    assert found.payer_id == "bluepeak" and found.pays_first and found.decision is not None
    assert found.decision.rule == "birthday rule"
    # Harborline alone: BluePeak pays first and its adjudication is missing: CO-22 MA04
    alone = engine.adjudicate(claim, "harborline")
    assert "COM808" in codes(alone) and alone.paid == 0
    assert alone.lines[0].adjustments[0].carc == "22"
    # BluePeak alone: it pays first (COM807 names the rule), as primary
    primary = engine.adjudicate(claim, "bluepeak")
    assert "COM807" in codes(primary) and "COM801" not in codes(primary)
    note = next(f for f in primary.findings if f.code == "COM807")
    assert "birthday rule" in note.message and "§5 D(2)(a)" in note.message
    # the chain in that order: Harborline coordinates (non-duplication) with BluePeak's payment
    first_result, second = [
        r for _, r in engine.adjudicate_pairs([claim], ["bluepeak", "harborline"], chain=True)
    ]
    for r in (first_result, second):
        assert_balanced(r)
    assert "COM807" in codes(first_result)  # BluePeak judged the order; the chain states it after
    assert "COM801" in codes(second)
    assert first_result.paid + second.paid <= first_result.lines[0].billed


def _payment(paid: str, patient: str, charge: Decimal) -> OtherPayment:
    rest = charge - Decimal(paid) - Decimal(patient)
    line = (
        OtherPayerAdjustment(group="PR", carc="2", amount=Decimal(patient)),
        OtherPayerAdjustment(group="CO", carc="45", amount=rest),
    )
    return OtherPayment(paid=Decimal(paid), line_paid=(Decimal(paid),), line_adjustments=(line,))


@pytest.mark.parametrize("size", [50, 10, None])
def test_medicare_decides_working_aged_msp(engine: Engine, size: int | None) -> None:
    claim = example("02-working-aged-medicare-secondary.json")
    charge = claim.lines[0].charge
    ghp = OtherCoverage(
        payer_id="bluepeak",
        priority=None,
        relationship=Relationship.SELF,
        employment="active",
        employer_size=size,
    )
    unpaid = evolve(claim, coverage=evolve(claim.coverage, other_coverage=(ghp,)))
    result = engine.adjudicate(unpaid, "medicare")
    assert_balanced(result)
    if size is None:
        assert "MCR755" in codes(result) and result.status == "pended"
        return
    if size >= 20:  # the plan pays first: Medicare waits for its adjudication
        assert "MCR754" in codes(result) and result.paid == 0
        paid = evolve(
            claim,
            coverage=evolve(
                claim.coverage, other_coverage=(evolve(ghp, payment=_payment("120.00", "30.00", charge)),)
            ),
        )
        secondary = engine.adjudicate(paid, "medicare")
        assert {"MCR753", "MCR750"} <= set(codes(secondary))
        return
    assert "MCR753" in codes(result) and "MCR750" not in codes(result)  # Medicare pays first
    assert result.paid > 0
