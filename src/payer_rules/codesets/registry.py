"""Code-set versions keyed by effective ranges, and the registry that judges a code on a date.

A :class:`CodeSetVersion` is one release of one code system (``ICD-10-CM FY2026``, ``HCPCS
2026``) with the dates it is in force. Its codes load lazily, on the first lookup, so an engine
with five years of ICD-10-CM registered opens as fast as one without. Lookups are dictionary
and set membership: O(1) per code. "Where is it valid instead" walks the few versions of the
same system (a handful per decade), again by membership, so no code-to-versions index has to be
built or held in memory.

Two answers matter most to a payer and are kept apart on purpose:

* a code that a loaded, **complete** version shows invalid on the date of service (deleted,
  not yet effective, a header, a missing 7th character, malformed) is *known invalid*;
* a code no loaded version can judge (no version of the system covers the date, or only a
  **partial** list such as the CPT codes a fee schedule names) is *unknown*: callers warn and
  let the line go on, because a false denial costs more than a missed check.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from enum import StrEnum

from attrs import define, field, frozen

__all__ = [
    "CPT",
    "HCPCS",
    "ICD10CM",
    "ICD10PCS",
    "CodeSetRegistry",
    "CodeSetVersion",
    "CodeStatus",
    "CodeTable",
    "Outcome",
    "normalize",
    "procedure_system",
]

ICD10CM = "icd-10-cm"
ICD10PCS = "icd-10-pcs"
HCPCS = "hcpcs"
CPT = "cpt"

#: What a well-formed code of each system looks like (after :func:`normalize`).
SHAPES: Mapping[str, re.Pattern[str]] = {
    ICD10CM: re.compile(r"[A-Z][0-9A-Z]{2}[0-9A-Z]{0,4}"),  # QA0 (FY2026): a letter second
    ICD10PCS: re.compile(r"[0-9A-HJ-NP-Z]{7}"),
    HCPCS: re.compile(r"[A-V][0-9]{4}|[A-Z0-9]{2}"),  # codes, and two-character modifiers
    CPT: re.compile(r"[0-9]{4}[0-9FTUM]"),
}

LABELS = {ICD10CM: "ICD-10-CM", ICD10PCS: "ICD-10-PCS", HCPCS: "HCPCS Level II", CPT: "CPT"}


def normalize(code: str) -> str:
    """Upper case, no dot, no spaces: the form X12 HI and SV1 segments carry."""
    return code.replace(".", "").replace(" ", "").strip().upper()


def procedure_system(code: str) -> str:
    """``hcpcs`` for Level II codes (a letter, four digits), else ``cpt`` (Level I)."""
    return HCPCS if code[:1].isalpha() else CPT


def dotted(system: str, code: str) -> str:
    """ICD-10-CM codes as people read them (``E11.A``); other systems unchanged."""
    if system == ICD10CM and len(code) > 3:
        return f"{code[:3]}.{code[3:]}"
    return code


class Outcome(StrEnum):
    """The answer for one code on one date."""

    VALID = "valid"  #: valid and billable
    HEADER = "header"  #: a category or subcategory that needs more characters
    NOT_IN_VERSION = "not-in-version"  #: added later, deleted earlier, or never a code
    MISSING_7TH = "missing-7th"  #: the code needs a 7th character
    PLACEHOLDER_X = "placeholder-x"  #: the 7th character is there but the placeholder X is not
    MALFORMED = "malformed"  #: not shaped like a code of the system
    UNKNOWN_SYSTEM_ON_DATE = "unknown-system-on-date"  #: no loaded version covers the date
    UNKNOWN_CODE = "unknown-code"  #: only a partial list covers the date, and it lacks the code

    @property
    def known_invalid(self) -> bool:
        return self in _KNOWN_INVALID

    @property
    def unknown(self) -> bool:
        return self in (Outcome.UNKNOWN_SYSTEM_ON_DATE, Outcome.UNKNOWN_CODE)


_VALID = Outcome.VALID  # a module constant: enum class lookups are slow on Python 3.11
_KNOWN_INVALID = frozenset(
    {Outcome.HEADER, Outcome.NOT_IN_VERSION, Outcome.MISSING_7TH, Outcome.PLACEHOLDER_X, Outcome.MALFORMED}
)


@frozen(kw_only=True)
class CodeTable:
    """The codes of one version, held as sets and dictionaries for O(1) membership.

    Args:
        billable: codes valid for reporting (a ``frozenset``; a table read from the cache holds
            a set-like view that becomes one after its first lookups, see
            :mod:`payer_rules.codesets.cache`).
        headers: categories and subcategories (not billable); derived from ``billable`` when
            not given: every proper prefix of a billable code, less X placeholders.
        descriptions: code -> title, where the source has titles (never CPT descriptors).
        dates: code -> (added, terminated) for systems that carry per-code dates (HCPCS).
        notes: system-specific conventions (for ICD-10-CM an
            :class:`~payer_rules.codesets.icd10cm.Icd10cmNotes`), or ``None``.
    """

    billable: AbstractSet[str]
    headers: AbstractSet[str]
    descriptions: Mapping[str, str] = field(factory=dict)
    dates: Mapping[str, tuple[dt.date | None, dt.date | None]] = field(factory=dict)
    notes: object | None = None
    #: 6-character stem -> the 7th characters it takes (ICD-10-CM), derived from ``billable``.
    stems: Mapping[str, str] = field(factory=dict)

    @classmethod
    def build(
        cls,
        billable: Iterable[str],
        *,
        headers: Iterable[str] | None = None,
        descriptions: Mapping[str, str] | None = None,
        dates: Mapping[str, tuple[dt.date | None, dt.date | None]] | None = None,
        notes: object | None = None,
        seventh_character: bool = False,
    ) -> CodeTable:
        """A table from billable codes; headers and 7th-character stems derived where absent."""
        codes = frozenset(billable)
        stems: dict[str, str] = {}
        if seventh_character:
            for code in codes:
                if len(code) == 7:
                    stems[code[:6]] = stems.get(code[:6], "") + code[6]
            stems = {k: "".join(sorted(v)) for k, v in stems.items()}
        if headers is None:
            derived: set[str] = set()
            for code in codes:
                for n in range(3, len(code)):
                    # a prefix ending in X is a placeholder unless a real character follows it
                    if code[n - 1] != "X" or (n < 6 and code[n] != "X"):
                        derived.add(code[:n])
            headers = derived - codes
        return cls(
            billable=codes,
            headers=frozenset(headers),
            descriptions=descriptions or {},
            dates=dates or {},
            notes=notes,
            stems=stems,
        )

    def __len__(self) -> int:
        return len(self.billable)


@define(eq=False)
class CodeSetVersion:
    """One release of one code system, in force from ``effective_from`` to ``effective_to``.

    Args:
        system: ``icd-10-cm``, ``icd-10-pcs``, ``hcpcs`` or ``cpt``.
        name: what people call it, used in messages: ``ICD-10-CM FY2026``.
        effective_from: first date of service it judges.
        effective_to: last date of service it judges; ``None`` while no successor is known.
        loader: returns the :class:`CodeTable`; called once, on the first lookup.
        complete: ``True`` when the version lists every valid code of the system, so a code it
            lacks is invalid. ``False`` for partial lists (the CPT codes a fee schedule names),
            where a code it lacks is merely unknown.
        source: where the codes come from (file, release, checksum), for ``codes list``.
        priority: among versions covering the same date, the higher wins; user imports (1)
            override what plugins ship (0).
        provider: filled in by the engine: ``distribution@version`` of the plugin, or
            ``data directory``.
    """

    system: str
    name: str
    effective_from: dt.date
    effective_to: dt.date | None
    loader: Callable[[], CodeTable] = field(repr=False)
    complete: bool = True
    source: str = ""
    priority: int = 0
    provider: str = ""
    _table: CodeTable | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_table(cls, table: CodeTable, **kwargs: object) -> CodeSetVersion:
        """A version whose codes are already in memory (tests, small plugin lists)."""
        return cls(loader=lambda: table, **kwargs)  # type: ignore[arg-type]

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @property
    def loaded(self) -> bool:
        return self._table is not None

    @property
    def table(self) -> CodeTable:
        """The codes, loaded on first use (thread-safe: the engine is shared across threads)."""
        table = self._table
        if table is None:
            with self._lock:
                if self._table is None:
                    self._table = self.loader()
                table = self._table
        return table

    def is_billable(self, code: str, day: dt.date | None = None) -> bool:
        table = self.table
        if code not in table.billable:
            return False
        if day is not None and code in table.dates:
            added, terminated = table.dates[code]
            return (added is None or added <= day) and (terminated is None or day <= terminated)
        return True

    @property
    def span(self) -> str:
        return f"{self.effective_from} .. {self.effective_to or 'open'}"


@frozen(kw_only=True)
class CodeStatus:
    """The registry's answer for one code of one system on one date.

    Args:
        outcome: see :class:`Outcome`.
        system: the code system asked about.
        code: the code, normalized (no dot, upper case).
        day: the date it was judged on.
        version: the version in force that judged it, or ``None`` when none covers the date.
        valid_in: names of the other loaded versions where the code is billable, oldest first.
        suggestions: codes that would be valid instead (the full codes for a missing 7th
            character, the code with its placeholder X), best first.
        detail: a short explanation in words (``added 2021-01-01``).
    """

    outcome: Outcome
    system: str
    code: str
    day: dt.date
    version: CodeSetVersion | None = None
    valid_in: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    detail: str = ""

    @property
    def valid(self) -> bool:
        return self.outcome is _VALID

    @property
    def label(self) -> str:
        return LABELS.get(self.system, self.system)

    @property
    def shown(self) -> str:
        return dotted(self.system, self.code)

    @property
    def message(self) -> str:
        """Plain words for a biller; payers wrap this in their own finding."""
        code, version = self.shown, self.version.name if self.version else ""
        match self.outcome:
            case Outcome.VALID:
                return f"{code} is valid in {version}"
            case Outcome.HEADER:
                return (
                    f"{code} is a category (header) in {version}, not a billable code; "
                    "report a code with all its characters"
                )
            case Outcome.MISSING_7TH:
                chars = ", ".join(s[-1] for s in self.suggestions)
                return (
                    f"{code} needs a 7th character in {version} ({chars}), "
                    f"e.g. {dotted(self.system, self.suggestions[0])}"
                )
            case Outcome.PLACEHOLDER_X:
                return (
                    f"{code} lacks its placeholder X in {version}; "
                    f"the code is {dotted(self.system, self.suggestions[0])}"
                )
            case Outcome.MALFORMED:
                return f"{code} is not a well-formed {self.label} code"
            case Outcome.NOT_IN_VERSION:
                where = (
                    f"it is valid in {', '.join(self.valid_in)}"
                    if self.valid_in
                    else "it is not a billable code in any loaded version"
                )
                detail = f" ({self.detail})" if self.detail else ""
                return f"{code} is not valid in {version} on {self.day}{detail}; {where}"
            case Outcome.UNKNOWN_SYSTEM_ON_DATE:
                return f"no {self.label} code set covering {self.day} is loaded; {code} was not checked" + (
                    f" (loaded: {self.detail})" if self.detail else ""
                )
            case Outcome.UNKNOWN_CODE:
                return (
                    f"{code} is not in the loaded {self.label} list ({version}, a partial list); "
                    "it was not checked"
                )
        return code  # pragma: no cover - every outcome is handled above


class CodeSetRegistry:
    """Every registered code-set version, by system; judges codes by date of service.

    Build once (the engine does, from the ``register_code_sets`` hook and the data directory);
    safe to share across threads afterwards.
    """

    #: Answers kept per (system, code, date): a batch asks the same few codes on the same days
    #: over and over. Cleared when a version is added or the cache grows past this size.
    CACHE_SIZE = 200_000

    def __init__(self, versions: Iterable[CodeSetVersion] = ()) -> None:
        self._by_system: dict[str, list[CodeSetVersion]] = {}
        self._answers: dict[tuple[str, str, dt.date], CodeStatus] = {}
        self._in_force: dict[tuple[str, dt.date], CodeSetVersion | None] = {}
        for version in versions:
            self.add(version)

    def add(self, version: CodeSetVersion) -> None:
        """Add a version; two of one system with the same name and priority is an error."""
        versions = self._by_system.setdefault(version.system, [])
        for other in versions:
            if other.name == version.name and other.priority == version.priority:
                msg = (
                    f"code set {version.name!r} ({version.system}) is registered twice: "
                    f"by {other.provider or '?'} and by {version.provider or '?'}"
                )
                raise ValueError(msg)
        versions.append(version)
        self._answers = {}
        self._in_force = {}
        # oldest first; on one start date the higher priority first, so "valid in" lists one name
        versions.sort(key=lambda v: (v.effective_from, -v.priority, v.name))

    def __iter__(self) -> Iterator[CodeSetVersion]:
        for system in sorted(self._by_system):
            yield from self._by_system[system]

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_system.values())

    @property
    def systems(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_system))

    def versions(self, system: str) -> tuple[CodeSetVersion, ...]:
        return tuple(self._by_system.get(system, ()))

    def version_on(self, system: str, day: dt.date) -> CodeSetVersion | None:
        """The version in force: of those covering ``day``, the highest priority, then the latest."""
        key = (system, day)
        if key in self._in_force:
            return self._in_force[key]
        best = self._version_on(system, day)
        if len(self._in_force) >= self.CACHE_SIZE:
            self._in_force = {}
        self._in_force[key] = best
        return best

    def _version_on(self, system: str, day: dt.date) -> CodeSetVersion | None:
        best: CodeSetVersion | None = None
        for version in self._by_system.get(system, ()):
            if version.covers(day) and (
                best is None
                or (version.priority, version.effective_from) >= (best.priority, best.effective_from)
            ):
                best = version
        return best

    def lookup(self, system: str, code: str, day: dt.date) -> CodeStatus:
        """Judge ``code`` of ``system`` on ``day``. See :class:`Outcome` for the answers."""
        key = (system, code, day)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._lookup(system, code, day)
            if len(self._answers) >= self.CACHE_SIZE:
                self._answers = {}
            self._answers[key] = answer
        return answer

    def _lookup(self, system: str, code: str, day: dt.date) -> CodeStatus:
        code = normalize(code)
        shape = SHAPES.get(system)
        version = self.version_on(system, day)
        if shape is not None and not shape.fullmatch(code) and (version is None or version.complete):
            return CodeStatus(outcome=Outcome.MALFORMED, system=system, code=code, day=day, version=version)
        if version is None:
            loaded = ", ".join(f"{v.name} ({v.span})" for v in self._by_system.get(system, ()))
            return CodeStatus(
                outcome=Outcome.UNKNOWN_SYSTEM_ON_DATE, system=system, code=code, day=day, detail=loaded
            )
        table = version.table
        status = {"system": system, "code": code, "day": day, "version": version}
        if code in table.billable:
            dates = table.dates.get(code)
            if dates is None:
                return CodeStatus(outcome=Outcome.VALID, **status)  # type: ignore[arg-type]
            added, terminated = dates
            if added is not None and day < added:
                detail = f"added {added}"
            elif terminated is not None and day > terminated:
                detail = f"terminated {terminated}"
            else:
                return CodeStatus(outcome=Outcome.VALID, **status)  # type: ignore[arg-type]
            return CodeStatus(
                outcome=Outcome.NOT_IN_VERSION,
                valid_in=self._valid_in(system, code, version),
                detail=detail,
                **status,  # type: ignore[arg-type]
            )
        if table.stems and len(code) < 7:
            stem = code.ljust(6, "X")
            chars = table.stems.get(stem)
            if chars and (code == stem or not _has_children(table, code)):
                return CodeStatus(
                    outcome=Outcome.MISSING_7TH,
                    suggestions=tuple(stem + c for c in chars),
                    **status,  # type: ignore[arg-type]
                )
        if code in table.headers:
            return CodeStatus(outcome=Outcome.HEADER, **status)  # type: ignore[arg-type]
        if table.stems and 4 <= len(code) < 7:
            padded = code[:-1].ljust(6, "X") + code[-1]
            if padded in table.billable:
                return CodeStatus(outcome=Outcome.PLACEHOLDER_X, suggestions=(padded,), **status)  # type: ignore[arg-type]
        if not version.complete:
            return CodeStatus(outcome=Outcome.UNKNOWN_CODE, **status)  # type: ignore[arg-type]
        return CodeStatus(
            outcome=Outcome.NOT_IN_VERSION,
            valid_in=self._valid_in(system, code, version),
            **status,  # type: ignore[arg-type]
        )

    def _valid_in(self, system: str, code: str, judged: CodeSetVersion) -> tuple[str, ...]:
        names: list[str] = []
        for version in self._by_system.get(system, ()):
            if version is not judged and version.name not in names and version.is_billable(code):
                names.append(version.name)
        return tuple(names)


def _has_children(table: CodeTable, code: str) -> bool:
    """Whether a header has subcategories of its own (then it is a header, not a 7th-char stem)."""
    return any(code + c in table.headers or code + c in table.billable for c in _CHILD_CHARACTERS)


_CHILD_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWYZ"  # every character but the placeholder X
