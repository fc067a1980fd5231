"""The Clinical Laboratory Fee Schedule: ``payer-rules data import clfs FILE`` and the lookup.

CMS publishes the CLFS quarterly (``CLFS 2025 Q2V1.csv`` inside ``25CLABQ2.zip``): a few caption
rows, then a header ``YEAR, HCPCS, MOD, EFF_DATE, INDICATOR, RATE, SHORTDESC, LONGDESC ...``
read by name. The RATE is the national limitation amount Medicare pays for a test (42 CFR
414.507); lab tests carry no deductible or coinsurance (42 CFR 410.152(e)).

Each import is a release with its own "in force from" date (``--effective``, else the quarter in
the file name, else 1 January of the YEAR column); a date of service uses the latest release of
its own calendar year in force on that day. With no imported release for the year the starter
pack's rates answer.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from attrs import frozen

from payer_rules.errors import InputError, echo
from payer_rules.models import ServiceLine
from payer_rules.money import MAX_AMOUNT
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.imported import CLFS_DB, ImportedTables, connect_for_write, execute_script
from payer_rules_medicare.starter import Starter
from payer_rules_medicare.textfiles import Columns, cell, csv_records, header_name

__all__ = ["LabFee", "import_clfs", "lab_fee"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS releases (
    effective_from TEXT PRIMARY KEY, label TEXT NOT NULL, year INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS clfs (
    effective_from TEXT NOT NULL, code TEXT NOT NULL, modifier TEXT NOT NULL,
    code_effective TEXT, indicator TEXT, rate TEXT NOT NULL,
    PRIMARY KEY (effective_from, code, modifier)) WITHOUT ROWID;
"""


@frozen
class LabFee:
    amount: Decimal
    basis: str


