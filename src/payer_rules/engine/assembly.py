"""From what the stages decided to a result: line outcomes, line results, statuses, adjustments.

Findings that change money decide their lines (:func:`line_outcomes`); every other line is paid
as priced less what cost sharing took. :class:`ResultAssembler` builds the lines and the claim
result, which balance to the cent (the records in :mod:`payer_rules.results` refuse to exist
otherwise), with the versions of every source that took part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from attrs import frozen

from payer_rules.context import Context
from payer_rules.engine.own_rules import CLAIM_NOT_PRICED, LINE_NOT_PRICED
from payer_rules.engine.stages import ENGINE_SOURCE
from payer_rules.errors import ConfigurationError
from payer_rules.models import Claim, ServiceLine
from payer_rules.money import ZERO, money
from payer_rules.payers import PayerInfo
from payer_rules.results import (
    Adjudication,
    Adjustment,
    CasePayment,
    ClaimResult,
    ClaimStatus,
    Finding,
    Group,
    LineAdjudication,
    LineResult,
    LineStatus,
    PricedLine,
    Pricing,
    Severity,
)

__all__ = [
    "Outcome",
    "ResultAssembler",
    "claim_status",
    "engine_pend",
    "finding_order",
    "has_reject",
    "line_outcomes",
    "merge",
]


@frozen
class Outcome:
    """The decisive finding for a line (or the claim), with the line status it leads to."""

    status: LineStatus
    finding: Finding


_STATUS_BY_SEVERITY = {
    Severity.REJECT: LineStatus.REJECTED,
    Severity.DENY: LineStatus.DENIED,
    Severity.PEND: LineStatus.PENDED,
}

# Enum members as module constants: on Python 3.11 ``Severity.REJECT`` costs a slow class
# attribute lookup, and these run for every finding and line of every claim.
_REJECT = Severity.REJECT
_REJECTED, _DENIED, _PENDED = LineStatus.REJECTED, LineStatus.DENIED, LineStatus.PENDED
_PR, _CO = Group.PR, Group.CO
_PAID, _CLEAN = LineStatus.PAID, LineStatus.CLEAN
_RANK = {s: s.rank for s in Severity}
_CLAIM_REJECTED, _CLAIM_DENIED, _CLAIM_PENDED = ClaimStatus.REJECTED, ClaimStatus.DENIED, ClaimStatus.PENDED
_CLAIM_PARTIAL, _CLAIM_CLEAN, _CLAIM_PAID = ClaimStatus.PARTIAL, ClaimStatus.CLEAN, ClaimStatus.PAID


class ResultAssembler:
    """Builds line and claim results; keeps the ``versions`` maps it has made (a handful per payer)."""

    def __init__(self) -> None:
        #: sorted ``versions`` maps by the sources that took part
        self._versions_cache: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    def assemble(
        self,
        claim: Claim,
        context: Context,
        findings: list[Finding],
        outcomes: dict[int, Outcome],
        priced: dict[int, PricedLine],
        taken: dict[int, LineAdjudication],
        check_only: bool,
        pricing: Pricing | None,
        adjudication: Adjudication | None,
        origin: str | None,
        case: CasePayment | None = None,
    ) -> ClaimResult:
        """The claim's result from what the stages decided: lines, totals, findings in order.

        ``case``, a per-case payment the pricer made, is reported only when a line was paid.
        """
        lines = tuple(
            line_result(claim, n, outcomes.get(n), priced, taken, check_only, adjudication)
            for n in range(1, len(claim.lines) + 1)
        )
        billed = allowed = paid = patient = ZERO
        for ln in lines:
            billed += ln.billed
            allowed += ln.allowed
            paid += ln.paid
            for a in ln.adjustments:
                if a.group is _PR:
                    patient += a.amount
        if len(findings) > 1:
            findings.sort(key=finding_order)
        return _claim_result(
            claim.id,
            context.payer.id,
            claim_status(lines, check_only=check_only),
            context.as_of or claim.first_service_date,
            (billed, allowed, paid, patient),
            tuple(findings),
            lines,
            self.versions(context.payer, findings, pricing, adjudication),
            origin,
            case if case is not None and any(ln.status is _PAID for ln in lines) else None,
        )

    def unpaid(
        self, claim: Claim, context: Context, findings: list[Finding], check_only: bool, origin: str | None
    ) -> ClaimResult:
        """A result no pricer took part in: every line decided by ``findings`` (or clean when checking)."""
        outcomes = line_outcomes(len(claim.lines), findings)
        return self.assemble(claim, context, findings, outcomes, {}, {}, check_only, None, None, origin)

    def versions(
        self,
        payer: PayerInfo,
        findings: Iterable[Finding],
        pricing: Pricing | None = None,
        adjudication: Adjudication | None = None,
    ) -> dict[str, str]:
        """``name -> version`` of the core, the payer's plugin and every source that took part."""
        found = {ENGINE_SOURCE.name: ENGINE_SOURCE.version}
        if "@" in payer.provider:
            name, _, version = payer.provider.rpartition("@")
            found[name] = version
        for f in findings:
            found[f.source.name] = f.source.version
        if pricing is not None:
            found[pricing.source.name] = pricing.source.version
        if adjudication is not None:
            found[adjudication.source.name] = adjudication.source.version
        key = tuple(found.items())
        versions = self._versions_cache.get(key)
        if versions is None:
            versions = self._versions_cache[key] = dict(sorted(found.items()))
        return dict(versions)


