"""CMS's own MPFS files, read by the tests independently of the engine's importer.

Expected amounts in the payment-policy tests are worked here from the published files in
``../shared/data/mpfs`` by CMS's formula (Pub. 100-04 Ch. 12 §20.2, RVU25D.pdf "fee schedule
amount"): ``[(work RVU x work GPCI) + (PE RVU x PE GPCI) + (MP RVU x MP GPCI)] x CF``, rounded
half up to the cent. The columns are found by the two header rows of the CSV (the record layout
in RVU25D.pdf), not by the engine's code.
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
MPFS = SHARED / "mpfs"
PPRRVU_2025 = MPFS / "PPRRVU2025_Oct.csv"
CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@cache
def _rvu_table(path: Path = PPRRVU_2025) -> dict[tuple[str, str], dict[str, str]]:
    with path.open(encoding="latin-1", newline="") as fh:
        rows = list(csv.reader(fh))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "HCPCS")
    names = [f"{a.strip()} {b.strip()}".strip() for a, b in zip(rows[head - 1], rows[head], strict=False)]
    table = {}
    for r in rows[head + 1 :]:
        if r and r[0]:
            record = dict(zip(names, (c.strip() for c in r), strict=False))
            table[(record["HCPCS"], record["MOD"])] = record
    return table


def rvu(code: str, modifier: str = "", path: Path = PPRRVU_2025) -> dict[str, str]:
    """The PPRRVU record of a code: keys are the layout's names (``WORK RVU``, ``MULT PROC``...)."""
    return _rvu_table(path)[(code, modifier)]


def codes_where(column: str, value: str, path: Path = PPRRVU_2025) -> list[str]:
    """Codes (global rows) whose ``column`` holds ``value``, in file order."""
    return [c for (c, m), r in _rvu_table(path).items() if not m and r[column] == value]


@cache
def gpci(name: str, mac: str, locality: str) -> tuple[Decimal, Decimal, Decimal]:
    """(work, PE, MP) GPCI of a locality from CMS's Addendum E CSV (``GPCI2025.csv``...)."""
    with (MPFS / name).open(encoding="latin-1") as fh:
        for row in csv.reader(fh):
            if len(row) > 6 and row[0].strip() == mac and row[2].strip() == locality:
                return Decimal(row[4]), Decimal(row[5]), Decimal(row[6])
    raise AssertionError(f"{mac}-{locality} not in {name}")


def components(
    record: dict[str, str], gpcis: tuple[Decimal, Decimal, Decimal], facility: bool = False
) -> tuple[Decimal, Decimal, Decimal]:
    """The geographically adjusted work, PE and MP RVUs of a record (before the CF)."""
    pe = record["FACILITY PE RVU"] if facility else record["NON-FAC PE RVU"]
    return (
        Decimal(record["WORK RVU"]) * gpcis[0],
        Decimal(pe) * gpcis[1],
        Decimal(record["MP RVU"]) * gpcis[2],
    )


def fee(
    code: str,
    modifier: str = "",
    *,
    gpci_file: str = "GPCI2025.csv",
    locality: tuple[str, str] = ("01112", "05"),
    facility: bool = False,
) -> Decimal:
    """CMS's fee schedule amount for one unit, rounded to the cent."""
    record = rvu(code, modifier)
    work, pe, mp = components(record, gpci(gpci_file, *locality), facility)
    return cents((work + pe + mp) * Decimal(record["CONV FACTOR"]))
