"""Edits every Medicaid program makes, parameterised by the state definition.

- Timely filing (``validate``): the state's limit in days or months, counted from the date of
  service or from the end of the month of service; past it the line is denied CO-29 (MCD101),
  unless a reduction tier still pays it (MCD102, the cut taken in ``adjudicate`` as CO-B4).
- Payer of last resort (``authorize``): other coverage on the claim without that payer's
  adjudication denies the claim CO-22 / MA04 (MCD201).
- State-defined modifiers (``validate``): a U1-UD modifier the state does not define is a
  warning (MCD501).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from payer_rules.context import Context
from payer_rules.models import Claim, OtherCoverage, ServiceLine
from payer_rules.results import Finding
from payer_rules_medicaid.rules import finding
from payer_rules_medicaid.state import FilingClock, StateDef, add_months, end_of_month

__all__ = ["filing_reduction", "last_resort", "state_modifiers", "timely_filing"]

STATE_MODIFIERS = frozenset(f"U{c}" for c in "123456789ABCD")


def _months_after(start: dt.date, received: dt.date) -> int:
    """Whole months from the month of ``start`` to the month of ``received`` (same month: 0)."""
    return (received.year - start.year) * 12 + received.month - start.month


def _deadline(state: StateDef, line: ServiceLine, months: int) -> dt.date:
    tf = state.timely_filing
    start = line.last_service_date
    if tf.count_from is FilingClock.MONTH_OF_SERVICE:
        return end_of_month(add_months(start.replace(day=1), months))
    return add_months(start, months)


def is_medicare(other: OtherCoverage) -> bool:
    """Whether other coverage is Medicare (a crossover claim): payer id ``medicare`` or ``medicare-*``."""
    payer = other.payer_id.strip().lower()
    return payer == "medicare" or payer.startswith("medicare-")


def other_coverage_limit(state: StateDef, claim: Claim, line: ServiceLine) -> dt.date | None:
    """The latest filing limit other coverage on the claim gives the line, if the state has one.

    Some states give claims that went to another payer first more time: e.g. Florida, 6 months
    from the other insurer's payment or denial, and for Medicare crossovers the later of 36
    months from the date of service or 12 months from Medicare's adjudication.
    """
    tf = state.timely_filing
    limits: list[dt.date] = []
    for other in claim.coverage.other_coverage:
        paid = other.payment.paid_date if other.payment is not None else None
        if is_medicare(other):
            if tf.medicare_crossover_months is not None:
                limits.append(add_months(line.last_service_date, tf.medicare_crossover_months))
            if tf.after_medicare_months is not None and paid is not None:
                limits.append(add_months(paid, tf.after_medicare_months))
        elif tf.after_other_payment_months is not None and paid is not None:
            limits.append(add_months(paid, tf.after_other_payment_months))
    return max(limits, default=None)


def filing_tier(
    state: StateDef, line: ServiceLine, received: dt.date, extended: dt.date | None = None
) -> tuple[str, Decimal, dt.date]:
    """``("timely" | "reduced" | "late", reduction percent, the limit that decided)``.

    :param extended: the limit other coverage on the claim gives (:func:`other_coverage_limit`).
    """
    tf = state.timely_filing
    if extended is not None and received <= extended:
        return "timely", Decimal(0), extended
    if tf.days is not None:
        limit = line.last_service_date + dt.timedelta(days=tf.days)
        return ("timely" if received <= limit else "late"), Decimal(0), limit
    assert tf.months is not None
    limit = _deadline(state, line, tf.months)
    if received <= limit:
        return "timely", Decimal(0), limit
    for tier in tf.reductions:
        limit = _deadline(state, line, tier.through_months)
        if received <= limit:
            return "reduced", tier.percent, limit
    return "late", Decimal(0), limit


def _describe(state: StateDef) -> str:
    tf = state.timely_filing
    if tf.days is not None:
        return f"{tf.days} days from the date of service"
    clock = "the month of service" if tf.count_from is FilingClock.MONTH_OF_SERVICE else "the date of service"
    return f"{tf.months} months from {clock}"


def timely_filing(claim: Claim, context: Context, state: StateDef) -> Iterator[Finding]:
    received = context.received_date
    citation = state.timely_filing.citation
    for n, line in enumerate(claim.lines, 1):
        extended = other_coverage_limit(state, claim, line)
        tier, percent, limit = filing_tier(state, line, received, extended)
        if tier == "late":
            also = f"; the other coverage on the claim allowed until {extended}" if extended else ""
            yield finding(
                "MCD101",
                f"line {n}: received {received}, after {state.state.name}'s filing limit "
                f"({_describe(state)}; last day {limit}{also}) for the service on {line.last_service_date}",
                line=n,
                citation=citation,
            )
        elif tier == "reduced":
            yield finding(
                "MCD102",
                f"line {n}: received {received}, after the full-payment limit ({_describe(state)}); "
                f"paid with a {percent}% reduction (tier ending {limit})",
                line=n,
                citation=citation,
            )


def filing_reduction(claim: Claim, context: Context, state: StateDef, line: int) -> Decimal:
    """The late-filing reduction percent for a line (0 when timely)."""
    service = claim.lines[line - 1]
    extended = other_coverage_limit(state, claim, service)
    tier, percent, _limit = filing_tier(state, service, context.received_date, extended)
    return percent if tier == "reduced" else Decimal(0)


def last_resort(claim: Claim, context: Context, state: StateDef) -> Iterator[Finding]:
    missing = [o for o in claim.coverage.other_coverage if o.payment is None]
    if missing:
        names = ", ".join(o.payer_id for o in missing)
        yield finding(
            "MCD201",
            f"the member has other coverage ({names}) and the claim does not carry its adjudication; "
            f"{state.state.name} pays only after other coverage (payer of last resort)",
        )


def state_modifiers(claim: Claim, context: Context, state: StateDef) -> Iterator[Finding]:
    defined = {m.code for m in state.modifiers}
    for n, line in enumerate(claim.lines, 1):
        for modifier in line.modifiers:
            if modifier in STATE_MODIFIERS and modifier not in defined:
                known = ", ".join(sorted(defined)) or "none"
                yield finding(
                    "MCD501",
                    f"line {n}: modifier {modifier} is a state-defined modifier {state.state.name} "
                    f"does not define (it defines: {known})",
                    line=n,
                )
