"""Medically unlikely edits (MUE): ``payer-rules data import ncci-mue FILE`` and the edit.

CMS's practitioner services MUE table (``MCR_MUE_PractitionerServices_Eff_07-01-2026.csv``) is a
CSV with a multi-line AMA notice, a header whose first cell spans two lines (``HCPCS/\\nCPT
Code``), then one row per code: code, MUE value, MUE adjudication indicator (``1 Line Edit``,
``2 Date of Service Edit: Policy``, ``3 Date of Service Edit: Clinical``) and rationale.

Each table is kept as a release in force from its effective date (from the file name
``..._Eff_MM-DD-YYYY``, else ``--effective``); a date of service uses the latest release in force on
that day, and none before the first.

The edit (NCCI Policy Manual for Medicare Services, Ch. I; CMS MUE page): with MAI 1 each line's
units are compared with the MUE value; with MAI 2 and 3 the units of the code on the same date of
service for the same patient and rendering provider are added up, over this claim's lines and the
services already on file. Over the limit, the whole line (for MAI 2 and 3 every line of the code
on that date) is denied, CO-151 with RARC N362; units are never cut back to the limit.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

from payer_rules.context import Context
from payer_rules.errors import InputError, echo
from payer_rules.models import Claim
from payer_rules.results import Finding
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.edits import finding
from payer_rules_medicare.imported import MUE_DB, ImportedTables, connect_for_write, execute_script
from payer_rules_medicare.ncci.lookup import MueIndex, mue_index
from payer_rules_medicare.textfiles import Columns, cell, csv_records, header_name

__all__ = ["MAI_NAMES", "import_mue", "mue_findings"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS releases (effective_from TEXT PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mue (
    effective_from TEXT NOT NULL, code TEXT NOT NULL, value INTEGER NOT NULL, mai INTEGER NOT NULL,
    rationale TEXT, PRIMARY KEY (effective_from, code)) WITHOUT ROWID;
"""

MAI_NAMES = {1: "line edit", 2: "date of service edit: policy", 3: "date of service edit: clinical"}


def _effective_from_name(path: Path) -> dt.date | None:
    match = re.search(r"Eff[_ -]?(\d\d)[-_](\d\d)[-_](\d{4})", path.stem, re.I)
    if not match:
        return None
    return dt.date(int(match.group(3)), int(match.group(1)), int(match.group(2)))


def _read(path: Path) -> list[tuple[str, int, int, str]]:
    rows, line_of = csv_records(path)
    head = next((i for i, r in enumerate(rows) if r and "HCPCS" in r[0].upper()), None)
    if head is None:
        raise InputError(str(path), "no header row starting 'HCPCS/CPT Code' (is this an MUE table?)")
    cols = Columns(path, line_of[head], [header_name(c) for c in rows[head]])
    value, mai = cols.need("MUE VALUE"), cols.need("ADJUDICATION INDICATOR")
    rationale = cols.find("RATIONALE", required=False)
    out = []
    for number in range(head + 1, len(rows)):
        r = rows[number]
        code = cell(r, 0).upper()
        if not code:
            continue
        where = f"{path}:{line_of[number]}"
        indicator = re.match(r"\s*([123])\b", cell(r, mai))
        # ASCII digits, at most 9 (str.isdigit takes '²', and SQLite's integers end at 2**63)
        if (
            not re.fullmatch(r"[0-9A-Z]{5}", code)
            or not re.fullmatch(r"[0-9]{1,9}", cell(r, value))
            or not indicator
        ):
            raise InputError(
                where,
                "expected an MUE row: 5-character code, whole-number MUE value (at most 9 digits), "
                "adjudication indicator '1 Line Edit' / '2 Date of Service Edit: Policy' / '3 ...'; "
                f"got {echo(r)}",
            )
        out.append((code, int(cell(r, value)), int(indicator.group(1)), cell(r, rationale)))
    if not out:
        raise InputError(str(path), "no MUE rows after the header")
    return out


