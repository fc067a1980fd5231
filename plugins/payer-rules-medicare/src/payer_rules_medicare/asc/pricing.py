"""Medicare ASC facility payment for one claim (42 CFR 416.171-416.172; Pub. 100-04 Ch. 14 §40).

For each line, from the CMS addenda in force on its date of service:

* Payment indicators (Addendum DD1 definitions) decide how a code is paid:
  A2, G2, P2, P3, R2, D2 (surgical), J8 (device-intensive surgical), Z2, Z3 (radiology) are paid
  at the addendum rate, wage-adjusted; K2 (separately payable drugs and biologicals) at the
  rate, not wage-adjusted; N1, L1, D1 are packaged (no separate payment, CO-97); codes on
  Addendum EE are excluded from ASC payment. F4, J7, K7, L6 (contractor-priced or reasonable
  cost), H2, S2 (paid at OPPS rates; their geographic treatment is not modelled here) and K5
  (no price yet) pend, naming why; so does a BB drug with an inflation-adjusted coinsurance
  (its patient share is not 20%).
* Wage adjustment: ``rate x (0.5 x wage index + 0.5)``, the labor-related share being 50%
  (§40.2), with the ASC's wage index (:mod:`.wage_index`). For J8 the device portion from
  Addendum FF is taken out first and added back unadjusted.
* Multiple procedures (§40.5): codes AA marks Y, on one date of service, are ranked by their
  payment (the lower of it and the charge); the highest is paid 100%, every other procedure
  and unit 50%. The J8 device portion is not discounted. Modifier 50 counts as two procedures
  (150% when the code is discounted, 200% when not).
* Discontinued procedures (§40.4): modifier 73 50% and not further discounted (for J8 the
  device portion is removed first, §40.10); 52 50%, not further discounted; 74 100%.
* Ancillary services (BB) are paid only with a covered surgical procedure (AA) of the same
  date on the claim (42 CFR 416.164(b)); alone they pend (MCR856).
* The allowed amount is the lesser of the payment and the line's charge; Part B deductible
  and 20% coinsurance follow in :mod:`payer_rules_medicare.cost_sharing`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from attrs import frozen

from payer_rules.context import Context
from payer_rules.models import Claim, ServiceLine
from payer_rules.money import money
from payer_rules.results import Finding, PricedLine, Pricing, Source
from payer_rules_medicare import __version__
from payer_rules_medicare.asc.tables import AscRate, Release, excluded, rate, release_for
from payer_rules_medicare.asc.wage_index import WageIndex, wage_index_for
from payer_rules_medicare.edits import finding
from payer_rules_medicare.imported import ImportedTables
from payer_rules_medicare.rules import SOURCE_NAME

__all__ = ["ASC_SOURCE", "LABOR_SHARE", "price_asc_claim"]

LABOR_SHARE = Decimal("0.5")
HALF = Decimal("0.5")
WAGE_ADJUSTED = frozenset({"A2", "G2", "J8", "P2", "P3", "R2", "D2", "Z2", "Z3"})
NATIONAL_RATE = frozenset({"K2"})
PACKAGED = {
    "N1": "packaged service or item; no separate payment (PI N1)",
    "L1": "influenza or pneumococcal vaccine: packaged, no separate payment on the ASC claim (PI L1)",
    "D1": "ancillary dental service or item; no separate payment (PI D1)",
}
NOT_MODELLED = {
    "F4": "is paid at reasonable cost (corneal tissue acquisition, hepatitis B vaccine; PI F4): the MAC "
    "prices it from the invoice",
    "J7": "is an OPPS pass-through device, contractor-priced (PI J7)",
    "K7": "is an unclassified drug or biological, contractor-priced (PI K7)",
    "L6": "has a special payment (new technology IOL or qualifying non-opioid item; PI L6) this plugin "
    "does not model",
    "H2": "is a brachytherapy source paid at the OPPS rate (PI H2); whether the ASC wage adjustment "
    "applies is not modelled here",
    "S2": "is a skin substitute paid at the OPPS rate (PI S2); its geographic adjustment is not "
    "modelled here",
    "K5": "has no pricing information yet (PI K5); CMS makes no payment until it publishes one",
}

ASC_SOURCE = Source(
    name=SOURCE_NAME,
    version=__version__,
    citation="42 CFR 416.171-416.172; Pub. 100-04 Ch. 14 §40; CMS ASC addenda AA / BB / EE / FF",
)


@frozen
class _Unit:
    """One line's payment for one procedure (unit), before the multiple-procedure discount."""

    line: int
    full: Decimal  # device portion + wage-adjusted service portion
    reduced: Decimal  # what a discounted (second and later) procedure is paid
    count: int  # procedures on the line: units, doubled by modifier 50
    discounted: bool  # goes into the multiple-procedure ranking
    day: dt.date
    basis: tuple[str, ...]


