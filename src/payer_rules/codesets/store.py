"""Code-set versions in SQLite: written once by the importers, opened lazily by the registry.

One database per version under ``<data dir>/codesets/``. Tables:

* ``meta(key, value)``: system, name, effective range, completeness, source;
* ``codes(code, billable, description, added, terminated)``;
* ``notes(code, kind, value)``: ICD-10-CM conventions (``excludes1``, ``manifestation``,
  ``laterality``, ``sex``, ``age``).

Opening reads every row once into sets and dictionaries (see ``benchmarks/bench_codesets.py``
for the time and memory of a full year); nothing queries SQLite per claim.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

from attrs import frozen

from payer_rules.codesets.icd10cm import Icd10cmNotes
from payer_rules.codesets.registry import ICD10CM, CodeSetVersion, CodeTable

__all__ = ["CodeSetData", "open_version", "read_table", "slug", "write_version"]


@frozen(kw_only=True)
class CodeSetData:
    """What an importer read, ready to be written: codes plus their metadata."""

    system: str
    name: str
    effective_from: dt.date
    effective_to: dt.date | None
    billable: frozenset[str]
    headers: frozenset[str] | None = None
    descriptions: Mapping[str, str] = {}
    dates: Mapping[str, tuple[dt.date | None, dt.date | None]] = {}
    notes: Icd10cmNotes | None = None
    complete: bool = True
    source: str = ""

    def table(self) -> CodeTable:
        return CodeTable.build(
            self.billable,
            headers=self.headers,
            descriptions=self.descriptions,
            dates=self.dates,
            notes=self.notes,
            seventh_character=self.system == ICD10CM,
        )


def slug(text: str) -> str:
    return "".join(c.lower() if c.isalnum() else "-" for c in text).strip("-")


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def write_version(data: CodeSetData, path: Path) -> int:
    """Write ``data`` to a fresh database at ``path``; returns the number of billable codes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.executescript(
            """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE codes (code TEXT PRIMARY KEY, billable INTEGER NOT NULL,
                                description TEXT, added TEXT, terminated TEXT) WITHOUT ROWID;
            CREATE TABLE notes (code TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL);
            """
        )
        meta = {
            "system": data.system,
            "name": data.name,
            "effective_from": _iso(data.effective_from),
            "effective_to": _iso(data.effective_to),
            "complete": "1" if data.complete else "0",
            "source": data.source,
            "headers": "explicit" if data.headers is not None else "derived",
        }
        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        headers = data.headers or frozenset()
        rows: Iterable[tuple[str, int, str | None, str | None, str | None]] = (
            (
                code,
                1 if code in data.billable else 0,
                data.descriptions.get(code),
                _iso(data.dates.get(code, (None, None))[0]),
                _iso(data.dates.get(code, (None, None))[1]),
            )
            for code in sorted(data.billable | headers)
        )
        conn.executemany("INSERT INTO codes VALUES (?, ?, ?, ?, ?)", rows)
        if data.notes is not None:
            conn.executemany("INSERT INTO notes VALUES (?, ?, ?)", _note_rows(data.notes))
        conn.commit()
    finally:
        conn.close()
    tmp.replace(path)
    return len(data.billable)


def _note_rows(notes: Icd10cmNotes) -> Iterable[tuple[str, str, str]]:
    for code, ranges in notes.excludes1.items():
        for lo, hi in ranges:
            yield code, "excludes1", f"{lo}:{hi}"
    for code in notes.manifestations:
        yield code, "manifestation", ""
    for code, other in notes.laterality.items():
        yield code, "laterality", other
    for code, sex in notes.sex.items():
        yield code, "sex", sex
    for code, group in notes.age.items():
        yield code, "age", group


def read_meta(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()


def read_table(path: Path) -> CodeTable:
    """Every row of a version database, into a :class:`CodeTable`."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        billable: list[str] = []
        headers: list[str] = []
        descriptions: dict[str, str] = {}
        dates: dict[str, tuple[dt.date | None, dt.date | None]] = {}
        for code, is_billable, description, added, terminated in conn.execute(
            "SELECT code, billable, description, added, terminated FROM codes"
        ):
            (billable if is_billable else headers).append(code)
            if description:
                descriptions[code] = description
            if added or terminated:
                dates[code] = (_date(added), _date(terminated))
        excludes1: dict[str, list[tuple[str, str]]] = {}
        manifestations: set[str] = set()
        laterality: dict[str, str] = {}
        sex: dict[str, str] = {}
        age: dict[str, str] = {}
        for code, kind, value in conn.execute("SELECT code, kind, value FROM notes"):
            if kind == "excludes1":
                lo, _, hi = value.partition(":")
                excludes1.setdefault(code, []).append((lo, hi))
            elif kind == "manifestation":
                manifestations.add(code)
            elif kind == "laterality":
                laterality[code] = value
            elif kind == "sex":
                sex[code] = value
            elif kind == "age":
                age[code] = value
    finally:
        conn.close()
    notes = None
    if meta.get("system") == ICD10CM:
        notes = Icd10cmNotes(
            excludes1={k: tuple(v) for k, v in excludes1.items()},
            manifestations=frozenset(manifestations),
            laterality=laterality,
            sex=sex,
            age=age,
        )
    return CodeTable.build(
        billable,
        headers=headers if meta.get("headers") == "explicit" else None,
        descriptions=descriptions,
        dates=dates,
        notes=notes,
        seventh_character=meta.get("system") == ICD10CM,
    )


def open_version(path: Path, *, priority: int = 1, provider: str = "") -> CodeSetVersion:
    """A lazy version for a database: the metadata now, the codes on first lookup."""
    meta = read_meta(path)
    effective_from = _date(meta["effective_from"])
    if effective_from is None:  # pragma: no cover - importers always write it
        msg = f"{path}: code set without an effective date"
        raise ValueError(msg)
    return CodeSetVersion(
        system=meta["system"],
        name=meta["name"],
        effective_from=effective_from,
        effective_to=_date(meta.get("effective_to")),
        complete=meta.get("complete") == "1",
        source=meta.get("source", ""),
        loader=lambda: read_table(path),
        priority=priority,
        provider=provider,
    )
