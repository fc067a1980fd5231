"""A rule kind the core does not have: ``max-charge`` pends lines billed above a cap."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen

from payer_rules.models import Claim
from payer_rules.results import Finding
from payer_rules.rulepack.kinds import BoundRule, CodeIndex, CompileEnv, RuleContext, RuleKind, Stage
from payer_rules.rulepack.schema import Rule


@frozen(kw_only=True)
class MaxChargeRule(Rule):
    """``max-charge``: a line of these procedures billed above ``cap`` (per unit) fires."""

    procedures: tuple[str, ...]
    cap: Decimal


class _MaxCharge:
    def __init__(self, rules: Sequence[BoundRule[MaxChargeRule]]) -> None:
        self.index: CodeIndex[BoundRule[MaxChargeRule]] = CodeIndex()
        for bound in rules:
            self.index.add(bound.rule.procedures, bound)

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        for n, line in enumerate(claim.lines, 1):
            for bound in self.index.get(line.procedure):
                per_unit = line.charge / line.units if line.units else line.charge
                if bound.active_on(ctx.day(line)) and per_unit > bound.rule.cap:
                    yield bound.finding(claim, ctx, n, cap=bound.rule.cap, charge=line.charge)


def _compile(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> _MaxCharge:
    return _MaxCharge(rules)


MAX_CHARGE = RuleKind(
    name="max-charge",
    schema=MaxChargeRule,
    stage=Stage.CLINICAL,
    compile=_compile,
    placeholders=frozenset({"cap", "charge"}),
    summary="a line is billed above the charge cap the payer reviews by hand",
)
