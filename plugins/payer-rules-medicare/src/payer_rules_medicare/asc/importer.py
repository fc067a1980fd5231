"""``payer-rules data import asc DIR-or-FILES``: CMS's ASC payment addenda into SQLite.

CMS publishes the ASC payment system quarterly as addenda (CSV in the quarterly zip, e.g. the
July 2026 update):

=====  ==============================================================================
AA     covered surgical procedures: HCPCS, subject to multiple procedure discounting
       (Y / N), payment indicator, payment weight, payment rate
BB     covered ancillary services: HCPCS, pass-through expiration, payment indicator,
       weight, rate, IRA-adjusted copayment
EE     surgical procedures excluded from payment in ASCs: HCPCS, short descriptor
FF     device offsets: HCPCS, payment indicator, APC, APC device offset %, OPPS payment
       rate, device offset %, device offset amount / device portion
=====  ==============================================================================

Each file has a title line (``Addendum AA -- ASC Covered Surgical Procedures for CY 2026``), the
AMA / ADA copyright line, sometimes blank rows, then the header; notes follow the rows. Files are
recognised by the title (else the file name), columns by their header words, never by position.
The quarter comes from the header (``July 2026 Payment Indicator``), else the folder or file name
(``20260701``), else ``--effective``, which overrides them all. A directory may hold one
quarter's files or one folder per quarter.

A quarter is a release in force from its first day until the next imported quarter of the same
year. Re-importing an addendum for a quarter replaces that addendum's rows of that quarter only.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.money import money
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.imported import ASC_DB, connect_for_write
from payer_rules_medicare.textfiles import Columns, cell, csv_records, header_name

__all__ = ["ADDENDA", "SCHEMA", "import_asc"]

ADDENDA = ("AA", "BB", "EE", "FF")

SCHEMA = """
CREATE TABLE IF NOT EXISTS releases (
    effective_from TEXT PRIMARY KEY, year INTEGER NOT NULL, label TEXT NOT NULL,
    addenda TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rates (
    effective_from TEXT NOT NULL, code TEXT NOT NULL, addendum TEXT NOT NULL,
    indicator TEXT NOT NULL, discounted TEXT NOT NULL, weight TEXT, rate TEXT, marker TEXT,
    device_percent TEXT, device_portion TEXT, ira_copay TEXT,
    PRIMARY KEY (effective_from, code)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS excluded (
    effective_from TEXT NOT NULL, code TEXT NOT NULL,
    PRIMARY KEY (effective_from, code)) WITHOUT ROWID;
"""

_MONTHS = {"JANUARY": 1, "APRIL": 4, "JULY": 7, "OCTOBER": 10}
_CODE = re.compile(r"^[0-9A-Z]{5}$")
_TITLE = re.compile(r"ADDENDUM\s+(AA|BB|EE|FF)\b")


@frozen
class _Addendum:
    """One addendum file, read."""

    path: Path
    kind: str  # AA, BB, EE or FF
    quarter: dt.date | None
    year: int | None
    #: code -> (indicator, discounted, weight, rate, marker, IRA copayment) for AA / BB; (device offset as a
    #: fraction, device portion in dollars) for FF; () for EE.
    rows: dict[str, tuple[str, ...]]


def _number(text: str, where: str, what: str) -> Decimal | None:
    value = text.replace("$", "").replace(",", "").replace("%", "").strip()
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise InputError(where, f"{what}: expected a number, got {text!r}") from None


def _dollars(text: str, where: str, what: str) -> str:
    """Money, ``"$4,719.53 "`` or ``4719.53``, to the cent; blank is no value.

    Some releases carry the spreadsheet's unrounded value (``23824.947731066895`` where the
    January file prints ``$23,824.95``); CMS pays whole cents, so the value is rounded half up.
    """
    value = _number(text, where, what)
    return "" if value is None else str(money(value))


def _plain(text: str, where: str, what: str) -> str:
    value = _number(text, where, what)
    return "" if value is None else str(value)


def _fraction(text: str, where: str, what: str) -> str:
    """A percentage as a fraction: ``32.17%`` (January, April) and ``0.3217`` (July) are one value."""
    value = _number(text, where, what)
    if value is None:
        return ""
    return str(value / 100 if "%" in text else value)


def _kind(path: Path, rows: list[list[str]]) -> str | None:
    for row in rows[:3]:
        for value in row:
            match = _TITLE.search(value.upper())
            if match:
                return match.group(1)
    stem = path.stem.upper()
    for kind in ADDENDA:
        if stem == kind or re.search(rf"(^|[^A-Z]){kind}([^A-Z]|$)", stem):
            return kind
    return None


def _quarter_from_name(path: Path) -> dt.date | None:
    """``20260701`` in the file name or any folder above it."""
    for part in (path.stem, *(p.name for p in path.parents)):
        match = re.search(r"(20\d\d)(01|04|07|10)01", part)
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), 1)
    return None


def _read(path: Path) -> _Addendum:
    rows, line_of = csv_records(path)
    kind = _kind(path, rows)
    if kind is None:
        raise InputError(
            str(path),
            "not a CMS ASC addendum: no 'Addendum AA / BB / EE / FF' title and no AA / BB / EE / FF "
            "in the file name",
        )
    head = next((i for i, r in enumerate(rows) if r and r[0].strip().upper().startswith("HCPCS")), None)
    if head is None:
        raise InputError(str(path), f"Addendum {kind}: no header row starting 'HCPCS Code'")
    names = [header_name(c) for c in rows[head]]
    cols = Columns(path, line_of[head], names)
    code = 0
    # The unnamed column after the code holds CMS's markers (* temporary office-based, **
    # preventive, *** non-opioid alternative).
    marker = next((i for i, n in enumerate(names) if i > 0 and not n), None)
    title = " ".join(c for r in rows[:head] for c in r if c.strip()).upper()
    year_match = re.search(r"CY\s*(20\d\d)", title)
    year = int(year_match.group(1)) if year_match else None
    quarter = None
    indicator = None
    if kind != "EE":
        indicator = cols.need("PAYMENT INDICATOR")
        when = re.search(r"(JANUARY|APRIL|JULY|OCTOBER)\s+(20\d\d)", names[indicator])
        if when:
            quarter = dt.date(int(when.group(2)), _MONTHS[when.group(1)], 1)
    columns: list[int | None]
    if kind in ("AA", "BB"):
        discounted = cols.find("MULTIPLE PROCEDURE", required=False) if kind == "AA" else None
        columns = [discounted, cols.need("PAYMENT WEIGHT"), cols.need("PAYMENT RATE", exclude=("OPPS",))]
        # BB: the coinsurance of a drug whose price rose faster than inflation (IRA section 11101)
        columns.append(cols.find("COPAYMENT", required=False) if kind == "BB" else None)
    elif kind == "FF":
        columns = [cols.need("DEVICE OFFSET PERCENTAGE", exclude=("APC",)), cols.need("DEVICE PORTION")]
    else:
        columns = []
    out: dict[str, tuple[str, ...]] = {}
    for number in range(head + 1, len(rows)):
        r = rows[number]
        hcpcs = cell(r, code).upper()
        if not _CODE.match(hcpcs):
            continue  # blank rows and the notes under the table
        where = f"{path}:{line_of[number]}"
        if kind in ("AA", "BB"):
            pi = cell(r, indicator).upper()
            if not re.fullmatch(r"[A-Z][0-9]", pi):
                raise InputError(where, f"{hcpcs}: expected a payment indicator such as A2, got {pi!r}")
            flag = cell(r, columns[0]).upper() if kind == "AA" else "N"
            if flag not in ("Y", "N"):
                raise InputError(
                    where, f"{hcpcs}: multiple procedure discounting: expected Y or N, got {flag!r}"
                )
            out[hcpcs] = (
                pi,
                flag,
                _plain(cell(r, columns[1]), where, "payment weight"),
                _dollars(cell(r, columns[2]), where, "payment rate"),
                cell(r, marker),
                _dollars(cell(r, columns[3]), where, "IRA-adjusted copayment"),
            )
        elif kind == "FF":
            out[hcpcs] = (
                _fraction(cell(r, columns[0]), where, "device offset percentage"),
                _dollars(cell(r, columns[1]), where, "device portion"),
            )
        else:
            out[hcpcs] = ()
    if not out:
        raise InputError(str(path), f"Addendum {kind}: no HCPCS rows after the header")
    return _Addendum(path=path, kind=kind, quarter=quarter, year=year, rows=out)


def _csv_files(paths: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".csv")
            if not inside:
                raise InputError(str(path), "no .csv files (expected CMS ASC addenda AA / BB / EE / FF)")
            found.extend(inside)
        else:
            found.append(path)
    return found


def _quarters(addenda: list[_Addendum], options: ImportOptions) -> dict[dt.date, list[_Addendum]]:
    """Group the files by quarter: ``--effective``, the header, then the folder or file name.

    EE carries no date in its header; it takes the quarter of its folder or of the other
    addenda beside it.
    """
    by_folder: dict[Path, set[dt.date]] = {}
    for a in addenda:
        if a.quarter is not None:
            by_folder.setdefault(a.path.parent, set()).add(a.quarter)
    grouped: dict[dt.date, list[_Addendum]] = {}
    for a in addenda:
        quarter = options.effective or a.quarter or _quarter_from_name(a.path)
        if quarter is None:
            beside = by_folder.get(a.path.parent, set())
            quarter = next(iter(beside)) if len(beside) == 1 else None
        if quarter is None:
            raise InputError(
                str(a.path),
                f"Addendum {a.kind}: cannot tell which quarter this is (no month in the header, no "
                "YYYYMMDD folder or file name); pass --effective YYYY-MM-DD",
            )
        if a.year is not None and options.effective is None and a.year != quarter.year:
            raise InputError(
                str(a.path), f"Addendum {a.kind} is for CY{a.year}, but its quarter says {quarter}"
            )
        if any(b.kind == a.kind for b in grouped.get(quarter, [])):
            raise InputError(str(a.path), f"a second Addendum {a.kind} for the quarter from {quarter}")
        grouped.setdefault(quarter, []).append(a)
    return grouped


_MONTH_NAMES = {1: "January", 4: "April", 7: "July", 10: "October"}


def import_asc(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    """Import CMS ASC addenda (files, a quarter's folder, or a folder of quarter folders)."""
    addenda = [_read(p) for p in _csv_files(paths)]
    grouped = _quarters(addenda, options)
    database = options.data_dir / ASC_DB
    conn = connect_for_write(database, options)
    total = 0
    notes: list[str] = []
    try:
        conn.executescript(SCHEMA)
        if "ira_copay" not in {row[1] for row in conn.execute("PRAGMA table_info(rates)")}:
            conn.execute("ALTER TABLE rates ADD COLUMN ira_copay TEXT")  # a database from 0.1 before it
        for quarter in sorted(grouped):
            key = quarter.isoformat()
            files = sorted(grouped[quarter], key=lambda a: ADDENDA.index(a.kind))
            for a in files:
                if a.kind in ("AA", "BB"):
                    conn.execute("DELETE FROM rates WHERE effective_from = ? AND addendum = ?", (key, a.kind))
                    conn.executemany(
                        "INSERT OR REPLACE INTO rates VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
                        ((key, code, a.kind, *row) for code, row in a.rows.items()),
                    )
                elif a.kind == "EE":
                    conn.execute("DELETE FROM excluded WHERE effective_from = ?", (key,))
                    conn.executemany(
                        "INSERT OR REPLACE INTO excluded VALUES (?, ?)", ((key, code) for code in a.rows)
                    )
                else:
                    conn.execute(
                        "UPDATE rates SET device_percent = NULL, device_portion = NULL "
                        "WHERE effective_from = ?",
                        (key,),
                    )
                    conn.executemany(
                        "UPDATE rates SET device_percent = ?, device_portion = ? "
                        "WHERE effective_from = ? AND code = ?",
                        ((row[0] or None, row[1] or None, key, code) for code, row in a.rows.items()),
                    )
                total += len(a.rows)
                notes.append(f"  {a.path}: Addendum {a.kind}, {len(a.rows)} codes")
            before = conn.execute("SELECT addenda FROM releases WHERE effective_from = ?", (key,)).fetchone()
            kinds = sorted({a.kind for a in files} | set(before[0].split(",") if before else ()))
            label = (
                f"CMS ASC addenda {_MONTH_NAMES.get(quarter.month, quarter.strftime('%B'))} {quarter.year}"
            )
            conn.execute(
                "INSERT OR REPLACE INTO releases VALUES (?, ?, ?, ?)",
                (key, quarter.year, label, ",".join(kinds)),
            )
        conn.commit()
    except sqlite3.Error as exc:
        conn.rollback()
        raise InputError(str(database), f"could not write the ASC addenda: {exc}") from exc
    finally:
        conn.close()
    first, last = min(grouped), max(grouped)
    version = (
        f"CY{first.year} {first:%Y-%m}" if first == last else f"CY{first.year} {first:%Y-%m}..{last:%Y-%m}"
    )
    return ImportReport(
        kind="asc",
        version=version,
        rows=total,
        sources=tuple(a.path for a in addenda),
        database=database,
        effective_from=first,
        effective_to=dt.date(last.year, 12, 31),
        notes="\n".join(notes),
    )
