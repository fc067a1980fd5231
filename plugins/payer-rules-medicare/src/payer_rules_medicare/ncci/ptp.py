"""NCCI procedure-to-procedure (PTP) edits: ``payer-rules data import ncci-ptp FILE...`` and the edit.

The practitioner PTP table is published quarterly in four parts (``ccipra-v322r0-f1.txt`` ..
``-f4``), each tab-delimited after a few preamble rows, one edit per row::

    column 1 | column 2 | * = in existence before 1996 | effective YYYYMMDD |
    deletion YYYYMMDD or * (none) | modifier indicator 0 / 1 / 9 | rationale

Storage: one ``WITHOUT ROWID`` table keyed by (column 1, column 2, effective date), rationale
texts interned, dates as integers: about 25 bytes per edit, so a four-million-row table is a
~150 MB file that opens in milliseconds and is never loaded whole: each column-1 code a claim
reports is fetched once with one probe of its primary key and cached (:mod:`.lookup`).

Parts of one quarter (the version in the file name, ``v322r0``) add to each other; a part
imported again replaces its own range of column-1 codes; a new version replaces the table.

Edit semantics (NCCI Policy Manual for Medicare Services, Ch. I): for the same patient, the same
rendering provider and the same date of service, when both codes of an edit are reported and the
date of service lies between the effective and deletion dates (both inclusive), the column-2 line
is denied (CO-236) unless the modifier indicator is 9 (the edit does not apply) or it is 1 and an
NCCI-associated modifier is on either line. Anatomic modifiers bypass only when the two lines do
not name the same site. The column-1 code may be on this claim or on a service already on file
(the claim history, or an earlier claim of the batch). Codes are edited whether or not they are
priced or known to any loaded code list (PLA codes such as 0001U are edited like any other).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from attrs import frozen

from payer_rules.context import Context
from payer_rules.errors import InputError
from payer_rules.models import Claim
from payer_rules.results import Finding
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.edits import finding
from payer_rules_medicare.imported import PTP_DB, ImportedTables, connect_for_write, execute_script
from payer_rules_medicare.ncci.lookup import ptp_index

__all__ = [
    "ANATOMIC_MODIFIERS",
    "NCCI_MODIFIERS",
    "bypasses",
    "import_ptp",
    "ptp_findings",
]

ANATOMIC_MODIFIERS = frozenset(
    {"E1", "E2", "E3", "E4", "FA", "TA", "LT", "RT", "LC", "LD", "RC", "LM", "RI"}
    | {f"F{i}" for i in range(1, 10)}
    | {f"T{i}" for i in range(1, 10)}
)
GLOBAL_SURGERY_MODIFIERS = frozenset({"24", "25", "57", "58", "78", "79"})
OTHER_NCCI_MODIFIERS = frozenset({"27", "59", "91", "XE", "XS", "XP", "XU"})
NCCI_MODIFIERS = ANATOMIC_MODIFIERS | GLOBAL_SURGERY_MODIFIERS | OTHER_NCCI_MODIFIERS

NO_DELETION = 99991231

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rationale (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS ptp (
    col1 TEXT NOT NULL, col2 TEXT NOT NULL, effective INTEGER NOT NULL, deletion INTEGER NOT NULL,
    modifier INTEGER NOT NULL, before_1996 INTEGER NOT NULL, rationale INTEGER NOT NULL,
    PRIMARY KEY (col1, col2, effective)) WITHOUT ROWID;
"""

_CODE = re.compile(r"^[0-9A-Z]{5}$")
_DATE = re.compile(r"^\d{8}$")


def bypasses(first: Iterable[str], second: Iterable[str]) -> bool:
    """Whether the lines' modifiers bypass an edit whose modifier indicator is 1."""
    a, b = set(first), set(second)
    if (a | b) & (GLOBAL_SURGERY_MODIFIERS | OTHER_NCCI_MODIFIERS):
        return True
    sites_a, sites_b = a & ANATOMIC_MODIFIERS, b & ANATOMIC_MODIFIERS
    return bool(sites_a | sites_b) and sites_a != sites_b


# -- import ------------------------------------------------------------------------------------