def line_result(
    claim: Claim,
    number: int,
    outcome: Outcome | None,
    priced_lines: Mapping[int, PricedLine],
    taken_lines: Mapping[int, LineAdjudication],
    check_only: bool,
    adjudication: Adjudication | None,
) -> LineResult:
    """Line ``number``: decided by its outcome, clean when checking, else priced less what was taken."""
    line = claim.lines[number - 1]
    billed = money(line.charge)
    if outcome is not None:
        f = outcome.finding
        adjustment = Adjustment(group=f.group or _CO, carc=f.carc or "16", amount=billed)
        return _line_result(number, line, outcome.status, billed, ZERO, ZERO, (adjustment,), f.rarcs, "")
    if check_only:
        return _line_result(number, line, _CLEAN, billed, ZERO, ZERO, (), (), "")
    priced = priced_lines.get(number)
    assert priced is not None  # unpriced lines were pended by the pipeline
    allowed = priced.allowed
    adjustments: list[Adjustment] = []
    if allowed != billed:
        adjustments.append(
            Adjustment(group=priced.reduction_group, carc=priced.reduction_carc, amount=billed - allowed)
        )
    taken = taken_lines.get(number)
    rarcs: tuple[str, ...] = ()
    paid = allowed
    if taken is not None:
        for a in taken.adjustments:
            if a.amount:
                paid -= a.amount
                adjustments.append(a)
        if paid < ZERO:
            source = adjudication.source if adjudication is not None else "?"
            raise ConfigurationError(
                f"claim {claim.id} line {number}: {source} takes {allowed - paid} "
                f"from an allowed amount of {allowed}"
            )
        rarcs = taken.rarcs
    return _line_result(number, line, _PAID, billed, allowed, paid, merge(adjustments), rarcs, priced.basis)


_SETTERS = {a.name: getattr(LineResult, a.name).__set__ for a in LineResult.__attrs_attrs__}
_SET_LINE, _SET_PROCEDURE, _SET_MODIFIERS, _SET_UNITS = (
    _SETTERS.pop(n) for n in ("line", "procedure", "modifiers", "units")
)
_SET_STATUS, _SET_BILLED, _SET_ALLOWED, _SET_PAID = (
    _SETTERS.pop(n) for n in ("status", "billed", "allowed", "paid")
)
_SET_ADJUSTMENTS, _SET_RARCS, _SET_BASIS = (_SETTERS.pop(n) for n in ("adjustments", "rarcs", "basis"))
if _SETTERS:  # pragma: no cover - a field added to LineResult must be filled in below too
    raise ImportError(f"_line_result does not fill in LineResult's {', '.join(_SETTERS)}")
_SETTERS = {a.name: getattr(ClaimResult, a.name).__set__ for a in ClaimResult.__attrs_attrs__}
_SET_CLAIM_ID, _SET_PAYER, _SET_CLAIM_STATUS, _SET_AS_OF = (
    _SETTERS.pop(n) for n in ("claim_id", "payer", "status", "as_of")
)
_SET_CLAIM_BILLED, _SET_CLAIM_ALLOWED, _SET_CLAIM_PAID, _SET_PATIENT = (
    _SETTERS.pop(n) for n in ("billed", "allowed", "paid", "patient_responsibility")
)
_SET_FINDINGS, _SET_LINES, _SET_VERSIONS, _SET_ORIGIN, _SET_CASE = (
    _SETTERS.pop(n) for n in ("findings", "lines", "versions", "origin", "case")
)
if _SETTERS:  # pragma: no cover - a field added to ClaimResult must be filled in below too
    raise ImportError(f"_claim_result does not fill in ClaimResult's {', '.join(_SETTERS)}")
_new = object.__new__


def _line_result(
    number: int,
    line: ServiceLine,
    status: LineStatus,
    billed: Decimal,
    allowed: Decimal,
    paid: Decimal,
    adjustments: tuple[Adjustment, ...],
    rarcs: tuple[str, ...],
    basis: str,
) -> LineResult:
    """``LineResult(...)`` for amounts that are whole cents already (``money``'d charges, priced
    and taken amounts, their differences): its ``money`` converters would give the same values,
    so the record is filled in directly, then checked as ``LineResult`` checks itself (the line
    balances). ``tests/test_engine_assembly.py`` checks it equals the record ``LineResult(...)``
    builds."""
    record = _new(LineResult)
    _SET_LINE(record, number)
    _SET_PROCEDURE(record, line.procedure)
    _SET_MODIFIERS(record, line.modifiers)
    _SET_UNITS(record, line.units)
    _SET_STATUS(record, status)
    _SET_BILLED(record, billed)
    _SET_ALLOWED(record, allowed)
    _SET_PAID(record, paid)
    _SET_ADJUSTMENTS(record, adjustments)
    _SET_RARCS(record, rarcs)
    _SET_BASIS(record, basis)
    record.__attrs_post_init__()
    return record


