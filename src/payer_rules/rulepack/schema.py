"""The rulepack format as typed records, and the strict converter that reads it.

A pack file is ``[pack]`` metadata, an optional ``[payer]`` declaration, optional
``[case_defaults]`` and ``[[rules]]``. Every rule shares the fields of :class:`Rule`; each
*kind* adds its own (see :mod:`payer_rules.rulepack.kinds`). Kinds are an open set (plugins add
them through ``register_rule_kinds``), so the tagged union on ``kind`` is a registry lookup
rather than a static ``Union``; each member is still a plain attrs class structured by one
private cattrs converter with ``forbid_extra_keys=True``.

Serialisation stays out of the records (attrs' advice): only :func:`rulepack_converter` knows
TOML spellings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from typing import Any

import attrs
import cattrs
from attrs import field, frozen
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from payer_rules.payers import PayerKind
from payer_rules.results import Group, Severity

from .positions import Path
from .sharing import share, share_str

__all__ = [
    "Case",
    "PackMeta",
    "PayerDecl",
    "Rule",
    "SchemaProblem",
    "Status",
    "rulepack_converter",
    "structure",
]


class Status(StrEnum):
    """A rule's lifecycle. Codes are never reused: a removed rule keeps its code reserved."""

    PREVIEW = "preview"  # runs in shadow: findings are reported as warnings, money unchanged
    STABLE = "stable"
    DEPRECATED = "deprecated"  # still runs; ``rulepack check`` says so
    REMOVED = "removed"  # never runs; kept so the code is not reused


@frozen(kw_only=True)
class PackMeta:
    """The ``[pack]`` table.

    Args:
        name: the pack's name, reported as the finding source (``name@version``).
        prefix: upper-case code prefix; every rule code is the prefix plus digits.
        version: the pack's own version, bumped on any change to its rules.
        payers: payer ids the pack applies to (may be empty for a reference-only pack).
        effective_from: the first date any rule in the pack may apply.
        effective_to: the last such date, or open.
        source: where the policy comes from (publisher, document, date).
    """

    name: str
    prefix: str
    version: str
    payers: tuple[str, ...]
    effective_from: dt.date
    source: str
    effective_to: dt.date | None = None
    description: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


@frozen(kw_only=True)
class PayerDecl:
    """An optional ``[payer]`` table: a payer the pack itself defines."""

    id: str
    name: str
    kind: PayerKind = PayerKind.COMMERCIAL
    description: str = ""


@frozen(kw_only=True)
class Case:
    """One test case: a claim (a partial claim merged over defaults) and the codes it must raise.

    Args:
        name: what the case shows.
        expect: the codes of *this pack* the claim must raise (``[]``: none).
        claim: a partial claim in the claim JSON shape, merged over the pack's
            ``[case_defaults]`` and built-in defaults.
        claim_file: a claim JSON file, relative to the pack, instead of ``claim``.
        payer: the payer to judge for (default: the pack's first payer).
        group, carc: when given, every expected finding must carry them.
        allowed: for pricing rules, the allowed amount of each line, in order.
    """

    name: str
    expect: tuple[str, ...]
    claim: dict[str, Any] = field(factory=dict)
    claim_file: str | None = None
    payer: str | None = None
    as_of: dt.date | None = None
    received_date: dt.date | None = None
    group: Group | None = None
    carc: str | None = None
    allowed: tuple[Decimal, ...] = ()


@frozen(kw_only=True)
class Rule:
    """The fields every rule has, whatever its kind.

    Args:
        code: prefix plus digits, never reused (``MCR101``).
        name: kebab-case name of the pattern flagged (``glucose-test-diagnosis-not-covered``).
        kind: the rule kind, which decides the remaining keys.
        severity: reject / deny / pend / warn / info.
        status: preview / stable / deprecated / removed.
        effective_from, effective_to: the dates of service (or as-of dates) it applies on.
        citation: CMS manual chapter and section, NCD / LCD id, or payer policy URL.
        summary: what it checks, one sentence.
        why: why the payer denies it.
        message: the finding's message; ``{placeholders}`` are filled from the claim.
        carc, rarcs, group: what the payer sends on the remittance.
        since: the pack version that introduced the rule.
        cases: test cases (at least one that fires and one that does not).
    """

    code: str
    name: str
    kind: str
    severity: Severity
    status: Status
    effective_from: dt.date
    citation: str
    summary: str
    message: str
    effective_to: dt.date | None = None
    why: str = ""
    carc: str | None = None
    rarcs: tuple[str, ...] = ()
    group: Group | None = None
    since: str = ""
    cases: tuple[Case, ...] = ()

    def other_rarcs(self) -> tuple[str, ...]:
        """Remark codes the rule's kind sends on some findings besides ``rarcs`` (``explain``
        lists them); none unless the kind says so."""
        return ()

    def active_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


# -- the converter ------------------------------------------------------------------------------


class _Mismatch(ValueError):
    """A value of the wrong type or shape; its text is the user-facing message."""


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, int):
        return f"{value} (an integer)"
    if isinstance(value, Decimal):
        return f"{value} (a number)"
    if isinstance(value, dt.date):
        return f"{value} (a date)"
    return repr(value)


def _str(value: Any, _type: type) -> str:
    if not isinstance(value, str):
        raise _Mismatch(f"expected a string, got {_describe(value)}")
    # shared: a pack repeats its citations, kinds, CARCs and codes rule after rule
    return share_str(value)


