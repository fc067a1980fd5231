"""HCPCS Level II importer for the CMS alpha-numeric annual file (``HCPCYYYY_ANWEB``).

Fixed width, one record per line (CMS record layout): 1-5 code (modifiers right-aligned in
4-5), 6-10 sequence number, 11 record id (``3`` first line of a code, ``4`` its continuation,
``7`` first line of a modifier, ``8`` its continuation), 12-91 long description, 92-119 short
description, 269-276 date added, 277-284 action effective date, 285-292 termination date,
293 action code. Lines that are not records (the disclaimer at the top) are skipped.

HCPCS Level II is public domain; the file carries no CPT (Level I) codes or descriptors.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from payer_rules.codesets.registry import HCPCS
from payer_rules.codesets.store import CodeSetData
from payer_rules.errors import InputError

__all__ = ["parse_hcpcs"]

_YEAR = re.compile(r"HCPC(20\d\d)", re.IGNORECASE)


def _date(text: str, where: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise InputError(where, f"expected a date as YYYYMMDD, got {text!r}") from None


def parse_hcpcs(path: Path, *, effective: dt.date | None = None) -> CodeSetData:
    """Codes and modifiers with their added and termination dates."""
    billable: set[str] = set()
    descriptions: dict[str, str] = {}
    dates: dict[str, tuple[dt.date | None, dt.date | None]] = {}
    latest: dt.date | None = None
    with path.open(encoding="latin-1") as fh:
        for number, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if len(line) < 293 or not line[5:10].isdigit() or line[10] not in "37":
                continue
            where = f"{path}:{number}"
            code = line[:5].strip()
            if not re.fullmatch(r"[A-Z][0-9]{4}|[A-Z0-9]{2}", code):
                raise InputError(where, f"expected a HCPCS code or modifier in columns 1-5, got {code!r}")
            added = _date(line[268:276], where)
            acted = _date(line[276:284], where)
            billable.add(code)
            descriptions[code] = line[91:119].strip() or line[11:91].strip()
            dates[code] = (added, _date(line[284:292], where))
            if acted and (latest is None or acted > latest):
                latest = acted
    if not billable:
        raise InputError(str(path), "no HCPCS records found (expected the CMS alpha-numeric annual file)")
    match = _YEAR.search(path.name)
    year = int(match.group(1)) if match else (effective or latest or dt.date.today()).year
    start = effective or dt.date(year, 1, 1)
    name = f"HCPCS {year}" + (f" ({start} update)" if start != dt.date(year, 1, 1) else "")
    return CodeSetData(
        system=HCPCS,
        name=name,
        effective_from=start,
        effective_to=dt.date(year, 12, 31),
        billable=frozenset(billable),
        headers=frozenset(),
        descriptions=descriptions,
        dates=dates,
        source=f"{path.name} (CMS HCPCS alpha-numeric file)",
    )
