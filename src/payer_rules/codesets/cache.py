"""Code tables cached on disk in a form that loads in tens of milliseconds.

A code set that is derived rather than imported (ICD-10-CM FY2026 parsed from the 10 MB CDC
XML, FY2025 worked out from FY2026 and the addenda) costs a fifth of a second or more to
build in Python. :func:`cached_table` builds it once and keeps the result in ``<data
dir>/cache/``; every later process reads it back.

The file is named after the code set and a key of two halves. The first is a digest of where
the table comes from: the paths of every source it is derived from (the data files and the
modules that derive it). The second is a digest of this format's version, the Python version
(the payload is :mod:`marshal`, whose format belongs to the interpreter), and those sources'
sizes and modification times. Changing any of them gives a new key, so a stale table is never
read; when a source changes, the new file replaces the one from the same place. Two
installations sharing one data directory (two virtual environments, two checkouts) each keep
their own file instead of throwing out each other's at every run; files no installation has
read for :data:`UNUSED_DAYS`, and the least recently used beyond :data:`KEPT_PER_RELEASE`, are
removed.
A file that cannot be read (truncated, another format) is rebuilt; a cache directory that
cannot be written leaves the table in memory only. A code set's :class:`Releases` names every
release the installed code caches and the files older versions kept: the cache removes the
entries of the code set's other releases and those files (see
:func:`payer_rules.cache_files.remove_unused`).

The payload holds only built-in types (strings, tuples, dicts, frozensets), written with
:func:`marshal.dumps`, and is written beside the target and renamed into place, so a reader
never sees half a file. The code titles (most of its bytes) come first, as UTF-8 text after
their length, and are decoded only when something reads a title: judging claims never does.
The billable codes and the headers stay one sorted string each until asked (:class:`_Codes`):
a process that judges one claim looks a few codes up by bisection instead of hashing 74,000
into a set; one that judges many gets the set after its first lookups.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import sys
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from attrs import frozen

from payer_rules.cache_files import Budget, cache_directory, read_or_build, remove_unused
from payer_rules.codesets.icd10cm import Icd10cmNotes
from payer_rules.codesets.registry import CodeTable

__all__ = [
    "KEPT_PER_RELEASE",
    "UNUSED_DAYS",
    "Releases",
    "cache_key",
    "cached_table",
    "dump_table",
    "load_table",
]

#: Bumped whenever the payload's layout changes.
FORMAT = b"payer-rules code table 2\n"
#: The titles' length in bytes, as this many hexadecimal digits and a newline.
_LENGTH_DIGITS = 16
SUFFIX = ".codes"
#: Per release: the files kept from the places it is built from (installations sharing a data
#: directory), and the days a file no installation reads is kept.
KEPT_PER_RELEASE = 4
UNUSED_DAYS = 30


def cache_key(name: str, sources: Sequence[Path]) -> str:
    """16 hex digits naming ``name`` as derived from ``sources`` by this interpreter: 8 for
    where the sources are, 8 for what they hold (see the module docstring)."""
    place = hashlib.sha256(name.encode())
    digest = hashlib.sha256(FORMAT)
    digest.update(f"{sys.version_info[0]}.{sys.version_info[1]} marshal {marshal.version}\0{name}\0".encode())
    for source in sources:
        stat = source.stat()
        resolved = f"{source.resolve()}\0"
        place.update(resolved.encode())
        digest.update(f"{resolved}{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return place.hexdigest()[:8] + digest.hexdigest()[:8]


@frozen
class Releases:
    """The releases of one code set the installed code caches, for removing the others.

    Args:
        code_set: the code set's name, which begins each release's (``ICD-10-CM``).
        names: every release cached now (``ICD-10-CM FY2025``, ``ICD-10-CM FY2026``).
        retired: globs of the files older versions cached the code set in, read by nothing now
            (``icd10cm-*.sqlite``).
    """

    code_set: str
    names: tuple[str, ...]
    retired: tuple[str, ...] = ()

    def tidy(self, path: Path) -> list[Path]:
        """Remove the cached tables of this code set's other releases and its retired files."""
        current = {_stem(name) for name in self.names}

        def in_use(entry: Path) -> bool:  # STEM-KEY.codes of a current release
            return entry == path or (entry.suffix == SUFFIX and entry.name.rpartition("-")[0] in current)

        return remove_unused(path.parent, (f"{_stem(self.code_set)}-*{SUFFIX}", *self.retired), in_use)


def _stem(name: str) -> str:
    return "".join(c.lower() if c.isalnum() else "-" for c in name).strip("-")


