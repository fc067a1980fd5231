"""Hospital-specific IPPS data: ``payer-rules data import ipps-provider FILE.toml`` and the lookup.

IPPS pays each hospital by its own wage index, cost-to-charge ratios and teaching / low-income
adjustments. CMS keeps them in the Inpatient Provider Specific File (PSF); a hospital that has
only its own numbers writes them as a small TOML record:

.. code-block:: toml

    [[provider]]
    ccn = "050454"                      # CMS Certification Number (837I REF*G2)
    npi = "1234567893"                  # optional: claims without a CCN are matched by NPI
    name = "My Hospital"
    cbsa = "41884"
    wage_index = "1.4562"               # FY Table 2 (after reclassification)
    operating_ccr = "0.1823"            # operating cost-to-charge ratio
    capital_ccr = "0.0121"
    ime = "0.0512"                      # operating IME adjustment factor
    dsh = "0.0954"                      # operating DSH adjustment factor (25% paid per claim)
    uncompensated_care_per_claim = "1234.56"
    capital_ime = "0.0311"
    capital_dsh = "0.0188"
    effective_from = 2025-10-01
    effective_to = 2026-09-30           # optional

The claim's CCN finds the record (else the billing provider's NPI), the one in force on the
discharge date with the latest ``effective_from``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tomllib
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.imported import IPPS_DB, connect_for_write

__all__ = ["ProviderRecord", "find_provider", "import_provider_records", "provider_from_toml"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS providers (
    ccn TEXT NOT NULL, npi TEXT, name TEXT NOT NULL, cbsa TEXT NOT NULL, wage_index TEXT NOT NULL,
    operating_ccr TEXT NOT NULL, capital_ccr TEXT NOT NULL, ime TEXT NOT NULL, dsh TEXT NOT NULL,
    uncompensated_care_per_claim TEXT NOT NULL, capital_ime TEXT NOT NULL, capital_dsh TEXT NOT NULL,
    effective_from TEXT NOT NULL, effective_to TEXT, source TEXT NOT NULL,
    PRIMARY KEY (ccn, effective_from));
CREATE INDEX IF NOT EXISTS providers_npi ON providers (npi, effective_from);
"""

_DECIMALS = (
    "wage_index",
    "operating_ccr",
    "capital_ccr",
    "ime",
    "dsh",
    "uncompensated_care_per_claim",
    "capital_ime",
    "capital_dsh",
)
_OPTIONAL = {"ime", "dsh", "uncompensated_care_per_claim", "capital_ime", "capital_dsh"}
_KEYS = {"ccn", "npi", "name", "cbsa", "effective_from", "effective_to", *_DECIMALS}


@frozen(kw_only=True)
class ProviderRecord:
    """What IPPS needs to know about one hospital for a period."""

    ccn: str
    npi: str | None
    name: str
    cbsa: str
    wage_index: Decimal
    operating_ccr: Decimal
    capital_ccr: Decimal
    ime: Decimal = Decimal(0)
    dsh: Decimal = Decimal(0)
    uncompensated_care_per_claim: Decimal = Decimal(0)
    capital_ime: Decimal = Decimal(0)
    capital_dsh: Decimal = Decimal(0)
    effective_from: dt.date
    effective_to: dt.date | None = None
    source: str = ""

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


