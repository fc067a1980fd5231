"""Order of benefits: which of two coverages pays first when the claim does not say.

A claim may list other coverage without its place in the order (``OtherCoverage.priority``
``None``, JSON ``"priority": null``). A payer judging it then needs to know whether it is primary
(pay as if alone) or secondary (coordinate with, or wait for, the other plan's adjudication).
The rules are not any one payer's: the NAIC Coordination of Benefits Model Regulation (MDL-120
§5 D, adopted by the states for insured group plans and followed by most self-funded plans) and,
where Medicare is one of the two, the Medicare Secondary Payer statute (42 U.S.C. 1395y(b)) and
regulations, which the NAIC model defers to. So they live here, payer-agnostic: each plugin asks
:func:`decide` and reports the decision under its own rule code (commercial COM807-COM809,
Medicare MCR753-MCR755), citing the rule this module names.

In order, the first that decides:

1. Medicaid is the payer of last resort (42 U.S.C. 1396a(a)(25)).
2. Medicare and a group health plan (42 CFR 411 subparts B-H; MSP Manual, Pub. 100-05 ch.2):
   ESRD: the plan pays first during the 30-month coordination period (42 CFR 411.162), whatever
   the employment or employer size; working aged (65 or older, or entitled by age): the plan
   pays first when it covers the patient through current employment (self or spouse) with an
   employer of 20 or more employees (42 CFR 411.172); disability: through current employment
   with an employer of 100 or more (a large group health plan, 42 CFR 411.204). Otherwise
   Medicare pays first (retiree coverage, COBRA, small employers).
3. Two group plans (MDL-120 §5 D): (1) the plan covering the patient as employee / subscriber
   before the one covering them as a dependent; (2) a dependent child covered by both parents'
   plans: the birthday rule, the parent whose birthday (month and day, not year) falls earlier
   in the calendar year, the same birthday: the plan that has covered that parent longer;
   (3) the plan covering the patient as an active employee (or their dependent) before one
   covering them as retired or laid off; (4) the plan covering the patient as employee,
   subscriber or retiree before COBRA or state continuation coverage; (5) the plan that has
   covered the patient longer.

What the claim does not tell (an employer's size, the subscribers' birthdays) leaves the order
undecided (``None``): the plugins pend rather than guess. Court decrees and divorced or
separated parents (MDL-120 §5 D(2)(b)-(c)) are not modelled: they need facts no claim carries.
"""

from __future__ import annotations

import datetime as dt

from attrs import frozen

from payer_rules.models import Claim, OtherPayment, Relationship
from payer_rules.payers import PayerKind

__all__ = [
    "ACTIVE",
    "COBRA",
    "RETIRED",
    "Enrollment",
    "OrderDecision",
    "Unstated",
    "decide",
    "enrollments",
    "kind_of",
    "unstated",
]

ACTIVE = "active"
RETIRED = "retired"
COBRA = "cobra"
#: ``employment`` values: the subscriber's status with the employer sponsoring the plan.
EMPLOYMENT = (ACTIVE, RETIRED, COBRA)
#: ``medicare_basis`` values: why the patient has Medicare.
MEDICARE_BASES = ("age", "disability", "esrd")

NAIC = "NAIC Coordination of Benefits Model Regulation (MDL-120)"
_WORKING_AGED = 20  # employees, 42 CFR 411.172(a)(3) / 411.170
_LARGE_GROUP = 100  # employees, 42 CFR 411.204 (large group health plan)
_ESRD_MONTHS = 30  # 42 U.S.C. 1395y(b)(1)(C); 42 CFR 411.162(b)


