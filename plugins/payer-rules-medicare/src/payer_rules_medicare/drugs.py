"""Part B drugs and biologicals: CMS's quarterly ASP pricing file, imported and priced.

Medicare pays a separately payable Part B drug the lesser of the charge and its payment
allowance limit, 106% of the average sales price (42 CFR 414.904; Pub. 100-04 Ch. 17 §20.1.3),
per HCPCS billing unit: ``allowed = units on the line x Payment Limit``, by the quarter of the
date of service. The limits CMS publishes already include the 6%. Vaccines (influenza,
pneumococcal, hepatitis B, COVID-19) carry their limits (95% of AWP, or the COVID-19 rate) in the
same file and are priced the same way.

``payer-rules data import asp FILE`` reads the "ASP Pricing File" CSV (the section 508 version in
CMS's quarterly ZIP, e.g. ``section 508 version of Jan 2025 ASP Pricing File updated 030725.csv``):
caption rows ("Payment Allowance Limits for Medicare Part B Drugs", "Effective January 1, 2025
through March 31, 2025", notes), then the header ``HCPCS Code, Short Description, HCPCS Code
Dosage, Payment Limit, Co-insurance Percentage, Vaccine AWP%, Vaccine Limit, Blood AWP%, Blood
limit, Clotting Factor, Notes`` read by name. The quarter comes from the "Effective ..." caption,
else the month and year in the file name, else ``--effective``. Re-importing a quarter
replaces it; other quarters stay.

A payment limit of ``N/A`` means CMS publishes none (the contractor prices the drug): the line
pends (MCR711), as does a drug code the quarter's file does not list. A drug line whose quarter
has no imported file (nor starter rows) pends naming the file to import (MCR710); it is never
priced from the physician fee schedule. The NDC on a line is shown in the basis; CMS's
NDC-HCPCS crosswalk is not read (no copy of its layout could be checked), so billing units
always come from the HCPCS units on the line.
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
from payer_rules.models import ServiceLine
from payer_rules.money import money
from payer_rules.results import Finding, PricedLine
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.edits import finding
from payer_rules_medicare.imported import ASP_DB, ImportedTables, connect_for_write
from payer_rules_medicare.starter import Starter
from payer_rules_medicare.textfiles import Columns, cell, csv_records, header_name

__all__ = ["DrugLimit", "drug_line", "import_asp", "is_drug_code", "quarter_of"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS asp_quarters (
    quarter INTEGER PRIMARY KEY, effective_from TEXT NOT NULL, effective_to TEXT NOT NULL,
    release TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS asp (
    quarter INTEGER NOT NULL, code TEXT NOT NULL, dosage TEXT, payment_limit TEXT,
    coinsurance TEXT, notes TEXT, PRIMARY KEY (quarter, code)) WITHOUT ROWID;
"""

STANDARD_COINSURANCE = Decimal(20)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for name in names
}


def quarter_of(day: dt.date) -> int:
    """``YYYYQ``: 20251 for January-March 2025."""
    return day.year * 10 + (day.month - 1) // 3 + 1


def _quarter_bounds(quarter: int) -> tuple[dt.date, dt.date]:
    year, q = divmod(quarter, 10)
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
    return start, end - dt.timedelta(days=1)


def is_drug_code(code: str) -> bool:
    """A HCPCS code for a drug or biological Medicare pays by ASP: J codes, biosimilars
    (Q5101-Q5199), Q0138-Q0139, immune globulins (90281-90399), vaccines (90476-90759) and
    COVID-19 vaccines (91300-91399)."""
    if len(code) != 5:
        return False
    if code[0] == "J":
        return True
    if code[0] == "Q":
        return code.startswith("Q51") or code in ("Q0138", "Q0139")
    if code.isdigit():
        return "90281" <= code <= "90399" or "90476" <= code <= "90759" or "91300" <= code <= "91399"
    return False


# -- the import ---------------------------------------------------------------------------------


def _caption_dates(caption: str) -> tuple[dt.date, dt.date] | None:
    found = re.search(
        r"effective\s+([a-z]+)\s+(\d{1,2}),?\s+(\d{4})\s+through\s+([a-z]+)\s+(\d{1,2}),?\s+(\d{4})",
        caption,
        re.I,
    )
    if not found:
        return None
    try:
        start = dt.date(int(found[3]), _MONTHS[found[1].lower()], int(found[2]))
        end = dt.date(int(found[6]), _MONTHS[found[4].lower()], int(found[5]))
    except (KeyError, ValueError):
        return None
    return start, end


