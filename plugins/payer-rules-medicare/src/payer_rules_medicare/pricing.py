"""Medicare Part B pricing: physician fee schedule and clinical lab fee schedule.

Physician fee schedule (Pub. 100-04 Ch. 12 §20): ``[(work RVU x work GPCI) + (PE RVU x PE GPCI)
+ (MP RVU x MP GPCI)] x CF``, rounded to the cent, with the facility PE RVU in facility places of
service and the locality from the ZIP code of the service facility (else the billing provider).
Before any money, the payment-policy indicators of the line's RVU record decide whether it is
priced at all (:mod:`payer_rules_medicare.mpfs.indicators`: STATUS CODE, PCTC IND with 26 / TC,
CO-SURG with 62, TEAM SURG with 66, modifiers 22 / 52 / 53). Then, in this order, each step
rounded to the cent:

1. modifiers 26 / TC (and 53 where CMS gives it RVUs) price from their own PPRRVU rows;
2. modifier 50 by BILAT SURG: 1 -> 150%, 3 -> 200%, 0 / 2 / 9 -> 100% (§40.7);
3. multiple procedures by MULT PROC, same date and rendering provider
   (:mod:`payer_rules_medicare.mpfs.reductions`: surgery, endoscopy families, diagnostic
   imaging, therapy, cardiovascular and ophthalmology; §40.6);
4. co-surgeons (62, CO-SURG 2) 62.5% each (§40.8);
5. assistant at surgery (80, 81, 82) 16%, AS 13.6%, when ASST SURG is 2 (§20.4.3); 0, 1 and 9
   deny the line;
6. nurse practitioners, physician assistants and clinical nurse specialists, by rendering
   taxonomy, 85% (§110, §120);
7. non-participating providers 95% (§20.4.5).

Split care (54 / 55 / 56) and a return to the operating room (78) take their share of the
global package (PRE / INTRA / POST OP) before the multiple-procedure ranking
(:mod:`payer_rules_medicare.global_surgery`, MCR623 where the code has no period to split).

Lab tests on the CLFS are paid its amount (Ch. 16 §20). The allowed amount is the lesser of the
fee and the actual charge. Fee data: the imported tables for the date of service when present,
else the starter pack (:mod:`payer_rules_medicare.mpfs.schedule`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from payer_rules.context import Context
from payer_rules.models import Claim, ServiceLine
from payer_rules.money import money
from payer_rules.results import Finding, Group, PricedLine, Pricing, Source
from payer_rules_medicare import __version__
from payer_rules_medicare.clfs import lab_fee
from payer_rules_medicare.edits import finding
from payer_rules_medicare.global_surgery import split_care_share
from payer_rules_medicare.imported import ImportedTables, imported
from payer_rules_medicare.mpfs.indicators import (
    PAID_STATUSES,
    Decision,
    modifier_decision,
    status_decision,
    status_t_bundled,
)
from payer_rules_medicare.mpfs.reductions import LineFee, Reduced, reduce_lines
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
BILATERAL = {"1": Decimal("1.5"), "3": Decimal("2")}
ASSISTANT = {"80": Decimal("0.16"), "81": Decimal("0.16"), "82": Decimal("0.16"), "AS": Decimal("0.136")}
#: Each co-surgeon (modifier 62) is paid 62.5% of the fee schedule amount (Pub. 100-04 Ch. 12 §40.8).
CO_SURGEON = Decimal("0.625")
#: Nurse practitioner (363L), physician assistant (363A), clinical nurse specialist (364S).
NON_PHYSICIAN_TAXONOMIES = ("363L", "363A", "364S")
NON_PHYSICIAN = Decimal("0.85")
#: The modifiers whose own PPRRVU row prices the line.
_ROW_MODIFIERS = ("26", "TC", "53")
#: Modifiers the policy checks look at; a line with none of them skips those checks.
_POLICY_MODIFIERS = frozenset({"26", "TC", "62", "66", "22", "52", "53"})
#: PCTC IND values paid only in some settings (5 incident-to, 8 interpretation of a smear).
_SETTING_PCTC = frozenset({"5", "8"})
#: MULT PROC values with no reduction: a claim whose lines all carry one skips the ranking.
_UNRANKED = frozenset({"0", "9"})
_PR = Group.PR


#: A unit fee worked out: (fee, RVU row, basis, (work, PE, MP) dollars), or a row whose status
#: is not paid (no fee), or why there is none.
_Unit = tuple[Decimal, FeeRow, tuple[str, ...], tuple[Decimal, Decimal, Decimal]]


def _row(schedule: Schedule, line: ServiceLine) -> tuple[FeeRow | None, str]:
    """The PPRRVU row for the line: its 26 / TC (or 53) row when it carries that modifier."""
    for modifier in line.modifiers:
        if modifier in _ROW_MODIFIERS:
            row = schedule.row(line.procedure, modifier)
            if row is not None:
                return row, f", modifier {modifier} row"
    return schedule.row(line.procedure), ""


#: Unit fees already worked out, by everything they depend on. Fee schedules are the same for
#: every claim with the same code, modifiers, date, ZIPs and setting, and a batch repeats those
#: endlessly; the key holds the identity of the tables and starter pack it was computed from.
_UNIT_FEES: dict[tuple[object, ...], _Unit | FeeRow | str] = {}
_UNIT_FEES_MAX = 100_000


def physician_fee(
    number: int, line: ServiceLine, claim: Claim, day: dt.date, tables: ImportedTables, starter: Starter
) -> LineFee | FeeRow | str:
    """The fee for one unit, with how it was found; the row alone when its status is not paid;
    or why there is none."""
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
    if isinstance(found, (str, FeeRow)):
        return found
    fee, row, basis, parts = found
    rendering = claim.rendering_for(line)
    return LineFee(
        line=number,
        fee=fee,
        row=row,
        basis=basis,
        group=(line.service_date, rendering.npi),
        units=line.units,
        modifiers=line.modifiers,
        parts=parts,
    )


def _unit_fee(
    line: ServiceLine, claim: Claim, day: dt.date, tables: ImportedTables, starter: Starter, facility: bool
) -> _Unit | FeeRow | str:
    schedule = schedule_for(day, tables, starter)
    if schedule is None:
        return f"no physician fee schedule for CY{day.year} is loaded"
    row, which = _row(schedule, line)
    if row is None:
        if isinstance(schedule, StarterSchedule):
            return f"{line.procedure} on {line.service_date}: {schedule.missing}"
        return f"{line.procedure} is not in the loaded CY{day.year} fee schedule ({schedule.release})"
    if row.status not in PAID_STATUSES:
        return row
    locality = claim_locality(claim, day, tables, starter)
    gpci = schedule.gpci(*locality) if locality else None
    if locality is None or gpci is None:
        zip_ = claim.service_facility_zip or (
            claim.billing_provider.address.zip if claim.billing_provider.address else None
        )
        return f"no CY{day.year} payment locality is loaded for ZIP {zip_ or 'unknown'}"
    pe = row.pe_facility if facility else row.pe_nonfacility
    factor = row.conversion_factor or schedule.conversion_factor
    parts = (row.work * gpci.work * factor, pe * gpci.pe * factor, row.mp * gpci.mp * factor)
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
            parts = (parts[0] * share, parts[1] * share, parts[2] * share)
            basis.append(f"bilateral {share * 100:.0f}%")
        else:
            basis.append(f"modifier 50 with BILAT SURG {row.bilateral}: paid once")
    return fee, row, tuple(basis), parts


def _assistant(modifiers: tuple[str, ...]) -> str | None:
    """The assistant-at-surgery modifier among ``modifiers``, if any (most lines have none)."""
    for modifier in modifiers:
        if modifier in ASSISTANT:
            return modifier
    return None


PRICING_SOURCE = Source(name=SOURCE_NAME, version=__version__, citation="Pub. 100-04 Ch. 12 §20; Ch. 16 §20")


def _decision_finding(decision: Decision, number: int) -> Finding:
    message = f"line {number}: {decision.message}"
    if decision.patient_liable:
        return finding(decision.code, message, line=number, group=_PR)
    return finding(decision.code, message, line=number)


def price_claim(
    claim: Claim, context: Context, starter: Starter, tables: ImportedTables | None = None
) -> Pricing:
    tables = tables if tables is not None else imported()
    lines: list[PricedLine] = []
    findings: list[Finding] = []
    fees: list[LineFee] = []
    participating = claim.billing_provider.participating

    ranked = has_injection = False
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
        if isinstance(found, FeeRow):
            decision = status_decision(line, found, day.year)
            if decision is not None:
                findings.append(_decision_finding(decision, n))
            continue
        if not _POLICY_MODIFIERS.isdisjoint(line.modifiers) or found.row.pctc in _SETTING_PCTC:
            has_53 = found.row.modifier == "53"
            decision = modifier_decision(line, found.row, claim.place_of_service_for(line), has_53)
            if decision is not None:
                findings.append(_decision_finding(decision, n))
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
            found = attrs.evolve(
                found,
                fee=money(found.fee * share),
                basis=(*found.basis, why),
                parts=(found.parts[0] * share, found.parts[1] * share, found.parts[2] * share),
            )
        fees.append(found)
        ranked = ranked or found.row.mult_proc not in _UNRANKED
        has_injection = has_injection or found.row.status == "T"
    if has_injection:
        fees = _injections_alone(fees, claim, findings)
    reduced = _reduce(fees, claim, context, tables, starter) if ranked else None
    for f in fees:
        line = claim.lines[f.line - 1]
        basis = list(f.basis)
        if reduced is None:
            amount = money(f.fee * f.units)
        elif f.line in reduced.by_report:
            findings.append(finding("MCR217", f"line {f.line}: {reduced.by_report[f.line]}", line=f.line))
            continue
        else:
            amount = reduced.amounts[f.line]
            basis.extend(reduced.notes.get(f.line, ()))
        if "62" in line.modifiers:
            amount = money(amount * CO_SURGEON)
            basis.append("co-surgeon 62.5%")
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


def _reduce(
    fees: list[LineFee], claim: Claim, context: Context, tables: ImportedTables, starter: Starter
) -> Reduced:
    """The multiple procedure reductions, with the other fees they need (components, base endoscopy)."""

    def component(fee: LineFee, modifier: str) -> Decimal | None:
        line = claim.lines[fee.line - 1]
        day = context.rules_date(line.service_date)
        changed = attrs.evolve(line, modifiers=(modifier,))
        other = physician_fee(fee.line, changed, claim, day, tables, starter)
        return other.fee if isinstance(other, LineFee) else None

    def base(fee: LineFee, code: str) -> Decimal | None:
        line = claim.lines[fee.line - 1]
        day = context.rules_date(line.service_date)
        changed = attrs.evolve(line, procedure=code, modifiers=())
        other = physician_fee(fee.line, changed, claim, day, tables, starter)
        return other.fee if isinstance(other, LineFee) else None

    return reduce_lines(fees, component, base)


def _injections_alone(fees: list[LineFee], claim: Claim, findings: list[Finding]) -> list[LineFee]:
    """Status T lines are paid only without another fee-schedule service that day (same provider)."""
    if not any(f.row.status == "T" for f in fees):
        return fees
    others = {f.group for f in fees if f.row.status != "T"}
    kept = []
    for f in fees:
        decision = status_t_bundled(claim.lines[f.line - 1], f.row.status == "T" and f.group in others)
        if decision is None:
            kept.append(f)
        else:
            findings.append(_decision_finding(decision, f.line))
    return kept


def is_lab_fee_schedule(priced: PricedLine) -> bool:
    """Priced from the clinical lab fee schedule: no deductible or coinsurance applies."""
    return priced.basis.startswith("CLFS")
