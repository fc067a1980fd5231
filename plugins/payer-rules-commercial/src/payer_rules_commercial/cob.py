"""Coordination of benefits for a commercial plan that pays second (COM801, COM803-COM806).

The plan is secondary when the claim's other coverage is the ``primary`` and carries that
payer's adjudication (an 837's 2320 / 2430 loops, or the payer before it in a chain). Per line,
with ``A`` the plan's allowed amount, ``CS(x)`` its own cost sharing on an amount ``x``
(deductible, then copay, then coinsurance, as :mod:`payer_rules_commercial.benefits` takes them),
``N = A - CS(A)`` its normal benefit (what it would pay as primary), ``P`` what the primary paid
and ``R`` the patient responsibility the primary left (its PR adjustments), the plan's
``[[plans]] cob`` method in ``payer.toml`` decides:

* ``traditional`` (standard COB, NAIC Coordination of Benefits Model Regulation MDL-120 §7): the
  lesser of ``N`` and ``R``: the secondary pays up to what it would have paid alone, and the two
  plans together pay no more than the allowable expense (COM801);
* ``non-duplication``: ``N - P``, never below 0: the secondary pays only what its own benefit
  exceeds the primary's payment (COM801);
* ``carve-out``: the primary's payment carved out of ``A``: the balance ``B = min(A - P, R)``
  (never below 0) is what the plan's cost sharing applies to, and it pays ``B - CS(B)``
  (COM803);
* ``maintenance-of-benefits``: the member keeps the plan's own cost sharing: the plan pays
  ``R - CS(A)``, at most ``N``, never below 0 (COM804).

A line the primary neither paid nor left to the patient (a denial) is paid as primary, except by
a ``supplement`` plan (a Medigap plan), which pays only on lines the primary approved (COM806)
and nothing without the primary's adjudication (COM805).
What the member still owes after both (``R`` less the secondary's payment) is reported in the
plan's own categories (PR-1 deductible, PR-3 copay, PR-2 coinsurance, in that order, at most
their amounts); the rest of the plan's allowed amount is the prior payer's impact, OA-23.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from attrs import frozen

from payer_rules.models import Claim, OtherCoverage, OtherPayment
from payer_rules.money import ZERO, money
from payer_rules.order_of_benefits import Unstated, unstated
from payer_rules.results import Adjustment, Group

__all__ = [
    "CARVE_OUT",
    "COB_FINDING",
    "MAINTENANCE_OF_BENEFITS",
    "NON_DUPLICATION",
    "TRADITIONAL",
    "CobLine",
    "Enrollment",
    "approved_by_primary",
    "carve_out_balance",
    "cob_line",
    "order_of",
    "order_of_benefits",
    "primary_coverage",
    "primary_deductible",
    "primary_line",
]

TRADITIONAL = "traditional"
NON_DUPLICATION = "non-duplication"
CARVE_OUT = "carve-out"
MAINTENANCE_OF_BENEFITS = "maintenance-of-benefits"
NAIC = "NAIC Coordination of Benefits Model Regulation (MDL-120)"
#: The finding that explains a coordinated line, by method.
COB_FINDING = {
    TRADITIONAL: "COM801",
    NON_DUPLICATION: "COM801",
    CARVE_OUT: "COM803",
    MAINTENANCE_OF_BENEFITS: "COM804",
}
#: Cost sharing a primary leaves on a service it approved: deductible, coinsurance, copay.
_COST_SHARING_CARCS = frozenset({"1", "2", "3"})


def primary_coverage(claim: Claim, payer_id: str | None = None) -> OtherCoverage | None:
    """The plan this payer is secondary to, with its adjudication: other coverage marked
    primary, or (given ``payer_id``) coverage whose place the claim leaves to the
    order-of-benefit rules and they put before ``payer_id`` (:func:`order_of`)."""
    for other in claim.coverage.other_coverage:
        if other.priority == "primary" and other.payment is not None:
            return other
    if payer_id is not None:
        for found in unstated(claim, payer_id):
            if found.pays_first and found.payment is not None:
                return OtherCoverage(payer_id=found.payer_id, priority="primary", payment=found.payment)
    return None


def order_of(claim: Claim, payer_id: str) -> list[Unstated]:
    """The coverages whose order against ``payer_id`` the claim does not state, each with the
    rules' decision (:func:`payer_rules.order_of_benefits.unstated`)."""
    return unstated(claim, payer_id)


def primary_line(payment: OtherPayment, n: int) -> tuple[Decimal, Decimal]:
    """(paid, patient responsibility) of the primary on line ``n``; without 2430 lines, the claim
    payment with no known patient responsibility on line 1 only."""
    if payment.line_paid:
        paid = money(payment.line_paid[n - 1]) if n <= len(payment.line_paid) else ZERO
        taken = payment.line_adjustments[n - 1] if n <= len(payment.line_adjustments) else ()
        return paid, sum((money(a.amount) for a in taken if a.group == "PR"), ZERO)
    patient = sum((money(a.amount) for a in payment.adjustments if a.group == "PR"), ZERO)
    return (money(payment.paid), patient) if n == 1 else (ZERO, ZERO)


