"""Splitting a Medicaid allowed amount: late-filing cut, the primary's payment, the copay.

For each priced line, in this order (each step at most what is left, so nothing goes below 0):

1. **late filing** (states that pay late claims in part): ``percent`` of the allowed amount,
   CO-B4 (late filing penalty);
2. **payer of last resort**: what other coverage paid for the line (its 2430 line payment,
   else the claim-level payment spread over the lines in order), OA-23; Medicaid pays at most
   its allowed amount less what the primary paid (42 CFR 433.139);
3. **copay**: the state's nominal copay for the service category, once per category and date
   of service (or per line), PR-3 — unless the member or the service is exempt (42 CFR
   447.56(a)): under the state's exemption age (EPSDT), pregnancy-related (O00-O9A, Z33-Z34,
   Z3A), emergency (place of service 23, revenue 045x, 99281-99285), family planning (FP
   modifier, Z30), hospice (place 34, revenue 065x, Q5001-Q5010, T2042-T2046),
   institutionalized (places 31, 32, 33, 54 and the state's own), American Indian / Alaska
   Native; and never above what is left of the cap of 5% of family income for the period
   (42 CFR 447.56(f)), when the claim gives the family income, nor above what is left of the
   state's own annual copay maximum (New York: $200 per April-March year), when it has one.

The copays a claim takes are remembered in the run (``accumulated``) per cap period, so a
member's later claims see them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from payer_rules.context import Context
from payer_rules.models import Claim, OtherPayment, ServiceLine
from payer_rules.money import ZERO, money, split_percent
from payer_rules.results import Adjudication, Adjustment, Finding, Group, LineAdjudication, Pricing
from payer_rules.rulepack.kinds.base import CodeSet
from payer_rules_medicaid.crossover import FEDERAL, QMB, crossover_finding, crossover_line, medicare_primary
from payer_rules_medicaid.edits import filing_reduction
from payer_rules_medicaid.rules import finding, source
from payer_rules_medicaid.state import Copay, StateDef

__all__ = ["adjudicate_claim", "exemption", "period_key"]

PREGNANCY = CodeSet(["O*", "Z33*", "Z34*", "Z3A*"])
FAMILY_PLANNING_DX = CodeSet(["Z30*"])
EMERGENCY_PROCEDURES = CodeSet(["99281-99285"])
HOSPICE_PROCEDURES = CodeSet(["Q5001-Q5010", "T2042-T2046"])
INSTITUTIONAL_POS = frozenset({"31", "32", "33", "54"})


def exemption(claim: Claim, line: ServiceLine, state: StateDef) -> str | None:
    """Why the line carries no copay, or ``None`` when a copay may apply."""
    cs = state.cost_sharing
    age = claim.patient.age_on(line.service_date)
    if age is not None and age < cs.exempt_under_age:
        return f"member is {age}, under {cs.exempt_under_age} (EPSDT / children)"
    if claim.patient.american_indian_alaska_native:
        return "member is American Indian / Alaska Native"
    pos = claim.place_of_service_for(line)
    if pos in INSTITUTIONAL_POS or pos in cs.institutional_places_of_service:
        return f"member is institutionalized (place of service {pos})"
    revenue = line.revenue_code or ""
    if pos == "34" or revenue.startswith("065") or line.procedure in HOSPICE_PROCEDURES:
        return "hospice care"
    if pos == "23" or revenue.startswith("045") or line.procedure in EMERGENCY_PROCEDURES:
        return "emergency service"
    diagnoses = [d.code for d in claim.diagnoses_for(line)]
    if "FP" in line.modifiers or any(d in FAMILY_PLANNING_DX for d in diagnoses):
        return "family planning service"
    if any(d in PREGNANCY for d in diagnoses):
        return "pregnancy-related service"
    return None


def period_key(state: StateDef, day: dt.date) -> str:
    """The cost-sharing cap period a date falls in: ``2026-03`` or ``2026Q1``."""
    if state.cost_sharing.cap_period == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _primary_paid(claim: Claim, pricing: Pricing) -> dict[int, Decimal]:
    """What other payers paid, per line: their line payments, else the claim payment in order."""
    paid: dict[int, Decimal] = {}
    for other in claim.coverage.other_coverage:
        payment = other.payment
        if payment is None:
            continue
        if payment.line_paid:
            for n, amount in enumerate(payment.line_paid, 1):
                paid[n] = paid.get(n, ZERO) + money(amount)
            continue
        left = money(payment.paid)
        for priced in pricing.lines:
            take = min(left, priced.allowed - paid.get(priced.line, ZERO))
            if take > 0:
                paid[priced.line] = paid.get(priced.line, ZERO) + take
                left -= take
    return paid


def _crossed(medicare: OtherPayment, n: int) -> bool:
    """Whether Medicare covered line ``n`` (paid it or left cost sharing); a line Medicare denied
    is Medicaid's to judge as any line with other coverage (MCD202)."""
    paid = medicare.line_paid[n - 1] if n <= len(medicare.line_paid) else ZERO
    taken = medicare.line_adjustments[n - 1] if n <= len(medicare.line_adjustments) else ()
    return paid > 0 or any(a.group == "PR" and a.amount > 0 for a in taken)


