"""``payer-rules data import mpfs DIR``: CMS's physician fee schedule RVU bundle into SQLite.

Reads the unzipped bundle (``RVU25D.zip`` and the like) and the ZIP5 file, recognising each file
by its name and reading its columns by header, never by position: CY2026 inserts a PRICING IND
column into PPRRVU, and the CSVs stack their column names over several caption rows.

=============  ======================================================================
file           what is kept
=============  ======================================================================
PPRRVU*.csv    code, modifier, status, work / PE (non-facility, facility) / MP RVUs,
               PCTC, global days, MULT PROC, BILAT SURG, ASST SURG, CO-/TEAM SURG, ENDO BASE,
               the row's CONV FACTOR (the file's own conversion factor wins)
GPCI*.csv      MAC, locality, state, name, work (with floors) / PE / MP GPCI
*LOCCO*.csv    MAC, locality, state, fee schedule area, counties
ZIP5*.txt      ZIP code -> state, carrier (MAC), pricing locality, rural flag, YYYYQ
ANES*.csv      MAC, locality, name, anesthesia conversion factor; the national
               anesthesia CF from the header ("National Anes CF of 20.3178")
=============  ======================================================================

The year comes from the files (caption, column names, the ZIP5 YYYYQ field, or the file name),
overridable with ``--effective``. Re-importing a year replaces that year's rows of the tables
the new files cover; other years stay, so CY2025 and CY2026 live side by side.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from payer_rules.errors import InputError
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.imported import MPFS_DB, connect_for_write, execute_script
from payer_rules_medicare.textfiles import Columns, cell, csv_records, header_name, read_text

__all__ = ["SCHEMA", "import_mpfs", "recognise"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS years (
    year INTEGER PRIMARY KEY, release TEXT NOT NULL, conversion_factor TEXT, sources TEXT);
CREATE TABLE IF NOT EXISTS rvu (
    year INTEGER NOT NULL, code TEXT NOT NULL, modifier TEXT NOT NULL, status TEXT NOT NULL,
    work TEXT NOT NULL, pe_nonfacility TEXT NOT NULL, pe_facility TEXT NOT NULL, mp TEXT NOT NULL,
    pctc TEXT, global_days TEXT, mult_proc TEXT, bilateral TEXT, assistant TEXT,
    co_surgery TEXT, team_surgery TEXT, conversion_factor TEXT, pricing_indicator TEXT,
    pre_op TEXT, intra_op TEXT, post_op TEXT, endo_base TEXT,
    PRIMARY KEY (year, code, modifier)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS gpci (
    year INTEGER NOT NULL, mac TEXT NOT NULL, locality TEXT NOT NULL, state TEXT, name TEXT,
    work TEXT NOT NULL, pe TEXT NOT NULL, mp TEXT NOT NULL,
    PRIMARY KEY (year, mac, locality)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS locality (
    year INTEGER NOT NULL, mac TEXT NOT NULL, locality TEXT NOT NULL, state TEXT, area TEXT,
    counties TEXT, PRIMARY KEY (year, mac, locality)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anes_cf (
    year INTEGER NOT NULL, mac TEXT NOT NULL, locality TEXT NOT NULL, name TEXT,
    conversion_factor TEXT NOT NULL, PRIMARY KEY (year, mac, locality)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anes_years (
    year INTEGER PRIMARY KEY, national_cf TEXT, source TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS zip (
    quarter INTEGER NOT NULL, zip TEXT NOT NULL, state TEXT, mac TEXT NOT NULL,
    locality TEXT NOT NULL, rural TEXT, PRIMARY KEY (zip, quarter)) WITHOUT ROWID;
"""

#: The rvu table's columns in the order :func:`_read_pprrvu` fills them (after ``year``).
RVU_COLUMNS = (
    "year", "code", "modifier", "status", "work", "pe_nonfacility", "pe_facility", "mp", "pctc",
    "global_days", "mult_proc", "bilateral", "assistant", "co_surgery", "team_surgery",
    "conversion_factor", "pricing_indicator", "pre_op", "intra_op", "post_op", "endo_base",
)  # fmt: skip


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Columns added since a database was first written (an older import is extended, not lost)."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(rvu)")}
    for name in RVU_COLUMNS:
        if name not in present:
            conn.execute(f"ALTER TABLE rvu ADD COLUMN {name} TEXT")


