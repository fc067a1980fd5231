"""Medicare Part B pricing: physician fee schedule and clinical lab fee schedule.

Physician fee schedule (Pub. 100-04 Ch. 12 §20): ``[(work RVU x work GPCI) + (PE RVU x PE GPCI)
+ (MP RVU x MP GPCI)] x CF``, rounded to the cent, with the facility PE RVU in facility places of
service and the locality from the ZIP code of the service facility (else the billing provider).
Only status A, R and T codes are paid. Then, in this order, each step rounded to the cent:

1. modifiers 26 / TC price from their own PPRRVU rows;
2. modifier 50 by BILAT SURG: 1 -> 150%, 3 -> 200%, 0 / 2 / 9 -> 100% (§40.7);
3. multiple procedures, MULT PROC 2, same date and rendering provider: ranked by fee, the
   highest at 100% and every other procedure (and unit) at 50% (§40.6);
4. assistant at surgery (80, 81, 82) 16%, AS 13.6%, when ASST SURG is 2 (§20.4.3); 0, 1 and 9
   deny the line;
5. nurse practitioners, physician assistants and clinical nurse specialists, by rendering
   taxonomy, 85% (§110, §120);
6. non-participating providers 95% (§20.4.5).

Split care (54 / 55 / 56) and a return to the operating room (78) take their share of the
global package (PRE / INTRA / POST OP) before the multiple-procedure ranking
(:mod:`payer_rules_medicare.global_surgery`, MCR623 where the code has no period to split).

Lab tests on the CLFS are paid its amount (Ch. 16 §20). The allowed amount is the lesser of the
fee and the actual charge. Fee data: the imported tables for the date of service when present,
else the starter pack (:mod:`payer_rules_medicare.mpfs.schedule`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from attrs import evolve, frozen

from payer_rules.context import Context
from payer_rules.models import Claim, ServiceLine
from payer_rules.money import money
from payer_rules.results import Finding, PricedLine, Pricing, Source
from payer_rules_medicare import __version__
from payer_rules_medicare.clfs import lab_fee
from payer_rules_medicare.edits import finding
from payer_rules_medicare.global_surgery import split_care_share
from payer_rules_medicare.imported import ImportedTables, imported
from payer_rules_medicare.mpfs.schedule import (
    FeeRow,
    Schedule,
    StarterSchedule,
    claim_locality,
    schedule_for,
)
from payer_rules_medicare.other_schedules import price_other
from payer_rules_medicare.rules import SOURCE_NAME
from payer_rules_medicare.starter import Starter

#: Places of service paid at the facility rate (MPFS facility setting list).
FACILITY_POS = frozenset(
    {"19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53", "56", "61"}
)
NON_PARTICIPATING = Decimal("0.95")
PAID_STATUSES = frozenset({"A", "R", "T"})
BILATERAL = {"1": Decimal("1.5"), "3": Decimal("2")}
SECOND_PROCEDURE = Decimal("0.5")
ASSISTANT = {"80": Decimal("0.16"), "81": Decimal("0.16"), "82": Decimal("0.16"), "AS": Decimal("0.136")}
#: Nurse practitioner (363L), physician assistant (363A), clinical nurse specialist (364S).
NON_PHYSICIAN_TAXONOMIES = ("363L", "363A", "364S")
NON_PHYSICIAN = Decimal("0.85")


@frozen
class _Fee:
    """A line's fee for one unit after PC/TC and bilateral, before the percentage steps."""

    line: int
    fee: Decimal
    row: FeeRow
    basis: tuple[str, ...]
    group: tuple[dt.date, str]


def _row(schedule: Schedule, line: ServiceLine) -> tuple[FeeRow | None, str]:
    """The PPRRVU row for the line: its 26 / TC (or 53) row when it carries that modifier."""
    for modifier in line.modifiers:
        if modifier in {"26", "TC", "53"}:
            row = schedule.row(line.procedure, modifier)
            if row is not None:
                return row, f", modifier {modifier} row"
    return schedule.row(line.procedure), ""


