"""What a rule kind is: a typed schema, a stage, and a compiler to an indexed evaluator.

A kind compiles *all* of a payer's rules of that kind at once, into dictionaries keyed by
procedure or diagnosis code, so judging a line costs a few lookups however many rules there
are. Plugins add kinds with the ``register_rule_kinds`` hook.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from attrs import field, frozen

from payer_rules.context import Context
from payer_rules.models import Claim, PriorService, ServiceLine
from payer_rules.results import Finding, Group, Severity, Source

from ..positions import Path
from ..schema import PackMeta, Rule, Status
from ..sharing import share

__all__ = [
    "COMMON_PLACEHOLDERS",
    "BoundRule",
    "CodeIndex",
    "CodeSetLookup",
    "CodeStatus",
    "CompileEnv",
    "Evaluator",
    "LinePrice",
    "Pricer",
    "RuleContext",
    "RuleKind",
    "Stage",
    "need_procedures",
    "paid",
    "render",
]

R = TypeVar("R", bound=Rule)
T = TypeVar("T")


class Stage(StrEnum):
    """When a kind's rules run.

    ``front-end`` rules run in ``validate`` always; ``clinical`` rules run in ``validate`` only
    when nothing rejected the claim (a payer does not review the coverage of an unprocessable
    claim); ``authorize`` rules run in ``authorize``; ``price`` rules set allowed amounts.
    """

    FRONT_END = "front-end"
    CLINICAL = "clinical"
    AUTHORIZE = "authorize"
    PRICE = "price"


class CodeStatus(Protocol):
    """What a code set says about one code on one date (``payer_rules.codesets`` answers this)."""

    @property
    def valid(self) -> bool:
        """The code is valid and billable on that date."""

    @property
    def outcome(self) -> str:
        """Why: ``valid``, ``header``, ``not-in-version``, ``missing-7th``, ``placeholder-x``,
        ``malformed``, ``unknown-system-on-date`` or ``unknown-code``."""

    @property
    def message(self) -> str:
        """Plain words for a biller."""


#: Outcomes that mean "the loaded data cannot tell": such codes are not judged.
UNKNOWN_OUTCOMES = frozenset({"unknown-system-on-date", "unknown-code"})


class CodeSetLookup(Protocol):
    """The small part of the code-set registry (``context.code_sets``) the ``code-validity`` kind needs."""

    def lookup(self, system: str, code: str, day: dt.date) -> CodeStatus:
        """The code's status on ``day``."""


@frozen
class RuleContext:
    """What an evaluator may read besides the claim: the run's context and the code sets."""

    context: Context
    code_sets: CodeSetLookup | None = None

    def day(self, line: ServiceLine) -> dt.date:
        """The date whose rules apply to ``line``."""
        return self.context.rules_date(line.service_date)

    def history(self, claim: Claim) -> tuple[PriorService, ...]:
        return tuple(p for p in self.context.history(claim) if p.claim_id != claim.id)

    def history_on(self, claim: Claim, days: Collection[dt.date]) -> list[PriorService]:
        """:meth:`history` on any of ``days`` only, through the date index."""
        return [p for p in self.context.history_on(claim, days) if p.claim_id != claim.id]

    def history_between(self, claim: Claim, start: dt.date, end: dt.date) -> list[PriorService]:
        """:meth:`history` from ``start`` to ``end`` inclusive only, through the date index."""
        return [p for p in self.context.history_between(claim, start, end) if p.claim_id != claim.id]


_PREVIEW = Status.PREVIEW  # a module constant: enum class lookups are slow on Python 3.11
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

#: Placeholders every kind's messages may use.
COMMON_PLACEHOLDERS = frozenset(
    {"code", "line", "procedure", "modifiers", "units", "date", "payer", "diagnoses", "pack"}
)


