"""FY IPPS Final Rule Table 5: ``payer-rules data import ipps-table5 FILE`` and the lookup.

CMS publishes Table 5 with each IPPS final rule ("List of MS-DRGs, relative weighting factors
and geometric and arithmetic mean length of stay"), as a tab-separated text file: a title of
one or two lines naming the fiscal year, then a header row ``MS-DRG | FY 2026 Final Post-Acute
DRG | FY 2026 Final Special Pay DRG | MDC | TYPE | MS-DRG Title | Weights ... | Geometric mean
LOS | Arithmetic mean LOS``, then one row per DRG. Columns are found by the words in their
header; titles with commas are quoted. From FY 2026 two weight columns are given, before and
after the 10% cap on weight decreases; payment uses the capped one (the FY 2026 final rule,
section II.D: the cap applies to the weights used for payment).

The fiscal year comes from the header (``FY 2026``) unless ``--effective`` names a date in it.
A fiscal year FY runs from October 1 of FY-1 to September 30 of FY.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sqlite3
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.imported import IPPS_DB, connect_for_write
from payer_rules_medicare.textfiles import Columns, header_name, read_text

__all__ = ["DrgWeight", "fiscal_year", "import_table5", "read_table5", "table5_rows"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS table5_releases (
    fiscal_year INTEGER PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS table5 (
    fiscal_year INTEGER NOT NULL, drg TEXT NOT NULL, post_acute INTEGER NOT NULL,
    special_pay INTEGER NOT NULL, mdc TEXT NOT NULL, type TEXT NOT NULL, title TEXT NOT NULL,
    weight TEXT NOT NULL, weight_before_cap TEXT NOT NULL, gmlos TEXT NOT NULL, amlos TEXT NOT NULL,
    PRIMARY KEY (fiscal_year, drg)) WITHOUT ROWID;
"""


@frozen
class DrgWeight:
    """One Table 5 row: what IPPS pays a DRG by, in one fiscal year."""

    fiscal_year: int
    drg: str
    post_acute: bool
    special_pay: bool
    mdc: str
    type: str  # MED / SURG
    title: str
    weight: Decimal  # the payment weight (after the 10% cap where the table has one)
    weight_before_cap: Decimal
    gmlos: Decimal
    amlos: Decimal
    release: str


def fiscal_year(day: dt.date) -> int:
    """The federal fiscal year of a date (FY 2026: October 1, 2025 - September 30, 2026)."""
    return day.year + 1 if day.month >= 10 else day.year


def _flag(value: str, where: str, column: str) -> bool:
    text = value.strip().lower()
    if text in ("yes", "y"):
        return True
    if text in ("no", "n", ""):
        return False
    raise InputError(where, f"{column}: expected Yes or No, got {value!r}")