def _crossover(
    claim: Claim, state: StateDef, allowed: Decimal, n: int, medicare: OtherPayment, findings: list[Finding]
) -> tuple[Adjustment, ...] | None:
    """A crossover line's adjustments (MCD801 / MCD802), or ``None`` when it is pended (MCD803)."""
    policy = state.crossover
    paid = medicare.line_paid[n - 1] if n <= len(medicare.line_paid) else ZERO
    taken = medicare.line_adjustments[n - 1] if n <= len(medicare.line_adjustments) else ()
    qmb = claim.coverage.qmb
    cross = crossover_line(allowed, paid, taken, policy.method, qmb or not policy.bill_members)
    if cross.payment > allowed:
        findings.append(
            crossover_finding(
                "MCD803",
                f"line {n}: under its {policy.method} policy {state.state.name} pays {cross.payment} of "
                f"the Medicare cost sharing {cross.cost_sharing}, more than its allowed amount {allowed}",
                n,
                policy.citation,
            )
        )
        return None
    findings.append(
        crossover_finding(
            "MCD801",
            f"line {n}: Medicare paid {cross.medicare_paid} and left cost sharing {cross.cost_sharing}; "
            f"{state.state.name} ({policy.method}, allowed {allowed}) pays {cross.payment}",
            n,
            f"{policy.citation}; {FEDERAL}",
        )
    )
    if qmb or not policy.bill_members:
        who = "the member is a QMB" if qmb else f"{state.state.name} forbids billing dual eligibles for it"
        findings.append(
            crossover_finding(
                "MCD802",
                f"line {n}: {who}: {cross.left} of Medicare cost sharing written off (CO-23), not billed",
                n,
                None if qmb else f"{policy.citation}; {QMB}",
            )
        )
    return cross.adjustments


def _copay_for(state: StateDef, claim: Claim, line: ServiceLine) -> Copay | None:
    pos = claim.place_of_service_for(line)
    for copay, codes in state.copays_on(line.service_date):
        if line.procedure in codes and (not copay.places_of_service or pos in copay.places_of_service):
            return copay
    return None