def _quarter(day: dt.date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def _import_hint(day: dt.date) -> str:
    return (
        f"no CMS ASC addenda for {_quarter(day)} are loaded; import the quarter's Addenda AA, BB, EE "
        "and FF: `payer-rules data import asc DIR`"
    )


def _line(
    n: int, line: ServiceLine, day: dt.date, found: AscRate, release: Release, index: WageIndex | None
) -> _Unit | str:
    """The line's per-procedure payment, or why it cannot be priced."""
    assert found.rate is not None
    device = (found.device_portion or Decimal(0)) if found.indicator == "J8" else Decimal(0)
    basis = [f"ASC {release.label} (from {release.effective_from}), PI {found.indicator}, rate {found.rate}"]
    if found.indicator in NATIONAL_RATE:
        service = found.rate
        basis.append("not wage-adjusted")
    else:
        assert index is not None
        factor = LABOR_SHARE * index.value + (1 - LABOR_SHARE)
        service = money((found.rate - device) * factor)
        if device:
            basis.append(f"device portion {device} not wage-adjusted")
        basis.append(f"wage index {index.value} (CBSA {index.cbsa}, {index.source}), labor share 50%")
    modifiers = line.modifiers
    units = line.units
    if units != units.to_integral_value() or units < 1:
        return f"line {n}: {units} units of {line.procedure}: ASC procedures are paid per whole unit"
    count = int(units) * (2 if "50" in modifiers else 1)
    if "50" in modifiers:
        basis.append("modifier 50: two procedures")
    if "73" in modifiers:
        basis.append("modifier 73: 50%, device portion removed" if device else "modifier 73: 50%")
        half = money(service * HALF)
        return _Unit(n, half, half, count, False, day, tuple(basis))
    full = device + service
    if "52" in modifiers:
        basis.append("modifier 52: 50%")
        half = money(full * HALF)
        return _Unit(n, half, half, count, False, day, tuple(basis))
    if "74" in modifiers:
        basis.append("modifier 74: 100%")
    return _Unit(n, full, device + money(service * HALF), count, found.discounted, day, tuple(basis))


def _discounted_totals(units: list[_Unit], claim: Claim) -> dict[int, tuple[Decimal, bool]]:
    """Each line's amount after the multiple-procedure discount, and whether it was reduced."""
    out: dict[int, tuple[Decimal, bool]] = {}
    pools: defaultdict[dt.date, list[tuple[Decimal, int, _Unit]]] = defaultdict(list)
    for u in units:
        if not u.discounted:
            out[u.line] = (u.full * u.count, False)
            continue
        charge = money(claim.lines[u.line - 1].charge / u.count)
        for _ in range(u.count):
            pools[u.day].append((min(u.full, charge), u.line, u))
    for entries in pools.values():
        ranked = sorted(entries, key=lambda e: (-e[0], e[1]))
        totals: defaultdict[int, Decimal] = defaultdict(Decimal)
        reduced: set[int] = set()
        for rank, (_, number, u) in enumerate(ranked):
            if rank == 0:
                totals[number] += u.full
            else:
                totals[number] += u.reduced
                reduced.add(number)
        for number, total in totals.items():
            out[number] = (total, number in reduced)
    return out


def price_asc_claim(claim: Claim, context: Context, tables: ImportedTables) -> Pricing:
    conn = tables.asc
    findings: list[Finding] = []
    units: list[_Unit] = []
    indexes: dict[dt.date, WageIndex | str] = {}
    looked_up: list[tuple[dt.date, Release | None, AscRate | None]] = []
    for line in claim.lines:
        day = context.rules_date(line.service_date)
        release = release_for(conn, day)
        found = rate(conn, release, line.procedure) if release is not None and conn is not None else None
        looked_up.append((day, release, found))
    # Ancillary services (BB) are paid only as part of a covered surgical procedure (AA) of the
    # same ASC visit (42 CFR 416.164(b)).
    surgical_days = {
        claim.lines[i].service_date for i, (_, _, f) in enumerate(looked_up) if f and f.addendum == "AA"
    }
    for n, (line, (day, release, found)) in enumerate(zip(claim.lines, looked_up, strict=True), 1):
        if release is None or conn is None:
            findings.append(finding("MCR850", f"line {n}: {_import_hint(day)}", line=n))
            continue
        if found is None:
            if "EE" in release.addenda and excluded(conn, release, line.procedure):
                findings.append(
                    finding(
                        "MCR852",
                        f"line {n}: {line.procedure} is on Addendum EE ({release.label}): excluded from "
                        "payment in an ASC",
                        line=n,
                    )
                )
            else:
                findings.append(
                    finding(
                        "MCR854",
                        f"line {n}: {line.procedure} is on none of the loaded addenda "
                        f"({', '.join(sorted(release.addenda))}) of {release.label}",
                        line=n,
                    )
                )
            continue
        pi = found.indicator
        if found.addendum == "BB" and line.service_date not in surgical_days:
            findings.append(
                finding(
                    "MCR856",
                    f"line {n}: {line.procedure} is an ASC ancillary service (Addendum BB) with no covered "
                    f"surgical procedure (Addendum AA) on this claim for {line.service_date}",
                    line=n,
                )
            )
            continue
        if pi in PACKAGED:
            findings.append(finding("MCR853", f"line {n}: {line.procedure}: {PACKAGED[pi]}", line=n))
            continue
        why = None
        if pi not in WAGE_ADJUSTED and pi not in NATIONAL_RATE:
            why = NOT_MODELLED.get(pi, f"has payment indicator {pi}, which this plugin does not price")
        elif found.rate is None:
            why = f"has no payment rate in Addendum {found.addendum} of {release.label}"
        elif pi == "J8" and ("FB" in line.modifiers or "FC" in line.modifiers):
            why = "is device-intensive and billed with FB / FC (device at no cost or with credit, §40.8)"
        elif found.ira_copay is not None:
            why = (
                f"has an inflation-adjusted coinsurance of {found.ira_copay} per unit in Addendum BB of "
                f"{release.label} (Inflation Reduction Act), not 20%; this plugin's cost sharing does "
                "not apply it yet"
            )
        elif pi == "J8" and found.device_portion is None:
            why = f"is device-intensive but no Addendum FF device portion is loaded for {release.label}"
        if why is not None:
            findings.append(finding("MCR855", f"line {n}: {line.procedure} {why}", line=n))
            continue
        index: WageIndex | None = None
        if pi in WAGE_ADJUSTED:
            got = indexes.get(day)
            if got is None:
                got = indexes[day] = wage_index_for(claim, day, conn)
            if isinstance(got, str):
                findings.append(finding("MCR851", f"line {n}: {got}", line=n))
                continue
            index = got
        priced = _line(n, line, day, found, release, index)
        if isinstance(priced, str):
            findings.append(finding("MCR855", priced, line=n))
            continue
        units.append(priced)
    totals = _discounted_totals(units, claim)
    lines: list[PricedLine] = []
    for u in units:
        amount, reduced = totals[u.line]
        basis = list(u.basis)
        if reduced:
            basis.append("multiple procedure: 50% after the first")
        charge = money(claim.lines[u.line - 1].charge)
        lines.append(PricedLine(line=u.line, allowed=min(money(amount), charge), basis=", ".join(basis)))
    lines.sort(key=lambda p: p.line)
    return Pricing(lines=tuple(lines), findings=tuple(findings), source=ASC_SOURCE)