def _int(value: Any, _type: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Mismatch(f"expected an integer, got {_describe(value)}")
    return value


def _bool(value: Any, _type: type) -> bool:
    if not isinstance(value, bool):
        raise _Mismatch(f"expected true or false, got {_describe(value)}")
    return value


def _decimal(value: Any, _type: type) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise _Mismatch(f'expected a number (e.g. "12.50"), got {_describe(value)}')
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Mismatch(f'expected a number (e.g. "12.50"), got {_describe(value)}') from None
    if not result.is_finite():
        raise _Mismatch(f"expected a finite number, got {_describe(value)}")
    return share(result)


def _date(value: Any, _type: type) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return share(value)
    if isinstance(value, str):
        try:
            return share(dt.date.fromisoformat(value))
        except ValueError:
            pass
    raise _Mismatch(f"expected a date as YYYY-MM-DD, got {_describe(value)}")


def _enum(value: Any, type_: type[Enum]) -> Enum:
    try:
        return type_(value)
    except ValueError:
        valid = ", ".join(str(m.value) for m in type_)
        raise _Mismatch(f"expected one of: {valid}; got {_describe(value)}") from None


def _any_dict(value: Any, _type: type) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Mismatch(f"expected a table, got {_describe(value)}")
    return value


class _StrictConverter(cattrs.Converter):
    """A converter whose sequences must be TOML arrays: ``"97110"`` is not ``["9", "7", ...]``."""

    def _structure_tuple(self, obj: Any, tup: Any) -> Any:
        if not isinstance(obj, list):
            raise _Mismatch(f"expected an array, got {_describe(obj)}")
        return share(super()._structure_tuple(obj, tup))  # code lists repeat too


def rulepack_converter() -> cattrs.Converter:
    """The private converter for pack files (parsed with ``parse_float=Decimal``)."""
    conv = _StrictConverter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(str, _str)
    conv.register_structure_hook(int, _int)
    conv.register_structure_hook(bool, _bool)
    conv.register_structure_hook(Decimal, _decimal)
    conv.register_structure_hook(dt.date, _date)
    # StrEnum before str in the MRO: without these, ``str`` would catch enum fields
    conv.register_structure_hook(StrEnum, _enum)
    conv.register_structure_hook(Enum, _enum)
    conv.register_structure_hook_func(lambda t: t == dict[str, Any], _any_dict)
    return conv


# -- errors back to paths -----------------------------------------------------------------------


@frozen
class SchemaProblem:
    """A structuring problem at a path inside the document (``("rules", 3, "max_units")``)."""

    path: Path
    message: str


def _field_names(cl: type) -> list[str]:
    return [a.name for a in attrs.fields(cl)] if attrs.has(cl) else []


def _unknown_keys(exc: ForbiddenExtraKeysError, path: Path) -> list[SchemaProblem]:
    valid = _field_names(exc.cl)
    problems = []
    for key in sorted(exc.extra_fields):
        import difflib  # only for a mistake: slow to import at every start

        close = difflib.get_close_matches(key, valid, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(
            SchemaProblem((*path, key), f"unknown key {key!r}{hint}; valid keys: {', '.join(valid)}")
        )
    return problems


def _format(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, _Mismatch):
        return str(exc)
    if isinstance(exc, KeyError):
        return "required key missing"
    name = getattr(type_, "__name__", None) or repr(type_)
    if isinstance(exc, (ValueError, TypeError)) and type_ is not None:
        return f"invalid value, expected {name} ({exc})"
    return f"invalid value ({type(exc).__name__}: {exc})"


def transform(exc: BaseException, path: Path = ()) -> list[SchemaProblem]:
    """cattrs' ``transform_error``, keeping paths as tuples so they map back to lines."""
    if isinstance(exc, ForbiddenExtraKeysError):
        return _unknown_keys(exc, path)
    problems: list[SchemaProblem] = []
    if isinstance(exc, IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, inote in with_notes:
            problems += _one((*path, inote.index), sub, inote.type)
        for sub in without:
            problems += _one(path, sub, None)
    elif isinstance(exc, ClassValidationError):
        cwith, cwithout = exc.group_exceptions()
        for sub, cnote in cwith:
            problems += _one((*path, cnote.name), sub, cnote.type)
        for sub in cwithout:
            problems += _one(path, sub, None)
    else:
        problems.append(SchemaProblem(path, _format(exc, None)))
    return problems


def _one(path: Path, exc: BaseException, type_: Any) -> list[SchemaProblem]:
    if isinstance(exc, (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError)):
        return transform(exc, path)
    if isinstance(exc, KeyError):
        return [SchemaProblem(path, f"missing required key {path[-1]!r}" if path else "required key missing")]
    return [SchemaProblem(path, _format(exc, type_))]


def structure(
    conv: cattrs.Converter, data: Any, cl: type[Any], path: Path
) -> tuple[Any, list[SchemaProblem]]:
    """Structure ``data`` as ``cl``; on failure, ``None`` and every problem with its path."""
    try:
        return conv.structure(data, cl), []
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError, _Mismatch) as exc:
        return None, transform(exc, path)


# -- shared lint helpers ------------------------------------------------------------------------

KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
CARC = re.compile(r"(?:[A-Z]?\d{1,3}|[A-Z]\d?)\Z")
RARC = re.compile(r"[A-Z]{1,2}\d{1,3}\Z")


def missing_keys(values: Mapping[str, Any], cl: type) -> Iterable[str]:
    required = [a.name for a in attrs.fields(cl) if a.default is attrs.NOTHING]
    return [k for k in required if k not in values]
