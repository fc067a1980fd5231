"""The starter pack: the few CMS values the shipped examples need, compiled into lookups."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from attrs import frozen

STARTER = Path(__file__).parent / "data" / "starter.toml"


@frozen
class Rvu:
    status: str
    work: Decimal
    pe_nonfacility: Decimal
    pe_facility: Decimal
    mp: Decimal
    global_days: str = "XXX"
    split: tuple[Decimal, Decimal, Decimal] | None = None
    #: The other payment-policy indicators (``policy_rvu`` rows); visits default to the E/M
    #: values: PCTC 0, MULT PROC 0, BILAT / ASST / CO- / TEAM SURG 0.
    pctc: str = "0"
    mult_proc: str = "0"
    bilateral: str = "0"
    assistant: str = "0"
    co_surgery: str = "0"
    team_surgery: str = "0"
    endo_base: str = ""


@frozen
class Gpci:
    work: Decimal
    pe: Decimal
    mp: Decimal
    name: str


@frozen
class FeeYear:
    year: int
    release: str
    conversion_factor: Decimal
    #: By (code, modifier): the global row has modifier "", a component its 26 / TC.
    rvu: dict[tuple[str, str], Rvu]
    gpci: dict[tuple[str, str], Gpci]


@frozen
class AnesthesiaYear:
    """One year of anesthesia conversion factors (by MAC and locality) and base units."""

    cf_release: str
    conversion_factors: dict[tuple[str, str], Decimal]
    base_release: str
    base_units: dict[str, Decimal]


@frozen
class AspQuarter:
    """A few rows of one quarter's ASP pricing file: code -> (dosage, payment limit or None)."""

    release: str
    limits: dict[str, tuple[str, Decimal | None]]


@frozen
class Starter:
    fee_years: dict[int, FeeYear]
    zip_locality: dict[str, tuple[str, str]]
    clfs_release: str
    clfs_from: dt.date
    clfs_to: dt.date
    clfs: dict[str, Decimal]
    deductible: dict[int, Decimal]
    coinsurance_percent: Decimal
    sequestration_percent: Decimal
    anesthesia: dict[int, AnesthesiaYear]
    asp: dict[int, AspQuarter]


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _rvu(row: list[str]) -> Rvu:
    """``[code, status, work, PE non-facility, PE facility, MP, GLOB DAYS?, PRE, INTRA, POST?]``."""
    work, pe_nf, pe_f, mp = (_d(v) for v in row[2:6])
    days = row[6] if len(row) > 6 else "XXX"
    split = (_d(row[7]), _d(row[8]), _d(row[9])) if len(row) > 9 else None
    return Rvu(row[1], work, pe_nf, pe_f, mp, days, split)


def _policy_rvu(row: list[str]) -> Rvu:
    """``[code, modifier, status, work, PE non-facility, PE facility, MP, PCTC IND, GLOB DAYS,
    MULT PROC, BILAT SURG, ASST SURG, CO-SURG, TEAM SURG, ENDO BASE]``: a full PPRRVU record."""
    work, pe_nf, pe_f, mp = (_d(v) for v in row[3:7])
    pctc, days, mult, bilateral, assistant, co, team, endo = (str(v) for v in row[7:15])
    return Rvu(row[2], work, pe_nf, pe_f, mp, days, None, pctc, mult, bilateral, assistant, co, team, endo)


def _rvu_rows(year: dict[str, Any]) -> dict[tuple[str, str], Rvu]:
    rows = {(row[0], ""): _rvu(row) for row in year["rvu"]}
    rows.update(((row[0], row[1]), _policy_rvu(row)) for row in year.get("policy_rvu", []))
    return rows


@cache
def load_starter(path: Path = STARTER) -> Starter:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    years = {}
    for y in raw["mpfs"]["year"]:
        years[y["year"]] = FeeYear(
            year=y["year"],
            release=y["release"],
            conversion_factor=_d(y["conversion_factor"]),
            rvu=_rvu_rows(y),
            gpci={(g[0], g[1]): Gpci(_d(g[2]), _d(g[3]), _d(g[4]), g[5]) for g in y["gpci"]},
        )
    clfs = raw["clfs"]
    partb = raw["partb"]
    return Starter(
        fee_years=years,
        zip_locality={z: (v[0], v[1]) for z, v in raw["mpfs"]["zip"].items()},
        clfs_release=clfs["release"],
        clfs_from=clfs["effective_from"],
        clfs_to=clfs["effective_to"],
        clfs={k: _d(v) for k, v in clfs["rates"].items()},
        deductible={int(k): _d(v) for k, v in partb["deductible"].items()},
        coinsurance_percent=_d(partb["coinsurance_percent"]),
        sequestration_percent=_d(partb["sequestration_percent"]),
        anesthesia={
            a["year"]: AnesthesiaYear(
                cf_release=a["cf_release"],
                conversion_factors={(c[0], c[1]): _d(c[2]) for c in a["conversion_factors"]},
                base_release=a["base_release"],
                base_units={k: _d(v) for k, v in a["base_units"].items()},
            )
            for a in raw.get("anesthesia", {}).get("year", [])
        },
        asp={
            q["quarter"]: AspQuarter(
                release=q["release"],
                limits={r[0]: (r[1], _d(r[2]) if r[2] != "N/A" else None) for r in q["rows"]},
            )
            for q in raw.get("asp", {}).get("quarter", [])
        },
    )