def _decimal(value: Any, where: str, key: str) -> Decimal:
    if isinstance(value, float):
        raise InputError(where, f'{key}: write numbers in quotes ("1.2345"), got {value!r}')
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError(where, f"{key}: expected a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise InputError(where, f"{key}: expected a non-negative number, got {value!r}")
    return number


def _date(value: Any, where: str, key: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(where, f"{key}: expected a date YYYY-MM-DD, got {value!r}") from None


def provider_from_toml(raw: dict[str, Any], where: str, *, source: str) -> ProviderRecord:
    """One ``[[provider]]`` table as a record, or a located error naming the key."""
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise InputError(where, f"unknown key {unknown[0]!r} (expected: {', '.join(sorted(_KEYS))})")
    missing = [
        k
        for k in ("ccn", "cbsa", "wage_index", "operating_ccr", "capital_ccr", "effective_from")
        if k not in raw
    ]
    if missing:
        raise InputError(where, f"missing {', '.join(missing)}")
    ccn = str(raw["ccn"]).strip()
    if len(ccn) != 6 or not ccn.isalnum():
        raise InputError(where, f"ccn: expected the 6-character CMS Certification Number, got {raw['ccn']!r}")
    values = {k: _decimal(raw[k], where, k) for k in _DECIMALS if k in raw}
    if values["wage_index"] == 0:
        raise InputError(where, "wage_index: expected a positive wage index, got 0")
    start = _date(raw["effective_from"], where, "effective_from")
    end = _date(raw["effective_to"], where, "effective_to") if "effective_to" in raw else None
    if end is not None and end < start:
        raise InputError(where, f"effective_to {end} is before effective_from {start}")
    npi = str(raw["npi"]).strip() if raw.get("npi") else None
    return ProviderRecord(
        ccn=ccn,
        npi=npi,
        name=str(raw.get("name") or ccn),
        cbsa=str(raw["cbsa"]).strip(),
        effective_from=start,
        effective_to=end,
        source=source,
        **values,
    )


def _store(conn: sqlite3.Connection, records: Iterable[ProviderRecord]) -> int:
    rows = [
        (
            r.ccn,
            r.npi,
            r.name,
            r.cbsa,
            str(r.wage_index),
            str(r.operating_ccr),
            str(r.capital_ccr),
            str(r.ime),
            str(r.dsh),
            str(r.uncompensated_care_per_claim),
            str(r.capital_ime),
            str(r.capital_dsh),
            r.effective_from.isoformat(),
            r.effective_to.isoformat() if r.effective_to else None,
            r.source,
        )
        for r in records
    ]
    conn.executemany(
        "INSERT OR REPLACE INTO providers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    return len(rows)


def write_providers(
    records: Sequence[ProviderRecord], sources: Sequence[Path], options: ImportOptions, kind: str
) -> ImportReport:
    database = options.data_dir / IPPS_DB
    conn = connect_for_write(database, options)
    try:
        conn.executescript(SCHEMA)
        count = _store(conn, records)
        conn.commit()
    except sqlite3.Error as exc:
        conn.rollback()
        raise InputError(str(database), f"could not write the provider records: {exc}") from exc
    finally:
        conn.close()
    return ImportReport(
        kind=kind,
        version=" + ".join(p.name for p in sources),
        rows=count,
        sources=tuple(sources),
        database=database,
        effective_from=min(r.effective_from for r in records),
        effective_to=max((r.effective_to for r in records if r.effective_to), default=None),
    )


def import_provider_records(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    """``payer-rules data import ipps-provider FILE.toml...``: your own hospital's numbers."""
    records: list[ProviderRecord] = []
    for path in paths:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(str(path), f"not valid TOML: {exc}") from None
        tables = raw.get("provider")
        if not isinstance(tables, list) or not tables:
            raise InputError(str(path), "expected one or more [[provider]] tables")
        records += [
            provider_from_toml(t, f"{path}: provider {i + 1}", source=path.name) for i, t in enumerate(tables)
        ]
    return write_providers(records, paths, options, "ipps-provider")


def _record(row: tuple[Any, ...]) -> ProviderRecord:
    return ProviderRecord(
        ccn=row[0],
        npi=row[1],
        name=row[2],
        cbsa=row[3],
        wage_index=Decimal(row[4]),
        operating_ccr=Decimal(row[5]),
        capital_ccr=Decimal(row[6]),
        ime=Decimal(row[7]),
        dsh=Decimal(row[8]),
        uncompensated_care_per_claim=Decimal(row[9]),
        capital_ime=Decimal(row[10]),
        capital_dsh=Decimal(row[11]),
        effective_from=dt.date.fromisoformat(row[12]),
        effective_to=dt.date.fromisoformat(row[13]) if row[13] else None,
        source=row[14],
    )


def find_provider(
    conn: sqlite3.Connection | None,
    starter: Sequence[ProviderRecord],
    ccn: str | None,
    npi: str | None,
    day: dt.date,
) -> ProviderRecord | None:
    """The record in force on ``day`` for the CCN (else the NPI): imported first, then the starter."""
    if conn is not None:
        for column, value in (("ccn", ccn), ("npi", npi)):
            if not value:
                continue
            try:
                row = conn.execute(
                    f"SELECT * FROM providers WHERE {column} = ? AND effective_from <= ? "
                    "AND (effective_to IS NULL OR effective_to >= ?) ORDER BY effective_from DESC LIMIT 1",
                    (value, day.isoformat(), day.isoformat()),
                ).fetchone()
            except sqlite3.OperationalError:
                break  # no provider table imported
            if row is not None:
                return _record(row)
    for key in ("ccn", "npi"):
        value = ccn if key == "ccn" else npi
        if not value:
            continue
        found = [p for p in starter if getattr(p, key) == value and p.in_force(day)]
        if found:
            return max(found, key=lambda p: p.effective_from)
    return None
