"""Running the test cases packs carry: each rule's claims and the codes they must raise.

A case's claim is a *partial* claim in the claim JSON shape, merged over the pack's
``[case_defaults]`` and over built-in defaults (a patient born 1960, a valid billing NPI, one
line of 99213 for $100 on the rule's first effective date), so a case states only what matters.
Each pack is judged in isolation (as if it applied to the case's payer), so a case shows what
*its* pack does, whatever else is loaded.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import cattrs
from attrs import frozen

from payer_rules.context import Context, Session
from payer_rules.models import Claim, CodeSystem
from payer_rules.payers import PayerInfo
from payer_rules.results import Finding, PricedLine, Severity

from .evaluator import CompiledRulepacks, compile_packs
from .kinds.base import DIAGNOSIS, PROCEDURE, CodeSetLookup, RuleContext, RuleKind, code_problem
from .loader import Pack
from .problems import Problem, RulepackError
from .schema import Case, Rule, Status

__all__ = [
    "DEFAULT_CASE_ZIP",
    "CaseResult",
    "ReferencePricer",
    "build_claim",
    "iter_cases",
    "lint_case_claims",
    "run_case",
    "run_pack_cases",
]

DEFAULT_PAYER = "case-payer"
#: The ZIP every case claim is served in unless it says otherwise: Medicare locality 05 (San
#: Francisco, CA), which the Medicare plugin's starter pack prices with no import, so a
#: ``percent-of-reference`` rule on ``medicare`` prices its cases out of the box.
DEFAULT_CASE_ZIP = "94110"

ReferencePricer = Callable[[str, Claim, int, Context], PricedLine | None]


@frozen(kw_only=True)
class CaseResult:
    """The outcome of one case."""

    pack: Pack
    rule: Rule
    index: int
    case: Case
    passed: bool
    detail: str = ""
    codes: tuple[str, ...] = ()
    skipped: bool = False

    @property
    def location(self) -> str:
        rule_index = self.pack.rules.index(self.rule)
        line = self.pack.rule_line(rule_index, "cases", self.index)
        return f"{self.pack.file}:{line}" if line else self.pack.file

    @property
    def title(self) -> str:
        return f"{self.rule.code} case {self.index + 1} ({self.case.name})"


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, Decimal)):
        return str(value)
    return value


def build_claim(pack: Pack, rule: Rule, index: int, case: Case, payer: str) -> Claim:
    """The case's claim: built-in defaults ← ``[case_defaults]`` ← the case's own fields.

    :raises RulepackError: the claim does not read, located at the case.
    """
    from payer_rules.io.converters import claim_converter
    from payer_rules.io.json_claims import describe_claim_error

    rule_index = pack.rules.index(rule)
    line_no = pack.rule_line(rule_index, "cases", index)
    defaults = dict(pack.case_defaults)
    line_defaults = {"procedure": "99213", "charge": "100.00", "service_date": rule.effective_from}
    line_defaults = _merge(line_defaults, defaults.pop("line", {}) or {})
    data: dict[str, Any] = {
        "id": f"{rule.code}-case-{index + 1}",
        "patient": {"id": "CASE-PATIENT", "birth_date": dt.date(1960, 1, 1), "sex": "F"},
        "coverage": {"payer_id": payer, "member_id": "CASE-MEMBER"},
        "billing_provider": {"npi": "1234567893", "tax_id": "990000001"},
        "diagnoses": [{"code": "I10"}],
        "service_facility_zip": DEFAULT_CASE_ZIP,
    }
    data = _merge(data, defaults)
    if case.claim_file is not None:
        path = pack.directory / case.claim_file
        try:
            own = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RulepackError.single(
                pack.file, rule.code, f"case {case.name!r}: claim_file {case.claim_file}: {exc}", line_no
            ) from None
    else:
        own = case.claim
    data = _merge(data, own)
    lines = data.get("lines") or [{}]
    if not isinstance(lines, list):
        raise RulepackError.single(
            pack.file, rule.code, f"case {case.name!r}: claim.lines must be an array of tables", line_no
        )
    data["lines"] = [_merge(line_defaults, ln) if isinstance(ln, dict) else ln for ln in lines]
    dates = [ln.get("service_date") for ln in data["lines"] if isinstance(ln, dict)]
    data.setdefault("received_date", max((d for d in dates if isinstance(d, dt.date)), default=None))
    try:
        claim: Claim = claim_converter().structure(_jsonable(data), Claim)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        errors = (
            describe_claim_error(exc, path="claim")
            if isinstance(exc, cattrs.BaseValidationError)
            else [str(exc)]
        )
        raise RulepackError.single(
            pack.file, rule.code, f"case {case.name!r}: {'; '.join(errors)}", line_no
        ) from None
    problems = [
        *(
            problem
            for ln in claim.lines
            if ln.code_system is not CodeSystem.REVENUE and (problem := code_problem(ln.procedure, PROCEDURE))
        ),
        *(problem for dx in claim.diagnoses if (problem := code_problem(dx.code, DIAGNOSIS))),
    ]
    if problems:
        raise RulepackError.single(
            pack.file, rule.code, f"case {case.name!r}: {'; '.join(problems)}", line_no
        )
    return claim


def lint_case_claims(packs: Sequence[Pack]) -> list[Problem]:
    """Every case claim must read as a claim (unknown keys named, with the nearest valid one)
    and carry well-formed codes; each problem is located at its case."""
    problems: list[Problem] = []
    for pack, rule, index, case in iter_cases(packs):
        payer = case.payer or (pack.meta.payers[0] if pack.meta.payers else DEFAULT_PAYER)
        try:
            build_claim(pack, rule, index, case, payer)
        except RulepackError as exc:
            problems += exc.problems
    return problems


def iter_cases(packs: Sequence[Pack]) -> Iterator[tuple[Pack, Rule, int, Case]]:
    for pack in packs:
        for rule in pack.rules:
            if rule.status is Status.REMOVED:
                continue
            for i, case in enumerate(rule.cases):
                yield pack, rule, i, case


def run_case(
    compiled: CompiledRulepacks,
    pack: Pack,
    rule: Rule,
    index: int,
    case: Case,
    *,
    code_sets: CodeSetLookup | None = None,
    reference_pricer: ReferencePricer | None = None,
) -> CaseResult:
    """Judge the case's claim with ``compiled`` (a compile of ``pack`` alone) and compare.

    Pricing findings (a price rule's "no price" finding) count in the cases of the rule that
    raises them, and in cases that name their code in ``expect``; other rules' cases ignore
    them, so adding a price rule to a pack never breaks its edits' cases. Whether a line
    prices, and at what, is what ``allowed`` checks. ``reference_pricer`` answers
    ``percent-of-reference`` rules whose reference is a payer id (``medicare``); without one
    those lines do not price.
    """
    payer = case.payer or (pack.meta.payers[0] if pack.meta.payers else DEFAULT_PAYER)
    try:
        claim = build_claim(pack, rule, index, case, payer)
    except RulepackError as exc:
        return CaseResult(pack=pack, rule=rule, index=index, case=case, passed=False, detail=str(exc))
    if rule.kind == "code-validity" and code_sets is None:
        return CaseResult(
            pack=pack, rule=rule, index=index, case=case, passed=True, skipped=True,
            detail="skipped: no code sets are loaded to answer code-validity",
        )  # fmt: skip
    context = Context(
        payer=PayerInfo(id=payer, name=payer),
        received_date=case.received_date or claim.received_date or claim.first_service_date,
        as_of=case.as_of,
        session=Session(),
        reference_pricer=reference_pricer,
    )
    ctx = RuleContext(context=context, code_sets=code_sets)
    findings: list[Finding] = compiled.validate(claim, ctx)
    if not any(f.severity is Severity.REJECT for f in findings):
        findings += compiled.authorize(claim, ctx)
    pricing = compiled.price(claim, ctx)
    if pricing is not None:
        findings += [f for f in pricing.findings if f.code == rule.code or f.code in case.expect]
    codes = tuple(sorted({f.code for f in findings}))
    problems: list[str] = []
    if set(codes) != set(case.expect):
        problems.append(f"expected {sorted(set(case.expect))}, got {list(codes)}")
    for f in findings:
        if f.code in case.expect:
            if case.group is not None and f.group != case.group:
                problems.append(f"{f.code} on line {f.line}: expected group {case.group}, got {f.group}")
            if case.carc is not None and f.carc != case.carc:
                problems.append(f"{f.code} on line {f.line}: expected CARC {case.carc}, got {f.carc}")
    if case.allowed:
        got = []
        for n in range(1, len(claim.lines) + 1):
            priced = pricing.for_line(n) if pricing is not None else None
            got.append(priced.allowed if priced is not None else None)
        want = [Decimal(a).quantize(Decimal("0.01")) for a in case.allowed]
        if got != want:
            problems.append(
                f"expected allowed {[str(a) for a in want]}, "
                f"got {[str(a) if a is not None else 'unpriced' for a in got]}"
            )
    detail = "; ".join(problems)
    if problems and findings:
        detail += " | findings: " + " / ".join(f"{f.code} line {f.line}: {f.message}" for f in findings)
    return CaseResult(
        pack=pack, rule=rule, index=index, case=case, passed=not problems, detail=detail, codes=codes
    )


def run_pack_cases(
    packs: Sequence[Pack],
    kinds: Mapping[str, RuleKind],
    *,
    reference_packs: Sequence[Pack] = (),
    code_sets: CodeSetLookup | None = None,
    reference_pricer: ReferencePricer | None = None,
) -> list[CaseResult]:
    """Run every case of every pack; each pack compiled alone for its cases' payers."""
    results: list[CaseResult] = []
    for pack in packs:
        compiled_by_payer: dict[str, CompiledRulepacks] = {}
        for _pack, rule, i, case in iter_cases([pack]):
            payer = case.payer or (pack.meta.payers[0] if pack.meta.payers else DEFAULT_PAYER)
            if payer not in compiled_by_payer:
                compiled_by_payer[payer] = compile_packs(
                    [pack], kinds, reference_packs=[*reference_packs, *packs], only_payer=payer
                )
            results.append(
                run_case(
                    compiled_by_payer[payer],
                    pack,
                    rule,
                    i,
                    case,
                    code_sets=code_sets,
                    reference_pricer=reference_pricer,
                )
            )
    return results


def summarize(results: Iterable[CaseResult]) -> tuple[int, int, int]:
    """(passed, failed, skipped)."""
    passed = failed = skipped = 0
    for r in results:
        if r.skipped:
            skipped += 1
        elif r.passed:
            passed += 1
        else:
            failed += 1
    return passed, failed, skipped
