"""Compiling loaded packs, once, into per-payer evaluators indexed by code.

For each payer, the rules of every pack that lists it are grouped by kind and each kind compiles
its group into dictionaries keyed by procedure or diagnosis code. Judging a claim then costs a
few lookups per line, however many rules are loaded (``benchmarks/bench_rulepacks.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from attrs import field, frozen

from payer_rules.models import Claim
from payer_rules.results import Finding, PricedLine, Pricing, Severity, Source
from payer_rules.rules import RuleInfo

from .kinds.base import (
    BoundRule,
    CompileEnv,
    Evaluator,
    Pricer,
    RuleCompileError,
    RuleContext,
    RuleKind,
    Stage,
)
from .loader import Pack
from .problems import Problem, RulepackError
from .schema import Rule, Status
from .sharing import building

__all__ = ["CompiledRulepacks", "PayerRules", "compile_packs", "rule_infos"]

_REJECT = Severity.REJECT  # a module constant: enum class lookups are slow on Python 3.11


@frozen
class PayerRules:
    """One payer's compiled rules, by stage."""

    front_end: tuple[Evaluator, ...] = ()
    clinical: tuple[Evaluator, ...] = ()
    authorize: tuple[Evaluator, ...] = ()
    pricers: tuple[Pricer, ...] = ()
    pricing_source: Source | None = None


@frozen
class CompiledRulepacks:
    """Every loaded pack, compiled. Immutable; safe to share across threads."""

    packs: tuple[Pack, ...] = ()
    payers: Mapping[str, PayerRules] = field(factory=dict)
    rule_count: int = 0

    def __contains__(self, payer: str) -> bool:
        return payer in self.payers

    def front_end(self, claim: Claim, ctx: RuleContext) -> list[Finding]:
        return self._run(claim, ctx, "front_end")

    def clinical(self, claim: Claim, ctx: RuleContext) -> list[Finding]:
        return self._run(claim, ctx, "clinical")

    def authorize(self, claim: Claim, ctx: RuleContext) -> list[Finding]:
        return self._run(claim, ctx, "authorize")

    def validate(self, claim: Claim, ctx: RuleContext, *, rejected: bool = False) -> list[Finding]:
        """Front-end findings, then clinical ones unless the claim was (or now is) rejected."""
        rules = self.payers.get(ctx.context.payer.id)
        if rules is None:
            return []
        findings = [f for evaluator in rules.front_end for f in evaluator(claim, ctx)]
        if rules.clinical and not rejected and not any(f.severity is _REJECT for f in findings):
            findings += [f for evaluator in rules.clinical for f in evaluator(claim, ctx)]
        return findings

    def _run(self, claim: Claim, ctx: RuleContext, stage: str) -> list[Finding]:
        rules = self.payers.get(ctx.context.payer.id)
        if rules is None:
            return []
        return [f for evaluator in getattr(rules, stage) for f in evaluator(claim, ctx)]

    def owns_pricing(self, payer: str) -> bool:
        rules = self.payers.get(payer)
        return rules is not None and bool(rules.pricers)

    def price(self, claim: Claim, ctx: RuleContext, lines: Iterable[int] | None = None) -> Pricing | None:
        """Price ``lines`` (default: all) for the payer, or ``None`` when no pack prices it."""
        rules = self.payers.get(ctx.context.payer.id)
        if rules is None or not rules.pricers or rules.pricing_source is None:
            return None
        priced: list[PricedLine] = []
        findings: list[Finding] = []
        for n in lines if lines is not None else range(1, len(claim.lines) + 1):
            for pricer in rules.pricers:
                answer = pricer.price_line(claim, n, ctx)
                if answer is not None:
                    priced.append(PricedLine(line=n, allowed=answer.allowed, basis=answer.basis))
                    break
            else:
                missing = next(
                    (f for p in rules.pricers if (f := p.no_price(claim, n, ctx)) is not None), None
                )
                if missing is not None:
                    findings.append(missing)
        return Pricing(lines=tuple(priced), source=rules.pricing_source, findings=tuple(findings))


def _location(pack: Pack, index: int) -> str:
    line = pack.rule_line(index)
    return f"{pack.file}:{line}" if line else pack.file