@frozen(kw_only=True)
class Enrollment:
    """How one plan covers the patient, as the order-of-benefit rules need it.

    Args:
        payer_id: the plan's payer.
        kind: Medicare, Medicaid or another (group) plan.
        relationship: the patient's relationship to the plan's subscriber (``self``: the
            patient is the employee / subscriber); ``None``: not given.
        subscriber_birth_date: the subscriber's date of birth (the birthday rule).
        since: when the plan started covering the patient (the length-of-coverage rules).
        employment: the subscriber's status with the sponsoring employer: ``active``,
            ``retired`` or ``cobra`` (continuation coverage); ``None``: not given.
        employer_size: employees of the sponsoring employer (Medicare-secondary rules).
        medicare_basis: for Medicare: ``age``, ``disability`` or ``esrd``.
        esrd_coordination_start: for Medicare by ESRD: the first month of the 30-month
            coordination period.
    """

    payer_id: str
    kind: PayerKind = PayerKind.COMMERCIAL
    relationship: Relationship | None = None
    subscriber_birth_date: dt.date | None = None
    since: dt.date | None = None
    employment: str | None = None
    employer_size: int | None = None
    medicare_basis: str | None = None
    esrd_coordination_start: dt.date | None = None


@frozen(kw_only=True)
class OrderDecision:
    """Which plan pays first, by which rule.

    Args:
        primary, secondary: the two enrollments in order.
        rule: the rule's short name (``birthday rule``).
        reason: one sentence naming the facts that decided it.
        citation: the rule's source, section included.
    """

    primary: Enrollment
    secondary: Enrollment
    rule: str
    reason: str
    citation: str


def kind_of(payer_id: str) -> PayerKind:
    """The kind of a payer named on a claim, by the ids the shipped plugins use (``medicare``,
    ``medicaid-<state>``); any other payer is a group plan."""
    key = payer_id.strip().lower()
    if key == "medicare":
        return PayerKind.MEDICARE
    if key.startswith("medicaid"):
        return PayerKind.MEDICAID
    return PayerKind.COMMERCIAL


def enrollments(claim: Claim) -> list[Enrollment]:
    """The claim's coverage (first) and each other coverage as enrollments."""
    coverage = claim.coverage
    subscriber = claim.subscriber.birth_date if claim.subscriber is not None else None
    own_birth = claim.patient.birth_date
    found = [
        Enrollment(
            payer_id=coverage.payer_id.strip().lower(),
            kind=kind_of(coverage.payer_id),
            relationship=coverage.relationship,
            subscriber_birth_date=own_birth if coverage.relationship is Relationship.SELF else subscriber,
            since=coverage.effective_from,
            employment=coverage.employment,
            employer_size=coverage.employer_size,
            medicare_basis=coverage.medicare_basis,
            esrd_coordination_start=coverage.esrd_coordination_start,
        )
    ]
    for other in coverage.other_coverage:
        birth = other.subscriber_birth_date
        if birth is None and other.relationship is Relationship.SELF:
            birth = own_birth
        found.append(
            Enrollment(
                payer_id=other.payer_id.strip().lower(),
                kind=kind_of(other.payer_id),
                relationship=other.relationship,
                subscriber_birth_date=birth,
                since=other.effective_from,
                employment=other.employment,
                employer_size=other.employer_size,
                medicare_basis=other.medicare_basis,
                esrd_coordination_start=other.esrd_coordination_start,
            )
        )
    return found


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def decide(
    first: Enrollment, second: Enrollment, *, on: dt.date, patient_birth_date: dt.date | None = None
) -> OrderDecision | None:
    """The order of ``first`` and ``second`` for a service on ``on``, or ``None`` when the rules
    cannot decide from what the enrollments tell (see the module's docstring for the rules)."""
    kinds = {first.kind, second.kind}
    if PayerKind.MEDICAID in kinds and kinds != {PayerKind.MEDICAID}:
        medicaid, other = (first, second) if first.kind is PayerKind.MEDICAID else (second, first)
        return OrderDecision(
            primary=other,
            secondary=medicaid,
            rule="payer of last resort",
            reason=f"{medicaid.payer_id} is Medicaid, which pays after every other coverage",
            citation="42 U.S.C. 1396a(a)(25); 42 CFR 433.139",
        )
    if PayerKind.MEDICARE in kinds and kinds != {PayerKind.MEDICARE}:
        medicare, plan = (first, second) if first.kind is PayerKind.MEDICARE else (second, first)
        return _medicare(medicare, plan, on, patient_birth_date)
    return _naic(first, second)


