"""Rule kinds commercial packs need beyond the built-in ones (``register_rule_kinds``).

* ``network-timely-filing``: the filing limit depends on whether the provider is in network
  (network providers agree to a shorter limit in their contract).
* ``visit-prior-authorization``: a service needs an authorization once the member has had a
  number of visits in the calendar year (e.g. therapy after 12 visits).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from attrs import frozen

from payer_rules.models import Claim
from payer_rules.results import Finding
from payer_rules.rulepack.kinds.base import (
    BoundRule,
    CodeSet,
    CompileEnv,
    RuleContext,
    RuleKind,
    Stage,
    need_procedures,
    paid,
    procedure_index,
)
from payer_rules.rulepack.positions import Path
from payer_rules.rulepack.schema import Rule

from .registry import definition_for, in_network

__all__ = ["KINDS", "NetworkTimelyFilingRule", "VisitPriorAuthorizationRule"]


@frozen(kw_only=True)
class NetworkTimelyFilingRule(Rule):
    """``network-timely-filing``: the claim must reach the payer within ``in_network_days`` (or
    ``out_of_network_days``) of each line's last date of service. In network: the payer
    definition's ``[network]`` lists when it has them, else ``Provider.participating``."""

    in_network_days: int
    out_of_network_days: int


class _NetworkFiling:
    def __init__(self, rules: Sequence[BoundRule[NetworkTimelyFilingRule]]) -> None:
        self.rules = rules

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        network = in_network(claim, definition_for(ctx.context.payer))
        received = ctx.context.received_date
        for n, line in enumerate(claim.lines, 1):
            day = ctx.day(line)
            elapsed = (received - line.last_service_date).days
            for bound in self.rules:
                if not bound.active_on(day):
                    continue
                rule = bound.rule
                days = rule.in_network_days if network else rule.out_of_network_days
                if elapsed > days:
                    yield bound.finding(
                        claim,
                        ctx,
                        n,
                        days=days,
                        elapsed=elapsed,
                        received=received.isoformat(),
                        network="in network" if network else "out of network",
                    )


def _lint_filing(rule: NetworkTimelyFilingRule) -> Iterator[tuple[Path, str]]:
    for name in ("in_network_days", "out_of_network_days"):
        if getattr(rule, name) < 1:
            yield (name,), f"{name} must be 1 or more, got {getattr(rule, name)}"


def _compile_filing(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> _NetworkFiling:
    return _NetworkFiling(rules)


@frozen(kw_only=True)
class VisitPriorAuthorizationRule(Rule):
    """``visit-prior-authorization``: after ``visits`` visits in a calendar year, a listed
    service needs an authorization number on the claim.

    A visit is a date of service with a listed procedure: on this claim, or paid on an earlier
    claim of the member (its history, or earlier in the batch). The line of visit ``visits + 1``
    and later lines fire unless the claim carries a prior authorization.
    """

    procedures: tuple[str, ...]
    visits: int


class _Visits:
    def __init__(self, rules: Sequence[BoundRule[VisitPriorAuthorizationRule]]) -> None:
        self.index = procedure_index(rules)
        self.sets = {b.code: CodeSet(b.rule.procedures) for b in rules}

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        if claim.prior_authorizations:
            return
        history: list[tuple[dt.date, str]] | None = None
        visit_dates: dict[str, set[dt.date]] = {}  # by rule: the same for every line of the claim
        for n, line in enumerate(claim.lines, 1):
            bounds = self.index.get(line.procedure)
            if not bounds:
                continue
            if history is None:
                # only visits of the lines' calendar years count: ask the date index for those
                first = min(other.service_date for other in claim.lines).replace(month=1, day=1)
                last = max(other.service_date for other in claim.lines)
                history = [
                    (p.service_date, p.procedure) for p in ctx.history_between(claim, first, last) if paid(p)
                ]
            day = ctx.day(line)
            start = line.service_date.replace(month=1, day=1)
            for bound in bounds:
                if not bound.active_on(day):
                    continue
                dates = visit_dates.get(bound.code)
                if dates is None:
                    codes = self.sets[bound.code]
                    dates = {d for d, code in history if code in codes}
                    dates |= {other.service_date for other in claim.lines if other.procedure in codes}
                    visit_dates[bound.code] = dates
                visit = len({d for d in dates if start <= d <= line.service_date})
                if visit > bound.rule.visits:
                    yield bound.finding(claim, ctx, n, visit=visit, visits=bound.rule.visits)


def _lint_visits(rule: VisitPriorAuthorizationRule) -> Iterator[tuple[Path, str]]:
    yield from need_procedures(rule)
    if rule.visits < 0:
        yield ("visits",), f"visits must be 0 or more, got {rule.visits}"


def _compile_visits(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> _Visits:
    return _Visits(rules)


KINDS = (
    RuleKind(
        name="network-timely-filing",
        schema=NetworkTimelyFilingRule,
        stage=Stage.FRONT_END,
        compile=_compile_filing,
        placeholders=frozenset({"days", "elapsed", "received", "network"}),
        lint=_lint_filing,
        summary="the claim reached the payer too long after the date of service, by network status",
    ),
    RuleKind(
        name="visit-prior-authorization",
        schema=VisitPriorAuthorizationRule,
        stage=Stage.AUTHORIZE,
        compile=_compile_visits,
        placeholders=frozenset({"visit", "visits"}),
        lint=_lint_visits,
        summary="a service past the year's visit allowance is billed without an authorization number",
    ),
)
