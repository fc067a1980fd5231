"""Preventive services: which lines Medicare pays without the deductible or the coinsurance.

Three cases, each a lookup on the line's code and modifiers (``data/preventive.toml``):

- a service on CMS's list of preventive services with no cost sharing (AWV, IPPE, screening
  colonoscopy and mammography, vaccines and their administration ...): neither the deductible
  nor the coinsurance (42 CFR 410.152(l), 410.160(b); Pub. 100-04 Ch. 18 §1.2) — MCR601;
- advance care planning (99497, 99498) with modifier 33 on the day of an annual wellness visit
  on the same claim, same day: also waived (CY2016 physician fee schedule final rule, ACP as an
  optional element of the AWV) — MCR601;
- modifier PT, a colorectal cancer screening that became diagnostic or therapeutic: no
  deductible, and the coinsurance of the year of service (SSA §1833(dd), CAA 2021 §122:
  20% in 2022, 15% 2023-2026, 10% 2027-2029, none from 2030) — MCR602.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path

from attrs import frozen

from payer_rules.models import Claim, ServiceLine

__all__ = ["CostSharing", "PreventiveList", "cost_sharing_for", "load_preventive"]

PREVENTIVE = Path(__file__).parent / "data" / "preventive.toml"
ADVANCE_CARE_PLANNING = frozenset({"99497", "99498"})
ANNUAL_WELLNESS_VISITS = frozenset({"G0438", "G0439"})


@frozen
class CostSharing:
    """How a line's cost sharing differs from the standard deductible and 20% coinsurance."""

    rule: str
    deductible: bool
    coinsurance_percent: Decimal
    why: str


@frozen
class PreventiveList:
    release: str
    waived: dict[str, str]
    #: Exact codes and (low, high) ranges of five-character codes that take modifier PT.
    pt_codes: frozenset[str]
    pt_ranges: tuple[tuple[str, str], ...]
    #: (first year, percent), sorted by year.
    pt_percent: tuple[tuple[int, Decimal], ...]

    def pt_applies(self, code: str) -> bool:
        if code in self.pt_codes:
            return True
        return any(len(code) == len(low) and low <= code <= high for low, high in self.pt_ranges)

    def pt_coinsurance(self, day: dt.date) -> Decimal | None:
        percent = None
        for year, value in self.pt_percent:
            if day.year >= year:
                percent = value
        return percent


@cache
def load_preventive(path: Path = PREVENTIVE) -> PreventiveList:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    colorectal = raw["colorectal"]
    codes: set[str] = set()
    ranges: list[tuple[str, str]] = []
    for entry in colorectal["pt_codes"]:
        if "-" in entry:
            low, high = entry.split("-")
            ranges.append((low, high))
        else:
            codes.add(entry)
    percent = sorted((int(y), Decimal(v)) for y, v in colorectal["coinsurance_percent"].items())
    return PreventiveList(
        release=raw["release"],
        waived={str(k): v for k, v in raw["waived"].items()},
        pt_codes=frozenset(codes),
        pt_ranges=tuple(ranges),
        pt_percent=tuple(percent),
    )


_NONE = Decimal(0)


def cost_sharing_for(line: ServiceLine, claim: Claim, listed: PreventiveList) -> CostSharing | None:
    """The preventive-service cost sharing of ``line``, or ``None`` for the standard terms."""
    service = listed.waived.get(line.procedure)
    if service is not None:
        return CostSharing("MCR601", False, _NONE, f"{line.procedure} ({service}) is a preventive service")
    modifiers = line.modifiers
    if not modifiers:
        return None
    if line.procedure in ADVANCE_CARE_PLANNING and "33" in modifiers:
        day = line.service_date
        if any(o.procedure in ANNUAL_WELLNESS_VISITS and o.service_date == day for o in claim.lines):
            return CostSharing(
                "MCR601",
                False,
                _NONE,
                f"{line.procedure}-33 (advance care planning) with the annual wellness visit of {day}",
            )
    if "PT" in modifiers and listed.pt_applies(line.procedure):
        percent = listed.pt_coinsurance(line.service_date)
        if percent is not None:
            return CostSharing(
                "MCR602",
                False,
                percent,
                f"{line.procedure}-PT: a colorectal cancer screening that became diagnostic; "
                f"no deductible, coinsurance {percent}% in {line.service_date.year}",
            )
    return None
