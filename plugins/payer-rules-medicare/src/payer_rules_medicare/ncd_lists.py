"""The lab NCD ICD-10-CM code lists: ``payer-rules data import ncd-lab FILE`` and the rule kind.

CMS publishes the ICD-10-CM lists of the 23 clinical laboratory NCDs (Pub. 100-03 §190.12 -
§190.34) each quarter in the "Medicare National Coverage Determinations (NCD) Coding Policy
Manual and Change Report (ICD-10-CM)". The importer reads that manual as text (``pdftotext
-layout`` of CMS's PDF, or the text CMS distributes) by its headings, not by position:

- an NCD begins at its title line, ``190.20 - Blood Glucose Testing``;
- its lists follow their headings: ``ICD-10-CM Codes Covered by Medicare Program`` (covered),
  ``ICD-10-CM Codes Denied`` / ``... Non-Covered ...`` (non-covered), ``ICD-10-CM Codes That Do
  Not Support Medical Necessity`` (everything not listed: no codes to read), ``HCPCS Codes``
  (procedure codes: not ICD-10-CM, skipped);
- each listed row starts with a code (``E11.22``) or a range (``E08.00-E08.9``), then its
  description; page headers, page numbers and wrapped descriptions are passed over;
- the release is the quarter in the title (``October 2019 Changes``), else ``--effective``.

No copy of the manual could be obtained while this was built (the tests use a few rows in its
layout whose codes are quoted from the issue and described from CMS's ICD-10-CM files), so the
headings are matched by their words. Each import is a release in force from its quarter; a date
of service uses the latest release in force on that day, else the NCD pack's own (shorter) list.

The rule kind ``ncd-lab-coverage`` is ``diagnosis-coverage`` with an ``ncd`` field: a line is
covered when one of its diagnoses is on that NCD's imported covered list (and not on its denied
list); without an imported release the rule's own ``covered`` list answers.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.rulepack.kinds.base import BoundRule, CodeSet, CompileEnv, RuleKind, Stage
from payer_rules.rulepack.kinds.coverage import (
    Coverage,
    DiagnosisCoverage,
    DiagnosisCoverageRule,
    lint_coverage,
)
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.imported import NCD_DB, ImportedTables, connect_for_write, imported
from payer_rules_medicare.textfiles import read_text

__all__ = ["NCD_LAB_COVERAGE", "NcdList", "import_ncd_lab", "ncd_list"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS ncd_releases (effective_from TEXT PRIMARY KEY, release TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ncd_codes (
    effective_from TEXT NOT NULL, ncd TEXT NOT NULL, list TEXT NOT NULL, low TEXT NOT NULL,
    high TEXT NOT NULL, PRIMARY KEY (effective_from, ncd, list, low, high)) WITHOUT ROWID;
"""

_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        1,
    )
}
_NCD = re.compile(r"^\s*(190\.\d{1,2})\s+-\s+\S")
_ICD = r"[A-TV-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?"
_ROW = re.compile(rf"^\s*[*+#]?\s*({_ICD})(?:\s*-\s*({_ICD}))?\s+\S")
_RELEASE = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december)"
    r"\s+(20\d\d)\s+changes\b",
    re.I,
)


def _section(line: str) -> str | None:
    """The list a heading opens: ``covered``, ``denied``, ``none`` (codes not listed / HCPCS)."""
    text = " ".join(line.upper().split())
    if "HCPCS CODES" in text:
        return "none"
    if "ICD-10-CM" not in text or "CODES" not in text:
        return None
    if "DO NOT SUPPORT" in text:
        return "none"
    if "DENIED" in text or "NON-COVERED" in text or "NOT COVERED" in text:
        return "denied"
    if "COVERED" in text:
        return "covered"
    return None


def _code(text: str) -> str:
    return text.replace(".", "").upper()


