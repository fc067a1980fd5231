"""Pricing kinds: fee schedules (code, modifier, amount, dates) and percent-of-reference."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar

from attrs import frozen

from payer_rules.models import Claim, ServiceLine
from payer_rules.money import money
from payer_rules.results import Finding

from ..positions import Path
from ..schema import Rule
from .base import (
    PROCEDURE,
    BoundRule,
    CodeSet,
    CompileEnv,
    LinePrice,
    RuleCompileError,
    RuleContext,
    RuleKind,
    Stage,
    code_problem,
    lint_codes,
)

__all__ = [
    "FEE_SCHEDULE",
    "PERCENT_OF_REFERENCE",
    "FeeIndex",
    "FeeRow",
    "FeeScheduleRule",
    "PercentOfReferenceRule",
]

OwnerT = TypeVar("OwnerT")


@frozen(kw_only=True)
class FeeRow:
    """One fee: ``procedure`` (with ``modifier``, if any) pays ``amount`` per unit in its dates."""

    procedure: str
    amount: Decimal
    modifier: str | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


def _fee_key(procedure: str, modifier: str | None) -> tuple[str, str | None]:
    """How fees are told apart: code and modifier, blanks and case ignored (index and lint alike)."""
    return procedure.strip().upper(), modifier.strip().upper() if modifier else None


@frozen
class _Fee(Generic[OwnerT]):
    amount: Decimal
    effective_from: dt.date | None
    effective_to: dt.date | None
    owner: OwnerT


class FeeIndex(Generic[OwnerT]):
    """Fees keyed by ``(procedure, modifier)``; a plugin may fill it from a whole fee file."""

    def __init__(self) -> None:
        self._fees: defaultdict[tuple[str, str | None], list[_Fee[OwnerT]]] = defaultdict(list)

    def add(
        self,
        procedure: str,
        amount: Decimal,
        owner: OwnerT,
        modifier: str | None = None,
        effective_from: dt.date | None = None,
        effective_to: dt.date | None = None,
    ) -> None:
        self._fees[_fee_key(procedure, modifier)].append(
            _Fee(Decimal(amount), effective_from, effective_to, owner)
        )

    def fee(self, line: ServiceLine, day: dt.date) -> _Fee[OwnerT] | None:
        """The fee in force on ``day``: a modifier-specific one first, then the plain code's."""
        for modifier in (*line.modifiers, None):
            for fee in self._fees.get((line.procedure, modifier), ()):
                if (fee.effective_from is None or fee.effective_from <= day) and (
                    fee.effective_to is None or day <= fee.effective_to
                ):
                    return fee
        return None


@frozen(kw_only=True)
class FeeScheduleRule(Rule):
    """``fee-schedule``: the allowed amount of each listed code. The rule *fires* (its finding,
    usually a pend with OA-133) on a line no pricing rule of the payer prices.

    Args:
        fees: ``{procedure, amount, modifier?, effective_from?, effective_to?}`` rows.
        per_unit: multiply the amount by the line's units (default true).
        lesser_of_charge: allow the lesser of the fee and the charge (default true).
        basis: a label for the pricing basis shown on results.
    """

    fees: tuple[FeeRow, ...]
    per_unit: bool = True
    lesser_of_charge: bool = True
    basis: str = ""


def _allowed(line: ServiceLine, amount: Decimal, per_unit: bool, lesser_of_charge: bool) -> Decimal:
    allowed = money(amount * line.units if per_unit else amount)
    return min(allowed, money(line.charge)) if lesser_of_charge else allowed


class _Schedule:
    """The payer's fee schedules; the first rule active on the date raises the "no price" finding."""

    def __init__(self, rules: Sequence[BoundRule[FeeScheduleRule]]) -> None:
        self.rules = rules
        self.index: FeeIndex[BoundRule[FeeScheduleRule]] = FeeIndex()
        for bound in rules:
            rule = bound.rule
            for row in rule.fees:
                # a row is in force only while its rule is: a retired rule's fee must not stand
                # in front of the rule that replaced it
                start = max(row.effective_from or rule.effective_from, rule.effective_from)
                ends = [d for d in (row.effective_to, rule.effective_to) if d is not None]
                self.index.add(row.procedure, row.amount, bound, row.modifier, start, min(ends, default=None))

    def price_line(self, claim: Claim, number: int, ctx: RuleContext) -> LinePrice | None:
        line = claim.lines[number - 1]
        day = ctx.day(line)
        fee = self.index.fee(line, day)
        if fee is None:
            return None
        rule = fee.owner.rule
        basis = rule.basis or f"{rule.code} {fee.owner.pack.label}"
        return LinePrice(_allowed(line, fee.amount, rule.per_unit, rule.lesser_of_charge), basis)

    def no_price(self, claim: Claim, number: int, ctx: RuleContext) -> Finding | None:
        day = ctx.day(claim.lines[number - 1])
        bound = next((b for b in self.rules if b.active_on(day)), None)
        return bound.finding(claim, ctx, number) if bound is not None else None

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        return iter(())