def _ordered(
    primary: Enrollment, secondary: Enrollment, rule: str, reason: str, citation: str
) -> OrderDecision:
    return OrderDecision(primary=primary, secondary=secondary, rule=rule, reason=reason, citation=citation)


def _medicare(
    medicare: Enrollment, plan: Enrollment, on: dt.date, patient_birth_date: dt.date | None
) -> OrderDecision | None:
    basis = medicare.medicare_basis
    if basis is None and patient_birth_date is not None and _age(patient_birth_date, on) >= 65:
        basis = "age"
    if basis == "esrd":
        start = medicare.esrd_coordination_start
        if start is None:
            return None
        end = _add_months(start, _ESRD_MONTHS)
        cite = "42 U.S.C. 1395y(b)(1)(C); 42 CFR 411.162; MSP Manual (Pub. 100-05) ch.2 §20"
        if on < end:
            return _ordered(
                plan,
                medicare,
                "ESRD coordination period",
                f"Medicare by ESRD: {plan.payer_id} pays first during the 30-month coordination "
                f"period ({start} to {end - dt.timedelta(days=1)})",
                cite,
            )
        return _ordered(
            medicare,
            plan,
            "ESRD coordination period",
            f"Medicare by ESRD: the 30-month coordination period ended {end - dt.timedelta(days=1)}",
            cite,
        )
    if basis not in ("age", "disability"):
        return None
    size = _WORKING_AGED if basis == "age" else _LARGE_GROUP
    rule = "working aged" if basis == "age" else "disability (large group health plan)"
    cite = (
        "42 U.S.C. 1395y(b)(1)(A); 42 CFR 411.172; MSP Manual ch.2 §10.1"
        if basis == "age"
        else "42 U.S.C. 1395y(b)(1)(B); 42 CFR 411.204; MSP Manual ch.2 §30"
    )
    if plan.employment is None:
        return None
    if plan.employment != ACTIVE:
        status = "COBRA continuation" if plan.employment == COBRA else "retiree"
        return _ordered(
            medicare,
            plan,
            rule,
            f"{plan.payer_id} is {status} coverage, not coverage by current employment: Medicare pays first",
            cite,
        )
    if plan.employer_size is None:
        return None
    if plan.employer_size >= size:
        return _ordered(
            plan,
            medicare,
            rule,
            f"{plan.payer_id} covers the patient through current employment with an employer of "
            f"{plan.employer_size} employees ({size} or more): it pays first",
            cite,
        )
    return _ordered(
        medicare,
        plan,
        rule,
        f"{plan.payer_id}'s employer has {plan.employer_size} employees (fewer than {size}): "
        "Medicare pays first",
        cite,
    )