def primary_deductible(payment: OtherPayment, n: int) -> Decimal:
    """The deductible (PR-1) the primary left the patient on line ``n``; without 2430 lines, the
    claim's, on line 1 only."""
    if payment.line_paid:
        taken = payment.line_adjustments[n - 1] if n <= len(payment.line_adjustments) else ()
    else:
        taken = payment.adjustments if n == 1 else ()
    return sum((money(a.amount) for a in taken if a.group == "PR" and a.carc == "1"), ZERO)


def approved_by_primary(payment: OtherPayment, n: int) -> bool:
    """Whether the primary approved line ``n``: it paid something or left the patient its
    deductible, coinsurance or copay (CARC 1 / 2 / 3). Without 2430 lines, the claim level."""
    if payment.line_paid:
        if n > len(payment.line_paid):
            return False
        taken = payment.line_adjustments[n - 1] if n <= len(payment.line_adjustments) else ()
        paid = payment.line_paid[n - 1]
    else:
        taken, paid = payment.adjustments, payment.paid
    return paid > 0 or any(a.group == "PR" and a.carc in _COST_SHARING_CARCS and a.amount > 0 for a in taken)


def carve_out_balance(allowed: Decimal, primary_paid: Decimal, primary_patient: Decimal) -> Decimal:
    """What a carve-out plan applies its cost sharing to: its allowed amount less the primary's
    payment, at most what the primary left the patient, never below 0."""
    return max(ZERO, min(allowed - primary_paid, primary_patient))


@frozen
class CobLine:
    #: the plan's benefit before the primary's payment is considered (carve-out: on the balance)
    normal: Decimal
    payment: Decimal
    adjustments: tuple[Adjustment, ...]


def cob_line(
    method: str,
    allowed: Decimal,
    deductible: Decimal,
    copay: Decimal,
    coinsurance: Decimal,
    primary_paid: Decimal,
    primary_patient: Decimal,
    *,
    base: Decimal | None = None,
) -> CobLine:
    """The secondary's payment on one line and its adjustments of its allowed amount.

    :param deductible, copay, coinsurance: the plan's own cost sharing, taken on ``base``.
    :param base: what the cost sharing was taken on: the allowed amount, or for ``carve-out``
        the balance :func:`carve_out_balance` gives.
    """
    base = allowed if base is None else base
    cost_sharing = deductible + copay + coinsurance
    normal = base - cost_sharing
    if method == NON_DUPLICATION:
        payment = max(ZERO, normal - primary_paid)
    elif method == CARVE_OUT:
        payment = max(ZERO, normal)
    elif method == MAINTENANCE_OF_BENEFITS:
        payment = max(ZERO, min(normal, primary_patient - cost_sharing))
    else:
        payment = max(ZERO, min(normal, primary_patient))
    owed = max(ZERO, min(primary_patient - payment, allowed - payment))
    adjustments: list[Adjustment] = []
    for carc, share in (("1", deductible), ("3", copay), ("2", coinsurance)):
        take = min(share, owed)
        if take:
            adjustments.append(Adjustment(group=Group.PR, carc=carc, amount=take))
            owed -= take
    prior = allowed - payment - sum((a.amount for a in adjustments), ZERO)
    if prior:
        adjustments.append(Adjustment(group=Group.OA, carc="23", amount=prior))
    return CobLine(normal=normal, payment=payment, adjustments=tuple(adjustments))


@frozen(kw_only=True)
class Enrollment:
    """How one plan covers the patient, for deciding the order of benefits.

    Args:
        payer_id: the plan's payer.
        as_subscriber: the patient is the plan's employee / subscriber (``Relationship.SELF``),
            not a dependent.
        subscriber_birth_date: the subscriber's date of birth (the birthday rule).
        since: when the plan started covering the patient (the tie-break).
    """

    payer_id: str
    as_subscriber: bool
    subscriber_birth_date: dt.date | None = None
    since: dt.date | None = None


def order_of_benefits(first: Enrollment, second: Enrollment) -> tuple[Enrollment, Enrollment, str]:
    """(primary, secondary, why) for two commercial plans, by the NAIC order-of-benefit rules:

    1. the plan covering the patient as employee / subscriber before the one covering them as a
       dependent (non-dependent / dependent rule);
    2. for a dependent child covered by both parents' plans, the plan of the parent whose
       birthday (month and day, not year) comes first in the calendar year (the birthday rule);
       the same birthday: the plan that has covered the parent longer;
    3. otherwise (not decided by these rules): the plan that has covered the patient longer.

    Medicare-secondary cases (employer size, ESRD), COBRA and court-decree rules are not modelled.
    """
    if first.as_subscriber != second.as_subscriber:
        primary, secondary = (first, second) if first.as_subscriber else (second, first)
        return primary, secondary, f"{primary.payer_id} covers the patient as subscriber (non-dependent rule)"
    if not first.as_subscriber and first.subscriber_birth_date and second.subscriber_birth_date:
        a = (first.subscriber_birth_date.month, first.subscriber_birth_date.day)
        b = (second.subscriber_birth_date.month, second.subscriber_birth_date.day)
        if a != b:
            primary, secondary = (first, second) if a < b else (second, first)
            return (
                primary,
                secondary,
                f"{primary.payer_id}'s subscriber has the earlier birthday (birthday rule)",
            )
    if first.since and second.since and first.since != second.since:
        primary, secondary = (first, second) if first.since < second.since else (second, first)
        return primary, secondary, f"{primary.payer_id} has covered the patient longer"
    return first, second, "not decided by the modelled rules: kept in the order given"
