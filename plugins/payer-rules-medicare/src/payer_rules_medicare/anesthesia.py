"""Anesthesia under the physician fee schedule: base units, time units and the locality's CF.

Pub. 100-04 Ch. 12 §50 and 42 CFR 414.46: the fee is ``(base units + time units) x the
anesthesia conversion factor of the locality``, and the allowed amount the lesser of that fee
and the actual charge.

- **Time units**: the anesthesia time reported in minutes (837P SV103 ``MJ``, SV104 the minutes;
  CMS-1500 item 24G) divided by 15 and rounded to one decimal place (§50 G). A line that reports
  its units as ``UN`` does not say how long the anesthesia lasted and is denied (MCR703).
- **Base units**: CMS's anesthesia base unit for the code, by year (``payer-rules data import
  anesthesia-base-units FILE``, else the starter pack's few codes; MCR700 pends the rest).
- **Conversion factor**: the ANESyyyy file of the RVU bundle, read by ``data import mpfs``
  (locality from the service ZIP as for every MPFS line), else the starter pack (MCR701).
- **Payment modifiers** (§50; 42 CFR 414.46, 415.110): ``AA`` personally performed 100%; ``QK``
  medical direction of two to four concurrent procedures 50%; ``QY`` medical direction of one CRNA
  50%; ``QX`` CRNA medically directed 50%; ``QZ`` CRNA without medical direction 100%; ``AD``
  medical supervision of more than four procedures: 3 base units, no time units (the fourth unit
  for presence at induction needs documentation a claim does not carry, so it is not allowed
  automatically). ``GC`` (teaching anesthesiologist) does not change the amount: the line is paid
  by its payment modifier. A line with none of these, or with two that contradict each other, is
  denied CO-4 (MCR702).

The amount is rounded once, to the cent, after the percentage: ``round((base + time) x CF x
share)``. Non-participating providers then get 95% (§20.4.5), as for every fee schedule line.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.models import Claim, ServiceLine
from payer_rules.money import money
from payer_rules.results import Finding, PricedLine
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.edits import finding
from payer_rules_medicare.imported import MPFS_DB, ImportedTables, connect_for_write
from payer_rules_medicare.starter import Starter
from payer_rules_medicare.textfiles import Columns, cell, csv_records, header_name

__all__ = [
    "PAYMENT_MODIFIERS",
    "anesthesia_line",
    "import_base_units",
    "is_anesthesia",
    "time_units",
]

#: The anesthesia payment modifiers and the share of the full fee each is paid (§50).
PAYMENT_MODIFIERS = {
    "AA": Decimal(1),
    "QZ": Decimal(1),
    "QK": Decimal("0.5"),
    "QY": Decimal("0.5"),
    "QX": Decimal("0.5"),
    "AD": Decimal(1),
}
#: Medical supervision (AD): three base units per procedure, no time units (§50).
SUPERVISION_BASE_UNITS = Decimal(3)
MINUTES_PER_UNIT = Decimal(15)
TENTH = Decimal("0.1")


def is_anesthesia(line: ServiceLine) -> bool:
    """An anesthesia code: CPT 00100-01999 (the anesthesia section of CPT)."""
    code = line.procedure
    return len(code) == 5 and code.isdigit() and "00100" <= code <= "01999"


def time_units(minutes: Decimal) -> Decimal:
    """Reported minutes / 15, rounded to one decimal place (Pub. 100-04 Ch. 12 §50 G)."""
    return (minutes / MINUTES_PER_UNIT).quantize(TENTH, rounding=ROUND_HALF_UP)


# -- the base units file ------------------------------------------------------------------------

BASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS anes_base (
    year INTEGER NOT NULL, code TEXT NOT NULL, base_units TEXT NOT NULL,
    PRIMARY KEY (year, code)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anes_base_years (year INTEGER PRIMARY KEY, release TEXT NOT NULL);
"""


def _is_header(row: list[str]) -> bool:
    """A row with a base unit column and, in another cell, a code column (not the caption)."""
    names = [header_name(c) for c in row]
    base = [i for i, n in enumerate(names) if "BASE UNIT" in n]
    codes = [i for i, n in enumerate(names) if any(w in n for w in ("CODE", "CPT", "HCPCS"))]
    return bool(base) and any(i not in base for i in codes)


