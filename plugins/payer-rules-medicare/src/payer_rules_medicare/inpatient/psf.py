"""CMS's Inpatient Provider Specific File (PSF) as CSV: ``payer-rules data import ipps-psf FILE...``.

The PSF holds one record per hospital and effective date. CMS publishes it for public use with
the field names of its record layout, e.g. ``PROVIDER`` (CCN), ``EFF_DT``, ``TERMDATE``,
``CBSA`` / ``WAGECBSA`` (wage index location), ``SPECWI`` (special wage index), ``CCR``
(operating cost-to-charge ratio), ``CPCSTCHG`` (capital CCR), ``IBR`` (intern-to-bed ratio),
``DISPSHR`` (operating DSH adjustment), ``IMERATIO`` (capital IME resident ratio), and in recent
files the per-claim uncompensated care amount. Columns are found by those names or by the
spelled-out names (``Provider CCN``, ``Effective Date``, ``Operating Cost to Charge Ratio`` ...),
case and spacing aside.

What the PSF does not carry is worked out as the regulations say:

- operating IME factor = 1.35 x [(1 + intern-to-bed ratio) ^ 0.405 - 1] (42 CFR 412.105(d));
- capital IME factor = e ^ (0.2822 x capital IME ratio) - 1 (42 CFR 412.322(b));
- the wage index: the special wage index when the record has one, else the wage index of the
  record's CBSA from a wage index file given alongside (any CSV with a CBSA column and a
  ``wage index`` column, e.g. the FY's Table 2 or 3 saved as CSV). A record with neither is
  skipped and counted in the import's notes; its claims pend (MCR821).

Not derived (set them in an ``ipps-provider`` TOML record where they apply): capital DSH
(412.320 depends on urban location and bed count), a hospital-specific rate, VBP / readmission
factors.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from attrs import evolve

from payer_rules.errors import InputError
from payer_rules.store import ImportOptions, ImportReport
from payer_rules_medicare.inpatient.providers import ProviderRecord, write_providers
from payer_rules_medicare.textfiles import csv_records

__all__ = ["capital_ime_factor", "ime_factor", "import_psf"]

#: Column name (letters and digits only, upper case) -> field. The PSF layout's short names first.
_ALIASES: dict[str, tuple[str, ...]] = {
    "ccn": ("PROVIDER", "PROVIDERCCN", "OSCARNUMBER", "PROVIDERNUMBER", "CCN"),
    "npi": ("NPI", "NATIONALPROVIDERIDENTIFIER"),
    "effective": ("EFFDT", "EFFECTIVEDATE"),
    "termination": ("TERMDATE", "TERMINATIONDATE"),
    "cbsa": ("CBSA", "CBSAACTUALGEOGRAPHICLOCATION"),
    "wage_cbsa": ("WAGECBSA", "CBSAWAGEINDEXLOCATION"),
    "special_wi": ("SPECWI", "SPECIALWAGEINDEX"),
    "operating_ccr": ("CCR", "OPERATINGCOSTTOCHARGERATIO"),
    "capital_ccr": ("CPCSTCHG", "CAPITALCOSTTOCHARGERATIO"),
    "ibr": ("IBR", "INTERNSTOBEDSRATIO", "INTERNTOBEDRATIO"),
    "dsh": ("DISPSHR", "OPERATINGDSH", "OPERATINGDISPROPORTIONATESHARE"),
    "capital_ime_ratio": ("IMERATIO", "CAPITALINDIRECTMEDICALEDUCATIONRATIO"),
    "ucp": ("UCPAMT", "UNCOMPENSATEDCAREAMOUNT", "UNCOMPENSATEDCAREPAYMENTAMOUNT"),
    "name": ("NAME", "PROVIDERNAME", "HOSPITALNAME"),
}
_REQUIRED = ("ccn", "effective", "operating_ccr", "capital_ccr")


def _key(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.upper())


def ime_factor(interns_to_beds: Decimal) -> Decimal:
    """Operating IME adjustment: 1.35 x [(1 + r) ^ 0.405 - 1] (42 CFR 412.105(d)(3))."""
    value = Decimal("1.35") * ((1 + interns_to_beds) ** Decimal("0.405") - 1)
    return value.quantize(Decimal("0.000001"))


def capital_ime_factor(ratio: Decimal) -> Decimal:
    """Capital IME adjustment: e ^ (0.2822 x ratio) - 1 (42 CFR 412.322(b))."""
    return Decimal(str(math.expm1(0.2822 * float(ratio)))).quantize(Decimal("0.000001"))


def _number(text: str, where: str, column: str) -> Decimal:
    value = text.strip().replace(",", "")
    if not value:
        return Decimal(0)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise InputError(where, f"{column}: expected a number, got {text!r}") from None
    if not number.is_finite() or number < 0:
        raise InputError(where, f"{column}: expected a non-negative number, got {text!r}")
    return number


def _date(text: str, where: str, column: str) -> dt.date | None:
    value = text.strip()
    if value in ("", "0", "00000000"):
        return None
    for pattern in ("%Y%m%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise InputError(where, f"{column}: expected a date CCYYMMDD, got {text!r}")


def _columns(header: list[str]) -> dict[str, int]:
    keys = [_key(h) for h in header]
    found: dict[str, int] = {}
    for field, names in _ALIASES.items():
        for name in names:
            if name in keys:
                found[field] = keys.index(name)
                break
    return found


def _wage_indexes(path: Path) -> dict[str, Decimal] | None:
    """A CBSA -> wage index file, or ``None`` when ``path`` is not one (no PSF CCN column)."""
    rows, lines = csv_records(path)
    for i, row in enumerate(rows[:20]):
        keys = [_key(c) for c in row]
        cbsa = next((k for k, name in enumerate(keys) if name in ("CBSA", "CBSACODE", "AREA")), None)
        wage = next(
            (k for k, name in enumerate(keys) if "WAGEINDEX" in name and "LOCATION" not in name), None
        )
        if cbsa is not None and wage is not None and not _columns(row).get("ccn"):
            table: dict[str, Decimal] = {}
            for j in range(i + 1, len(rows)):
                r = rows[j]
                if len(r) > max(cbsa, wage) and r[cbsa].strip():
                    table[r[cbsa].strip().zfill(5)] = _number(r[wage], f"{path}:{lines[j]}", row[wage])
            return table
    return None


def import_psf(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    wage_index: dict[str, Decimal] = {}
    psf_files: list[Path] = []
    for path in paths:
        if path.is_dir():
            raise InputError(str(path), "give the PSF CSV file (and a wage index CSV), not a directory")
        table = _wage_indexes(path)
        if table is None:
            psf_files.append(path)
        else:
            wage_index.update(table)
    if not psf_files:
        raise InputError(
            str(paths[0]), "no PSF file among the files (expected a PROVIDER / Provider CCN column)"
        )
    records: list[ProviderRecord] = []
    skipped: list[str] = []
    for path in psf_files:
        rows, lines = csv_records(path)
        if not rows:
            raise InputError(str(path), "empty file")
        cols = _columns(rows[0])
        missing = [f for f in _REQUIRED if f not in cols]
        if missing:
            names = ", ".join(_ALIASES[f][0] for f in missing)
            raise InputError(f"{path}:{lines[0]}", f"no {names} column (is this a PSF CSV?)")

        def cell(row: list[str], field: str, cols: dict[str, int] = cols) -> str:
            index = cols.get(field)
            return row[index] if index is not None and index < len(row) else ""

        for number in range(1, len(rows)):
            row = rows[number]
            if not any(c.strip() for c in row):
                continue
            where = f"{path}:{lines[number]}"
            ccn = cell(row, "ccn").strip().zfill(6)
            effective = _date(cell(row, "effective"), where, "EFF_DT")
            if effective is None:
                raise InputError(
                    where, f"EFF_DT: expected the record's effective date, got {cell(row, 'effective')!r}"
                )
            cbsa = (cell(row, "wage_cbsa").strip() or cell(row, "cbsa").strip()).zfill(5)
            special = _number(cell(row, "special_wi"), where, "SPECWI")
            wi = special if special > 0 else wage_index.get(cbsa)
            if wi is None or wi == 0:
                skipped.append(f"{ccn} (CBSA {cbsa})")
                continue
            records.append(
                ProviderRecord(
                    ccn=ccn,
                    npi=cell(row, "npi").strip() or None,
                    name=cell(row, "name").strip() or f"CCN {ccn}",
                    cbsa=cbsa,
                    wage_index=wi,
                    operating_ccr=_number(cell(row, "operating_ccr"), where, "CCR"),
                    capital_ccr=_number(cell(row, "capital_ccr"), where, "CPCSTCHG"),
                    ime=ime_factor(_number(cell(row, "ibr"), where, "IBR")),
                    dsh=_number(cell(row, "dsh"), where, "DISPSHR"),
                    uncompensated_care_per_claim=_number(cell(row, "ucp"), where, "UCP"),
                    capital_ime=capital_ime_factor(
                        _number(cell(row, "capital_ime_ratio"), where, "IMERATIO")
                    ),
                    effective_from=effective,
                    effective_to=_date(cell(row, "termination"), where, "TERMDATE"),
                    source=f"PSF {path.name}",
                )
            )
    if not records:
        raise InputError(
            str(psf_files[0]),
            f"no record with a wage index ({len(skipped)} without one): give the FY's wage index file "
            "(CBSA and wage index columns) with the PSF",
        )
    report = write_providers(records, paths, options, "ipps-psf")
    if skipped:
        shown = ", ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else "")
        report = evolve(
            report,
            notes=f"{len(skipped)} record(s) without a wage index skipped (special wage index 0 and "
            f"CBSA not in a wage index file): {shown}",
        )
    return report
