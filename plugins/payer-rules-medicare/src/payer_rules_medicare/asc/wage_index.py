"""The ASC's wage index: ``payer-rules data import asc-wage-index FILE.toml`` and the lookup.

Medicare adjusts 50% of an ASC payment rate (the labor-related share) by the wage index of the
CBSA where the ASC is, and for ASCs that is the hospital wage index *before* the rural floor and
before geographic reclassification (Pub. 100-04 Ch. 14 §40.2; the CY2026 OPPS/ASC final rule
uses the FY2026 IPPS pre-floor, pre-reclassified wage indexes). A user with only their own
ASC's numbers writes a small TOML record::

    [[asc]]
    npi = "1234567893"            # the billing provider NPI on the 837P, and/or
    ccn = "05C0001234"            # the ASC's CMS certification (supplier) number
    name = "Mission Surgery Center"
    cbsa = "41884"
    wage_index = "1.8183"         # a string; optional when a [[cbsa]] record gives it
    effective_from = 2026-01-01
    effective_to = 2026-12-31     # optional
    source = "CY2026 ASC wage index, CBSA 41884 (FY2026 IPPS pre-floor, pre-reclassified)"

    [[cbsa]]                      # optional: a CBSA's ASC wage index for every ASC in it
    cbsa = "41884"
    wage_index = "1.8183"
    effective_from = 2026-01-01
    source = "..."

Records go into ``medicare-asc.sqlite`` beside the addenda; a later import of the same key and
start date replaces it. With no record for the ASC on the date of service the line pends
(MCR851) naming what to supply: an ASC is never priced unadjusted.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tomllib
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.models import Claim
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.imported import ASC_DB, connect_for_write

__all__ = ["SCHEMA", "WageIndex", "import_wage_index", "wage_index_for"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS providers (
    id_kind TEXT NOT NULL, id TEXT NOT NULL, name TEXT, cbsa TEXT, wage_index TEXT,
    effective_from TEXT NOT NULL, effective_to TEXT, source TEXT NOT NULL,
    PRIMARY KEY (id_kind, id, effective_from)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cbsa_wage_index (
    cbsa TEXT NOT NULL, wage_index TEXT NOT NULL, effective_from TEXT NOT NULL,
    effective_to TEXT, source TEXT NOT NULL,
    PRIMARY KEY (cbsa, effective_from)) WITHOUT ROWID;
"""

_ASC_KEYS = {"npi", "ccn", "name", "cbsa", "wage_index", "effective_from", "effective_to", "source"}
_CBSA_KEYS = {"cbsa", "wage_index", "effective_from", "effective_to", "source"}


@frozen
class WageIndex:
    value: Decimal
    cbsa: str
    source: str