def adjudicate_claim(claim: Claim, context: Context, pricing: Pricing, state: StateDef) -> Adjudication:
    findings: list[Finding] = []
    out: list[LineAdjudication] = []
    primary = _primary_paid(claim, pricing)
    charged: set[tuple[str, dt.date]] = set()
    cs = state.cost_sharing
    taken: dict[str, Decimal] = {}
    year_taken: dict[str, Decimal] = {}

    def cap_left(day: dt.date) -> Decimal | None:
        income = claim.coverage.family_income
        if income is None:
            return None
        key = period_key(state, day)
        cap = split_percent(money(income), cs.cap_percent)
        # the engine keeps a claim's accumulated amounts under its first date of service's year
        used = money(claim.coverage.cost_sharing_incurred) + context.accumulated(
            claim, claim.first_service_date.year, f"medicaid_cost_sharing:{key}"
        )
        return max(ZERO, cap - used - taken.get(key, ZERO))

    def annual_left(day: dt.date) -> Decimal | None:
        if cs.annual_max is None:
            return None
        start = cs.benefit_year(day)
        key = f"medicaid_copay_year:{start}"
        # the engine files a claim's amounts under its calendar year; a benefit year that starts
        # after January spans two of them
        first_year = int(start[:4])
        used = sum((context.accumulated(claim, year, key) for year in (first_year, first_year + 1)), ZERO)
        return max(ZERO, money(cs.annual_max) - used - year_taken.get(key, ZERO))

    medicare = medicare_primary(claim)
    for priced in pricing.lines:
        n = priced.line
        line = claim.lines[n - 1]
        left = priced.allowed
        adjustments: list[Adjustment] = []
        if medicare is not None and medicare.payment is not None and _crossed(medicare.payment, n):
            crossed = _crossover(claim, state, priced.allowed, n, medicare.payment, findings)
            if crossed is not None:
                out.append(LineAdjudication(line=n, adjustments=crossed))
            continue
        percent = filing_reduction(claim, context, state, n)
        if percent:
            cut = min(left, split_percent(priced.allowed, percent))
            adjustments.append(Adjustment(group=Group.CO, carc="B4", amount=cut))
            left -= cut
        other = min(left, primary.get(n, ZERO))
        if n in primary:
            adjustments.append(Adjustment(group=Group.OA, carc="23", amount=other))
            left -= other
            findings.append(
                finding(
                    "MCD202",
                    f"line {n}: other coverage paid {primary[n]}; {state.state.name} allows "
                    f"{priced.allowed} and pays at most the rest ({left})",
                    line=n,
                )
            )
        copay = _copay_for(state, claim, line)
        if copay is not None and left > 0:
            category, amount, per = copay.category, copay.amount, copay.per
            why = exemption(claim, line, state)
            if why is not None:
                findings.append(
                    finding("MCD401", f"line {n}: no {category} copay: {why}", line=n, citation=cs.citation)
                )
            elif per == "visit" and (category, line.service_date) in charged:
                pass  # once per visit
            elif cs.no_copay_when_payment_at_most is not None and left <= cs.no_copay_when_payment_at_most:
                findings.append(
                    finding(
                        "MCD401",
                        f"line {n}: no {category} copay: the program pays {left}, not more than "
                        f"{cs.no_copay_when_payment_at_most}",
                        line=n,
                        citation=cs.citation,
                    )
                )
            else:
                charged.add((category, line.service_date))
                due = min(money(amount), left)
                if not copay.reduces_payment:
                    findings.append(
                        finding(
                            "MCD403",
                            f"line {n}: {category} copay {due} is collected by the provider on top of "
                            f"the payment; {state.state.name} does not reduce its payment by it",
                            line=n,
                            citation=copay.citation,
                        )
                    )
                    due = ZERO
                room = cap_left(line.service_date)
                if room is not None and room < due:
                    findings.append(
                        finding(
                            "MCD402",
                            f"line {n}: {category} copay {due} cut to {room}: cost sharing reached "
                            f"{cs.cap_percent}% of family income for {period_key(state, line.service_date)}",
                            line=n,
                        )
                    )
                    due = room
                yearly = annual_left(line.service_date)
                if yearly is not None and yearly < due:
                    findings.append(
                        finding(
                            "MCD404",
                            f"line {n}: {category} copay {due} cut to {yearly}: the member reached "
                            f"{state.state.name}'s annual copay maximum of {money(cs.annual_max or ZERO)} "
                            f"for the benefit year from {cs.benefit_year(line.service_date)}",
                            line=n,
                            citation=cs.citation,
                        )
                    )
                    due = yearly
                if due > 0:
                    adjustments.append(Adjustment(group=Group.PR, carc="3", amount=due))
                    key = period_key(state, line.service_date)
                    taken[key] = taken.get(key, ZERO) + due
                    if cs.annual_max is not None:
                        year_key = f"medicaid_copay_year:{cs.benefit_year(line.service_date)}"
                        year_taken[year_key] = year_taken.get(year_key, ZERO) + due
                    left -= due
        out.append(LineAdjudication(line=n, adjustments=tuple(adjustments)))
    accumulated = {f"medicaid_cost_sharing:{key}": amount for key, amount in taken.items()}
    accumulated.update(year_taken)
    accumulated["out_of_pocket"] = sum(taken.values(), ZERO)
    return Adjudication(
        lines=tuple(out),
        source=source(state.state.source),
        findings=tuple(findings),
        accumulated=accumulated,
    )
