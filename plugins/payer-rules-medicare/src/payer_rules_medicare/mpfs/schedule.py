"""Fee schedule lookups for one calendar year: imported tables first, the starter pack second.

A :class:`Schedule` answers three questions for the pricing code in
:mod:`payer_rules_medicare.pricing`: the RVU row for a code (and its 26 / TC row), the GPCIs of a
locality, and the conversion factor. :func:`schedule_for` returns the imported year when the
data directory holds it, else the starter pack's year, else ``None``. :func:`locality_for_zip`
reads the imported ZIP5 table (the quarter in force on the date, else the nearest) and then the
starter pack's few ZIP codes.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

from attrs import frozen

from payer_rules.models import Claim
from payer_rules_medicare.imported import ImportedTables
from payer_rules_medicare.starter import FeeYear, Starter

__all__ = [
    "KNOWN_CONVERSION_FACTORS",
    "FeeRow",
    "Gpci",
    "Schedule",
    "claim_locality",
    "locality_for_zip",
    "schedule_for",
]

#: CMS's published conversion factors (non-qualifying APM participants), used only when a file
#: carries none; the file's own CONV FACTOR wins.
KNOWN_CONVERSION_FACTORS = {2025: Decimal("32.3465"), 2026: Decimal("33.4009")}


@frozen(kw_only=True)
class FeeRow:
    """One PPRRVU row: the RVUs and the payment-policy indicators of a code (and modifier)."""

    code: str
    modifier: str
    status: str
    work: Decimal
    pe_nonfacility: Decimal
    pe_facility: Decimal
    mp: Decimal
    #: PCTC IND, MULT PROC, BILAT SURG, ASST SURG, CO-SURG, TEAM SURG; "9" (concept does not
    #: apply) when unknown. ENDO BASE names the base endoscopy of a MULT PROC 3 code.
    pctc: str = "9"
    mult_proc: str = "9"
    bilateral: str = "9"
    assistant: str = "9"
    co_surgery: str = "9"
    team_surgery: str = "9"
    endo_base: str = ""
    conversion_factor: Decimal | None = None
    #: GLOB DAYS (000, 010, 090, MMM, XXX, YYY, ZZZ) and the PRE / INTRA / POST OP shares of
    #: the global package (fractions, e.g. 0.10 / 0.69 / 0.21); ``None`` where not known.
    global_days: str = "XXX"
    pre_op: Decimal | None = None
    intra_op: Decimal | None = None
    post_op: Decimal | None = None


@frozen(kw_only=True)
class Gpci:
    work: Decimal
    pe: Decimal
    mp: Decimal
    name: str


class Schedule(Protocol):
    @property
    def year(self) -> int: ...

    @property
    def release(self) -> str: ...

    @property
    def conversion_factor(self) -> Decimal: ...

    def row(self, code: str, modifier: str = "") -> FeeRow | None: ...

    def gpci(self, mac: str, locality: str) -> Gpci | None: ...


@frozen
class StarterSchedule:
    """The starter pack's few codes and localities for one year.

    When the data directory holds that year's GPCIs but not its RVU file (CY2026: ``GPCI2026.csv``
    imported, no ``PPRRVU2026*.csv``), the imported GPCIs answer for every locality and the
    starter pack's RVUs for its few codes; every other code of that year pends (MCR201), naming
    the missing RVU file. Another year's RVUs are never used.
    """

    fee_year: FeeYear
    imported_gpci: sqlite3.Connection | None = None

    @property
    def year(self) -> int:
        return self.fee_year.year

    @property
    def release(self) -> str:
        if self.imported_gpci is not None:
            return f"{self.fee_year.release} RVUs (starter pack), imported CY{self.year} GPCIs"
        return self.fee_year.release

    @property
    def missing(self) -> str:
        """What would price the codes the starter pack lacks, for the pend message."""
        return (
            f"no CY{self.year} RVU file (PPRRVU{self.year}*.csv of CMS's RVU{self.year % 100} bundle) "
            f"is imported; the starter pack prices only {self._codes} for "
            f"CY{self.year}: import the bundle with `payer-rules data import mpfs`"
        )

    @property
    def _codes(self) -> str:
        return ", ".join(sorted({code for code, _ in self.fee_year.rvu}))

    @property
    def conversion_factor(self) -> Decimal:
        return self.fee_year.conversion_factor

    def row(self, code: str, modifier: str = "") -> FeeRow | None:
        rvu = self.fee_year.rvu.get((code, modifier))
        if rvu is None:
            return None
        return FeeRow(
            code=code,
            modifier=modifier,
            status=rvu.status,
            work=rvu.work,
            pe_nonfacility=rvu.pe_nonfacility,
            pe_facility=rvu.pe_facility,
            mp=rvu.mp,
            pctc=rvu.pctc,
            mult_proc=rvu.mult_proc,
            bilateral=rvu.bilateral,
            assistant=rvu.assistant,
            co_surgery=rvu.co_surgery,
            team_surgery=rvu.team_surgery,
            endo_base=rvu.endo_base,
            global_days=rvu.global_days,
            pre_op=rvu.split[0] if rvu.split else None,
            intra_op=rvu.split[1] if rvu.split else None,
            post_op=rvu.split[2] if rvu.split else None,
        )

    def gpci(self, mac: str, locality: str) -> Gpci | None:
        if self.imported_gpci is not None:
            imported = _gpci(self.imported_gpci, self.year, mac, locality)
            if imported is not None:
                return imported
        found = self.fee_year.gpci.get((mac, locality))
        if found is None:
            return None
        return Gpci(work=found.work, pe=found.pe, mp=found.mp, name=found.name)


def _gpci(conn: sqlite3.Connection, year: int, mac: str, locality: str) -> Gpci | None:
    found = conn.execute(
        "SELECT work, pe, mp, name, state FROM gpci WHERE year = ? AND mac = ? AND locality = ?",
        (year, mac, locality),
    ).fetchone()
    if found is None:
        return None
    name = f"{found[3]}, {found[4]}" if found[4] else found[3]
    return Gpci(work=Decimal(found[0]), pe=Decimal(found[1]), mp=Decimal(found[2]), name=name)


@frozen
class ImportedSchedule:
    """One imported year of ``medicare-mpfs.sqlite``."""

    conn: sqlite3.Connection
    year: int
    release: str
    conversion_factor: Decimal
    #: The SELECT for a row: a database imported before a column was kept (GLOB DAYS, PRE /
    #: INTRA / POST OP, ENDO BASE) answers '' for it until imported again.
    query: str = ""

    def row(self, code: str, modifier: str = "") -> FeeRow | None:
        found = self.conn.execute(self.query, (self.year, code, modifier)).fetchone()
        if found is None:
            return None
        global_days, pre, intra, post = found[10:14]
        return FeeRow(
            code=code,
            modifier=modifier,
            status=found[0],
            work=Decimal(found[1]),
            pe_nonfacility=Decimal(found[2]),
            pe_facility=Decimal(found[3]),
            mp=Decimal(found[4]),
            pctc=found[5] or "9",
            mult_proc=found[6] or "9",
            bilateral=found[7] or "9",
            assistant=found[8] or "9",
            conversion_factor=Decimal(found[9]) if found[9] else None,
            global_days=global_days or "XXX",
            pre_op=Decimal(pre) if pre else None,
            intra_op=Decimal(intra) if intra else None,
            post_op=Decimal(post) if post else None,
            co_surgery=found[14] or "9",
            team_surgery=found[15] or "9",
            endo_base=found[16] or "",
        )

    def gpci(self, mac: str, locality: str) -> Gpci | None:
        return _gpci(self.conn, self.year, mac, locality)


_ROW_COLUMNS = (
    "status", "work", "pe_nonfacility", "pe_facility", "mp", "pctc", "mult_proc", "bilateral",
    "assistant", "conversion_factor", "global_days", "pre_op", "intra_op", "post_op",
    "co_surgery", "team_surgery", "endo_base",
)  # fmt: skip


@lru_cache(maxsize=16)
def _row_query(conn: sqlite3.Connection) -> str:
    """The row SELECT for this database, '' for the columns an older import lacks."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(rvu)")}
    columns = ", ".join(c if c in present else "''" for c in _ROW_COLUMNS)
    return f"SELECT {columns} FROM rvu WHERE year = ? AND code = ? AND modifier = ?"