def _lint_fees(rule: FeeScheduleRule) -> Iterator[tuple[Path, str]]:
    if not rule.fees:
        yield ("fees",), "list at least one fee"
    seen: dict[tuple[str, str | None], list[FeeRow]] = {}
    for i, row in enumerate(rule.fees):
        problem = code_problem(row.procedure, PROCEDURE)
        if problem or "*" in row.procedure or "-" in row.procedure:
            yield ("fees", i, "procedure"), problem or f"a fee is for one code, got {row.procedure!r}"
        if row.amount < 0:
            yield ("fees", i, "amount"), f"amount must not be negative, got {row.amount}"
        if row.effective_from and row.effective_to and row.effective_to < row.effective_from:
            yield ("fees", i, "effective_to"), "effective_to is before effective_from"
        key = _fee_key(row.procedure, row.modifier)
        for other in seen.get(key, []):
            lo = max(row.effective_from or dt.date.min, other.effective_from or dt.date.min)
            hi = min(row.effective_to or dt.date.max, other.effective_to or dt.date.max)
            if lo <= hi:
                yield (
                    ("fees", i),
                    f"{row.procedure}{' ' + row.modifier if row.modifier else ''} has two fees "
                    f"in force on {lo}",
                )
        seen.setdefault(key, []).append(row)


def _compile_fees(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> _Schedule:
    return _Schedule(rules)


FEE_SCHEDULE = RuleKind(
    name="fee-schedule",
    schema=FeeScheduleRule,
    stage=Stage.PRICE,
    compile=_compile_fees,
    lint=_lint_fees,
    summary="prices lines from a fee schedule; fires on a line nothing prices",
)


@frozen(kw_only=True)
class PercentOfReferenceRule(Rule):
    """``percent-of-reference``: pay ``percent`` of another pack's fee schedule.

    Args:
        reference: the code of a ``fee-schedule`` rule (any pack, any payer), or a payer id
            (``medicare``) whose plugin answers the ``reference_price`` hook.
        percent: e.g. ``120`` for 120% of the reference amount.
        procedures: limit to these codes (empty: every code the reference prices).
        lesser_of_charge: allow the lesser of the result and the charge (default true).
    """

    reference: str
    percent: Decimal
    procedures: tuple[str, ...] = ()
    lesser_of_charge: bool = True


_PAYER_REFERENCE = re.compile(r"[a-z][a-z0-9_.-]*\Z")


class _Percent:
    def __init__(self, rules: Sequence[BoundRule[PercentOfReferenceRule]], env: CompileEnv) -> None:
        self.entries: list[tuple[BoundRule[PercentOfReferenceRule], _Schedule | str, CodeSet | None]] = []
        shared: dict[tuple[str, ...], CodeSet] = {}
        for bound in rules:
            refs = env.rules.get(bound.rule.reference.upper(), ())
            codes = CodeSet.shared(bound.rule.procedures, shared) if bound.rule.procedures else None
            if not refs and _PAYER_REFERENCE.match(bound.rule.reference):
                # a payer id (``medicare``): priced at run time by the plugin that owns it,
                # through the engine's ``reference_price`` hook (``context.reference_price``)
                self.entries.append((bound, bound.rule.reference, codes))
                continue
            if not refs:
                raise RuleCompileError(
                    bound.code,
                    f"reference {bound.rule.reference!r} is neither a loaded fee-schedule rule code "
                    "nor a payer id",
                )
            if not all(isinstance(r.rule, FeeScheduleRule) for r in refs):
                raise RuleCompileError(
                    bound.code,
                    f"reference {bound.rule.reference!r} is a {refs[0].rule.kind} rule, not a fee-schedule",
                )
            self.entries.append((bound, _Schedule(refs), codes))

    def price_line(self, claim: Claim, number: int, ctx: RuleContext) -> LinePrice | None:
        line = claim.lines[number - 1]
        day = ctx.day(line)
        for bound, schedule, codes in self.entries:
            if not bound.active_on(day) or (codes is not None and line.procedure not in codes):
                continue
            if isinstance(schedule, str):
                reference = ctx.context.reference_price(schedule, claim, number)
                if reference is None:
                    continue
                percent = reference.allowed * bound.rule.percent / 100
                allowed = _allowed(line, percent, False, bound.rule.lesser_of_charge)
                return LinePrice(
                    allowed, f"{bound.rule.percent}% of {schedule} ({reference.basis or 'reference'})"
                )
            fee = schedule.index.fee(line, day)
            if fee is None:
                continue
            amount = fee.amount * bound.rule.percent / 100
            allowed = _allowed(line, amount, fee.owner.rule.per_unit, bound.rule.lesser_of_charge)
            return LinePrice(allowed, f"{bound.rule.percent}% of {fee.owner.code} ({fee.owner.pack.label})")
        return None

    def no_price(self, claim: Claim, number: int, ctx: RuleContext) -> Finding | None:
        """The finding of the first rule in force that covers the line's code, if any."""
        line = claim.lines[number - 1]
        day = ctx.day(line)
        bound = next(
            (b for b, _s, c in self.entries if b.active_on(day) and (c is None or line.procedure in c)),
            None,
        )
        return bound.finding(claim, ctx, number) if bound is not None else None

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        return iter(())


def _lint_percent(rule: PercentOfReferenceRule) -> Iterator[tuple[Path, str]]:
    if rule.percent <= 0:
        yield ("percent",), f"percent must be above 0, got {rule.percent}"
    yield from lint_codes(rule, "procedures")


def _compile_percent(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> _Percent:
    return _Percent(rules, env)


PERCENT_OF_REFERENCE = RuleKind(
    name="percent-of-reference",
    schema=PercentOfReferenceRule,
    stage=Stage.PRICE,
    compile=_compile_percent,
    lint=_lint_percent,
    summary="prices lines at a percent of a reference fee schedule",
)