def _naic(first: Enrollment, second: Enrollment) -> OrderDecision | None:
    section = f"{NAIC} §5 D"
    a_self = first.relationship is Relationship.SELF
    b_self = second.relationship is Relationship.SELF
    if first.relationship is not None and second.relationship is not None and a_self != b_self:
        primary, secondary = (first, second) if a_self else (second, first)
        return _ordered(
            primary,
            secondary,
            "non-dependent / dependent",
            f"{primary.payer_id} covers the patient as employee / subscriber, "
            f"{secondary.payer_id} as a dependent",
            f"{section}(1)",
        )
    if first.relationship is Relationship.CHILD and second.relationship is Relationship.CHILD:
        a, b = first.subscriber_birth_date, second.subscriber_birth_date
        if a is None or b is None:
            return None
        if (a.month, a.day) != (b.month, b.day):
            primary, secondary = (first, second) if (a.month, a.day) < (b.month, b.day) else (second, first)
            born = primary.subscriber_birth_date
            assert born is not None
            return _ordered(
                primary,
                secondary,
                "birthday rule",
                f"{primary.payer_id}'s subscriber has the earlier birthday in the year "
                f"({born:%B} {born.day}; the year is not compared)",
                f"{section}(2)(a)",
            )
        longer = _longer(first, second)
        if longer is None:
            return None
        return _ordered(
            longer[0],
            longer[1],
            "birthday rule",
            f"both subscribers have the same birthday; {longer[0].payer_id} has covered the patient longer "
            f"(since {longer[0].since})",
            f"{section}(2)(a)(ii)",
        )
    statuses = {first.employment, second.employment}
    if ACTIVE in statuses and RETIRED in statuses:
        primary, secondary = (first, second) if first.employment == ACTIVE else (second, first)
        return _ordered(
            primary,
            secondary,
            "active / retired or laid-off employee",
            f"{primary.payer_id} covers the patient as an active employee (or their dependent), "
            f"{secondary.payer_id} as retired or laid off",
            f"{section}(3)",
        )
    if COBRA in statuses and len(statuses - {None}) == 2:
        primary, secondary = (first, second) if second.employment == COBRA else (second, first)
        return _ordered(
            primary,
            secondary,
            "COBRA or state continuation coverage",
            f"{secondary.payer_id} is continuation coverage (COBRA); {primary.payer_id} pays first",
            f"{section}(4)",
        )
    longer = _longer(first, second)
    if longer is None:
        return None
    return _ordered(
        longer[0],
        longer[1],
        "longer / shorter length of coverage",
        f"{longer[0].payer_id} has covered the patient longer (since {longer[0].since})",
        f"{section}(5)",
    )


def _longer(first: Enrollment, second: Enrollment) -> tuple[Enrollment, Enrollment] | None:
    if first.since is None or second.since is None or first.since == second.since:
        return None
    return (first, second) if first.since < second.since else (second, first)


@frozen(kw_only=True)
class Unstated:
    """Another coverage whose place against ``payer`` the claim does not state, and the rules'
    decision (``None``: undecided).

    Args:
        payer_id: the other coverage's payer.
        payment: its adjudication, when the claim carries it.
        decision: :func:`decide` for the two, or ``None``.
    """

    payer_id: str
    payment: OtherPayment | None
    decision: OrderDecision | None

    @property
    def pays_first(self) -> bool:
        """The other coverage pays before ``payer`` (decided)."""
        return self.decision is not None and self.decision.primary.payer_id == self.payer_id


def unstated(claim: Claim, payer_id: str) -> list[Unstated]:
    """The coverages whose order against ``payer_id`` the claim leaves to the rules, decided.

    ``payer_id`` must be on the claim (its coverage, or an other-coverage entry); otherwise (a
    payer asked what it would do with a claim that is not its own) there is no order to decide.
    Other coverage counts when its ``priority`` is null; the claim's own coverage counts, for a
    payer listed in other coverage, when that entry's ``priority`` is null.
    """
    if not claim.coverage.other_coverage:
        return []  # one coverage: no order to decide (most claims; judged without building any)
    key = payer_id.strip().lower()
    found = enrollments(claim)
    priorities: list[str | None] = [None, *(o.priority for o in claim.coverage.other_coverage)]
    payments: list[OtherPayment | None] = [None, *(o.payment for o in claim.coverage.other_coverage)]
    mine = [n for n, e in enumerate(found) if e.payer_id == key]
    if not mine:
        return []
    own = mine[0]
    if own != 0 and priorities[own] is not None:
        return []
    out: list[Unstated] = []
    for n, enrollment in enumerate(found):
        if enrollment.payer_id == key or (n != 0 and priorities[n] is not None):
            continue
        decision = decide(
            found[own], enrollment, on=claim.first_service_date, patient_birth_date=claim.patient.birth_date
        )
        out.append(Unstated(payer_id=enrollment.payer_id, payment=payments[n], decision=decision))
    return out