def version_of(path: Path) -> tuple[str, dt.date | None]:
    """The release in the file name (``ccipra-v322r0-f1`` -> ``v322r0``) and the quarter it starts.

    NCCI version 32.2 is the third quarter of 2026: the major number is the year less 1994, the
    minor number the quarter less one.
    """
    match = re.search(r"v(\d\d)(\d)r(\d+)", path.stem, re.I)
    if not match:
        return path.stem, None
    year, quarter = int(match.group(1)) + 1994, int(match.group(2)) + 1
    label = f"v{match.group(1)}{match.group(2)}r{match.group(3)}"
    return label, dt.date(year, 3 * (quarter - 1) + 1, 1) if 1 <= quarter <= 4 else None


def _rows(path: Path, rationales: dict[str, int]) -> Iterator[tuple[str, str, int, int, int, int, int]]:
    seen_data = False
    with path.open("r", encoding="cp1252", errors="replace", newline="") as fh:
        for number, raw in enumerate(fh, 1):
            fields = raw.rstrip("\r\n").split("\t")
            if len(fields) >= 6 and _CODE.match(fields[0]) and _DATE.match(fields[3]):
                seen_data = True
            elif not seen_data or not raw.strip():
                continue  # preamble and wrapped header rows; trailing blank lines
            else:
                raise InputError(
                    f"{path}:{number}",
                    "expected a PTP edit: column 1, column 2, *, effective YYYYMMDD, deletion "
                    f"YYYYMMDD or *, modifier indicator, rationale (tab-separated); got {raw.strip()!r}",
                )
            col2, deletion, indicator = fields[1].strip(), fields[4].strip(), fields[5].strip()
            if (
                not _CODE.match(col2)
                or indicator not in {"0", "1", "9"}
                or not (deletion == "*" or _DATE.match(deletion))
            ):
                raise InputError(
                    f"{path}:{number}",
                    f"bad PTP edit {fields[0]}/{col2}: column 2 must be a 5-character code, the "
                    f"deletion date YYYYMMDD or '*', the modifier indicator 0, 1 or 9; got {raw.strip()!r}",
                )
            text = fields[6].strip() if len(fields) > 6 else ""
            rationale = rationales.get(text)
            if rationale is None:
                rationale = rationales[text] = len(rationales) + 1
            yield (
                fields[0],
                col2,
                int(fields[3]),
                NO_DELETION if deletion == "*" else int(deletion),
                int(indicator),
                1 if fields[2].strip() == "*" else 0,
                rationale,
            )
    if not seen_data:
        raise InputError(str(path), "no PTP edits found (is this an NCCI PTP .txt file?)")


def _column_one_range(path: Path) -> tuple[str, str]:
    """The lowest and highest column-1 code of a part file (a quick pass over its lines)."""
    low, high = "\uffff", ""
    with path.open("r", encoding="cp1252", errors="replace", newline="") as fh:
        for raw in fh:
            code = raw[:5]
            if _CODE.match(code) and raw[5:6] == "\t":
                low, high = min(low, code), max(high, code)
    return low, high