def _imported_year(conn: sqlite3.Connection, year: int) -> ImportedSchedule | None:
    try:
        found = conn.execute(
            "SELECT release, conversion_factor FROM years WHERE year = ?", (year,)
        ).fetchone()
        has_gpci = conn.execute("SELECT 1 FROM gpci WHERE year = ? LIMIT 1", (year,)).fetchone()
    except sqlite3.OperationalError:  # a database from a partial import (ZIP5 only)
        return None
    if found is None or has_gpci is None:
        return None
    factor = Decimal(found[1]) if found[1] else KNOWN_CONVERSION_FACTORS.get(year)
    if factor is None:
        return None
    return ImportedSchedule(
        conn=conn, year=year, release=found[0], conversion_factor=factor, query=_row_query(conn)
    )


def _has_gpci(conn: sqlite3.Connection, year: int) -> bool:
    try:
        return conn.execute("SELECT 1 FROM gpci WHERE year = ? LIMIT 1", (year,)).fetchone() is not None
    except sqlite3.OperationalError:  # a database from a partial import (ZIP5 only)
        return False


def schedule_for(day: dt.date, tables: ImportedTables, starter: Starter) -> Schedule | None:
    """The fee schedule in force on ``day``: imported (RVUs and GPCIs) when present, else starter.

    The starter pack's year takes the imported GPCIs of that year when only they were imported.
    """
    if tables.mpfs is not None:
        imported = _imported_year(tables.mpfs, day.year)
        if imported is not None:
            return imported
    fee_year = starter.fee_years.get(day.year)
    if fee_year is None:
        return None
    gpcis = tables.mpfs if tables.mpfs is not None and _has_gpci(tables.mpfs, day.year) else None
    return StarterSchedule(fee_year, gpcis)


def locality_for_zip(
    zip5: str, day: dt.date, tables: ImportedTables, starter: Starter
) -> tuple[str, str] | None:
    """(MAC, locality) for a ZIP code on ``day``, from the imported ZIP5 file, else the starter pack."""
    if tables.mpfs is not None:
        quarter = day.year * 10 + (day.month - 1) // 3 + 1
        try:
            rows = tables.mpfs.execute(
                "SELECT quarter, mac, locality FROM zip WHERE zip = ?", (zip5,)
            ).fetchall()
        except sqlite3.OperationalError:
            rows = []
        if rows:
            # The quarter in force on the day; before the first imported quarter, the earliest.
            in_force = [r for r in rows if r[0] <= quarter]
            chosen = max(in_force) if in_force else min(rows)
            return chosen[1], chosen[2]
    return starter.zip_locality.get(zip5)


def claim_locality(
    claim: Claim, day: dt.date, tables: ImportedTables, starter: Starter
) -> tuple[str, str] | None:
    """(MAC, locality) of the service facility's ZIP code, else the billing provider's."""
    address = claim.billing_provider.address
    for z in (claim.service_facility_zip, address.zip if address else None):
        if z:
            found = locality_for_zip(z[:5], day, tables, starter)
            if found is not None:
                return found
    return None