def _name_quarter(name: str) -> int | None:
    found = re.search(r"([a-z]+)[\s_-]+(20\d\d)", name, re.I)
    if found and found[1].lower() in _MONTHS:
        return quarter_of(dt.date(int(found[2]), _MONTHS[found[1].lower()], 1))
    return None


@frozen
class _AspFile:
    quarter: int
    effective_from: dt.date
    effective_to: dt.date
    rows: list[tuple[str, str, str | None, str, str]]
    path: Path


def _read_asp(path: Path, effective: dt.date | None) -> _AspFile:
    rows, line_of = csv_records(path)
    head = next(
        (i for i, r in enumerate(rows) if r and header_name(r[0]) in ("HCPCS CODE", "HCPCS")),
        None,
    )
    if head is None:
        raise InputError(str(path), "no header row starting 'HCPCS Code' (is this the ASP pricing file?)")
    cols = Columns(path, line_of[head], [header_name(c) for c in rows[head]])
    code = cols.need("HCPCS")
    dosage = cols.need("DOSAGE")
    limit = cols.exact("PAYMENT LIMIT")
    coins = cols.find("CO-INSURANCE", required=False)
    notes = cols.find("NOTES", required=False)
    caption = " ".join(c for r in rows[:head] for c in r if c.strip())
    dates = _caption_dates(caption)
    if effective is not None:
        quarter = quarter_of(effective)
        start, end = _quarter_bounds(quarter)
    elif dates is not None:
        start, end = dates
        quarter = quarter_of(start)
    else:
        named = _name_quarter(path.stem)
        if named is None:
            raise InputError(
                str(path),
                "cannot tell the quarter (no 'Effective ... through ...' caption); pass --effective",
            )
        quarter = named
        start, end = _quarter_bounds(quarter)
    out: list[tuple[str, str, str | None, str, str]] = []
    for number in range(head + 1, len(rows)):
        r = rows[number]
        hcpcs = cell(r, code).upper()
        if not hcpcs:
            continue
        where = f"{path}:{line_of[number]}"
        if len(hcpcs) != 5 or not hcpcs.isalnum():
            raise InputError(where, f"expected a 5-character HCPCS code, got {hcpcs!r}")
        raw = cell(r, limit).replace("$", "").replace(",", "")
        payment: str | None
        if raw.upper() in ("N/A", "NA", ""):
            payment = None
        else:
            try:
                Decimal(raw)
            except InvalidOperation:
                raise InputError(where, f"Payment Limit: expected a number or N/A, got {raw!r}") from None
            payment = raw
        out.append((hcpcs, cell(r, dosage), payment, cell(r, coins), " ".join(cell(r, notes).split())))
    if not out:
        raise InputError(str(path), "no drug rows after the header")
    return _AspFile(quarter=quarter, effective_from=start, effective_to=end, rows=out, path=path)