def _claim_result(
    claim_id: str,
    payer: str,
    status: ClaimStatus,
    as_of: dt.date | None,
    amounts: tuple[Decimal, Decimal, Decimal, Decimal],
    findings: tuple[Finding, ...],
    lines: tuple[LineResult, ...],
    versions: dict[str, str],
    origin: str | None,
    case: CasePayment | None,
) -> ClaimResult:
    """``ClaimResult(...)`` from its lines' sums (``amounts``: billed, allowed, paid, patient
    responsibility), whole cents already: filled in directly as :func:`_line_result` is, then
    checked as ``ClaimResult`` checks itself (it balances, its totals are its lines')."""
    record = _new(ClaimResult)
    _SET_CLAIM_ID(record, claim_id)
    _SET_PAYER(record, payer)
    _SET_CLAIM_STATUS(record, status)
    _SET_AS_OF(record, as_of)
    billed, allowed, paid, patient = amounts
    _SET_CLAIM_BILLED(record, billed)
    _SET_CLAIM_ALLOWED(record, allowed)
    _SET_CLAIM_PAID(record, paid)
    _SET_PATIENT(record, patient)
    _SET_FINDINGS(record, findings)
    _SET_LINES(record, lines)
    _SET_VERSIONS(record, versions)
    _SET_ORIGIN(record, origin)
    _SET_CASE(record, case)
    record.__attrs_post_init__()
    return record


def has_reject(findings: Iterable[Finding]) -> bool:
    return any(f.severity is _REJECT for f in findings)


def finding_order(f: Finding) -> tuple[int, int, str]:
    """Findings sort by line (claim-level first), then severity (strongest first), then code."""
    return (f.line or 0, _RANK[f.severity], f.code)


def line_outcomes(count: int, findings: Iterable[Finding]) -> dict[int, Outcome]:
    """The strongest money-changing finding for each of ``count`` lines; claim-level ones reach every line."""
    outcomes: dict[int, Outcome] = {}
    rejecting = False
    for f in findings:
        status = _STATUS_BY_SEVERITY.get(f.severity)
        if status is None:
            continue
        rejecting = rejecting or status is _REJECTED
        targets = range(1, count + 1) if f.line is None else (f.line,)
        rank = _RANK[f.severity]
        for n in targets:
            current = outcomes.get(n)
            if current is None or rank < _RANK[current.finding.severity]:
                outcomes[n] = Outcome(status, f)
    if rejecting:  # a reject outranks everything, so one stored is still there
        first = next(o for o in outcomes.values() if o.status is _REJECTED)
        for n in range(1, count + 1):
            if outcomes.get(n, first).status is not _REJECTED:
                outcomes[n] = first
            outcomes.setdefault(n, first)
    return outcomes


def claim_status(lines: Sequence[LineResult], *, check_only: bool) -> ClaimStatus:
    """The claim's status from its lines' (a reject anywhere rejects it, any pend pends it)."""
    statuses = {ln.status for ln in lines}
    if _REJECTED in statuses:
        return _CLAIM_REJECTED
    if len(statuses) == 1 and _DENIED in statuses:
        return _CLAIM_DENIED
    if _PENDED in statuses:
        return _CLAIM_PENDED
    if check_only:
        return _CLAIM_PARTIAL if _DENIED in statuses else _CLAIM_CLEAN
    if _DENIED in statuses:
        return _CLAIM_PARTIAL
    return _CLAIM_PAID


def engine_pend(line: int | None, message: str) -> Finding:
    """The engine's own pend: no plugin prices or adjudicates the claim (ENG002) or the line (ENG003)."""
    rule = CLAIM_NOT_PRICED if line is None else LINE_NOT_PRICED
    return rule.finding(message, line=line, source=ENGINE_SOURCE)


def merge(adjustments: list[Adjustment]) -> tuple[Adjustment, ...]:
    """One adjustment per group and CARC, as an 835 CAS segment carries them."""
    if len(adjustments) < 2:
        return tuple(adjustments)
    seen: set[tuple[Group, str]] = set()
    for a in adjustments:
        key = (a.group, a.carc)
        if key in seen:
            break
        seen.add(key)
    else:
        return tuple(adjustments)
    merged: dict[tuple[Group, str], Decimal] = {}
    for a in adjustments:
        merged[(a.group, a.carc)] = merged.get((a.group, a.carc), ZERO) + a.amount
    return tuple(Adjustment(group=g, carc=c, amount=v) for (g, c), v in merged.items())