def _read_base_units(path: Path) -> tuple[int | None, list[tuple[str, str]]]:
    """CMS's anesthesia base units by CPT code, saved as CSV: any caption rows, then a header
    with a code column (``CPT Code``, ``HCPCS``, ``Code``) and a ``Base Unit(s)`` column, read by
    name."""
    rows, line_of = csv_records(path)
    head = next((i for i, r in enumerate(rows) if _is_header(r)), None)
    if head is None:
        raise InputError(str(path), "no header row with a 'Base Unit' column (is this the base units file?)")
    cols = Columns(path, line_of[head], [header_name(c) for c in rows[head]])
    base = cols.need("BASE UNIT")
    code = cols.find("CPT", exclude=("BASE UNIT",), required=False)
    code = code if code is not None else cols.find("HCPCS", exclude=("BASE UNIT",), required=False)
    code = code if code is not None else cols.need("CODE", exclude=("BASE UNIT",))
    caption = " ".join(c for r in rows[:head] for c in r)
    found = re.search(r"(20\d\d)", caption) or re.search(r"(20\d\d)", path.stem)
    out: list[tuple[str, str]] = []
    for number in range(head + 1, len(rows)):
        r = rows[number]
        value = cell(r, code).upper()
        if not value:
            continue
        where = f"{path}:{line_of[number]}"
        if not (len(value) == 5 and value.isalnum()):
            raise InputError(where, f"expected a 5-character CPT code, got {value!r}")
        units = cell(r, base)
        try:
            amount = Decimal(units)
        except InvalidOperation:
            raise InputError(where, f"base units: expected a number, got {units!r}") from None
        if amount < 0:
            raise InputError(where, f"base units: expected zero or more, got {units!r}")
        out.append((value, units))
    if not out:
        raise InputError(str(path), "no base unit rows after the header")
    return (int(found.group(1)) if found else None), out