_KINDS = {
    "pprrvu": re.compile(r"^PPRRVU.*\.csv$", re.I),
    "gpci": re.compile(r"^GPCI.*\.csv$", re.I),
    "locco": re.compile(r"^\d*LOCCO.*\.csv$", re.I),
    "zip5": re.compile(r"^ZIP5_.*\.txt$", re.I),
    "anes": re.compile(r"^ANES.*\.csv$", re.I),
}


def recognise(path: Path) -> str | None:
    """Which bundle file this is (``pprrvu``, ``gpci``, ``locco``, ``zip5``, ``anes``), by its name."""
    for kind, pattern in _KINDS.items():
        if pattern.match(path.name):
            return kind
    return None


def _decimal(value: str, where: str, what: str) -> str:
    text = value.strip() or "0"
    try:
        Decimal(text)
    except InvalidOperation:
        raise InputError(where, f"{what}: expected a number, got {value!r}") from None
    return text


def _year_from(text: str) -> int | None:
    match = re.search(r"(20\d\d)", text)
    return int(match.group(1)) if match else None


# -- PPRRVU ------------------------------------------------------------------------------------


def _read_pprrvu(path: Path) -> tuple[int | None, str, list[tuple[str, ...]]]:
    rows, line_of = csv_records(path)
    head = next((i for i, r in enumerate(rows) if r and r[0].strip().upper() == "HCPCS"), None)
    if head is None:
        raise InputError(str(path), "no header row starting 'HCPCS' (is this a PPRRVU CSV?)")
    width = max(len(r) for r in rows[: head + 1])
    names = [header_name(*(r[i] if i < len(r) else "" for r in rows[: head + 1])) for i in range(width)]
    cols = Columns(path, line_of[head], names)
    code, mod = cols.exact("HCPCS"), cols.exact("MOD")
    status = cols.need("STATUS")
    work = cols.need("WORK RVU")
    pe_nf = cols.need("NON-FAC PE RVU", exclude=("OPPS",))
    pe_f = cols.need("FACILITY PE RVU", exclude=("NON-FAC", "OPPS"))
    mp = cols.need("MP RVU", exclude=("OPPS",))
    pctc, glob = cols.need("PCTC"), cols.need("GLOB")
    mult, bilat, asst = cols.need("MULT PROC"), cols.need("BILAT"), cols.need("ASST")
    co_surg = cols.find("CO-", "SURG", exclude=("ASST",), required=False)
    team = cols.find("TEAM", required=False)
    cf = cols.find("CONV FACTOR", required=False)
    pricing = cols.find("PRICING", required=False)
    # PRE OP / INTRA OP / POST OP: the shares of a global package (modifiers 54, 55, 56, 78)
    pre_op = cols.find("PRE", "OP", exclude=("OPPS",), required=False)
    intra_op = cols.find("INTRA", required=False)
    post_op = cols.find("POST", "OP", exclude=("OPPS",), required=False)
    # ENDO BASE: the base endoscopy of a MULT PROC 3 code (its endoscopy family)
    endo = cols.find("ENDO", required=False)
    caption = " ".join(c.strip() for r in rows[:head] for c in r if c.strip()).upper()
    titled = re.search(r"(20\d\d) NATIONAL PHYSICIAN", caption)
    year = int(titled.group(1)) if titled else _year_from(path.stem)
    released = re.search(r"RELEASED\s+(\d\d/\d\d/\d{4})", caption)
    label = path.stem + (f" (released {released.group(1)})" if released else "")
    out: list[tuple[str, ...]] = []
    for number in range(head + 1, len(rows)):
        r = rows[number]
        hcpcs = cell(r, code).upper()
        if not hcpcs:
            continue
        where = f"{path}:{line_of[number]}"
        out.append(
            (
                hcpcs,
                cell(r, mod).upper(),
                cell(r, status).upper(),
                _decimal(cell(r, work), where, "WORK RVU"),
                _decimal(cell(r, pe_nf), where, "NON-FAC PE RVU"),
                _decimal(cell(r, pe_f), where, "FACILITY PE RVU"),
                _decimal(cell(r, mp), where, "MP RVU"),
                cell(r, pctc),
                cell(r, glob),
                cell(r, mult),
                cell(r, bilat),
                cell(r, asst),
                cell(r, co_surg),
                cell(r, team),
                _decimal(cell(r, cf), where, "CONV FACTOR") if cell(r, cf) else "",
                cell(r, pricing),
                _decimal(cell(r, pre_op), where, "PRE OP") if pre_op is not None else "",
                _decimal(cell(r, intra_op), where, "INTRA OP") if intra_op is not None else "",
                _decimal(cell(r, post_op), where, "POST OP") if post_op is not None else "",
                cell(r, endo).upper(),
            )
        )
    if not out:
        raise InputError(str(path), "no RVU rows after the header")
    return year, label, out