def import_ptp(
    paths: Sequence[Path], options: ImportOptions, *, database: str = PTP_DB, kind: str = "ncci-ptp"
) -> ImportReport:
    """Import the practitioner PTP files (all four parts of a quarter, or any of them).

    :param database: the file written in the data directory; Medicaid's NCCI tables, which have
        the same layout, go to their own (``payer_rules_medicaid``).
    :param kind: the import kind recorded in the catalogue.
    """
    for path in paths:
        if path.is_dir():
            raise InputError(str(path), "give the PTP .txt files (f1 .. f4), not a directory")
    versions = {version_of(p) for p in paths}
    if len({v for v, _ in versions}) > 1:
        raise InputError(
            ", ".join(str(p) for p in paths),
            f"the files are from different releases ({', '.join(sorted(v for v, _ in versions))}); "
            "import one quarter at a time",
        )
    version, starts = next(iter(versions))
    start = options.effective or starts
    target = options.data_dir / database
    conn = connect_for_write(target, options)
    total = 0
    try:
        execute_script(conn, SCHEMA)
        stored = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        if stored is None or stored[0] != version:
            execute_script(conn, "DROP TABLE ptp; DELETE FROM rationale; DELETE FROM meta;")
            execute_script(conn, SCHEMA)
        rationales = dict(conn.execute("SELECT text, id FROM rationale").fetchall())
        for path in paths:
            # A part imported again replaces its own range of column-1 codes. The rows are
            # streamed into SQLite, never held in memory: a part has a million of them.
            first, last = _column_one_range(path)
            conn.execute("DELETE FROM ptp WHERE col1 BETWEEN ? AND ?", (first, last))
            before = conn.total_changes
            conn.executemany(
                "INSERT OR REPLACE INTO ptp VALUES (?, ?, ?, ?, ?, ?, ?)", _rows(path, rationales)
            )
            total += conn.total_changes - before
        conn.executemany(
            "INSERT OR REPLACE INTO rationale VALUES (?, ?)", ((i, t) for t, i in rationales.items())
        )
        conn.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [("version", version), ("effective_from", start.isoformat() if start else "")],
        )
        conn.commit()
        stored_rows = conn.execute("SELECT count(*) FROM ptp").fetchone()[0]
    except sqlite3.Error as exc:
        conn.rollback()
        raise InputError(str(target), f"could not write the PTP edits: {exc}") from exc
    finally:
        conn.close()
    return ImportReport(
        kind=kind,
        version=f"practitioner {version}",
        rows=stored_rows,
        sources=tuple(paths),
        database=target,
        effective_from=start,
        notes=f"  {total} edits read from {len(paths)} file(s); {stored_rows} edits in the table",
    )


# -- the edit ----------------------------------------------------------------------------------


@frozen
class _Service:
    """A service the edit compares: a line of this claim or one already on file."""

    code: str
    modifiers: tuple[str, ...]
    line: int | None  # 1-based line of this claim, None for history
    claim_id: str


def ptp_findings(claim: Claim, context: Context, tables: ImportedTables) -> Iterator[Finding]:
    """Deny each column-2 line whose column-1 code was reported for the same patient, provider, day."""
    if tables.ptp is None:
        return
    groups: defaultdict[tuple[dt.date, str], list[_Service]] = defaultdict(list)
    for n, line in enumerate(claim.lines, 1):
        npi = claim.rendering_for(line).npi
        groups[(line.service_date, npi)].append(_Service(line.procedure, line.modifiers, n, claim.id))
    for prior in context.history_on(claim, {day for day, _npi in groups}):
        key = (prior.service_date, prior.provider_npi or "")
        if (
            key in groups
            and not prior.status.startswith(("denied", "rejected"))
            and prior.claim_id
            not in {
                claim.id,
                claim.original_claim_id,
            }
        ):
            groups[key].append(_Service(prior.procedure, prior.modifiers, None, prior.claim_id))
    codes = {s.code for services in groups.values() if len(services) > 1 for s in services}
    index = ptp_index(tables)
    if len(codes) < 2 or index is None:
        return
    edits = index.column_one(codes)  # one probe per code, cached per process
    if not edits:
        return
    for (day, _npi), services in groups.items():
        on = context.rules_date(day)  # a pinned --as-of date decides
        dos = on.year * 10000 + on.month * 100 + on.day
        for second in services:
            if second.line is None:
                continue
            for first in services:
                if first is second or first.code == second.code or first.code not in edits:
                    continue
                hit = edits[first.code].edit_on(second.code, dos)
                if hit is None or hit.indicator == 9:
                    continue
                if hit.indicator == 1 and bypasses(first.modifiers, second.modifiers):
                    continue
                where = f"line {first.line}" if first.line else f"claim {first.claim_id} on file"
                allowed = (
                    "no modifier bypasses it (modifier indicator 0)"
                    if hit.indicator == 0
                    else "no NCCI-associated modifier is reported (modifier indicator 1)"
                )
                deleted = "" if hit.deletion == NO_DELETION else f", deleted after {hit.deletion}"
                yield finding(
                    "MCR301",
                    f"line {second.line}: {second.code} is column 2 of the NCCI PTP edit "
                    f"{first.code}/{second.code} with {first.code} ({where}) on {day}; {allowed}. "
                    f"Rationale: {hit.rationale or 'not given'} (edit effective {hit.effective}{deleted})",
                    line=second.line,
                )
                break