def import_base_units(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    """``payer-rules data import anesthesia-base-units FILE``: one year of base units per file."""
    loaded: list[tuple[int, list[tuple[str, str]], Path]] = []
    for path in paths:
        if path.is_dir():
            raise InputError(str(path), "expected the base units CSV file, got a directory")
        year, rows = _read_base_units(path)
        year = options.effective.year if options.effective else year
        if year is None:
            raise InputError(str(path), "cannot tell the calendar year; pass --effective YYYY-MM-DD")
        loaded.append((year, rows, path))
    database = options.data_dir / MPFS_DB
    conn = connect_for_write(database, options)
    try:
        conn.executescript(BASE_SCHEMA)
        for year, rows, path in loaded:
            conn.execute("DELETE FROM anes_base WHERE year = ?", (year,))
            conn.executemany("INSERT OR REPLACE INTO anes_base VALUES (?, ?, ?)", ((year, *r) for r in rows))
            conn.execute("INSERT OR REPLACE INTO anes_base_years VALUES (?, ?)", (year, path.name))
        conn.commit()
    except sqlite3.Error as exc:
        conn.rollback()
        raise InputError(str(database), f"could not write the anesthesia base units: {exc}") from exc
    finally:
        conn.close()
    years = sorted({y for y, _, _ in loaded})
    return ImportReport(
        kind="anesthesia-base-units",
        version="+".join(f"CY{y}" for y in years),
        rows=sum(len(r) for _, r, _ in loaded),
        sources=tuple(p for _, _, p in loaded),
        database=database,
        effective_from=options.effective or dt.date(years[0], 1, 1),
        effective_to=dt.date(years[-1], 12, 31),
        notes="\n".join(f"  {p.name}: CY{y} {len(r)} anesthesia codes" for y, r, p in loaded),
    )


# -- lookups ------------------------------------------------------------------------------------


@frozen
class _Found:
    value: Decimal
    source: str


def _query(tables: ImportedTables, sql: str, args: tuple[object, ...]) -> tuple[str, ...] | None:
    if tables.mpfs is None:
        return None
    try:
        row: tuple[str, ...] | None = tables.mpfs.execute(sql, args).fetchone()
    except sqlite3.OperationalError:  # a database from before these tables existed
        return None
    return row


def base_units(code: str, year: int, tables: ImportedTables, starter: Starter) -> _Found | None:
    row = _query(
        tables,
        "SELECT b.base_units, y.release FROM anes_base b JOIN anes_base_years y ON y.year = b.year "
        "WHERE b.year = ? AND b.code = ?",
        (year, code),
    )
    if row is not None:
        return _Found(Decimal(row[0]), f"base units {row[1]}")
    anes = starter.anesthesia.get(year)
    if anes is not None and code in anes.base_units:
        return _Found(anes.base_units[code], f"base units {anes.base_release}")
    return None


def conversion_factor(
    mac: str, locality: str, year: int, tables: ImportedTables, starter: Starter
) -> _Found | None:
    row = _query(
        tables,
        "SELECT c.conversion_factor, y.source FROM anes_cf c JOIN anes_years y ON y.year = c.year "
        "WHERE c.year = ? AND c.mac = ? AND c.locality = ?",
        (year, mac, locality),
    )
    if row is not None:
        return _Found(Decimal(row[0]), row[1])
    anes = starter.anesthesia.get(year)
    if anes is not None and (mac, locality) in anes.conversion_factors:
        return _Found(anes.conversion_factors[(mac, locality)], anes.cf_release)
    return None


# -- pricing ------------------------------------------------------------------------------------


def _payment_modifier(modifiers: tuple[str, ...]) -> str | tuple[str, ...] | None:
    """The line's one payment modifier; ``None`` without one; all of them when they conflict."""
    found = tuple(m for m in modifiers if m in PAYMENT_MODIFIERS)
    if not found:
        return None
    if len(found) > 1:
        return found
    return found[0]


def anesthesia_line(
    number: int,
    line: ServiceLine,
    claim: Claim,
    day: dt.date,
    tables: ImportedTables,
    starter: Starter,
    locality: tuple[str, str] | None,
) -> PricedLine | Finding:
    """The allowed amount of one anesthesia line, or the finding that says why there is none."""
    modifier = _payment_modifier(line.modifiers)
    if not isinstance(modifier, str):
        what = (
            f"conflicting anesthesia payment modifiers {', '.join(modifier)}"
            if modifier
            else "no anesthesia payment modifier (AA, AD, QK, QX, QY or QZ)"
        )
        return finding("MCR702", f"line {number}: {line.procedure} has {what}", line=number)
    if line.unit_basis not in (None, "MJ"):
        return finding(
            "MCR703",
            f"line {number}: anesthesia time for {line.procedure} is reported in {line.unit_basis}; "
            "expected minutes (SV103 MJ)",
            line=number,
        )
    year = day.year
    base = base_units(line.procedure, year, tables, starter)
    if base is None:
        return finding(
            "MCR700",
            f"line {number}: no CY{year} anesthesia base units for {line.procedure} are loaded; "
            "import CMS's anesthesia base units file (payer-rules data import anesthesia-base-units)",
            line=number,
        )
    factor = conversion_factor(*locality, year, tables, starter) if locality else None
    if locality is None or factor is None:
        where = f"locality {locality[0]}-{locality[1]}" if locality else "the claim's ZIP code"
        return finding(
            "MCR701",
            f"line {number}: no CY{year} anesthesia conversion factor is loaded for {where}; "
            f"import the RVU bundle's ANES{year} file (payer-rules data import mpfs)",
            line=number,
        )
    share = PAYMENT_MODIFIERS[modifier]
    if modifier == "AD":
        units = SUPERVISION_BASE_UNITS
        how = f"medical supervision (AD): {units} base units, no time units"
    else:
        minutes = line.units
        time = time_units(minutes)
        units = base.value + time
        how = f"{base.value} base + {time} time units ({minutes} min / 15), {modifier} {share * 100:.0f}%"
    amount = money(units * factor.value * share)
    basis = [
        f"anesthesia CY{year}, locality {locality[0]}-{locality[1]}, {how}, CF {factor.value} "
        f"({factor.source}; {base.source})"
    ]
    if "GC" in line.modifiers:
        basis.append("teaching anesthesiologist (GC): paid by the payment modifier")
    if not claim.billing_provider.participating:
        amount = money(amount * Decimal("0.95"))
        basis.append("non-participating 95%")
    return PricedLine(line=number, allowed=min(amount, money(line.charge)), basis=", ".join(basis))