def cached_table(
    name: str,
    sources: Sequence[Path],
    build: Callable[[], CodeTable],
    *,
    directory: Path | None = None,
    releases: Releases | None = None,
) -> CodeTable:
    """The table ``build`` makes from ``sources``, read from the cache when it holds it.

    Args:
        name: the code set's name (``ICD-10-CM FY2025``); names the file.
        sources: every file the table depends on, code included (see the module docstring).
        build: makes the table when the cache does not hold it.
        directory: where cached tables live; ``<data dir>/cache`` by default.
        releases: the code set's releases cached now (``name`` among them): the entries of the
            others and its retired files are removed.
    """
    directory = cache_directory(directory)
    stem = _stem(name)
    key = cache_key(name, sources)
    path = directory / f"{stem}-{key}{SUFFIX}"
    tidy = releases.tidy if releases is not None else None
    budget = Budget(f"{stem}-*{SUFFIX}", UNUSED_DAYS, KEPT_PER_RELEASE, max_bytes=1 << 32)
    return read_or_build(
        path,
        stem,
        load=load_table,
        build=build,
        dump=dump_table,
        tidy=tidy,
        budget=budget,
        replaces=f"{stem}-{key[:8]}*{SUFFIX}",
    )


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def dump_table(table: CodeTable) -> bytes | None:
    """The bytes of a cache file for ``table``; ``None`` for a table it cannot hold exactly.

    It holds ICD-10-CM notes (or none), and codes and titles without line breaks.
    """
    notes: tuple[Any, ...] | None = None
    if isinstance(table.notes, Icd10cmNotes):
        n = table.notes
        notes = (dict(n.excludes1), frozenset(n.manifestations), dict(n.laterality), dict(n.sex), dict(n.age))
    elif table.notes is not None:
        return None
    codes = (*table.billable, *table.headers, *table.descriptions)
    if "" in codes or any("\n" in text for text in (*codes, *table.descriptions.values())):
        return None  # the joined form below holds no empty code and no text across lines
    # Codes as one newline-joined string: splitting it is several times faster than unmarshalling
    # a list or set of as many small strings.
    described = sorted(table.descriptions)
    titles = "\n".join([*described, *(table.descriptions[c] for c in described)]).encode("utf-8")
    body = {
        "billable": "\n".join(sorted(table.billable)),
        "headers": "\n".join(sorted(table.headers)),
        "dates": {code: (_iso(added), _iso(ended)) for code, (added, ended) in table.dates.items()},
        "stems": dict(table.stems),
        "notes": notes,
    }
    length = f"{len(titles):0{_LENGTH_DIGITS}x}\n".encode()
    return FORMAT + length + titles + marshal.dumps(body)


def _lines(text: str) -> list[str]:
    return text.split("\n") if text else []


def load_table(data: bytes) -> CodeTable:
    """The table in a cache file's bytes (``ValueError`` when they are not one)."""
    if not data.startswith(FORMAT):
        msg = "not a payer-rules code table of this format"
        raise ValueError(msg)
    start = len(FORMAT) + _LENGTH_DIGITS + 1
    size = int(data[len(FORMAT) : start], 16)
    view = memoryview(data)
    body: Mapping[str, Any] = marshal.loads(view[start + size :])
    notes = body["notes"]
    return CodeTable(
        billable=_Codes(body["billable"]),
        headers=_Codes(body["headers"]),
        descriptions=_Titles(view[start : start + size]),
        dates={code: (_date(added), _date(ended)) for code, (added, ended) in body["dates"].items()},
        notes=None
        if notes is None
        else Icd10cmNotes(
            excludes1=notes[0], manifestations=notes[1], laterality=notes[2], sex=notes[3], age=notes[4]
        ),
        stems=body["stems"],
    )


class _Codes(AbstractSet[str]):
    """Codes held as one sorted, newline-joined string, answering ``in`` without a set at first.

    The first :data:`LOOKUPS_BEFORE_SET` lookups bisect the sorted list (split out of the string
    once, a fraction of the cost of hashing every code into a set); later ones use a
    ``frozenset`` made then, as a table built in memory holds. Races between threads only
    build the same list or set twice.
    """

    __slots__ = ("_asked", "_joined", "_set", "_sorted")

    def __init__(self, joined: str) -> None:
        self._joined = joined
        self._sorted: list[str] | None = None
        self._set: frozenset[str] | None = None
        self._asked = 0

    def _codes(self) -> list[str]:
        codes = self._sorted
        if codes is None:
            codes = self._sorted = _lines(self._joined)
        return codes

    def __contains__(self, code: object) -> bool:
        found = self._set
        if found is not None:
            return code in found
        self._asked += 1
        if self._asked > LOOKUPS_BEFORE_SET:
            found = self._set = frozenset(self._codes())
            return code in found
        if not isinstance(code, str):
            return False
        codes = self._codes()
        i = bisect_left(codes, code)
        return i < len(codes) and codes[i] == code

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes())

    def __len__(self) -> int:
        return len(self._codes())

    def __hash__(self) -> int:
        return self._hash()

    @classmethod
    def _from_iterable(cls, it: Iterable[str]) -> frozenset[str]:  # type: ignore[override]
        """What set operations (``-``, ``|``, ``&``) return: a plain ``frozenset``."""
        return frozenset(it)


#: Lookups a cached code list answers by bisection before it makes its set.
LOOKUPS_BEFORE_SET = 256


class _Titles(Mapping[str, str]):
    """Code titles, decoded and split out of the file's bytes on first use.

    Judging claims never reads a title, and decoding the text and making the dictionary are
    most of a year's load time (100,000 titles: about 45 ms), so a process that only judges
    never pays for them.
    """

    def __init__(self, encoded: memoryview) -> None:
        self._encoded: memoryview | None = encoded
        self._titles: dict[str, str] = {}

    def _loaded(self) -> dict[str, str]:
        encoded = self._encoded
        if encoded is not None:  # a race builds the same dictionary twice, harmlessly
            lines = _lines(str(encoded, "utf-8"))
            half = len(lines) // 2  # the codes, then their titles in the same order
            self._titles = dict(zip(lines[:half], lines[half:], strict=True))
            self._encoded = None
        return self._titles

    def __getitem__(self, code: str) -> str:
        return self._loaded()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())
