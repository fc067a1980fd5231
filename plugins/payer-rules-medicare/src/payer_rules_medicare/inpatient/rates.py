"""The IPPS starter pack (``data/ipps.toml``): FY rates, Part A cost sharing, starter Table 5 rows
and example providers, read once and compiled into lookups."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from attrs import frozen

from payer_rules_medicare.inpatient.providers import ProviderRecord, provider_from_toml
from payer_rules_medicare.inpatient.table5 import DrgWeight

__all__ = ["IPPS_PACK", "FiscalYearRates", "IppsPack", "PartA", "load_ipps_pack"]

IPPS_PACK = Path(__file__).resolve().parent.parent / "data" / "ipps.toml"


@frozen
class FiscalYearRates:
    """One fiscal year's national IPPS rates (the final rule's Addendum and Tables 1A / 1D)."""

    year: int
    release: str
    standardized_amount: Decimal
    labor_share_above_1: Decimal
    labor_share_at_most_1: Decimal
    capital_rate: Decimal
    gaf_exponent: Decimal
    fixed_loss_threshold: Decimal
    marginal_cost_factor: Decimal

    def labor_share(self, wage_index: Decimal) -> Decimal:
        return self.labor_share_above_1 if wage_index > 1 else self.labor_share_at_most_1


@frozen
class PartA:
    """Part A inpatient cost sharing by calendar year of admission."""

    deductible: dict[int, Decimal]
    coinsurance_61_90: dict[int, Decimal]
    lifetime_reserve: dict[int, Decimal]


@frozen
class IppsPack:
    rates: dict[int, FiscalYearRates]
    part_a: PartA
    table5: dict[tuple[int, str], DrgWeight]
    providers: tuple[ProviderRecord, ...]


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


@cache
def load_ipps_pack(path: Path = IPPS_PACK) -> IppsPack:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    rates = {
        y["year"]: FiscalYearRates(
            year=y["year"],
            release=y["release"],
            standardized_amount=_d(y["standardized_amount"]),
            labor_share_above_1=_d(y["labor_share_above_1"]),
            labor_share_at_most_1=_d(y["labor_share_at_most_1"]),
            capital_rate=_d(y["capital_rate"]),
            gaf_exponent=_d(y["gaf_exponent"]),
            fixed_loss_threshold=_d(y["fixed_loss_threshold"]),
            marginal_cost_factor=_d(y["marginal_cost_factor"]),
        )
        for y in raw["fiscal_year"]
    }
    part_a = raw["part_a"]
    table = raw["table5"]
    year = int(table["fiscal_year"])
    weights = {
        (year, r[0]): DrgWeight(
            fiscal_year=year,
            drg=r[0],
            post_acute=bool(r[1]),
            special_pay=bool(r[2]),
            mdc=r[3],
            type=r[4],
            title=r[5],
            weight_before_cap=_d(r[6]),
            weight=_d(r[7]),
            gmlos=_d(r[8]),
            amlos=_d(r[9]),
            release=table["release"],
        )
        for r in table["rows"]
    }
    return IppsPack(
        rates=rates,
        part_a=PartA(
            deductible={int(k): _d(v) for k, v in part_a["deductible"].items()},
            coinsurance_61_90={int(k): _d(v) for k, v in part_a["coinsurance_61_90"].items()},
            lifetime_reserve={int(k): _d(v) for k, v in part_a["lifetime_reserve"].items()},
        ),
        table5=weights,
        providers=tuple(
            provider_from_toml(p, f"{path}: provider {i + 1}", source="starter pack (example)")
            for i, p in enumerate(raw.get("provider", []))
        ),
    )


def fiscal_year_start(year: int) -> dt.date:
    return dt.date(year - 1, 10, 1)
