"""Coordination of benefits for a commercial plan that pays second (COM801-COM802).

The plan is secondary when the claim's other coverage is the ``primary`` and carries that
payer's adjudication (an 837's 2320 / 2430 loops, or the payer before it in a chain). Per line,
with ``N`` the plan's normal benefit (its allowed amount less its own deductible, copay and
coinsurance: what it would pay as primary), ``P`` what the primary paid and ``R`` the patient
responsibility the primary left (its PR adjustments), the plan's ``[[plans]] cob`` method in
``payer.toml`` decides:

* ``traditional`` (standard COB, the NAIC Coordination of Benefits Model Regulation): the
  lesser of ``N`` and ``R``: the secondary pays up to what it would have paid alone, and the two
  plans together pay no more than the allowable expense;
* ``non-duplication``: ``N`` less ``P``, never below 0: the secondary pays only what its own
  benefit exceeds the primary's payment.

A line the primary neither paid nor left to the patient (a denial) is paid as primary.
What the member still owes after both (``R`` less the secondary's payment) is reported in the
plan's own categories (PR-1 deductible, PR-3 copay, PR-2 coinsurance, in that order, at most
their amounts); the rest of the plan's allowed amount is the prior payer's impact, OA-23.
Carve-out and maintenance of benefits are not modelled (the loader refuses them).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from attrs import frozen

from payer_rules.models import Claim, OtherCoverage, OtherPayment
from payer_rules.money import ZERO, money
from payer_rules.results import Adjustment, Group

__all__ = [
    "COB_METHODS",
    "CobLine",
    "Enrollment",
    "cob_line",
    "order_of_benefits",
    "primary_coverage",
    "primary_line",
]

TRADITIONAL = "traditional"
NON_DUPLICATION = "non-duplication"
COB_METHODS = (TRADITIONAL, NON_DUPLICATION)
NAIC = "NAIC Coordination of Benefits Model Regulation (MDL-120)"


def primary_coverage(claim: Claim) -> OtherCoverage | None:
    """The plan this payer is secondary to: other coverage marked primary with its adjudication."""
    for other in claim.coverage.other_coverage:
        if other.priority == "primary" and other.payment is not None:
            return other
    return None


def primary_line(payment: OtherPayment, n: int) -> tuple[Decimal, Decimal]:
    """(paid, patient responsibility) of the primary on line ``n``; without 2430 lines, the claim
    payment with no known patient responsibility on line 1 only."""
    if payment.line_paid:
        paid = money(payment.line_paid[n - 1]) if n <= len(payment.line_paid) else ZERO
        taken = payment.line_adjustments[n - 1] if n <= len(payment.line_adjustments) else ()
        return paid, sum((money(a.amount) for a in taken if a.group == "PR"), ZERO)
    patient = sum((money(a.amount) for a in payment.adjustments if a.group == "PR"), ZERO)
    return (money(payment.paid), patient) if n == 1 else (ZERO, ZERO)


@frozen
class CobLine:
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
) -> CobLine:
    """The secondary's payment on one line and its adjustments of its allowed amount."""
    normal = allowed - deductible - copay - coinsurance
    if method == NON_DUPLICATION:
        payment = max(ZERO, normal - primary_paid)
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