# -- GPCI and locality/county ------------------------------------------------------------------


def _header_row(path: Path, rows: list[list[str]], word: str) -> int:
    for i, r in enumerate(rows):
        if any(header_name(c) == word for c in r):
            return i
    raise InputError(str(path), f"no header row with a {word.title()!r} column")


def _mac(value: str) -> str:
    return value.strip().zfill(5)


def _locality(value: str) -> str:
    return value.strip().zfill(2)


def _read_gpci(path: Path) -> tuple[int | None, list[tuple[str, ...]]]:
    rows, line_of = csv_records(path)
    head = _header_row(path, rows, "LOCALITY NUMBER")
    cols = Columns(path, line_of[head], [header_name(c) for c in rows[head]])
    mac = cols.find("CONTRACTOR", required=False)
    mac = mac if mac is not None else cols.need("MAC")
    state, loc, name = cols.need("STATE"), cols.need("LOCALITY NUMBER"), cols.need("LOCALITY NAME")
    work = cols.find("PW GPCI", required=False)
    work = work if work is not None else cols.need("WORK GPCI")
    pe, mp = cols.need("PE GPCI"), cols.need("MP GPCI")
    year = (
        _year_from(cols.names[work])
        or _year_from(" ".join(c for r in rows[:head] for c in r))
        or (_year_from(path.stem))
    )
    out: list[tuple[str, ...]] = []
    for number in range(head + 1, len(rows)):
        r = rows[number]
        if not cell(r, mac).isdigit():
            continue  # blank separators and the footnotes under the table
        where = f"{path}:{line_of[number]}"
        out.append(
            (
                _mac(cell(r, mac)),
                _locality(cell(r, loc)),
                cell(r, state),
                cell(r, name),
                _decimal(cell(r, work), where, "work GPCI"),
                _decimal(cell(r, pe), where, "PE GPCI"),
                _decimal(cell(r, mp), where, "MP GPCI"),
            )
        )
    if not out:
        raise InputError(str(path), "no GPCI rows after the header")
    return year, out


def _read_locco(path: Path) -> tuple[int | None, list[tuple[str, ...]]]:
    rows, line_of = csv_records(path)
    head = _header_row(path, rows, "COUNTIES")
    cols = Columns(path, line_of[head], [header_name(c) for c in rows[head]])
    mac = cols.find("CONTRACTOR", required=False)
    mac = mac if mac is not None else cols.need("MAC")
    loc, state = cols.need("LOCALITY"), cols.need("STATE")
    area, counties = cols.need("FEE SCHEDULE AREA"), cols.need("COUNTIES")
    year = _year_from(" ".join(c for r in rows[:head] for c in r)) or _year_from(path.stem)
    out: list[tuple[str, ...]] = []
    current_state = ""
    for number in range(head + 1, len(rows)):
        r = rows[number]
        if not cell(r, mac).isdigit():
            continue
        current_state = cell(r, state) or current_state  # the state is given once per block
        out.append(
            (_mac(cell(r, mac)), _locality(cell(r, loc)), current_state, cell(r, area), cell(r, counties))
        )
    if not out:
        raise InputError(str(path), "no locality rows after the header")
    return year, out