def import_asp(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    """``payer-rules data import asp FILE...``: one quarter per ASP pricing file."""
    files: list[_AspFile] = []
    for path in paths:
        candidates = (
            sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv") if path.is_dir() else [path]
        )
        if not candidates:
            raise InputError(str(path), "no ASP pricing file (.csv) in this directory")
        files.extend(_read_asp(p, options.effective) for p in candidates)
    database = options.data_dir / ASP_DB
    conn = connect_for_write(database, options)
    try:
        conn.executescript(SCHEMA)
        for f in files:
            conn.execute("DELETE FROM asp WHERE quarter = ?", (f.quarter,))
            conn.executemany(
                "INSERT OR REPLACE INTO asp VALUES (?, ?, ?, ?, ?, ?)", ((f.quarter, *r) for r in f.rows)
            )
            conn.execute(
                "INSERT OR REPLACE INTO asp_quarters VALUES (?, ?, ?, ?)",
                (f.quarter, f.effective_from.isoformat(), f.effective_to.isoformat(), f.path.name),
            )
        conn.commit()
    except sqlite3.Error as exc:
        conn.rollback()
        raise InputError(str(database), f"could not write the ASP pricing file: {exc}") from exc
    finally:
        conn.close()
    quarters = sorted({f.quarter for f in files})
    return ImportReport(
        kind="asp",
        version="+".join(f"{q // 10} Q{q % 10}" for q in quarters),
        rows=sum(len(f.rows) for f in files),
        sources=tuple(f.path for f in files),
        database=database,
        effective_from=min(f.effective_from for f in files),
        effective_to=max(f.effective_to for f in files),
        notes="\n".join(
            f"  {f.path.name}: {f.quarter // 10} Q{f.quarter % 10} ({f.effective_from} to {f.effective_to}), "
            f"{len(f.rows)} codes, {sum(1 for r in f.rows if r[2] is None)} without a payment limit"
            for f in files
        ),
    )


# -- lookups and pricing ------------------------------------------------------------------------


@frozen
class DrugLimit:
    """One HCPCS code's payment limit per billing unit in one quarter (``None``: N/A)."""

    limit: Decimal | None
    dosage: str
    release: str
    #: The file's Co-insurance Percentage (20, or lower where the inflation rebate applies).
    coinsurance: Decimal | None = None


def _imported(code: str, quarter: int, tables: ImportedTables) -> tuple[bool, DrugLimit | None]:
    """(is the quarter imported, the code's row in it)."""
    if tables.asp is None:
        return False, None
    try:
        release = tables.asp.execute(
            "SELECT release FROM asp_quarters WHERE quarter = ?", (quarter,)
        ).fetchone()
        if release is None:
            return False, None
        row = tables.asp.execute(
            "SELECT payment_limit, dosage, coinsurance FROM asp WHERE quarter = ? AND code = ?",
            (quarter, code),
        ).fetchone()
    except sqlite3.OperationalError:
        return False, None
    if row is None:
        return True, None
    coinsurance = _percent(row[2])
    return True, DrugLimit(Decimal(row[0]) if row[0] is not None else None, row[1], release[0], coinsurance)


def _percent(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def drug_limit(
    code: str, day: dt.date, tables: ImportedTables, starter: Starter
) -> tuple[bool, DrugLimit | None]:
    """(is a file for the day's quarter loaded, the code's limit in it): imported, else starter."""
    quarter = quarter_of(day)
    loaded, found = _imported(code, quarter, tables)
    if loaded:
        return True, found
    asp = starter.asp.get(quarter)
    row = asp.limits.get(code) if asp is not None else None
    if asp is None or row is None:
        return False, None  # the starter's few rows say nothing about other codes
    return True, DrugLimit(row[1], row[0], asp.release)


def _maybe_in_asp_file(code: str) -> bool:
    """Codes the ASP file can hold (J, Q, A, C codes; immune globulins and vaccines): every
    other code skips the lookup, so physician services cost no query."""
    if code[:1] in ("J", "Q", "A", "C"):
        return True
    return code.isdigit() and "90281" <= code <= "91399"


def drug_line(
    number: int, line: ServiceLine, day: dt.date, tables: ImportedTables, starter: Starter
) -> list[PricedLine | Finding] | None:
    """ASP + 6% for a drug line (with a warning when the file's coinsurance is not 20%), a pend
    saying what is missing, or ``None`` (not a drug)."""
    if not _maybe_in_asp_file(line.procedure):
        return None
    loaded, found = drug_limit(line.procedure, day, tables, starter)
    quarter = quarter_of(day)
    label = f"{quarter // 10} Q{quarter % 10}"
    if found is None:
        if not is_drug_code(line.procedure):
            return None
        if not loaded:
            return [
                finding(
                    "MCR710",
                    f"line {number}: {line.procedure} is a Part B drug and no ASP pricing file for {label} "
                    f"is loaded; import CMS's {label} ASP pricing file (payer-rules data import asp FILE)",
                    line=number,
                )
            ]
        return [
            finding(
                "MCR711",
                f"line {number}: {line.procedure} is not in the {label} ASP pricing file; the contractor "
                "prices it (invoice or other pricing)",
                line=number,
            )
        ]
    if found.limit is None:
        return [
            finding(
                "MCR711",
                f"line {number}: {line.procedure} has no payment limit (N/A) in the {label} ASP pricing "
                f"file ({found.release}); the contractor prices it",
                line=number,
            )
        ]
    amount = money(line.units * found.limit)
    basis = f"ASP {label} ({found.release}): {line.units} x {found.limit} per {found.dosage} (ASP + 6%)" + (
        f", NDC {line.ndc}" if line.ndc else ""
    )
    out: list[PricedLine | Finding] = [
        PricedLine(line=number, allowed=min(amount, money(line.charge)), basis=basis)
    ]
    if found.coinsurance is not None and 0 < found.coinsurance < STANDARD_COINSURANCE:
        out.append(
            finding(
                "MCR712",
                f"line {number}: the {label} ASP file sets {line.procedure}'s coinsurance at "
                f"{found.coinsurance}% (inflation-adjusted); cost sharing here takes the standard 20%",
                line=number,
            )
        )
    return out
