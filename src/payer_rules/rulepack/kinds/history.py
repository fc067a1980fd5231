"""Edits that read the member's claim history: frequency limits, new versus established patient."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from attrs import frozen

from payer_rules.models import Claim
from payer_rules.results import Finding

from ..positions import Path
from ..schema import Rule
from .base import (
    BoundRule,
    CodeIndex,
    CodeSet,
    CompileEnv,
    RuleContext,
    RuleKind,
    Stage,
    need_procedures,
    paid,
    procedure_index,
)

__all__ = ["FREQUENCY_LIMIT", "NEW_PATIENT", "FrequencyLimitRule", "NewPatientRule"]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@frozen(kw_only=True)
class FrequencyLimitRule(Rule):
    """``frequency-limit``: at most ``max_count`` services of the set per window, per member.

    Args:
        procedures: the set of codes counted together (e.g. the screening colonoscopy codes).
        max_count: services allowed in the window (default 1).
        per_days: a rolling window: no more than ``max_count`` within this many days, or
        per_year: a calendar-year window.
    """

    procedures: tuple[str, ...]
    max_count: int = 1
    per_days: int | None = None
    per_year: bool = False


@frozen
class _Service:
    day: dt.date
    procedure: str


class _Frequency:
    def __init__(self, rules: Sequence[BoundRule[FrequencyLimitRule]]) -> None:
        self.index: CodeIndex[BoundRule[FrequencyLimitRule]] = procedure_index(rules)
        shared: dict[tuple[str, ...], CodeSet] = {}
        self.sets = {b.code: CodeSet.shared(b.rule.procedures, shared) for b in rules}

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        for n, line in enumerate(claim.lines, 1):
            bounds = self.index.get(line.procedure)
            if not bounds:
                continue
            day = ctx.day(line)
            for bound in bounds:
                if not bound.active_on(day):
                    continue
                rule, codes = bound.rule, self.sets[bound.code]
                if rule.per_year:
                    start, window = (
                        line.service_date.replace(month=1, day=1),
                        f"calendar year {line.service_date.year}",
                    )
                else:
                    days = rule.per_days or 1
                    start, window = line.service_date - dt.timedelta(days=days - 1), f"{days} days"
                earlier = [
                    _Service(p.service_date, p.procedure)
                    for p in ctx.history_between(claim, start, line.service_date)
                    if p.procedure in codes and paid(p)
                ]
                earlier += [
                    _Service(other.service_date, other.procedure)
                    for other in claim.lines[: n - 1]
                    if other.procedure in codes and start <= other.service_date <= line.service_date
                ]
                if len(earlier) >= rule.max_count:
                    last = max(earlier, key=lambda s: s.day)
                    yield bound.finding(
                        claim,
                        ctx,
                        n,
                        count=len(earlier),
                        max_count=rule.max_count,
                        window=window,
                        last_date=last.day.isoformat(),
                        last_procedure=last.procedure,
                    )


def _lint_frequency(rule: FrequencyLimitRule) -> Iterator[tuple[Path, str]]:
    yield from need_procedures(rule)
    if (rule.per_days is None) == (not rule.per_year):
        yield ("per_days",), "give exactly one of 'per_days' or 'per_year = true'"
    if rule.per_days is not None and rule.per_days < 1:
        yield ("per_days",), f"per_days must be 1 or more, got {rule.per_days}"
    if rule.max_count < 1:
        yield ("max_count",), f"max_count must be 1 or more, got {rule.max_count}"


def _compile_frequency(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> _Frequency:
    return _Frequency(rules)


FREQUENCY_LIMIT = RuleKind(
    name="frequency-limit",
    schema=FrequencyLimitRule,
    stage=Stage.CLINICAL,
    compile=_compile_frequency,
    placeholders=frozenset({"count", "max_count", "window", "last_date", "last_procedure"}),
    lint=_lint_frequency,
    summary="a service is billed more often than the payer pays it for one member",
)


@frozen(kw_only=True)
class NewPatientRule(Rule):
    """``new-patient``: new-patient codes need no professional service from the same group and
    specialty in the past ``lookback_years`` (CPT E/M guidelines; Pub. 100-04 Ch. 12 §30.6.7).

    Args:
        procedures: the new-patient codes (e.g. 99202-99205).
        lookback_years: the window (default 3).
        services: the professional services that make a patient established (empty: any).
    """

    procedures: tuple[str, ...]
    lookback_years: int = 3
    services: tuple[str, ...] = ()


class _NewPatient:
    def __init__(self, rules: Sequence[BoundRule[NewPatientRule]]) -> None:
        self.index: CodeIndex[BoundRule[NewPatientRule]] = procedure_index(rules)
        shared: dict[tuple[str, ...], CodeSet] = {}
        self.services = {b.code: CodeSet.shared(b.rule.services, shared) for b in rules}

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        group = claim.billing_provider.tax_id or claim.billing_provider.npi
        for n, line in enumerate(claim.lines, 1):
            bounds = self.index.get(line.procedure)
            if not bounds:
                continue
            rendering = claim.rendering_for(line)
            for bound in bounds:
                if not bound.active_on(ctx.day(line)):
                    continue
                services = self.services[bound.code]
                since = _years_before(line.service_date, bound.rule.lookback_years)
                before = line.service_date - dt.timedelta(days=1)
                for prior in ctx.history_between(claim, since, before):
                    same_group = (prior.provider_tax_id or prior.provider_npi) == group or (
                        prior.provider_npi == rendering.npi
                    )
                    same_specialty = (
                        rendering.taxonomy is None
                        or prior.provider_taxonomy is None
                        or prior.provider_taxonomy == rendering.taxonomy
                    )
                    if (
                        since <= prior.service_date < line.service_date
                        and same_group
                        and same_specialty
                        and (not services or prior.procedure in services)
                        and prior.status.split(":", 1)[0] in ("paid", "denied")
                    ):
                        yield bound.finding(
                            claim,
                            ctx,
                            n,
                            prior_date=prior.service_date.isoformat(),
                            prior_procedure=prior.procedure,
                            lookback_years=bound.rule.lookback_years,
                        )
                        break


def _lint_new_patient(rule: NewPatientRule) -> Iterator[tuple[Path, str]]:
    yield from need_procedures(rule, "services")
    if rule.lookback_years < 1:
        yield ("lookback_years",), f"lookback_years must be 1 or more, got {rule.lookback_years}"


def _compile_new_patient(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> _NewPatient:
    return _NewPatient(rules)


NEW_PATIENT = RuleKind(
    name="new-patient",
    schema=NewPatientRule,
    stage=Stage.CLINICAL,
    compile=_compile_new_patient,
    placeholders=frozenset({"prior_date", "prior_procedure", "lookback_years"}),
    lint=_lint_new_patient,
    summary="a new-patient visit is billed for a patient the group and specialty saw in the past 3 years",
)