def _read_anes(path: Path) -> tuple[int | None, str | None, list[tuple[str, ...]]]:
    """ANESyyyy.csv: ``Contractor, Locality, Locality Name, National Anes CF of 20.3178``, then
    one row per locality (values carry trailing spaces; names may end in footnote stars)."""
    rows, line_of = csv_records(path)
    head = _header_row(path, rows, "CONTRACTOR")
    names = [header_name(c) for c in rows[head]]
    cols = Columns(path, line_of[head], names)
    mac, loc = cols.need("CONTRACTOR"), cols.exact("LOCALITY")
    name, cf = cols.need("LOCALITY NAME"), cols.need("ANES")
    national = re.search(r"(\d+\.\d+)", names[cf])
    year = _year_from(" ".join(c for r in rows[:head] for c in r)) or _year_from(path.stem)
    out: list[tuple[str, ...]] = []
    for number in range(head + 1, len(rows)):
        r = rows[number]
        if not cell(r, mac).isdigit():
            continue  # the blank row and footnotes under the table
        where = f"{path}:{line_of[number]}"
        out.append(
            (
                _mac(cell(r, mac)),
                _locality(cell(r, loc)),
                cell(r, name).rstrip("*").strip(),
                _decimal(cell(r, cf), where, "anesthesia conversion factor"),
            )
        )
    if not out:
        raise InputError(str(path), "no anesthesia conversion factor rows after the header")
    return year, national.group(1) if national else None, out


# -- ZIP5 --------------------------------------------------------------------------------------


def _read_zip5(path: Path) -> tuple[int, list[tuple[object, ...]]]:
    """CMS ZIP5 layout (ZIP5lyout.txt): state 1-2, ZIP 3-7, carrier 8-12, locality 13-14,
    rural 15, ..., year/quarter 76-80."""
    out: list[tuple[object, ...]] = []
    quarters: Counter[int] = Counter()
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        if len(line) < 80 or not line[2:7].isdigit() or not line[75:80].isdigit():
            raise InputError(
                f"{path}:{number}",
                f"expected an 80-column ZIP5 record (state, ZIP, carrier ...), got {line!r}",
            )
        quarter = int(line[75:80])
        quarters[quarter] += 1
        out.append((quarter, line[2:7], line[0:2], line[7:12], line[12:14], line[14].strip()))
    if not out:
        raise InputError(str(path), "no ZIP5 records")
    return quarters.most_common(1)[0][0], out


# -- the import --------------------------------------------------------------------------------


def _files(paths: Sequence[Path], skipped: list[str]) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in paths:
        candidates = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            kind = recognise(candidate)
            if kind:
                found.setdefault(kind, []).append(candidate)
            elif path.is_dir():
                skipped.append(candidate.name)
            else:
                raise InputError(
                    str(candidate),
                    "not a recognised MPFS bundle file (expected PPRRVU*.csv, GPCI*.csv, "
                    "*LOCCO*.csv, ANES*.csv or ZIP5_*.txt)",
                )
    if not found:
        raise InputError(
            ", ".join(str(p) for p in paths),
            "no MPFS bundle file found (PPRRVU*.csv, GPCI*.csv, *LOCCO*.csv, ANES*.csv, ZIP5_*.txt)",
        )
    return found


def _years_without_rvus(conn: sqlite3.Connection, years: set[int]) -> list[str]:
    """A note for each year whose GPCIs are in the database but whose RVU file is not.

    Such a year is not a fee schedule: its lines price only where the starter pack holds the
    code's RVUs for that same year, and pend otherwise; another year's RVUs are never used.
    """
    notes = []
    for year in sorted(years):
        if conn.execute("SELECT 1 FROM years WHERE year = ?", (year,)).fetchone() is None:
            notes.append(
                f"  CY{year}: GPCIs only, no CY{year} RVU file (PPRRVU{year}*.csv) imported: "
                f"CY{year} lines price only for the starter pack's CY{year} codes, with these "
                f"GPCIs; every other CY{year} code pends (MCR201) until the RVU file is imported"
            )
    return notes