@building()
def compile_packs(
    packs: Sequence[Pack],
    kinds: Mapping[str, RuleKind],
    *,
    reference_packs: Sequence[Pack] = (),
    only_payer: str | None = None,
) -> CompiledRulepacks:
    """Compile ``packs`` for the payers they list.

    :param reference_packs: further packs whose rules ``percent-of-reference`` may name.
    :param only_payer: compile every pack as if it listed just this payer (pack test cases).
    :raises RulepackError: a rule a kind cannot compile, or two packs pricing one payer.
    """
    by_code: defaultdict[str, list[BoundRule[Any]]] = defaultdict(list)
    where: dict[str, tuple[Pack, int]] = {}
    per_payer: defaultdict[str, defaultdict[str, list[BoundRule[Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    pricing_packs: defaultdict[str, list[tuple[Pack, int]]] = defaultdict(list)
    count = 0
    seen_files = {p.file for p in packs}
    for pack in [*packs, *(p for p in reference_packs if p.file not in seen_files)]:
        for i, rule in enumerate(pack.rules):
            if rule.status is Status.REMOVED:
                continue
            bound: BoundRule[Rule] = BoundRule(rule, pack.meta)
            by_code[rule.code].append(bound)
            where.setdefault(rule.code, (pack, i))
    problems: list[Problem] = []
    for pack in packs:
        payers = (only_payer,) if only_payer else pack.meta.payers
        for i, rule in enumerate(pack.rules):
            if rule.status is Status.REMOVED:
                continue
            count += 1
            bound = next(b for b in by_code[rule.code] if b.rule is rule)
            for payer in payers:
                per_payer[payer][rule.kind].append(bound)
                if kinds[rule.kind].stage is Stage.PRICE and all(
                    p is not pack for p, _ in pricing_packs[payer]
                ):
                    pricing_packs[payer].append((pack, i))
    for payer, owners in pricing_packs.items():
        if len(owners) > 1:
            (first, i), (second, j) = owners[0], owners[1]
            problems.append(
                Problem(
                    file=second.file,
                    line=second.rule_line(j),
                    subject=second.rules[j].code,
                    message=(
                        f"payer {payer!r} is priced by two packs: {second.meta.name} and {first.meta.name} "
                        f"({_location(first, i)}); one pack owns a payer's pricing"
                    ),
                )
            )
    env = CompileEnv(rules={code: tuple(b) for code, b in by_code.items()})
    compiled: dict[str, PayerRules] = {}
    for payer, groups in per_payer.items():
        stages: dict[Stage, list[Any]] = {s: [] for s in Stage}
        for name in kinds:  # in the kinds' order; only the kinds in use are looked up (imported)
            bounds = groups.get(name)
            if not bounds:
                continue
            kind = kinds[name]
            try:
                stages[kind.stage].append(kind.compile(bounds, env))
            except RuleCompileError as exc:
                located = where.get(exc.code)
                problems.append(
                    Problem(
                        file=located[0].file if located else "?",
                        line=located[0].rule_line(located[1], "reference") if located else None,
                        subject=exc.code,
                        message=exc.message,
                    )
                )
        pricing = pricing_packs.get(payer)
        source = None
        if pricing:
            meta = pricing[0][0].meta
            source = Source(name=meta.name, version=meta.version, citation=meta.source)
        compiled[payer] = PayerRules(
            front_end=tuple(stages[Stage.FRONT_END]),
            clinical=tuple(stages[Stage.CLINICAL]),
            authorize=tuple(stages[Stage.AUTHORIZE]),
            pricers=tuple(p for p in stages[Stage.PRICE] if isinstance(p, Pricer)),
            pricing_source=source,
        )
    if problems:
        raise RulepackError(problems)
    return CompiledRulepacks(packs=tuple(packs), payers=compiled, rule_count=count)


def rule_infos(packs: Sequence[Pack]) -> list[RuleInfo]:
    """One :class:`~payer_rules.rules.RuleInfo` per code, for ``payer-rules explain``.

    A code with several dated versions spans their dates; the text is the latest version's.
    """
    versions: defaultdict[str, list[tuple[Pack, Rule]]] = defaultdict(list)
    for pack in packs:
        for rule in pack.rules:
            versions[rule.code].append((pack, rule))
    # one label per pack and the enums' own value strings: 50,000 rules would otherwise keep
    # 50,000 copies of each (``str(member)`` makes a new string every time)
    labels = {id(pack): pack.meta.label for pack in packs}
    infos = []
    for code, found in versions.items():
        if len(found) == 1:
            pack, latest = found[0]
            start, end = latest.effective_from, latest.effective_to
        else:
            pack, latest = max(found, key=lambda pr: pr[1].effective_from)
            ends = [r.effective_to for _p, r in found]
            start = min(r.effective_from for _p, r in found)
            end = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
        infos.append(
            RuleInfo(
                code=code,
                name=latest.name,
                summary=latest.summary,
                why=latest.why,
                citation=latest.citation,
                payers=pack.meta.payers,
                source=labels[id(pack)],
                effective_from=start,
                effective_to=end,
                severity=latest.severity.value,
                carc=latest.carc,
                rarcs=latest.rarcs,
                group=latest.group.value if latest.group else None,
                status=latest.status.value,
                other_rarcs=tuple(r for r in latest.other_rarcs() if r not in latest.rarcs),
            )
        )
    return sorted(infos, key=lambda i: i.code)