def import_mue(
    paths: Sequence[Path], options: ImportOptions, *, database: str = MUE_DB, kind: str = "ncci-mue"
) -> ImportReport:
    """Import MUE tables; ``database`` / ``kind`` as for :func:`~.ptp.import_ptp` (Medicaid reuses it)."""
    target = options.data_dir / database
    conn = connect_for_write(target, options)
    total = 0
    starts: list[dt.date] = []
    try:
        execute_script(conn, SCHEMA)
        for path in paths:
            if path.is_dir():
                raise InputError(str(path), "give the MUE CSV file, not a directory")
            rows = _read(path)
            start = options.effective or _effective_from_name(path)
            if start is None:
                raise InputError(str(path), "cannot tell the effective date from the name; pass --effective")
            key = start.isoformat()
            conn.execute("DELETE FROM mue WHERE effective_from = ?", (key,))
            conn.execute("INSERT OR REPLACE INTO releases VALUES (?, ?)", (key, path.stem))
            conn.executemany("INSERT INTO mue VALUES (?, ?, ?, ?, ?)", ((key, *r) for r in rows))
            total += len(rows)
            starts.append(start)
        conn.commit()
    except sqlite3.Error as exc:
        conn.rollback()
        raise InputError(str(target), f"could not write the MUE table: {exc}") from exc
    finally:
        conn.close()
    return ImportReport(
        kind=kind,
        version="practitioner " + " + ".join(p.stem for p in paths),
        rows=total,
        sources=tuple(paths),
        database=target,
        effective_from=min(starts),
    )


def _limits(index: MueIndex, day: dt.date, codes: set[str]) -> tuple[str, dict[str, tuple[int, int]]]:
    release = index.release_on(day)
    if release is None:
        return "", {}
    return release[1], index.limits(release[0], codes)


def mue_findings(claim: Claim, context: Context, tables: ImportedTables) -> Iterator[Finding]:
    """Deny lines whose units (per line, or summed over the date of service) exceed the MUE."""
    index = mue_index(tables)
    if index is None:
        return
    by_day: defaultdict[dt.date, set[str]] = defaultdict(set)
    for line in claim.lines:
        by_day[line.service_date].add(line.procedure)
    on_file: defaultdict[tuple[dt.date, str, str], Decimal] = defaultdict(Decimal)
    for prior in context.history_on(claim, by_day.keys()):
        if prior.status.startswith(("denied", "rejected")) or prior.claim_id in {
            claim.id,
            claim.original_claim_id,
        }:
            continue
        on_file[(prior.service_date, prior.provider_npi or "", prior.procedure)] += prior.units
    for day, codes in sorted(by_day.items()):
        release, limits = _limits(index, context.rules_date(day), codes)
        if not limits:
            continue
        totals: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
        members: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
        for n, line in enumerate(claim.lines, 1):
            if line.service_date != day or line.procedure not in limits:
                continue
            value, mai = limits[line.procedure]
            if mai == 1:
                if line.units > value:
                    yield finding(
                        "MCR302",
                        f"line {n}: {line.units} units of {line.procedure} exceed the MUE of {value} "
                        f"per line (MAI 1, {MAI_NAMES[1]}; {release})",
                        line=n,
                    )
                continue
            npi = claim.rendering_for(line).npi
            totals[(npi, line.procedure)] += line.units
            members[(npi, line.procedure)].append(n)
        for (npi, code), units in totals.items():
            value, mai = limits[code]
            earlier = on_file[(day, npi, code)]
            if units + earlier <= value:
                continue
            also = f" plus {earlier} already on file" if earlier else ""
            for n in members[(npi, code)]:
                yield finding(
                    "MCR302",
                    f"line {n}: {units} units of {code} on {day}{also} exceed the MUE of {value} per "
                    f"date of service (MAI {mai}, {MAI_NAMES[mai]}; {release})",
                    line=n,
                )