def import_mpfs(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    """Import every recognised file of an unzipped RVU bundle (and ZIP5 file) given or inside ``paths``."""
    skipped: list[str] = []
    files = _files(paths, skipped)
    override = options.effective.year if options.effective else None
    rvus: list[tuple[int, list[tuple[str, ...]], str, Path]] = []
    gpcis: list[tuple[int, list[tuple[str, ...]], Path]] = []
    loccos: list[tuple[int, list[tuple[str, ...]], Path]] = []
    zips: list[tuple[int, list[tuple[object, ...]]]] = []
    anes: list[tuple[int, str | None, list[tuple[str, ...]], Path]] = []

    def year_of(found: int | None, path: Path) -> int:
        year = override or found
        if year is None:
            raise InputError(str(path), "cannot tell the calendar year; pass --effective YYYY-MM-DD")
        return year

    for path in files.get("pprrvu", []):
        year, label, rows = _read_pprrvu(path)
        rvus.append((year_of(year, path), rows, label, path))
    for path in files.get("gpci", []):
        year, rows = _read_gpci(path)
        gpcis.append((year_of(year, path), rows, path))
    for path in files.get("locco", []):
        year, rows = _read_locco(path)
        loccos.append((year_of(year, path), rows, path))
    for path in files.get("zip5", []):
        zips.append(_read_zip5(path))
    for path in files.get("anes", []):
        year, national, rows = _read_anes(path)
        anes.append((year_of(year, path), national, rows, path))

    database = options.data_dir / MPFS_DB
    conn = connect_for_write(database, options)
    total = 0
    years: set[int] = set()
    notes: list[str] = []
    try:
        execute_script(conn, SCHEMA)
        _add_missing_columns(conn)
        for year, rows, label, path in rvus:
            conn.execute("DELETE FROM rvu WHERE year = ?", (year,))
            conn.executemany(
                f"INSERT OR REPLACE INTO rvu ({', '.join(RVU_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(RVU_COLUMNS))})",
                ((year, *r) for r in rows),
            )
            factors = Counter(r[14] for r in rows if r[14])
            cf = factors.most_common(1)[0][0] if factors else None
            conn.execute("INSERT OR REPLACE INTO years VALUES (?, ?, ?, ?)", (year, label, cf, path.name))
            total += len(rows)
            years.add(year)
            notes.append(f"  {path.name}: CY{year} {len(rows)} RVU rows, conversion factor {cf or 'none'}")
        for year, rows, path in gpcis:
            conn.execute("DELETE FROM gpci WHERE year = ?", (year,))
            conn.executemany(
                "INSERT OR REPLACE INTO gpci VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ((year, *r) for r in rows)
            )
            total += len(rows)
            years.add(year)
            notes.append(f"  {path.name}: CY{year} {len(rows)} localities")
        for year, rows, path in loccos:
            conn.execute("DELETE FROM locality WHERE year = ?", (year,))
            conn.executemany(
                "INSERT OR REPLACE INTO locality VALUES (?, ?, ?, ?, ?, ?)", ((year, *r) for r in rows)
            )
            total += len(rows)
            years.add(year)
            notes.append(f"  {path.name}: CY{year} {len(rows)} locality/county rows")
        for year, national, rows, path in anes:
            conn.execute("DELETE FROM anes_cf WHERE year = ?", (year,))
            conn.executemany(
                "INSERT OR REPLACE INTO anes_cf VALUES (?, ?, ?, ?, ?)", ((year, *r) for r in rows)
            )
            conn.execute("INSERT OR REPLACE INTO anes_years VALUES (?, ?, ?)", (year, national, path.name))
            total += len(rows)
            years.add(year)
            notes.append(
                f"  {path.name}: CY{year} {len(rows)} anesthesia conversion factors "
                f"(national {national or 'not stated'})"
            )
        for quarter, zip_rows in zips:
            conn.execute("DELETE FROM zip WHERE quarter = ?", (quarter,))
            conn.executemany("INSERT OR REPLACE INTO zip VALUES (?, ?, ?, ?, ?, ?)", zip_rows)
            total += len(zip_rows)
            years.add(override or quarter // 10)
            notes.append(f"  ZIP5 {quarter // 10} Q{quarter % 10}: {len(zip_rows)} ZIP codes")
        notes += _years_without_rvus(conn, {y for y, *_ in gpcis})
        conn.commit()
    except sqlite3.Error as exc:
        conn.rollback()
        raise InputError(str(database), f"could not write the fee schedule: {exc}") from exc
    finally:
        conn.close()
    first, last = min(years), max(years)
    effective_from = options.effective or dt.date(first, 1, 1)
    version = rvus[0][2] if len(rvus) == 1 else (f"CY{first}" if first == last else f"CY{first}-CY{last}")
    if not rvus:
        version = "+".join(sorted({p.stem for ps in files.values() for p in ps}))
    if skipped:
        notes.append(f"  not used (not a file this importer reads): {', '.join(skipped)}")
    return ImportReport(
        kind="mpfs",
        version=version,
        rows=total,
        sources=tuple(p for ps in files.values() for p in ps),
        database=database,
        effective_from=effective_from,
        effective_to=dt.date(last, 12, 31),
        notes="\n".join(notes),
    )