def placeholders(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


def render(template: str, values: Mapping[str, object]) -> str:
    """Fill ``{name}`` placeholders. Only names, never attributes or indexes: packs are data."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


@frozen
class Template:
    """A message template split once into text and placeholders, so each finding only joins.

    ``render(values)`` equals the module's :func:`render`: a name ``values`` lacks stays as written.
    """

    text: str
    #: literal text, then the placeholder after it (``None`` after the last piece)
    parts: tuple[tuple[str, str | None], ...] = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        pieces = _PLACEHOLDER.split(self.text)  # text, name, text, name, ..., text
        parts = [
            (pieces[i], pieces[i + 1] if i + 1 < len(pieces) else None) for i in range(0, len(pieces), 2)
        ]
        object.__setattr__(self, "parts", tuple(parts))

    @property
    def names(self) -> frozenset[str]:
        return frozenset(name for _text, name in self.parts if name is not None)

    def render(self, values: Mapping[str, object]) -> str:
        out = []
        for text, name in self.parts:
            out.append(text)
            if name is not None:
                out.append(str(values[name]) if name in values else "{" + name + "}")
        return "".join(out)


def _modifiers_text(claim: Claim, line: ServiceLine) -> str:
    return " ".join(line.modifiers) or "none"


def _units_text(claim: Claim, line: ServiceLine) -> str:
    return format(line.units.normalize(), "f")


def _diagnoses_text(claim: Claim, line: ServiceLine) -> str:
    return ", ".join(d.code for d in claim.diagnoses_for(line)) or "none"


#: The line placeholders every kind's messages may use, worked out only when a message uses them.
_LINE_VALUES: dict[str, Callable[[Claim, ServiceLine], object]] = {
    "procedure": lambda claim, line: line.procedure,
    "modifiers": _modifiers_text,
    "units": _units_text,
    "date": lambda claim, line: line.service_date.isoformat(),
    "diagnoses": _diagnoses_text,
}


# Rules of a pack often share their citation and message: one immutable Source, Template and
# placeholder list per distinct value, not one per rule (``benchmarks/bench_rulepack_build.py``).
@functools.lru_cache(maxsize=65536)
def _source(name: str, version: str, citation: str) -> Source:
    return Source(name=name, version=version, citation=citation)


@functools.lru_cache(maxsize=65536)
def _template(
    message: str,
) -> tuple[Template, tuple[tuple[str, Callable[[Claim, ServiceLine], object]], ...]]:
    template = Template(message)
    used = tuple((name, fill) for name, fill in _LINE_VALUES.items() if name in template.names)
    return template, used


@frozen
class BoundRule(Generic[R]):
    """A rule together with the pack it came from: everything needed to raise its finding."""

    rule: R
    pack: PackMeta
    source: Source = field(init=False)
    _message: Template = field(init=False, eq=False, repr=False)
    #: the line placeholders the message uses
    _line_values: tuple[tuple[str, Callable[[Claim, ServiceLine], object]], ...] = field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "source", _source(self.pack.name, self.pack.version, self.rule.citation))
        message, used = _template(self.rule.message)
        object.__setattr__(self, "_message", message)
        object.__setattr__(self, "_line_values", used)

    @property
    def code(self) -> str:
        return self.rule.code

    def active_on(self, day: dt.date) -> bool:
        return self.rule.active_on(day)

    def finding_with(
        self, claim: Claim, ctx: RuleContext, number: int | None, values: Mapping[str, object]
    ) -> Finding:
        """As :meth:`finding`, with the placeholder values in a mapping."""
        return self.finding(claim, ctx, number, **values)  # type: ignore[arg-type]

    def finding(
        self,
        claim: Claim,
        ctx: RuleContext,
        number: int | None,
        *,
        group: Group | None = None,
        carc: str | None = None,
        rarcs: tuple[str, ...] | None = None,
        **values: object,
    ) -> Finding:
        """The rule's finding for line ``number`` (1-based; ``None`` for the claim); ``group``,
        ``carc`` and ``rarcs`` replace the rule's own where given."""
        rule = self.rule
        base: dict[str, object] = {
            "code": rule.code,
            "line": number if number is not None else "-",
            "payer": ctx.context.payer.id,
            "pack": self.pack.label,
        }
        if number is not None:
            line = claim.lines[number - 1]
            for name, fill in self._line_values:
                if name not in values:
                    base[name] = fill(claim, line)
        base.update(values)
        severity = rule.severity
        message = self._message.render(base)
        if rule.status is _PREVIEW:
            # preview rules run in shadow: reported, money unchanged
            severity = Severity.WARN if severity.rank < Severity.WARN.rank else severity
            message = f"[preview] {message}"
        return Finding(
            code=rule.code,
            severity=severity,
            message=message,
            source=self.source,
            line=number,
            carc=carc or rule.carc,
            rarcs=rule.rarcs if rarcs is None else rarcs,
            group=group or rule.group,
        )


class Evaluator(Protocol):
    """A compiled kind: every finding its rules raise on one claim."""

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterable[Finding]: ...


@frozen
class LinePrice:
    """One line's allowed amount from a pricing rule."""

    allowed: Decimal
    basis: str


@runtime_checkable
class Pricer(Protocol):
    """A compiled pricing kind."""

    def price_line(self, claim: Claim, number: int, ctx: RuleContext) -> LinePrice | None:
        """The allowed amount for line ``number``, or ``None`` if these rules do not price it."""

    def no_price(self, claim: Claim, number: int, ctx: RuleContext) -> Finding | None:
        """The finding to raise when no pricing rule prices the line."""

    def __call__(self, claim: Claim, ctx: RuleContext) -> Iterable[Finding]: ...


@frozen
class CompileEnv:
    """Every loaded rule by code (all payers), for kinds that refer to other rules."""

    rules: Mapping[str, Sequence[BoundRule[Any]]]


LintFn = Callable[[Any], Iterable[tuple[Path, str]]]
CompileFn = Callable[[Sequence[BoundRule[Any]], CompileEnv], Evaluator]


@frozen(kw_only=True)
class RuleKind:
    """A rule kind, as registered through ``register_rule_kinds``.

    Args:
        name: the ``kind`` value in TOML (kebab-case).
        schema: the attrs class of its rules, a subclass of :class:`~payer_rules.rulepack.schema.Rule`.
        stage: when its rules run, see :class:`Stage`.
        compile: builds the evaluator for a payer's rules of this kind (an :class:`Evaluator`;
            a :class:`Pricer` for the ``price`` stage).
        placeholders: message placeholders it fills, besides :data:`COMMON_PLACEHOLDERS`.
        lint: semantic checks on one rule: ``(path inside the rule, message)`` pairs.
        summary: one line for docs and ``rulepack check``.
    """

    name: str
    schema: type[Rule]
    stage: Stage
    compile: CompileFn
    placeholders: frozenset[str] = frozenset()
    lint: LintFn | None = None
    summary: str = ""


# -- indexes ------------------------------------------------------------------------------------

_RANGE = re.compile(r"([A-Z]*)(\d+)-([A-Z]*)(\d+)\Z")
MAX_RANGE = 100_000


def expand_codes(values: Iterable[str]) -> tuple[set[str], set[str]]:
    """Exact codes and prefixes from ``["82947", "99202-99205", "E11*"]`` (dots removed)."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    for raw in values:
        value = raw.replace(".", "").strip()
        upper = value.upper()
        # the pack's own string when already clean (``upper`` always makes a new one): the
        # index then keeps one copy of a code, not two
        value = value if upper == value else share(upper)
        if value.endswith("*"):
            prefixes.add(value[:-1])
            continue
        match = _RANGE.match(value)
        if match and match.group(1) == match.group(3) and len(match.group(2)) == len(match.group(4)):
            start, end, width = int(match.group(2)), int(match.group(4)), len(match.group(2))
            exact.update(share(f"{match.group(1)}{n:0{width}d}") for n in range(start, end + 1))
            continue
        exact.add(value)
    return exact, prefixes


#: Code systems whose code shapes ``code_problem`` checks.
PROCEDURE = "procedure"
DIAGNOSIS = "icd-10-cm"
#: Rule keys that hold diagnosis codes; every other code list holds procedure codes.
DIAGNOSIS_KEYS = frozenset({"diagnoses", "covered", "non_covered"})

_D, _ALNUM = "0123456789", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PCS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # ICD-10-PCS uses no I or O
#: Each shape: the characters allowed at each position (a code has exactly that many).
_PROCEDURE_SHAPES: tuple[tuple[str, ...], ...] = (
    (_D, _D, _D, _D, _D),  # CPT Category I
    (_D, _D, _D, _D, "FTUM"),  # CPT Category II (F), III (T), PLA (U), MAAA (M)
    (_LETTER, _D, _D, _D, _D),  # HCPCS Level II
    (_PCS,) * 7,  # ICD-10-PCS (inpatient procedures)
)
_PROCEDURE_SHAPE_TEXT = (
    "a CPT code (5 digits, or 4 digits and F / T / U / M), a HCPCS Level II code (a letter and "
    "4 digits) or an ICD-10-PCS code (7 characters)"
)
_DIAGNOSIS_TEXT = "an ICD-10-CM code (a letter, a digit, then 1 to 5 letters or digits; dots are ignored)"


def _fits(code: str, shape: tuple[str, ...], *, prefix: bool) -> bool:
    if len(code) > len(shape) or (not prefix and len(code) != len(shape)):
        return False
    return all(ch in allowed for ch, allowed in zip(code, shape, strict=False))


#: Whole codes of each system that the shapes above accept (every code this matches, ``_fits``
#: accepts too): one call per code instead of a loop per character, for the usual case.
_WHOLE = {
    PROCEDURE: re.compile(r"[0-9]{5}|[0-9]{4}[FTUM]|[A-Z][0-9]{4}|[0-9A-HJ-NP-Z]{7}"),
    DIAGNOSIS: re.compile(r"[A-Z][0-9][0-9A-Z]{1,5}"),
}


def _shape_problem(code: str, system: str, *, prefix: bool) -> str | None:
    whole = None if prefix else _WHOLE.get(system)
    if whole is not None and whole.fullmatch(code):
        return None
    if system == PROCEDURE:
        if any(_fits(code, shape, prefix=prefix) for shape in _PROCEDURE_SHAPES):
            return None
        return f"procedure code {code + ('*' if prefix else '')!r} is not {_PROCEDURE_SHAPE_TEXT}"
    if system == DIAGNOSIS:
        shape = (_LETTER, _D, *(_ALNUM,) * 5)
        if _fits(code, shape, prefix=True) and (prefix or len(code) >= 3):
            return None
        return f"diagnosis code {code + ('*' if prefix else '')!r} is not {_DIAGNOSIS_TEXT}"
    return None


_PATTERN = re.compile(r"[A-Z0-9]+\*?")


def code_problem(value: str, system: str | None = None) -> str | None:
    """Why a code pattern is malformed, or ``None``.

    :param system: ``PROCEDURE`` or ``DIAGNOSIS`` (ICD-10-CM) also checks each code's shape in
        that system (``9711`` is no CPT code); ``None`` checks the pattern syntax only.
    """
    cleaned = value.replace(".", "").strip().upper()
    if not cleaned or cleaned == "*":
        return f"empty code pattern {value!r}"
    match = _RANGE.match(cleaned)
    if "-" in cleaned:
        if not match or match.group(1) != match.group(3) or len(match.group(2)) != len(match.group(4)):
            return f"range {value!r} must be two codes of one shape, e.g. 99202-99205"
        if int(match.group(4)) < int(match.group(2)):
            return f"range {value!r} ends before it starts"
        if int(match.group(4)) - int(match.group(2)) > MAX_RANGE:
            return f"range {value!r} is too wide"
        if system is not None:
            start, end = cleaned.split("-")
            return _shape_problem(start, system, prefix=False) or _shape_problem(end, system, prefix=False)
    elif not _PATTERN.fullmatch(cleaned):
        return f"code {value!r} may hold only letters and digits (a trailing * matches a prefix)"
    elif system is not None:
        prefix = cleaned.endswith("*")
        return _shape_problem(cleaned.rstrip("*"), system, prefix=prefix)
    return None


class CodeIndex(Generic[T]):
    """Values keyed by code, with exact codes, ranges and ``prefix*`` patterns.

    ``get(code)`` costs one dict lookup plus one per distinct prefix length, whatever the
    number of entries: this is what keeps the cost per line flat as rules are added.
    """

    def __init__(self) -> None:
        self._exact: dict[str, list[T]] = {}
        self._prefix: dict[str, list[T]] = {}
        self._lengths: list[int] = []

    def add(self, patterns: Iterable[str], value: T) -> None:
        exact, prefixes = expand_codes(patterns)
        for code in exact:
            _append(self._exact, code, value)
        for prefix in prefixes:
            _append(self._prefix, prefix, value)
        if prefixes:
            self._lengths = sorted({len(p) for p in self._prefix})

    def get(self, code: str) -> list[T]:
        found = self._exact.get(code)
        if not self._lengths:
            return found or []
        result = list(found or ())
        for length in self._lengths:
            if length <= len(code):
                result.extend(self._prefix.get(code[:length], ()))
        return result

    def __contains__(self, code: str) -> bool:
        return bool(self.get(code))

    def __len__(self) -> int:
        return len(self._exact) + len(self._prefix)


def _append(index: dict[str, list[T]], key: str, value: T) -> None:
    """``index[key].append(value)``; a new key's list holds one slot, not the four that
    ``append`` reserves (most codes have one rule)."""
    found = index.get(key)
    if found is None:
        index[key] = [value]
    else:
        found.append(value)


_NO_PREFIXES: frozenset[str] = frozenset()


class CodeSet:
    """A membership test over code patterns (exact, ranges, ``prefix*``).

    A range wider than :attr:`EXPAND` codes is kept as its bounds and tested by arithmetic
    instead of being expanded: a fee category of ``10004-69990`` would otherwise build a set of
    60,000 strings in every process that loads the pack. The answer is the same as membership
    in the expanded set.
    """

    EXPAND = 256

    def __init__(self, patterns: Iterable[str]) -> None:
        narrow: list[str] = []
        ranges: list[tuple[str, int, int, int]] = []
        for raw in patterns:
            span = _wide_range(raw)
            if span is None:
                narrow.append(raw)
            else:
                ranges.append(span)
        self._exact, prefixes = expand_codes(narrow)
        self._prefixes = frozenset(prefixes) if prefixes else _NO_PREFIXES
        self._lengths = tuple(sorted({len(p) for p in prefixes}))
        self._ranges = tuple(ranges)

    @classmethod
    def shared(cls, patterns: Sequence[str], table: dict[tuple[str, ...], CodeSet]) -> CodeSet:
        """The code set of ``patterns`` from ``table``, made and kept there the first time:
        rules often list the same codes (one NCD's diagnoses under many procedures)."""
        key = tuple(patterns)
        found = table.get(key)
        if found is None:
            found = table[key] = cls(key)
        return found

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        if code in self._exact:
            return True
        if any(code[:n] in self._prefixes for n in self._lengths if n <= len(code)):
            return True
        for letters, width, start, end in self._ranges:
            digits = code[len(letters) :]
            if (
                len(digits) == width
                and code.startswith(letters)
                and digits.isascii()
                and digits.isdigit()
                and start <= int(digits) <= end
            ):
                return True
        return False

    def __bool__(self) -> bool:
        return bool(self._exact or self._prefixes or self._ranges)


def _wide_range(raw: str) -> tuple[str, int, int, int] | None:
    """``(letters, width, first, last)`` of a range :func:`expand_codes` would expand past
    :attr:`CodeSet.EXPAND` codes, else ``None``."""
    match = _RANGE.match(raw.replace(".", "").strip().upper())
    if not match or match.group(1) != match.group(3) or len(match.group(2)) != len(match.group(4)):
        return None
    start, end = int(match.group(2)), int(match.group(4))
    if end - start + 1 <= CodeSet.EXPAND:
        return None
    return match.group(1), len(match.group(2)), start, end


def active(rules: Iterable[BoundRule[R]], day: dt.date) -> Iterator[BoundRule[R]]:
    return (r for r in rules if r.active_on(day))


def procedure_index(rules: Iterable[BoundRule[R]], attr: str = "procedures") -> CodeIndex[BoundRule[R]]:
    """Rules keyed by each code in their ``procedures`` (or ``attr``) list."""
    index: CodeIndex[BoundRule[R]] = CodeIndex()
    for bound in rules:
        index.add(getattr(bound.rule, attr), bound)
    return index


def lint_codes(rule: Any, *names: str) -> Iterator[tuple[Path, str]]:
    """Lint the code lists ``names``: pattern syntax and each code's shape in its system."""
    for name in names:
        system = DIAGNOSIS if name in DIAGNOSIS_KEYS else PROCEDURE
        for i, value in enumerate(getattr(rule, name)):
            problem = code_problem(value, system)
            if problem:
                yield (name, i), problem


def need_procedures(rule: Any, *also: str) -> Iterator[tuple[Path, str]]:
    """Lint ``procedures`` (and the ``also`` code lists) and refuse an empty ``procedures``."""
    yield from lint_codes(rule, "procedures", *also)
    if not rule.procedures:
        yield ("procedures",), "list at least one procedure code"


def paid(prior: PriorService) -> bool:
    """A service on file that was paid (its status is ``paid`` or ``paid:lineN``)."""
    return prior.status.split(":", 1)[0] == "paid"


class RuleCompileError(ValueError):
    """A kind cannot compile a rule (e.g. a reference to a rule that does not exist)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")