def _decimal(value: str, where: str, column: str) -> Decimal:
    text = value.strip().replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InputError(where, f"{column}: expected a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise InputError(where, f"{column}: expected a non-negative number, got {value!r}")
    return number


def table5_rows(path: Path) -> tuple[int | None, list[DrgWeight]]:
    """The fiscal year the file names (or ``None``) and its rows, or a located error."""
    text = read_text(path)
    rows = list(csv.reader(text.splitlines(), delimiter="\t"))
    head = next(
        (i for i, r in enumerate(rows) if r and r[0].strip().upper().startswith("MS-DRG") and len(r) >= 8),
        None,
    )
    if head is None:
        raise InputError(str(path), "no header row starting 'MS-DRG' (is this an IPPS Table 5 text file?)")
    names = [header_name(c) for c in rows[head]]
    cols = Columns(path, head + 1, names)
    post = cols.need("POST-ACUTE")
    special = cols.need("SPECIAL PAY")
    mdc = cols.exact("MDC")
    kind = cols.exact("TYPE")
    title = cols.need("TITLE")
    capped = cols.find("WEIGHT", "CAP APPLIED", required=False)
    before = cols.find("WEIGHT", "BEFORE CAP", required=False)
    plain = cols.find("WEIGHT", required=False)
    gmlos = cols.need("GEOMETRIC")
    amlos = cols.need("ARITHMETIC")
    payment_weight = capped if capped is not None else (before if before is not None else plain)
    if payment_weight is None:
        raise InputError(f"{path}:{head + 1}", "no relative weight column (expected 'Weights')")
    before = before if before is not None else payment_weight
    found = re.search(r"FY\s*(20\d\d)", " ".join(" ".join(r) for r in rows[: head + 1]), re.I)
    year = int(found.group(1)) if found else None
    label = f"IPPS FY {year} Final Rule Table 5 ({path.name})" if year else f"IPPS Table 5 ({path.name})"
    out: list[DrgWeight] = []
    for number in range(head + 1, len(rows)):
        r = rows[number]
        if not r or not r[0].strip():
            continue
        where = f"{path}:{number + 1}"
        drg = r[0].strip()
        if not drg.isdigit() or len(drg) > 3:
            raise InputError(where, f"MS-DRG: expected a number of up to 3 digits, got {drg!r}")
        if len(r) <= max(post, special, mdc, kind, title, payment_weight, before, gmlos):
            raise InputError(where, f"expected {len(names)} tab-separated columns, got {len(r)}")
        if r[payment_weight].strip() in (".", ""):
            continue  # 998 / 999: ungroupable, no weight (the table prints ".")
        r = r + [""] * (len(names) - len(r))
        out.append(
            DrgWeight(
                fiscal_year=year or 0,
                drg=drg.zfill(3),
                post_acute=_flag(r[post], where, names[post]),
                special_pay=_flag(r[special], where, names[special]),
                mdc=r[mdc].strip(),
                type=r[kind].strip(),
                title=r[title].strip(),
                weight=_decimal(r[payment_weight], where, names[payment_weight]),
                weight_before_cap=_decimal(r[before], where, names[before]),
                gmlos=_decimal(r[gmlos], where, names[gmlos]),
                amlos=_decimal(r[amlos] or "0", where, names[amlos]),
                release=label,
            )
        )
    if not out:
        raise InputError(str(path), "no DRG rows after the header")
    return year, out


def import_table5(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    database = options.data_dir / IPPS_DB
    years: list[int] = []
    total = 0
    conn = connect_for_write(database, options)
    try:
        conn.executescript(SCHEMA)
        for path in paths:
            if path.is_dir():
                raise InputError(str(path), "give the Table 5 text file, not a directory")
            named, rows = table5_rows(path)
            year = fiscal_year(options.effective) if options.effective else named
            if year is None:
                raise InputError(str(path), "the file names no fiscal year (FY 20xx); pass --effective")
            label = rows[0].release if named == year else f"IPPS FY {year} Table 5 ({path.name})"
            conn.execute("DELETE FROM table5 WHERE fiscal_year = ?", (year,))
            conn.execute("INSERT OR REPLACE INTO table5_releases VALUES (?, ?)", (year, label))
            conn.executemany(
                "INSERT INTO table5 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        year,
                        w.drg,
                        int(w.post_acute),
                        int(w.special_pay),
                        w.mdc,
                        w.type,
                        w.title,
                        str(w.weight),
                        str(w.weight_before_cap),
                        str(w.gmlos),
                        str(w.amlos),
                    )
                    for w in rows
                ),
            )
            years.append(year)
            total += len(rows)
        conn.commit()
    except sqlite3.Error as exc:
        conn.rollback()
        raise InputError(str(database), f"could not write Table 5: {exc}") from exc
    finally:
        conn.close()
    return ImportReport(
        kind="ipps-table5",
        version=" + ".join(f"FY{y}" for y in sorted(years)),
        rows=total,
        sources=tuple(paths),
        database=database,
        effective_from=dt.date(min(years) - 1, 10, 1),
        effective_to=dt.date(max(years), 9, 30),
    )


def read_table5(conn: sqlite3.Connection, year: int, drg: str) -> DrgWeight | bool | None:
    """The imported row for ``drg`` in ``year``; ``False`` when the year is not imported at all."""
    try:
        release = conn.execute("SELECT label FROM table5_releases WHERE fiscal_year = ?", (year,)).fetchone()
    except sqlite3.OperationalError:
        return False
    if release is None:
        return False
    row = conn.execute(
        "SELECT post_acute, special_pay, mdc, type, title, weight, weight_before_cap, gmlos, amlos "
        "FROM table5 WHERE fiscal_year = ? AND drg = ?",
        (year, drg),
    ).fetchone()
    if row is None:
        return None
    return DrgWeight(
        fiscal_year=year,
        drg=drg,
        post_acute=bool(row[0]),
        special_pay=bool(row[1]),
        mdc=row[2],
        type=row[3],
        title=row[4],
        weight=Decimal(row[5]),
        weight_before_cap=Decimal(row[6]),
        gmlos=Decimal(row[7]),
        amlos=Decimal(row[8]),
        release=release[0],
    )
