"""Procedure-to-procedure pairs (NCCI PTP style) and unit limits (MUE style).

Both keep their data in public index classes, :class:`PairIndex` and :class:`UnitLimitIndex`,
which a pack fills from a few inline rows and a plugin can fill from millions of imported rows
(no TOML involved): build the index with ``add(...)``, owning each row by a
:class:`~payer_rules.rulepack.kinds.base.BoundRule`, and call :class:`PairEvaluator` /
:class:`UnitLimitEvaluator` from the plugin's ``validate`` hook.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from attrs import frozen

from payer_rules.models import Claim
from payer_rules.results import Finding

from ..positions import Path
from ..schema import Rule
from ..sharing import share
from .base import (
    PROCEDURE,
    BoundRule,
    CompileEnv,
    RuleContext,
    RuleKind,
    Stage,
    code_problem,
    expand_codes,
    lint_codes,
    paid,
)

__all__ = [
    "DEFAULT_BYPASS_MODIFIERS",
    "PROCEDURE_PAIR",
    "UNIT_LIMIT",
    "PairEvaluator",
    "PairIndex",
    "PairRow",
    "ProcedurePairRule",
    "UnitLimitEvaluator",
    "UnitLimitIndex",
    "UnitLimitRule",
]

OwnerT = TypeVar("OwnerT")

#: NCCI PTP-associated modifiers (NCCI Policy Manual, Ch. 1, §E; Medicare NCCI FAQ).
DEFAULT_BYPASS_MODIFIERS = (
    "24", "25", "27", "57", "58", "59", "78", "79", "91",
    "XE", "XP", "XS", "XU",
    "E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9",
    "TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9",
    "LT", "RT", "LC", "LD", "LM", "RC", "RI",
)  # fmt: skip


def _clean(code: str) -> str:
    """``code`` stripped and upper-cased; the same string when it already is (one copy kept)."""
    cleaned = code.strip()
    upper = cleaned.upper()
    return cleaned if upper == cleaned else share(upper)


def _in_force(day: dt.date, start: dt.date | None, end_exclusive: dt.date | None) -> bool:
    return (start is None or start <= day) and (end_exclusive is None or day < end_exclusive)


# -- procedure pairs ----------------------------------------------------------------------------


@frozen(kw_only=True)
class PairRow:
    """One PTP edit: ``column2`` is not paid with ``column1`` for the same patient, provider and day.

    Args:
        column1, column2: procedure codes.
        modifier: NCCI modifier indicator: 0 never bypassed, 1 bypassed by a PTP-associated
            modifier on either line, 9 not in force.
        effective_from: first date of service the edit applies to.
        deleted: NCCI deletion date: the edit applies to dates *before* it.
    """

    column1: str
    column2: str
    modifier: int
    effective_from: dt.date | None = None
    deleted: dt.date | None = None


@frozen
class _Pair(Generic[OwnerT]):
    column1: str
    modifier: int
    effective_from: dt.date | None
    deleted: dt.date | None
    owner: OwnerT


class PairIndex(Generic[OwnerT]):
    """PTP edits keyed by column 2 then column 1: ``O(1)`` per pair of codes, any table size."""

    def __init__(self) -> None:
        self._by_column2: defaultdict[str, dict[str, list[_Pair[OwnerT]]]] = defaultdict(dict)
        self.rows = 0

    def add(
        self,
        column1: str,
        column2: str,
        modifier: int,
        owner: OwnerT,
        effective_from: dt.date | None = None,
        deleted: dt.date | None = None,
    ) -> None:
        if modifier not in (0, 1, 9):
            msg = f"modifier indicator must be 0, 1 or 9, got {modifier!r}"
            raise ValueError(msg)
        pair = _Pair(_clean(column1), modifier, effective_from, deleted, owner)
        by_column1 = self._by_column2[_clean(column2)]
        found = by_column1.get(pair.column1)
        if found is None:
            by_column1[pair.column1] = [pair]  # one slot: most pairs are one edit
        else:
            found.append(pair)
        self.rows += 1

    def column1_for(self, column2: str) -> dict[str, list[_Pair[OwnerT]]]:
        return self._by_column2.get(column2, {})


@frozen(kw_only=True)
class ProcedurePairRule(Rule):
    """``procedure-pair``: NCCI procedure-to-procedure edits.

    Args:
        pairs: the edits, each ``{column1, column2, modifier, effective_from?, deleted?}``.
        bypass_modifiers: modifiers that bypass an indicator-1 edit (default: NCCI's list).
        include_history: also pair with the member's paid services from the same provider
            on the same day in earlier claims.
    """

    pairs: tuple[PairRow, ...]
    bypass_modifiers: tuple[str, ...] = DEFAULT_BYPASS_MODIFIERS
    include_history: bool = True


@frozen
class _Billed:
    code: str
    modifiers: tuple[str, ...]
    line: int | None  # None: from history


class PairEvaluator:
    """Fires on every column-2 line billed with its column-1 code (same provider and date)."""

    def __init__(self, index: PairIndex[BoundRule[ProcedurePairRule]]) -> None:
        self.index = index

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        groups: defaultdict[tuple[str, dt.date], list[_Billed]] = defaultdict(list)
        for n, line in enumerate(claim.lines, 1):
            groups[(claim.rendering_for(line).npi, line.service_date)].append(
                _Billed(line.procedure, line.modifiers, n)
            )
        history_loaded = False
        for n, line in enumerate(claim.lines, 1):
            edits = self.index.column1_for(line.procedure)
            if not edits:
                continue
            key = (claim.rendering_for(line).npi, line.service_date)
            if not history_loaded:
                history_loaded = True
                for prior in ctx.history_on(claim, {day for _npi, day in groups}):
                    pkey = (prior.provider_npi or "", prior.service_date)
                    if pkey in groups and paid(prior):
                        groups[pkey].append(_Billed(prior.procedure, prior.modifiers, None))
            day = ctx.day(line)
            fired: set[str] = set()
            for other in groups[key]:
                if other.line == n:
                    continue
                for pair in edits.get(other.code, ()):
                    bound = pair.owner
                    rule = bound.rule
                    if rule.code in fired or pair.modifier == 9:
                        continue
                    if other.line is None and not rule.include_history:
                        continue
                    if not (bound.active_on(day) and _in_force(day, pair.effective_from, pair.deleted)):
                        continue
                    if pair.modifier == 1 and any(
                        m in rule.bypass_modifiers for m in (*line.modifiers, *other.modifiers)
                    ):
                        continue
                    fired.add(rule.code)
                    where = f"line {other.line}" if other.line else "an earlier claim"
                    yield bound.finding(
                        claim,
                        ctx,
                        n,
                        column1=other.code,
                        column1_where=where,
                        modifier_indicator=pair.modifier,
                    )


def _lint_pairs(rule: ProcedurePairRule) -> Iterator[tuple[Path, str]]:
    if not rule.pairs:
        yield ("pairs",), "list at least one pair"
    for i, pair in enumerate(rule.pairs):
        if pair.modifier not in (0, 1, 9):
            yield ("pairs", i, "modifier"), f"modifier indicator must be 0, 1 or 9, got {pair.modifier}"
        for name in ("column1", "column2"):
            value = getattr(pair, name)
            problem = code_problem(value, PROCEDURE) if value else f"{name} is empty"
            if problem or "*" in value or "-" in value:
                yield ("pairs", i, name), problem or f"{name} must be one code, got {value!r}"
        if pair.column1.upper() == pair.column2.upper():
            yield ("pairs", i), f"column1 and column2 are both {pair.column1}"
        if pair.effective_from and pair.deleted and pair.deleted <= pair.effective_from:
            yield ("pairs", i, "deleted"), "deleted must be after effective_from"


def _compile_pairs(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> PairEvaluator:
    index: PairIndex[BoundRule[ProcedurePairRule]] = PairIndex()
    for bound in rules:
        for row in bound.rule.pairs:
            index.add(row.column1, row.column2, row.modifier, bound, row.effective_from, row.deleted)
    return PairEvaluator(index)


PROCEDURE_PAIR = RuleKind(
    name="procedure-pair",
    schema=ProcedurePairRule,
    stage=Stage.CLINICAL,
    compile=_compile_pairs,
    placeholders=frozenset({"column1", "column1_where", "modifier_indicator"}),
    lint=_lint_pairs,
    summary="two procedures that are not paid together for one patient, provider and date (NCCI PTP)",
)


# -- unit limits --------------------------------------------------------------------------------


class Per(StrEnum):
    LINE = "line"
    DAY = "day"


@frozen
class _Limit(Generic[OwnerT]):
    max_units: Decimal
    per: Per
    owner: OwnerT


class UnitLimitIndex(Generic[OwnerT]):
    """Unit limits keyed by procedure code."""

    def __init__(self) -> None:
        self._by_code: dict[str, list[_Limit[OwnerT]]] = {}

    def add(self, codes: Iterable[str], max_units: Decimal | int, per: Per | str, owner: OwnerT) -> None:
        exact, prefixes = expand_codes(codes)
        if prefixes:
            msg = f"unit limits need whole codes, not prefixes: {', '.join(sorted(prefixes))}"
            raise ValueError(msg)
        limit = _Limit(share(Decimal(max_units)), Per(per), owner)
        for code in exact:
            found = self._by_code.get(code)
            if found is None:
                self._by_code[code] = [limit]  # one slot: most codes have one limit
            else:
                found.append(limit)

    def get(self, code: str) -> list[_Limit[OwnerT]]:
        return self._by_code.get(code, [])

    def __len__(self) -> int:
        return len(self._by_code)


@frozen(kw_only=True)
class UnitLimitRule(Rule):
    """``unit-limit``: at most ``max_units`` of a procedure per line or per date of service.

    Args:
        procedures: the codes limited (each its own count).
        max_units: the most units payable.
        per: ``line`` (MUE adjudication indicator 1) or ``day`` (indicators 2 and 3).
        indicator: the MUE adjudication indicator, when the limit is an MUE: 1 line edit,
            2 date-of-service edit (policy), 3 date-of-service edit (clinical).
        include_history: per day, also count the member's paid units from the same
            provider on the same date in earlier claims.
    """

    procedures: tuple[str, ...]
    max_units: int
    per: Per
    indicator: int | None = None
    include_history: bool = True


class UnitLimitEvaluator:
    """Fires on every line whose units (or the day's total for its code) pass the limit."""

    def __init__(self, index: UnitLimitIndex[BoundRule[UnitLimitRule]]) -> None:
        self.index = index

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        day_totals: dict[tuple[str, str, dt.date], Decimal] | None = None
        for n, line in enumerate(claim.lines, 1):
            limits = self.index.get(line.procedure)
            if not limits:
                continue
            day = ctx.day(line)
            for limit in limits:
                bound = limit.owner
                if not bound.active_on(day):
                    continue
                total = line.units
                if limit.per is Per.DAY:
                    if day_totals is None:
                        day_totals = self._day_totals(claim, ctx)
                    key = (claim.rendering_for(line).npi, line.procedure, line.service_date)
                    total = day_totals[key]
                    if not bound.rule.include_history:
                        total = sum(
                            (
                                other.units
                                for other in claim.lines
                                if other.procedure == line.procedure
                                and other.service_date == line.service_date
                                and claim.rendering_for(other).npi == key[0]
                            ),
                            Decimal(0),
                        )
                if total > limit.max_units:
                    yield bound.finding(
                        claim,
                        ctx,
                        n,
                        limit=format(limit.max_units.normalize(), "f"),
                        total=format(total.normalize(), "f"),
                        per="line" if limit.per is Per.LINE else "date of service",
                    )

    @staticmethod
    def _day_totals(claim: Claim, ctx: RuleContext) -> dict[tuple[str, str, dt.date], Decimal]:
        totals: defaultdict[tuple[str, str, dt.date], Decimal] = defaultdict(Decimal)
        for line in claim.lines:
            totals[(claim.rendering_for(line).npi, line.procedure, line.service_date)] += line.units
        codes = {line.procedure for line in claim.lines}
        for prior in ctx.history_on(claim, {line.service_date for line in claim.lines}):
            key = (prior.provider_npi or "", prior.procedure, prior.service_date)
            if prior.procedure in codes and key in totals and paid(prior):
                totals[key] += prior.units
        return totals


def _lint_units(rule: UnitLimitRule) -> Iterator[tuple[Path, str]]:
    yield from lint_codes(rule, "procedures")
    if any("*" in p for p in rule.procedures):
        yield ("procedures",), "unit limits count one code at a time: list codes or ranges, not prefix*"
    if not rule.procedures:
        yield ("procedures",), "list at least one procedure code"
    if rule.max_units < 0:
        yield ("max_units",), f"max_units must be 0 or more, got {rule.max_units}"
    if rule.indicator is not None:
        if rule.indicator not in (1, 2, 3):
            yield ("indicator",), f"MUE adjudication indicator must be 1, 2 or 3, got {rule.indicator}"
        elif (rule.indicator == 1) != (rule.per is Per.LINE):
            yield (
                ("per",),
                f"MUE indicator {rule.indicator} means per = {'line' if rule.indicator == 1 else 'day'}",
            )


def _compile_units(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> UnitLimitEvaluator:
    index: UnitLimitIndex[BoundRule[UnitLimitRule]] = UnitLimitIndex()
    for bound in rules:
        index.add(bound.rule.procedures, bound.rule.max_units, bound.rule.per, bound)
    return UnitLimitEvaluator(index)


UNIT_LIMIT = RuleKind(
    name="unit-limit",
    schema=UnitLimitRule,
    stage=Stage.CLINICAL,
    compile=_compile_units,
    placeholders=frozenset({"limit", "total", "per"}),
    lint=_lint_units,
    summary="more units of a procedure than payable per line or per date of service (MUE)",
)
