"""Code validity by date of service, and diagnosis-supports-procedure (NCD / LCD lists)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import Any

from attrs import frozen

from payer_rules.models import Claim
from payer_rules.results import Finding, Group

from ..positions import Path
from ..schema import Rule
from .base import (
    UNKNOWN_OUTCOMES,
    BoundRule,
    CodeIndex,
    CodeSet,
    CompileEnv,
    RuleContext,
    RuleKind,
    Stage,
    active,
    need_procedures,
)

__all__ = [
    "CODE_VALIDITY",
    "DIAGNOSIS_COVERAGE",
    "CodeValidityRule",
    "Coverage",
    "DiagnosisCoverage",
    "DiagnosisCoverageRule",
    "lint_coverage",
]


class Target(StrEnum):
    DIAGNOSES = "diagnoses"
    PROCEDURES = "procedures"


@frozen(kw_only=True)
class CodeValidityRule(Rule):
    """``code-validity``: every code of ``target`` must be valid (and billable) on the date.

    Args:
        system: the code system asked of the code sets (``icd-10-cm``, ``cpt``, ``hcpcs``).
        target: ``diagnoses`` (those the lines point at) or ``procedures``.
        reject_headers: also fire on category (header) codes that need more characters.
    """

    system: str
    target: Target
    reject_headers: bool = True


class _CodeValidity:
    def __init__(self, rules: Sequence[BoundRule[CodeValidityRule]]) -> None:
        self.rules = rules

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        lookup = ctx.code_sets
        if lookup is None:
            return  # no code-set registry: nothing can be checked (documented in docs/rulepacks.md)
        seen: set[tuple[str, str, object]] = set()
        for n, line in enumerate(claim.lines, 1):
            day = ctx.day(line)
            for bound in active(self.rules, day):
                rule = bound.rule
                codes = (
                    [d.code for d in claim.diagnoses_for(line)]
                    if rule.target is Target.DIAGNOSES
                    else [line.procedure]
                )
                for code in codes:
                    key = (rule.code, code, day)
                    if key in seen:
                        continue
                    seen.add(key)
                    status = lookup.lookup(rule.system, code, day)
                    outcome = str(status.outcome)
                    if status.valid or outcome in UNKNOWN_OUTCOMES:
                        continue
                    if outcome == "header" and not rule.reject_headers:
                        continue
                    reason = status.message
                    yield bound.finding(claim, ctx, n, invalid_code=code, system=rule.system, reason=reason)


def _compile_validity(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> _CodeValidity:
    return _CodeValidity(rules)


CODE_VALIDITY = RuleKind(
    name="code-validity",
    schema=CodeValidityRule,
    stage=Stage.FRONT_END,
    compile=_compile_validity,
    placeholders=frozenset({"invalid_code", "system", "reason"}),
    summary="a diagnosis or procedure code is not valid (or not billable) on the date of service",
)


class Scope(StrEnum):
    POINTED = "pointed"  # the diagnoses the line points at
    ANY = "any"  # any diagnosis on the claim


_ANY = Scope.ANY  # a module constant: enum class lookups are slow on Python 3.11


@frozen(kw_only=True)
class DiagnosisCoverageRule(Rule):
    """``diagnosis-coverage``: a procedure needs a covered diagnosis (NCD / LCD lists).

    Args:
        procedures: the procedure codes the policy covers (codes, ranges, ``prefix*``).
        covered: diagnoses that support them; fires when none of the line's does.
        non_covered: alternatively, diagnoses that never support them; fires when all do.
        diagnoses: ``pointed`` (default) or ``any`` diagnosis on the claim.
        abn_modifiers: apply ABN liability: GA patient liable (PR), GZ provider liable (CO),
            GY statutorily excluded (PR, CARC 96).
        states: where the policy applies, by the billing provider's state (two letters). An
            LCD binds only its contractor's jurisdiction; empty (an NCD): everywhere.
    """

    procedures: tuple[str, ...]
    covered: tuple[str, ...] = ()
    non_covered: tuple[str, ...] = ()
    diagnoses: Scope = Scope.POINTED
    abn_modifiers: bool = True
    states: tuple[str, ...] = ()

    def other_rarcs(self) -> tuple[str, ...]:
        # M38 with a GA modifier: the patient signed an ABN and is liable (DiagnosisCoverage)
        return ("M38",) if self.abn_modifiers else ()


def lint_coverage(rule: DiagnosisCoverageRule) -> Iterator[tuple[Path, str]]:
    if bool(rule.covered) == bool(rule.non_covered):
        yield ("covered",), "give exactly one of 'covered' or 'non_covered' (a non-empty list)"
    yield from need_procedures(rule, "covered", "non_covered")
    for i, state in enumerate(rule.states):
        if len(state) != 2 or not state.isalpha() or not state.isupper():
            yield ("states", i), f"a state is two upper-case letters (e.g. 'OH'), got {state!r}"


@frozen
class Coverage:
    """One coverage rule compiled: the rule and its covered / non-covered code sets."""

    bound: BoundRule[DiagnosisCoverageRule]
    covered: CodeSet
    non_covered: CodeSet


class DiagnosisCoverage:
    """The ``diagnosis-coverage`` evaluator. A plugin kind whose covered list can come from
    elsewhere (an imported NCD code list) subclasses it and overrides :meth:`supported`."""

    def __init__(self, rules: Sequence[BoundRule[DiagnosisCoverageRule]]) -> None:
        self._index: CodeIndex[Coverage] = CodeIndex()
        sets: dict[tuple[str, ...], CodeSet] = {}
        for b in rules:
            covered = CodeSet.shared(b.rule.covered, sets)
            entry = Coverage(b, covered, CodeSet.shared(b.rule.non_covered, sets))
            self._index.add(b.rule.procedures, entry)

    def supported(self, entry: Coverage, codes: list[str], day: dt.date) -> bool:
        """Whether any of ``codes`` supports the rule's procedures on ``day`` (its own lists)."""
        if entry.covered:
            return any(c in entry.covered for c in codes)
        return any(c not in entry.non_covered for c in codes)

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        state: str | None = None  # the billing provider's, worked out for the first LCD asking
        for n, line in enumerate(claim.lines, 1):
            entries = self._index.get(line.procedure)
            if not entries:
                continue
            day = ctx.day(line)
            for entry in entries:
                bound = entry.bound
                if not bound.active_on(day):
                    continue
                rule = bound.rule
                if rule.states:
                    if state is None:
                        address = claim.billing_provider.address
                        state = (address.state or "").upper() if address else ""
                    if state not in rule.states:
                        continue
                pointed = claim.diagnoses if rule.diagnoses is _ANY else claim.diagnoses_for(line)
                codes = [d.code for d in pointed]
                if self.supported(entry, codes, day):
                    continue
                group, carc, liability = None, None, "no ABN modifier; provider liable"
                rarcs: tuple[str, ...] | None = None
                if rule.abn_modifiers and "GY" in line.modifiers:
                    group, carc = Group.PR, "96"
                    liability = "GY: statutorily excluded; patient liable"
                elif rule.abn_modifiers and "GA" in line.modifiers:
                    group = Group.PR
                    # M38: the patient was told in writing (the ABN) and agreed to pay
                    rarcs = (*rule.rarcs, "M38")
                    liability = "a signed ABN is on file (GA), so the patient is liable"
                elif rule.abn_modifiers and "GZ" in line.modifiers:
                    liability = "GZ: no ABN; provider liable"
                yield bound.finding(
                    claim,
                    ctx,
                    n,
                    group=group,
                    carc=carc,
                    rarcs=rarcs,
                    diagnoses=", ".join(codes) or "none",
                    liability=liability,
                )


def _compile_coverage(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> DiagnosisCoverage:
    return DiagnosisCoverage(rules)


DIAGNOSIS_COVERAGE = RuleKind(
    name="diagnosis-coverage",
    schema=DiagnosisCoverageRule,
    stage=Stage.CLINICAL,
    compile=_compile_coverage,
    placeholders=frozenset({"liability"}),
    lint=lint_coverage,
    summary="a procedure is billed without a diagnosis the coverage policy lists (NCD / LCD)",
)