def _read_manual(path: Path) -> tuple[dt.date | None, list[tuple[str, str, str, str]]]:
    """(the release's quarter start, rows of (NCD, list, low code, high code))."""
    text = read_text(path)
    release = _RELEASE.search(text[:20_000])
    start = dt.date(int(release[2]), _MONTHS[release[1].lower()], 1) if release else None
    ncd: str | None = None
    section: str | None = None
    rows: list[tuple[str, str, str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        heading = _NCD.match(line)
        if heading:
            if heading[1] != ncd:
                ncd, section = heading[1], None
            continue
        opened = _section(line)
        if opened is not None:
            section = opened
            continue
        if ncd is None or section not in ("covered", "denied"):
            continue
        row = _ROW.match(line)
        if row is None:
            continue  # a wrapped description, a page header or a page number
        low = _code(row[1])
        high = _code(row[2]) if row[2] else low
        if high < low:
            raise InputError(f"{path}:{number}", f"range {row[1]}-{row[2]} runs backwards")
        assert section is not None
        rows.append((ncd, section, low, high))
    if not rows:
        raise InputError(
            str(path),
            "no ICD-10-CM code rows under an NCD title ('190.20 - ...') and an 'ICD-10-CM Codes "
            "Covered by Medicare Program' heading; is this the NCD coding policy manual as text?",
        )
    return start, rows


def import_ncd_lab(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    """``payer-rules data import ncd-lab FILE``: one quarterly release of the lab NCD code lists."""
    if len(paths) != 1 or paths[0].is_dir():
        raise InputError(
            ", ".join(map(str, paths)), "expected one file: the NCD coding policy manual as text"
        )
    path = paths[0]
    start, rows = _read_manual(path)
    effective = options.effective or start
    if effective is None:
        raise InputError(
            str(path), "cannot tell the release quarter ('<Month> <year> Changes'); pass --effective"
        )
    database = options.data_dir / NCD_DB
    conn = connect_for_write(database, options)
    try:
        conn.executescript(SCHEMA)
        key = effective.isoformat()
        conn.execute("DELETE FROM ncd_codes WHERE effective_from = ?", (key,))
        conn.executemany("INSERT OR IGNORE INTO ncd_codes VALUES (?, ?, ?, ?, ?)", ((key, *r) for r in rows))
        conn.execute("INSERT OR REPLACE INTO ncd_releases VALUES (?, ?)", (key, path.name))
        conn.commit()
    except sqlite3.Error as exc:
        conn.rollback()
        raise InputError(str(database), f"could not write the NCD code lists: {exc}") from exc
    finally:
        conn.close()
    ncds = sorted({r[0] for r in rows})
    counts = ", ".join(
        f"{n}: {sum(1 for r in rows if r[0] == n and r[1] == 'covered')} covered / "
        f"{sum(1 for r in rows if r[0] == n and r[1] == 'denied')} denied"
        for n in ncds
    )
    return ImportReport(
        kind="ncd-lab",
        version=f"{effective:%Y-%m} ({path.name})",
        rows=len(rows),
        sources=(path,),
        database=database,
        effective_from=effective,
        effective_to=None,
        notes=f"  {len(ncds)} lab NCDs: {counts}",
    )


# -- lookups ------------------------------------------------------------------------------------


@frozen
class NcdList:
    """One NCD's imported lists in one release: exact codes and (low, high) ranges."""

    release: str
    covered: frozenset[str]
    covered_ranges: tuple[tuple[str, str], ...]
    denied: frozenset[str]
    denied_ranges: tuple[tuple[str, str], ...]

    @staticmethod
    def _in(code: str, exact: frozenset[str], ranges: tuple[tuple[str, str], ...]) -> bool:
        if code in exact:
            return True
        # A range's high end covers its subcodes: E08.00-E13.9 holds E13.9 and E13.9x alike.
        return any(low <= code and (code <= high or code.startswith(high)) for low, high in ranges)

    def supports(self, code: str) -> bool:
        return self._in(code, self.covered, self.covered_ranges) and not self._in(
            code, self.denied, self.denied_ranges
        )


_lock = threading.Lock()
#: (connection, release date, NCD) -> its lists, read once; a new import opens a new connection.
_lists: dict[tuple[sqlite3.Connection, str, str], NcdList | None] = {}


def ncd_list(ncd: str, day: dt.date, tables: ImportedTables) -> NcdList | None:
    """The NCD's lists in the latest imported release in force on ``day``, or ``None``."""
    conn = tables.ncd
    if conn is None:
        return None
    try:
        found = conn.execute(
            "SELECT effective_from, release FROM ncd_releases WHERE effective_from <= ? "
            "ORDER BY effective_from DESC LIMIT 1",
            (day.isoformat(),),
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    if found is None:
        return None
    key = (conn, found[0], ncd)
    if key in _lists:
        return _lists[key]
    with _lock:
        rows = conn.execute(
            "SELECT list, low, high FROM ncd_codes WHERE effective_from = ? AND ncd = ?", (found[0], ncd)
        ).fetchall()
        made: NcdList | None = None
        if rows:
            made = NcdList(
                release=found[1],
                covered=frozenset(low for kind, low, high in rows if kind == "covered" and low == high),
                covered_ranges=tuple(
                    (low, high) for kind, low, high in rows if kind == "covered" and low != high
                ),
                denied=frozenset(low for kind, low, high in rows if kind == "denied" and low == high),
                denied_ranges=tuple(
                    (low, high) for kind, low, high in rows if kind == "denied" and low != high
                ),
            )
        _lists[key] = made
    return made


# -- the rule kind ------------------------------------------------------------------------------


@frozen(kw_only=True)
class NcdLabCoverageRule(DiagnosisCoverageRule):
    """``ncd-lab-coverage``: ``diagnosis-coverage`` whose lists follow CMS's imported lab NCD
    code list when one is in force.

    Args:
        ncd: the NCD number as CMS's code list heads it (``190.20``).
        also_covered: diagnoses covered beside the NCD by another benefit (diabetes screening,
            Z13.1, under 42 CFR 410.18), whatever the imported list says.
    """

    ncd: str
    also_covered: tuple[str, ...] = ()


class _NcdCoverage(DiagnosisCoverage):
    def __init__(self, rules: Sequence[BoundRule[NcdLabCoverageRule]]) -> None:
        super().__init__(rules)  # type: ignore[arg-type]
        self._also = {id(b.rule): CodeSet(b.rule.also_covered) for b in rules}

    def supported(self, entry: Coverage, codes: list[str], day: dt.date) -> bool:
        rule = entry.bound.rule
        assert isinstance(rule, NcdLabCoverageRule)
        also = self._also[id(rule)]
        if any(c in also for c in codes):
            return True
        lists = ncd_list(rule.ncd, day, imported())
        if lists is None:
            return super().supported(entry, codes, day)
        return any(lists.supports(c) for c in codes)


def _compile(rules: Sequence[BoundRule[Any]], env: CompileEnv) -> _NcdCoverage:
    return _NcdCoverage(rules)


NCD_LAB_COVERAGE = RuleKind(
    name="ncd-lab-coverage",
    schema=NcdLabCoverageRule,
    stage=Stage.CLINICAL,
    compile=_compile,
    placeholders=frozenset({"liability"}),
    lint=lint_coverage,
    summary="a lab test is billed without a diagnosis its NCD's code list covers (imported, else the pack's)",
)