def _text(record: dict[str, Any], key: str, where: str, required: bool = True) -> str | None:
    value = record.get(key)
    if value is None:
        if required:
            raise InputError(where, f"{key} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(where, f"{key}: expected a non-empty string, got {value!r}")
    return value.strip()


def _date(record: dict[str, Any], key: str, where: str, required: bool = True) -> dt.date | None:
    value = record.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InputError(where, f"{key}: expected a TOML date such as 2026-01-01, got {value!r}")
    return value


def _index(record: dict[str, Any], where: str, required: bool) -> str | None:
    text = _text(record, "wage_index", where, required)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(
            where, f'wage_index: expected a number as a string such as "1.0123", got {text!r}'
        ) from None
    if not Decimal("0.1") <= value <= Decimal("3"):
        raise InputError(where, f"wage_index: {text} is outside any CMS wage index (0.1 to 3)")
    return str(value)


def _check_keys(record: object, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise InputError(where, "expected a table")
    unknown = sorted(set(record) - allowed)
    if unknown:
        raise InputError(where, f"unknown key {unknown[0]!r} (expected one of: {', '.join(sorted(allowed))})")
    return record


def import_wage_index(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    providers: list[tuple[str | None, ...]] = []
    cbsas: list[tuple[str | None, ...]] = []
    starts: list[dt.date] = []
    for path in paths:
        if path.is_dir():
            raise InputError(str(path), "give the wage index TOML file, not a directory")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(str(path), f"not valid TOML: {exc}") from None
        unknown = sorted(set(raw) - {"asc", "cbsa"})
        if unknown or not raw:
            raise InputError(
                str(path),
                "expected [[asc]] and / or [[cbsa]] tables" + (f", got {unknown[0]!r}" if unknown else ""),
            )
        for i, item in enumerate(raw.get("asc", [])):
            where = f"{path}: asc[{i}]"
            record = _check_keys(item, _ASC_KEYS, where)
            npi, ccn = _text(record, "npi", where, False), _text(record, "ccn", where, False)
            if npi is None and ccn is None:
                raise InputError(where, "give the ASC's npi (billing provider NPI) or ccn")
            cbsa = _text(record, "cbsa", where)
            index = _index(record, where, required=False)
            start = _date(record, "effective_from", where)
            end = _date(record, "effective_to", where, required=False)
            source = _text(record, "source", where)
            assert start is not None
            if end is not None and end < start:
                raise InputError(where, f"effective_to {end} is before effective_from {start}")
            for kind, ident in (("npi", npi), ("ccn", ccn)):
                if ident is not None:
                    providers.append(
                        (
                            kind,
                            ident,
                            _text(record, "name", where, False),
                            cbsa,
                            index,
                            start.isoformat(),
                            end.isoformat() if end else None,
                            source,
                        )
                    )
            starts.append(start)
        for i, item in enumerate(raw.get("cbsa", [])):
            where = f"{path}: cbsa[{i}]"
            record = _check_keys(item, _CBSA_KEYS, where)
            start = _date(record, "effective_from", where)
            end = _date(record, "effective_to", where, required=False)
            assert start is not None
            cbsas.append(
                (
                    _text(record, "cbsa", where),
                    _index(record, where, required=True),
                    start.isoformat(),
                    end.isoformat() if end else None,
                    _text(record, "source", where),
                )
            )
            starts.append(start)
    if not starts:
        raise InputError(", ".join(map(str, paths)), "no [[asc]] or [[cbsa]] records")
    database = options.data_dir / ASC_DB
    conn = connect_for_write(database, options)
    try:
        conn.executescript(SCHEMA)
        conn.executemany("INSERT OR REPLACE INTO providers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", providers)
        conn.executemany("INSERT OR REPLACE INTO cbsa_wage_index VALUES (?, ?, ?, ?, ?)", cbsas)
        conn.commit()
    except sqlite3.Error as exc:
        conn.rollback()
        raise InputError(str(database), f"could not write the wage index records: {exc}") from exc
    finally:
        conn.close()
    return ImportReport(
        kind="asc-wage-index",
        version=" + ".join(p.stem for p in paths),
        rows=len(providers) + len(cbsas),
        sources=tuple(paths),
        database=database,
        effective_from=min(starts),
        notes=f"  {len(providers)} ASC record(s), {len(cbsas)} CBSA record(s)",
    )


def _in_force(rows: list[tuple[Any, ...]], day: str, start: int, end: int) -> tuple[Any, ...] | None:
    live = [r for r in rows if r[start] <= day and (r[end] is None or day <= r[end])]
    return max(live, key=lambda r: r[start]) if live else None


#: Answers by (database connection, NPI, CCN, day): one ASC's claims ask the same question.
_ANSWERS: dict[tuple[sqlite3.Connection | None, str, str | None, dt.date], WageIndex] = {}
_ANSWERS_MAX = 100_000


def wage_index_for(claim: Claim, day: dt.date, conn: sqlite3.Connection | None) -> WageIndex | str:
    """The ASC's wage index on ``day``, or what to supply when there is none."""
    key = (conn, claim.billing_provider.npi, claim.provider_ccn, day)
    known = _ANSWERS.get(key)
    if known is not None:
        return known
    found = _wage_index_for(key[1], key[2], day, conn)
    if isinstance(found, WageIndex):  # a missing record may be imported any moment
        if len(_ANSWERS) >= _ANSWERS_MAX:
            _ANSWERS.clear()
        _ANSWERS[key] = found
    return found


def _wage_index_for(
    npi: str, ccn: str | None, day: dt.date, conn: sqlite3.Connection | None
) -> WageIndex | str:
    wanted = (
        f"a wage index record for the ASC (billing NPI {npi}{f', CCN {ccn}' if ccn else ''}) in force on "
        f"{day}: `payer-rules data import asc-wage-index FILE.toml` with an [[asc]] table (npi or ccn, "
        "cbsa, wage_index, effective_from, source) giving the CY ASC wage index of its CBSA "
        "(the IPPS pre-floor, pre-reclassified wage index)"
    )
    if conn is None:
        return f"no ASC wage index is on file; supply {wanted}"
    iso = day.isoformat()
    record = None
    try:
        for kind, ident in (("npi", npi), ("ccn", ccn)):
            if ident:
                rows = conn.execute(
                    "SELECT cbsa, wage_index, source, effective_from, effective_to FROM providers "
                    "WHERE id_kind = ? AND id = ?",
                    (kind, ident),
                ).fetchall()
                record = _in_force(rows, iso, 3, 4)
                if record is not None:
                    break
    except sqlite3.OperationalError:  # addenda imported, no wage index records yet
        return f"no ASC wage index is on file; supply {wanted}"
    if record is None:
        return f"no wage index is on file for this ASC; supply {wanted}"
    cbsa, index, source = record[0], record[1], record[2]
    if index is not None:
        return WageIndex(value=Decimal(index), cbsa=cbsa, source=source)
    rows = conn.execute(
        "SELECT wage_index, source, effective_from, effective_to FROM cbsa_wage_index WHERE cbsa = ?", (cbsa,)
    ).fetchall()
    found = _in_force(rows, iso, 2, 3)
    if found is None:
        return (
            f"the ASC's record names CBSA {cbsa} but no wage index for CBSA {cbsa} is on file for {day}; "
            "add wage_index to its [[asc]] record or a [[cbsa]] record"
        )
    return WageIndex(value=Decimal(found[0]), cbsa=cbsa, source=found[1])