#: Unit fees already worked out, by everything they depend on. Fee schedules are the same for
#: every claim with the same code, modifiers, date, ZIPs and setting, and a batch repeats those
#: endlessly; the key holds the identity of the tables and starter pack it was computed from.
_UNIT_FEES: dict[tuple[object, ...], tuple[Decimal, FeeRow, tuple[str, ...]] | str] = {}
_UNIT_FEES_MAX = 100_000


def physician_fee(
    number: int, line: ServiceLine, claim: Claim, day: dt.date, tables: ImportedTables, starter: Starter
) -> _Fee | str:
    """The fee for one unit, with how it was found, or why there is none."""
    address = claim.billing_provider.address
    facility = claim.place_of_service_for(line) in FACILITY_POS
    key = (
        id(tables),
        id(starter),
        day,
        line.procedure,
        line.modifiers,
        claim.service_facility_zip,
        address.zip if address else None,
        facility,
    )
    found = _UNIT_FEES.get(key)
    if found is None:
        found = _unit_fee(line, claim, day, tables, starter, facility)
        if len(_UNIT_FEES) >= _UNIT_FEES_MAX:
            _UNIT_FEES.clear()
        _UNIT_FEES[key] = found
    if isinstance(found, str):
        return found
    fee, row, basis = found
    rendering = claim.rendering_for(line)
    return _Fee(line=number, fee=fee, row=row, basis=basis, group=(line.service_date, rendering.npi))


def _unit_fee(
    line: ServiceLine, claim: Claim, day: dt.date, tables: ImportedTables, starter: Starter, facility: bool
) -> tuple[Decimal, FeeRow, tuple[str, ...]] | str:
    schedule = schedule_for(day, tables, starter)
    if schedule is None:
        return f"no physician fee schedule for CY{day.year} is loaded"
    row, which = _row(schedule, line)
    if row is None:
        if isinstance(schedule, StarterSchedule):
            return f"{line.procedure} on {line.service_date}: {schedule.missing}"
        return f"{line.procedure} is not in the loaded CY{day.year} fee schedule ({schedule.release})"
    if row.status not in PAID_STATUSES:
        return (
            f"{line.procedure} has status {row.status} in CY{day.year}; "
            "not paid under the physician fee schedule"
        )
    locality = claim_locality(claim, day, tables, starter)
    gpci = schedule.gpci(*locality) if locality else None
    if locality is None or gpci is None:
        zip_ = claim.service_facility_zip or (
            claim.billing_provider.address.zip if claim.billing_provider.address else None
        )
        return f"no CY{day.year} payment locality is loaded for ZIP {zip_ or 'unknown'}"
    pe = row.pe_facility if facility else row.pe_nonfacility
    factor = row.conversion_factor or schedule.conversion_factor
    fee = money((row.work * gpci.work + pe * gpci.pe + row.mp * gpci.mp) * factor)
    setting = "facility" if facility else "non-facility"
    basis = [
        f"MPFS CY{day.year} {setting}, locality {locality[0]}-{locality[1]} ({gpci.name}), "
        f"{schedule.release}, CF {factor}{which}"
    ]
    if "50" in line.modifiers:
        share = BILATERAL.get(row.bilateral)
        if share is not None:
            fee = money(fee * share)
            basis.append(f"bilateral {share * 100:.0f}%")
        else:
            basis.append(f"modifier 50 with BILAT SURG {row.bilateral}: paid once")
    return fee, row, tuple(basis)


def _multiple_procedures(fees: list[_Fee], claim: Claim) -> dict[int, tuple[Decimal, str | None]]:
    """Each line's amount for all its units after the multiple-procedure reduction (MULT PROC 2)."""
    out: dict[int, tuple[Decimal, str | None]] = {}
    groups: defaultdict[tuple[dt.date, str], list[tuple[Decimal, int]]] = defaultdict(list)
    for f in fees:
        units = claim.lines[f.line - 1].units
        if f.row.mult_proc == "2" and units == units.to_integral_value():
            for _ in range(int(units)):
                groups[f.group].append((f.fee, f.line))
        else:
            out[f.line] = (money(f.fee * units), None)
    for entries in groups.values():
        ranked = sorted(entries, key=lambda e: (-e[0], e[1]))
        totals: defaultdict[int, Decimal] = defaultdict(Decimal)
        reduced: set[int] = set()
        for rank, (fee, number) in enumerate(ranked):
            if rank == 0:
                totals[number] += fee
            else:
                totals[number] += money(fee * SECOND_PROCEDURE)
                reduced.add(number)
        for number, total in totals.items():
            note = (
                "multiple procedure: 50% after the first" if number in reduced and len(ranked) > 1 else None
            )
            out[number] = (total, note)
    return out


