"""Line and claim edits: modifiers, age and sex, place of service, prior authorization, timely filing."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from attrs import frozen

from payer_rules.models import Claim, Sex
from payer_rules.results import Finding

from ..positions import Path
from ..schema import Rule
from .base import (
    BoundRule,
    CodeIndex,
    CompileEnv,
    RuleContext,
    RuleKind,
    Stage,
    lint_codes,
    need_procedures,
    procedure_index,
)

__all__ = [
    "AGE_LIMIT",
    "LATERALITY_REQUIRED",
    "MODIFIER_COMBINATION",
    "MODIFIER_REQUIRED",
    "PLACE_OF_SERVICE",
    "PRIOR_AUTHORIZATION",
    "SEX_LIMIT",
    "TIMELY_FILING",
]

#: A per-line check: the placeholder values of its finding, or ``None`` when the line passes.
LineCheck = Callable[[Any, Claim, int, RuleContext], "dict[str, object] | None"]


class _ByProcedure:
    """Rules keyed by procedure; ``check`` decides per line. Cost: one lookup per line."""

    def __init__(self, rules: Sequence[BoundRule[Any]], check: LineCheck, attr: str = "procedures") -> None:
        self.index: CodeIndex[BoundRule[Any]] = procedure_index(rules, attr)
        self.check = check

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        for n, line in enumerate(claim.lines, 1):
            for bound in self.index.get(line.procedure):
                if bound.active_on(ctx.day(line)):
                    values = self.check(bound.rule, claim, n, ctx)
                    if values is not None:
                        yield bound.finding_with(claim, ctx, n, values)


class _EveryLine:
    """Rules that apply to every line whatever its code (few by nature: timely filing)."""

    def __init__(self, rules: Sequence[BoundRule[Any]], check: LineCheck) -> None:
        self.rules = rules
        self.check = check

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        for n, line in enumerate(claim.lines, 1):
            for bound in self.rules:
                if bound.active_on(ctx.day(line)):
                    values = self.check(bound.rule, claim, n, ctx)
                    if values is not None:
                        yield bound.finding_with(claim, ctx, n, values)


def _modifier_problems(rule: Any, name: str) -> Iterator[tuple[Path, str]]:
    for i, m in enumerate(getattr(rule, name)):
        if len(m) != 2 or not m.isalnum():
            yield (name, i), f"a modifier is two letters or digits, got {m!r}"


# -- modifiers ----------------------------------------------------------------------------------


@frozen(kw_only=True)
class ModifierRequiredRule(Rule):
    """``modifier-required``: the procedures must carry one of ``any_of``."""

    procedures: tuple[str, ...]
    any_of: tuple[str, ...]


def _check_required(
    rule: ModifierRequiredRule, claim: Claim, n: int, ctx: RuleContext
) -> dict[str, object] | None:
    if any(m in rule.any_of for m in claim.lines[n - 1].modifiers):
        return None
    return {"required": " or ".join(rule.any_of)}


def _lint_required(rule: ModifierRequiredRule) -> Iterator[tuple[Path, str]]:
    yield from need_procedures(rule)
    yield from _modifier_problems(rule, "any_of")
    if not rule.any_of:
        yield ("any_of",), "list at least one modifier"


MODIFIER_REQUIRED = RuleKind(
    name="modifier-required",
    schema=ModifierRequiredRule,
    stage=Stage.CLINICAL,
    compile=lambda rules, env: _ByProcedure(rules, _check_required),
    placeholders=frozenset({"required"}),
    lint=_lint_required,
    summary="a procedure is billed without a modifier the payer requires",
)


@frozen(kw_only=True)
class ModifierCombinationRule(Rule):
    """``modifier-combination``: modifiers that may not appear together on one line.

    Args:
        combinations: each a list of two or more modifiers that are invalid together.
        procedures: limit the rule to these codes; empty means every procedure.
    """

    combinations: tuple[tuple[str, ...], ...]
    procedures: tuple[str, ...] = ()


def _check_combination(
    rule: ModifierCombinationRule, claim: Claim, n: int, ctx: RuleContext
) -> dict[str, object] | None:
    present = set(claim.lines[n - 1].modifiers)
    for combo in rule.combinations:
        if set(combo) <= present:
            return {"combination": " + ".join(combo)}
    return None


def _lint_combination(rule: ModifierCombinationRule) -> Iterator[tuple[Path, str]]:
    yield from lint_codes(rule, "procedures")
    if not rule.combinations:
        yield ("combinations",), "list at least one combination"
    for i, combo in enumerate(rule.combinations):
        if len(set(combo)) < 2:
            yield ("combinations", i), "a combination needs two or more different modifiers"
        for m in combo:
            if len(m) != 2 or not m.isalnum():
                yield ("combinations", i), f"a modifier is two letters or digits, got {m!r}"


class _Combinations:
    def __init__(self, rules: Sequence[BoundRule[ModifierCombinationRule]]) -> None:
        self.keyed = _ByProcedure([r for r in rules if r.rule.procedures], _check_combination)
        self.every = _EveryLine([r for r in rules if not r.rule.procedures], _check_combination)

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        if not any(line.modifiers for line in claim.lines):
            return
        yield from self.keyed(claim, ctx)
        yield from self.every(claim, ctx)


MODIFIER_COMBINATION = RuleKind(
    name="modifier-combination",
    schema=ModifierCombinationRule,
    stage=Stage.CLINICAL,
    compile=lambda rules, env: _Combinations(rules),
    placeholders=frozenset({"combination"}),
    lint=_lint_combination,
    summary="a line carries modifiers that are invalid together (GA with GZ, LT with RT)",
)

#: Laterality modifiers (CPT Appendix A; Pub. 100-04 Ch. 12 §40.7 for 50).
LATERALITY = ("LT", "RT", "50")


@frozen(kw_only=True)
class LateralityRequiredRule(Rule):
    """``laterality-required``: procedures on paired organs or limbs need a side.

    Args:
        procedures: the codes.
        modifiers: the modifiers that state a side (default LT, RT, 50).
    """

    procedures: tuple[str, ...]
    modifiers: tuple[str, ...] = LATERALITY


def _check_laterality(
    rule: LateralityRequiredRule, claim: Claim, n: int, ctx: RuleContext
) -> dict[str, object] | None:
    if any(m in rule.modifiers for m in claim.lines[n - 1].modifiers):
        return None
    return {"required": ", ".join(rule.modifiers)}


def _lint_laterality(rule: LateralityRequiredRule) -> Iterator[tuple[Path, str]]:
    yield from need_procedures(rule)
    yield from _modifier_problems(rule, "modifiers")


LATERALITY_REQUIRED = RuleKind(
    name="laterality-required",
    schema=LateralityRequiredRule,
    stage=Stage.CLINICAL,
    compile=lambda rules, env: _ByProcedure(rules, _check_laterality),
    placeholders=frozenset({"required"}),
    lint=_lint_laterality,
    summary="a procedure on a paired organ or limb is billed without LT, RT or 50",
)


# -- age and sex --------------------------------------------------------------------------------


@frozen(kw_only=True)
class AgeLimitRule(Rule):
    """``age-limit``: procedures or diagnoses for patients of some ages only (age on the date).

    Args:
        procedures: the procedure codes limited, or
        diagnoses: the diagnosis codes limited (checked on the lines that point at them).
        min_age, max_age: inclusive bounds in whole years; give at least one.
    """

    procedures: tuple[str, ...] = ()
    diagnoses: tuple[str, ...] = ()
    min_age: int | None = None
    max_age: int | None = None


def _age_values(rule: AgeLimitRule, claim: Claim, n: int, ctx: RuleContext) -> dict[str, object] | None:
    line = claim.lines[n - 1]
    age = claim.patient.age_on(line.service_date)
    if age is None:
        return None
    if (rule.min_age is not None and age < rule.min_age) or (rule.max_age is not None and age > rule.max_age):
        low = rule.min_age if rule.min_age is not None else 0
        bounds = f"{low} to {rule.max_age if rule.max_age is not None else 'any age'}"
        return {"age": age, "limits": bounds}
    return None


class _ByDiagnosis:
    """Rules keyed by diagnosis: checked on each line pointing at a listed diagnosis."""

    def __init__(self, rules: Sequence[BoundRule[Any]], check: LineCheck) -> None:
        self.index: CodeIndex[BoundRule[Any]] = procedure_index(rules, "diagnoses")
        self.check = check

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        for n, line in enumerate(claim.lines, 1):
            fired: set[str] = set()
            for dx in claim.diagnoses_for(line):
                for bound in self.index.get(dx.code):
                    if bound.code in fired or not bound.active_on(ctx.day(line)):
                        continue
                    values = self.check(bound.rule, claim, n, ctx)
                    if values is not None:
                        fired.add(bound.code)
                        yield bound.finding_with(claim, ctx, n, {**values, "diagnosis": dx.code})


class _Demographic:
    def __init__(self, rules: Sequence[BoundRule[Any]], check: LineCheck) -> None:
        self.by_procedure = _ByProcedure([r for r in rules if r.rule.procedures], check)
        self.by_diagnosis = _ByDiagnosis([r for r in rules if r.rule.diagnoses], check)

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
        yield from self.by_procedure(claim, ctx)
        yield from self.by_diagnosis(claim, ctx)


def _lint_subject(rule: Any) -> Iterator[tuple[Path, str]]:
    if bool(rule.procedures) == bool(rule.diagnoses):
        yield ("procedures",), "give exactly one of 'procedures' or 'diagnoses' (a non-empty list)"
    yield from lint_codes(rule, "procedures", "diagnoses")


def _lint_age(rule: AgeLimitRule) -> Iterator[tuple[Path, str]]:
    yield from _lint_subject(rule)
    if rule.min_age is None and rule.max_age is None:
        yield ("min_age",), "give min_age, max_age or both"
    if rule.min_age is not None and rule.max_age is not None and rule.min_age > rule.max_age:
        yield ("max_age",), f"max_age {rule.max_age} is below min_age {rule.min_age}"


AGE_LIMIT = RuleKind(
    name="age-limit",
    schema=AgeLimitRule,
    stage=Stage.CLINICAL,
    compile=lambda rules, env: _Demographic(rules, _age_values),
    placeholders=frozenset({"age", "limits", "diagnosis"}),
    lint=_lint_age,
    summary="a procedure or diagnosis is inconsistent with the patient's age",
)


@frozen(kw_only=True)
class SexLimitRule(Rule):
    """``sex-limit``: procedures or diagnoses for one sex only (unknown sex is not judged).

    Args:
        procedures / diagnoses: as for ``age-limit``.
        sex: ``F`` or ``M``, the sex they apply to.
    """

    sex: Sex
    procedures: tuple[str, ...] = ()
    diagnoses: tuple[str, ...] = ()


def _sex_values(rule: SexLimitRule, claim: Claim, n: int, ctx: RuleContext) -> dict[str, object] | None:
    sex = claim.patient.sex
    if sex == Sex.UNKNOWN or sex == rule.sex:  # ==, not is: claim readers may give plain strings
        return None
    return {"sex": str(sex), "expected_sex": str(rule.sex)}


def _lint_sex(rule: SexLimitRule) -> Iterator[tuple[Path, str]]:
    yield from _lint_subject(rule)
    if rule.sex == Sex.UNKNOWN:
        yield ("sex",), "sex must be F or M"


SEX_LIMIT = RuleKind(
    name="sex-limit",
    schema=SexLimitRule,
    stage=Stage.CLINICAL,
    compile=lambda rules, env: _Demographic(rules, _sex_values),
    placeholders=frozenset({"sex", "expected_sex", "diagnosis"}),
    lint=_lint_sex,
    summary="a procedure or diagnosis is inconsistent with the patient's sex",
)


# -- place of service ---------------------------------------------------------------------------


@frozen(kw_only=True)
class PlaceOfServiceRule(Rule):
    """``place-of-service``: procedures allowed (or not allowed) in some places of service.

    Args:
        procedures: the codes.
        allowed: the only places of service paid, or
        not_allowed: places of service never paid.
    """

    procedures: tuple[str, ...]
    allowed: tuple[str, ...] = ()
    not_allowed: tuple[str, ...] = ()


def _check_pos(rule: PlaceOfServiceRule, claim: Claim, n: int, ctx: RuleContext) -> dict[str, object] | None:
    pos = claim.place_of_service_for(claim.lines[n - 1])
    if (rule.allowed and pos not in rule.allowed) or pos in rule.not_allowed:
        return {"place_of_service": pos}
    return None


def _lint_pos(rule: PlaceOfServiceRule) -> Iterator[tuple[Path, str]]:
    yield from need_procedures(rule)
    if bool(rule.allowed) == bool(rule.not_allowed):
        yield ("allowed",), "give exactly one of 'allowed' or 'not_allowed' (a non-empty list)"
    for name in ("allowed", "not_allowed"):
        for i, pos in enumerate(getattr(rule, name)):
            if len(pos) != 2 or not pos.isdigit():
                yield (name, i), f"a place of service is two digits, got {pos!r}"


PLACE_OF_SERVICE = RuleKind(
    name="place-of-service",
    schema=PlaceOfServiceRule,
    stage=Stage.CLINICAL,
    compile=lambda rules, env: _ByProcedure(rules, _check_pos),
    placeholders=frozenset({"place_of_service"}),
    lint=_lint_pos,
    summary="a procedure is billed in a place of service the payer does not pay it in",
)


# -- prior authorization ------------------------------------------------------------------------


@frozen(kw_only=True)
class PriorAuthorizationRule(Rule):
    """``prior-authorization``: procedures that need an authorization number on the claim.

    Args:
        procedures: the codes.
        places_of_service: only in these places of service (empty: everywhere).
        units_over: only when a line's units are above this number.
    """

    procedures: tuple[str, ...]
    places_of_service: tuple[str, ...] = ()
    units_over: int | None = None


def _check_auth(
    rule: PriorAuthorizationRule, claim: Claim, n: int, ctx: RuleContext
) -> dict[str, object] | None:
    if claim.prior_authorizations:
        return None
    line = claim.lines[n - 1]
    if rule.places_of_service and claim.place_of_service_for(line) not in rule.places_of_service:
        return None
    if rule.units_over is not None and line.units <= rule.units_over:
        return None
    return {"place_of_service": claim.place_of_service_for(line)}


PRIOR_AUTHORIZATION = RuleKind(
    name="prior-authorization",
    schema=PriorAuthorizationRule,
    stage=Stage.AUTHORIZE,
    compile=lambda rules, env: _ByProcedure(rules, _check_auth),
    placeholders=frozenset({"place_of_service"}),
    lint=need_procedures,
    summary="a procedure that needs prior authorization is billed without an authorization number",
)


# -- timely filing ------------------------------------------------------------------------------


@frozen(kw_only=True)
class TimelyFilingRule(Rule):
    """``timely-filing``: the claim must reach the payer within ``days`` of the (last) date of service."""

    days: int


def _check_filing(rule: TimelyFilingRule, claim: Claim, n: int, ctx: RuleContext) -> dict[str, object] | None:
    line = claim.lines[n - 1]
    elapsed = (ctx.context.received_date - line.last_service_date).days
    if elapsed <= rule.days:
        return None
    return {"days": rule.days, "elapsed": elapsed, "received": ctx.context.received_date.isoformat()}


def _lint_filing(rule: TimelyFilingRule) -> Iterator[tuple[Path, str]]:
    if rule.days < 1:
        yield ("days",), f"days must be 1 or more, got {rule.days}"


def _compile_filing(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> _EveryLine:
    return _EveryLine(rules, _check_filing)


TIMELY_FILING = RuleKind(
    name="timely-filing",
    schema=TimelyFilingRule,
    stage=Stage.FRONT_END,
    compile=_compile_filing,
    placeholders=frozenset({"days", "elapsed", "received"}),
    lint=_lint_filing,
    summary="the claim reached the payer too long after the date of service",
)
