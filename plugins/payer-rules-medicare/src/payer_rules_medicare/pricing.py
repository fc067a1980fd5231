"""Medicare Part B pricing for the slice: physician fee schedule and clinical lab fee schedule.

Physician fee schedule: ``[(work RVU x work GPCI) + (PE RVU x PE GPCI) + (MP RVU x MP GPCI)] x
CF``, rounded to the cent, with the facility PE RVU in facility places of service; the allowed
amount is the lesser of that and the actual charge (Pub. 100-04 Ch. 12 §20). Non-participating
providers get 95%.
"""

from __future__ import annotations

from decimal import Decimal

from payer_rules.context import Context
from payer_rules.models import Claim, ServiceLine
from payer_rules.money import money
from payer_rules.results import Finding, PricedLine, Pricing, Source
from payer_rules_medicare import __version__
from payer_rules_medicare.edits import finding
from payer_rules_medicare.rules import SOURCE_NAME
from payer_rules_medicare.starter import Starter

#: Places of service paid at the facility rate (MPFS facility setting list).
FACILITY_POS = frozenset(
    {"19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53", "56", "61"}
)
NON_PARTICIPATING = Decimal("0.95")


def locality_for(claim: Claim, starter: Starter) -> tuple[str, str] | None:
    zips = [claim.service_facility_zip]
    address = claim.billing_provider.address
    zips.append(address.zip if address else None)
    for z in zips:
        if z and z[:5] in starter.zip_locality:
            return starter.zip_locality[z[:5]]
    return None


def physician_fee(
    line: ServiceLine, claim: Claim, context: Context, starter: Starter
) -> tuple[Decimal, str] | str:
    """The fee for one unit, with how it was found, or why there is none."""
    day = context.rules_date(line.service_date)
    year = starter.fee_years.get(day.year)
    if year is None:
        return f"no physician fee schedule for CY{day.year} is loaded"
    rvu = year.rvu.get(line.procedure)
    if rvu is None:
        return f"{line.procedure} is not in the loaded CY{day.year} fee schedule"
    if rvu.status not in {"A", "R", "T"}:
        return f"{line.procedure} has status {rvu.status} in CY{day.year}; not separately paid"
    locality = locality_for(claim, starter)
    if locality is None or locality not in year.gpci:
        zip_ = claim.service_facility_zip or (
            claim.billing_provider.address.zip if claim.billing_provider.address else None
        )
        return f"no CY{day.year} payment locality is loaded for ZIP {zip_ or 'unknown'}"
    gpci = year.gpci[locality]
    facility = claim.place_of_service_for(line) in FACILITY_POS
    pe = rvu.pe_facility if facility else rvu.pe_nonfacility
    fee = money((rvu.work * gpci.work + pe * gpci.pe + rvu.mp * gpci.mp) * year.conversion_factor)
    setting = "facility" if facility else "non-facility"
    return (
        fee,
        f"MPFS CY{day.year} {setting}, locality {locality[0]}-{locality[1]} ({gpci.name}), {year.release}",
    )


def price_claim(claim: Claim, context: Context, starter: Starter) -> Pricing:
    lines: list[PricedLine] = []
    findings: list[Finding] = []
    participating = claim.billing_provider.participating
    for n, line in enumerate(claim.lines, 1):
        day = context.rules_date(line.service_date)
        if line.procedure in starter.clfs and starter.clfs_from <= day <= starter.clfs_to:
            fee, basis = starter.clfs[line.procedure], f"CLFS, {starter.clfs_release}"
        else:
            found = physician_fee(line, claim, context, starter)
            if isinstance(found, str):
                findings.append(finding("MCR201", f"line {n}: {found}", line=n))
                continue
            fee, basis = found
            if not participating:
                fee = money(fee * NON_PARTICIPATING)
                basis += ", non-participating 95%"
        amount = money(fee * line.units)
        allowed = min(amount, money(line.charge))
        lines.append(PricedLine(line=n, allowed=allowed, basis=basis))
    return Pricing(
        lines=tuple(lines),
        findings=tuple(findings),
        source=Source(name=SOURCE_NAME, version=__version__, citation="Pub. 100-04 Ch. 12 §20; Ch. 16 §20"),
    )


def is_lab_fee_schedule(line: ServiceLine, starter: Starter) -> bool:
    return line.procedure in starter.clfs