def _assistant(modifiers: tuple[str, ...]) -> str | None:
    """The assistant-at-surgery modifier among ``modifiers``, if any (most lines have none)."""
    for modifier in modifiers:
        if modifier in ASSISTANT:
            return modifier
    return None


PRICING_SOURCE = Source(name=SOURCE_NAME, version=__version__, citation="Pub. 100-04 Ch. 12 §20; Ch. 16 §20")


def price_claim(
    claim: Claim, context: Context, starter: Starter, tables: ImportedTables | None = None
) -> Pricing:
    tables = tables if tables is not None else imported()
    lines: list[PricedLine] = []
    findings: list[Finding] = []
    fees: list[_Fee] = []
    participating = claim.billing_provider.participating
    for n, line in enumerate(claim.lines, 1):
        day = context.rules_date(line.service_date)
        other = price_other(n, line, claim, day, tables, starter)
        if other is not None:
            for item in other:
                if isinstance(item, PricedLine):
                    lines.append(item)
                else:
                    findings.append(item)
            continue
        lab = lab_fee(line, day, tables, starter)
        if lab is not None:
            amount = money(lab.amount * line.units)
            lines.append(PricedLine(line=n, allowed=min(amount, money(line.charge)), basis=lab.basis))
            continue
        found = physician_fee(n, line, claim, day, tables, starter)
        if isinstance(found, str):
            findings.append(finding("MCR201", f"line {n}: {found}", line=n))
            continue
        assistant = _assistant(line.modifiers)
        if assistant and found.row.assistant != "2":
            why = {
                "0": "only with documentation of medical necessity (ASST SURG 0)",
                "1": "never for this procedure (ASST SURG 1)",
            }.get(found.row.assistant, f"not for this procedure (ASST SURG {found.row.assistant})")
            findings.append(
                finding(
                    "MCR202",
                    f"line {n}: assistant at surgery ({assistant}) on {line.procedure} is paid {why}",
                    line=n,
                )
            )
            continue
        split = split_care_share(found.row, line.modifiers) if line.modifiers else None
        if isinstance(split, str):
            findings.append(finding("MCR623", f"line {n}: {split}", line=n))
            continue
        if split is not None:  # 54 / 55 / 56 / 78: the share of the global package (§40.2.A)
            share, why = split
            found = evolve(found, fee=money(found.fee * share), basis=(*found.basis, why))
        fees.append(found)
    amounts = _multiple_procedures(fees, claim)
    for f in fees:
        line = claim.lines[f.line - 1]
        amount, note = amounts[f.line]
        basis = list(f.basis)
        if note:
            basis.append(note)
        assistant = _assistant(line.modifiers)
        if assistant:
            amount = money(amount * ASSISTANT[assistant])
            basis.append(f"assistant at surgery {assistant} {ASSISTANT[assistant] * 100:.1f}%")
        taxonomy = (claim.rendering_for(line).taxonomy or "").upper()
        if assistant != "AS" and taxonomy.startswith(NON_PHYSICIAN_TAXONOMIES):
            amount = money(amount * NON_PHYSICIAN)
            basis.append(f"non-physician practitioner ({taxonomy}) 85%")
        if not participating:
            amount = money(amount * NON_PARTICIPATING)
            basis.append("non-participating 95%")
        lines.append(PricedLine(line=f.line, allowed=min(amount, money(line.charge)), basis=", ".join(basis)))
    lines.sort(key=lambda p: p.line)
    return Pricing(
        lines=tuple(lines),
        findings=tuple(findings),
        source=PRICING_SOURCE,
    )


def is_lab_fee_schedule(priced: PricedLine) -> bool:
    """Priced from the clinical lab fee schedule: no deductible or coinsurance applies."""
    return priced.basis.startswith("CLFS")