def _date(value: str, where: str) -> dt.date | None:
    text = value.strip()
    if not text:
        return None
    for pattern in ("%Y%m%d", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise InputError(where, f"expected an effective date (YYYYMMDD), got {value!r}")


def _release_from_name(path: Path) -> dt.date | None:
    match = re.search(r"(20\d\d)\s*Q([1-4])", path.stem, re.I) or re.search(
        r"(\d\d)CLABQ([1-4])", path.stem, re.I
    )
    if not match:
        return None
    year = int(match.group(1))
    year = year + 2000 if year < 100 else year
    return dt.date(year, 3 * (int(match.group(2)) - 1) + 1, 1)


def _read(path: Path) -> tuple[list[tuple[str, str, str, str, str]], int | None]:
    rows, line_of = csv_records(path)
    head = next(
        (
            i
            for i, r in enumerate(rows)
            if any(c.strip().upper() == "HCPCS" for c in r)
            and any("RATE" in c.upper() or "LIMIT" in c.upper() for c in r)
        ),
        None,
    )
    if head is None:
        raise InputError(str(path), "no header row with HCPCS and RATE columns (is this a CLFS CSV?)")
    cols = Columns(path, line_of[head], [header_name(c) for c in rows[head]])
    code = cols.exact("HCPCS")
    mod = cols.find("MOD", exclude=("MODIFIED",), required=False)
    rate = cols.find("RATE", required=False)
    rate = rate if rate is not None else cols.need("LIMIT")
    eff = cols.find("EFF", required=False)
    indicator = cols.find("INDICATOR", required=False)
    year_col = cols.find("YEAR", required=False)
    out = []
    years: set[int] = set()
    for number in range(head + 1, len(rows)):
        r = rows[number]
        hcpcs = cell(r, code).upper()
        if not hcpcs:
            continue
        where = f"{path}:{line_of[number]}"
        amount = cell(r, rate).replace("$", "").replace(",", "")
        if not amount:
            continue  # carrier-priced tests have no national limit
        try:
            parsed = Decimal(amount)
        except InvalidOperation:
            parsed = None
        if parsed is None or not parsed.is_finite() or not 0 <= parsed <= MAX_AMOUNT:
            raise InputError(
                where, f"RATE: expected an amount up to {MAX_AMOUNT:,}, got {echo(cell(r, rate))}"
            )
        effective = _date(cell(r, eff), where)
        if cell(r, year_col).isdigit():
            years.add(int(cell(r, year_col)))
        out.append(
            (
                hcpcs,
                cell(r, mod).upper(),
                effective.isoformat() if effective else "",
                cell(r, indicator),
                amount,
            )
        )
    if not out:
        raise InputError(str(path), "no CLFS rates after the header")
    return out, (max(years) if years else None)


def import_clfs(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    database = options.data_dir / CLFS_DB
    conn = connect_for_write(database, options)
    total = 0
    releases: list[dt.date] = []
    try:
        execute_script(conn, SCHEMA)
        for path in paths:
            if path.is_dir():
                raise InputError(str(path), "give the CLFS CSV file, not a directory")
            rows, year = _read(path)
            start = options.effective or _release_from_name(path) or (dt.date(year, 1, 1) if year else None)
            if start is None:
                raise InputError(str(path), "cannot tell when this release applies; pass --effective")
            key = start.isoformat()
            conn.execute("DELETE FROM clfs WHERE effective_from = ?", (key,))
            conn.execute(
                "INSERT OR REPLACE INTO releases VALUES (?, ?, ?)", (key, f"CMS CLFS {path.stem}", start.year)
            )
            conn.executemany(
                "INSERT OR REPLACE INTO clfs VALUES (?, ?, ?, ?, ?, ?)", ((key, *r) for r in rows)
            )
            total += len(rows)
            releases.append(start)
        conn.commit()
    except sqlite3.Error as exc:
        conn.rollback()
        raise InputError(str(database), f"could not write the lab fee schedule: {exc}") from exc
    finally:
        conn.close()
    first = min(releases)
    return ImportReport(
        kind="clfs",
        version=" + ".join(p.stem for p in paths),
        rows=total,
        sources=tuple(paths),
        database=database,
        effective_from=first,
        effective_to=dt.date(max(releases).year, 12, 31),
    )


def _imported(conn: sqlite3.Connection, line: ServiceLine, day: dt.date) -> LabFee | None:
    try:
        release = conn.execute(
            "SELECT effective_from, label FROM releases WHERE year = ? AND effective_from <= ? "
            "ORDER BY effective_from DESC LIMIT 1",
            (day.year, day.isoformat()),
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    if release is None:
        return None
    rows = conn.execute(
        "SELECT modifier, code_effective, rate FROM clfs WHERE effective_from = ? AND code = ?",
        (release[0], line.procedure),
    ).fetchall()
    by_modifier = {r[0]: r for r in rows if not r[1] or r[1] <= day.isoformat()}
    chosen = next((by_modifier[m] for m in line.modifiers if m in by_modifier), by_modifier.get(""))
    if chosen is None:
        return None
    return LabFee(amount=Decimal(chosen[2]), basis=f"CLFS, {release[1]} (from {release[0]})")


def lab_fee(line: ServiceLine, day: dt.date, tables: ImportedTables, starter: Starter) -> LabFee | None:
    """The CLFS amount for one unit of a lab test on ``day``: imported release, else the starter."""
    if tables.clfs is not None:
        found = _imported(tables.clfs, line, day)
        if found is not None:
            return found
        try:
            has_year = tables.clfs.execute(
                "SELECT 1 FROM releases WHERE year = ? AND effective_from <= ? LIMIT 1",
                (day.year, day.isoformat()),
            ).fetchone()
        except sqlite3.OperationalError:
            has_year = None
        if has_year is not None:
            return None  # an imported release is in force and does not list the code
    if line.procedure in starter.clfs and starter.clfs_from <= day <= starter.clfs_to:
        return LabFee(amount=starter.clfs[line.procedure], basis=f"CLFS, {starter.clfs_release}")
    return None
