"""Inpatient stays (type of bill 11x) under a commercial contract: ``[[contract.inpatient]]``.

The terms in force on the discharge date price the whole stay once, by the first that applies:

1. a case rate for the stay's MS-DRG (the DRG from the ``group_case`` hook: the grouper the
   Medicare plugin uses, by discharge date); a transfer to another acute hospital is paid per
   diem when the terms say so: ``case rate / GMLOS x (days + 1)``, at most the case rate;
2. a percent of what Medicare's IPPS would pay for the stay (the ``reference_case`` hook: the
   Medicare plugin's operating and capital payment, IME / DSH, transfer and cost outlier,
   before Part A cost sharing), never figured here;
3. a per diem: per covered day, or per day billed under each accommodation revenue code range.

Then the stop-loss provision adds ``percent`` of the charges above its threshold to a case-rate
or per-diem payment (a percent of Medicare already carries Medicare's own cost outlier), and
the lesser of charges caps the total. The case is shared among the lines by charge. A stay no
term prices pends with a finding naming why (COM701-COM705, COM708, COM710); it is never priced
from another period, another term or the professional schedule.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from attrs import evolve

from payer_rules.context import Context
from payer_rules.models import Claim, CodeSystem
from payer_rules.money import ZERO, allocate, money, split_percent
from payer_rules.results import CaseGroup, CasePayment, Finding, Group, PricedLine, Pricing

from .definition import InpatientTerms, PayerDefinition
from .registry import in_network
from .rules import finding, source

__all__ = ["ACUTE_TRANSFER_STATUSES", "price_inpatient_stay"]

#: Discharge statuses (NUBC UB-04 FL 17) of a transfer to another acute care hospital: a
#: short-term general hospital (02; 82 with a planned readmission) or a critical access
#: hospital (66; 94 with a planned readmission).
ACUTE_TRANSFER_STATUSES = frozenset({"02", "82", "66", "94"})
#: Accommodation (room and board) revenue codes: 010x-021x, the days of the stay.
_ACCOMMODATION = range(100, 220)
_ONE = Decimal(1)
_FRACTION = Decimal("0.0001")
_MS_DRG = "ms-drg"


def discharge_date(claim: Claim) -> dt.date:
    """The statement "through" date, else the last line's date."""
    if claim.statement_to is not None:
        return claim.statement_to
    return max(line.last_service_date for line in claim.lines)


def length_of_stay(claim: Claim, discharge: dt.date) -> int:
    """Days from admission to discharge (the discharge day not counted)."""
    admitted = claim.admission_date or claim.statement_from or discharge
    return max((discharge - admitted).days, 0)


def covered_days(claim: Claim, discharge: dt.date) -> int:
    """Value code 80 (covered days) when reported, else the length of stay, at least one day."""
    reported = next((v.amount for v in claim.value_codes if v.code == "80"), None)
    if reported is not None:
        return int(reported)
    return max(length_of_stay(claim, discharge), 1)


class _Pend(Exception):
    """A stay the terms cannot price: the finding says why."""

    def __init__(self, found: Finding) -> None:
        super().__init__(found.message)
        self.finding = found


def price_inpatient_stay(claim: Claim, context: Context, definition: PayerDefinition) -> Pricing:
    """The contract's payment for the stay, shared among the lines, or a pend saying why not."""
    try:
        return _price(claim, context, definition)
    except _Pend as pend:
        return Pricing(lines=(), source=source(definition), findings=(pend.finding,))


def _price(claim: Claim, context: Context, definition: PayerDefinition) -> Pricing:
    payer = definition.payer.id
    network = in_network(claim, definition)
    if not network and definition.contract.out_of_network is not None:
        raise _Pend(
            finding(
                "COM708",
                f"billing provider {claim.billing_provider.npi} is out of network for {payer}; its "
                "[[contract.inpatient]] terms are in-network terms and [contract.out_of_network] has "
                "no inpatient terms",
                definition,
            )
        )
    discharge = context.rules_date(discharge_date(claim))
    terms = definition.inpatient_terms(discharge)
    if terms is None:
        periods = "; ".join(t.label for t in definition.contract.inpatient)
        raise _Pend(
            finding(
                "COM701",
                f"discharge {discharge}: no {payer} inpatient terms cover the date ({periods})",
                definition,
            )
        )
    charges = money(sum((line.charge for line in claim.lines), ZERO))
    words: list[str] = []
    notes: list[Finding] = []
    case: CasePayment | None = None
    group: CaseGroup | None = None
    if terms.case_rates:
        group = _group(claim, context, definition, terms, discharge)
    rate = terms.case_rate(group.code) if group is not None else None
    if rate is not None and group is not None:
        amount, fraction = _case_rate(claim, definition, terms, group, rate, discharge, words, notes)
        amount = _stop_loss(terms, charges, amount, definition, words, notes)
        case = _case(group, amount, fraction, covered_days(claim, discharge))
        method = f"case rate for MS-DRG {group.code}"
    elif terms.percent_of_medicare is not None:
        amount, case = _percent_of_medicare(claim, context, definition, terms, discharge, words)
        method = f"{terms.percent_of_medicare}% of Medicare IPPS"
    elif terms.per_diem:
        amount = _per_diem(claim, definition, terms, discharge, words)
        amount = _stop_loss(terms, charges, amount, definition, words, notes)
        method = "per diem"
    else:
        drg = f"MS-DRG {group.code}" if group is not None else "the stay"
        raise _Pend(
            finding(
                "COM702",
                f"discharge {discharge}: {payer}'s {terms.label} have no case rate for {drg}, no percent "
                "of Medicare and no per diem",
                definition,
            )
        )
    if terms.lesser_of_charges and charges < amount:
        notes.append(
            finding(
                "COM707",
                f"charges {charges} are below the contract amount {amount} ({method}): the charges are "
                "allowed",
                definition,
            )
        )
        words.append(f"lesser of charges {charges}")
        amount = charges
    if case is not None:
        case = evolve(case, amount=amount)
    explanation = finding(
        "COM700",
        f"discharge {discharge}, {terms.label}: {method}; {'; '.join(words)}; allowed {amount}",
        definition,
    )
    balance_billing = _balance_billing(claim, definition, network)
    shares = allocate(amount, [money(line.charge) for line in claim.lines])
    lines = []
    for number, (line, share) in enumerate(zip(claim.lines, shares, strict=True), 1):
        lines.append(
            PricedLine(
                line=number,
                allowed=share,
                basis=f"{payer} inpatient {method}: share of the stay's {amount} by charge",
                reduction_group=Group.PR if balance_billing else Group.CO,
                reduction_carc="94" if share > money(line.charge) else "45",
            )
        )
    return Pricing(lines=tuple(lines), source=source(definition), findings=(explanation, *notes), case=case)


def _group(
    claim: Claim, context: Context, definition: PayerDefinition, terms: InpatientTerms, discharge: dt.date
) -> CaseGroup:
    group = context.group_case(_MS_DRG, claim)
    if group is None or not group.code:
        why = (
            group.problem
            if group is not None
            else "no installed plugin assigns MS-DRGs (install payer-rules-medicare[inpatient])"
        )
        raise _Pend(
            finding(
                "COM703",
                f"discharge {discharge}: {definition.payer.id}'s {terms.label} pay case rates by MS-DRG "
                f"and the stay has none: {why}",
                definition,
            )
        )
    return group


def _case_rate(
    claim: Claim,
    definition: PayerDefinition,
    terms: InpatientTerms,
    group: CaseGroup,
    rate: Decimal,
    discharge: dt.date,
    words: list[str],
    notes: list[Finding],
) -> tuple[Decimal, Decimal | None]:
    words.append(f"MS-DRG {group.code} {group.description} ({group.version}) case rate {rate}")
    status = (claim.discharge_status or "").zfill(2)
    if not terms.transfer_per_diem or status not in ACUTE_TRANSFER_STATUSES:
        return money(rate), None
    gmlos = group.mean_length_of_stay
    if not gmlos:
        raise _Pend(
            finding(
                "COM710",
                f"discharge status {status} is a transfer to an acute care hospital and the terms pay "
                f"transfers per diem, but MS-DRG {group.code}'s geometric mean length of stay for "
                f"{discharge} is not known (import the fiscal year's IPPS Table 5)",
                definition,
            )
        )
    days = length_of_stay(claim, discharge)
    fraction = min(Decimal(days + 1) / gmlos, _ONE)
    if fraction >= _ONE:
        return money(rate), None
    amount = money(rate * fraction)
    shown = fraction.quantize(_FRACTION, ROUND_HALF_UP)
    words.append(f"transfer per diem {rate} / GMLOS {gmlos} x ({days} + 1) days = {amount}")
    notes.append(
        finding(
            "COM709",
            f"discharge status {status}, a transfer after {days} day(s): paid {shown} of the case rate "
            f"{rate} ({rate} / GMLOS {gmlos} x {days + 1}) = {amount}",
            definition,
        )
    )
    return amount, shown


def _percent_of_medicare(
    claim: Claim,
    context: Context,
    definition: PayerDefinition,
    terms: InpatientTerms,
    discharge: dt.date,
    words: list[str],
) -> tuple[Decimal, CasePayment | None]:
    assert terms.percent_of_medicare is not None
    medicare = context.reference_case("medicare", claim)
    if medicare is None or medicare.case is None:
        if medicare is None:
            why = "no installed plugin prices Medicare inpatient stays (payer-rules-medicare)"
        else:
            why = "; ".join(f"{f.code} {f.message}" for f in medicare.findings) or "no IPPS payment"
        raise _Pend(
            finding(
                "COM704",
                f"discharge {discharge}: {definition.payer.id} pays {terms.percent_of_medicare}% of the "
                f"Medicare IPPS payment and Medicare cannot price the stay: {why}",
                definition,
            )
        )
    ipps = medicare.case
    amount = split_percent(ipps.amount, terms.percent_of_medicare)
    words.append(
        f"Medicare IPPS {ipps.amount} for MS-DRG {ipps.drg} (weight {ipps.weight}, {ipps.grouper}) x "
        f"{terms.percent_of_medicare}% = {amount}"
    )
    if ipps.discharge_fraction is not None:
        words.append(f"Medicare paid the transfer {ipps.discharge_fraction} of the full DRG")
    case = CasePayment(
        drg=ipps.drg,
        weight=ipps.weight,
        amount=amount,
        mdc=ipps.mdc,
        description=ipps.description,
        grouper=ipps.grouper,
        discharge_fraction=ipps.discharge_fraction,
        covered_days=covered_days(claim, discharge),
    )
    return amount, case


def _per_diem(
    claim: Claim, definition: PayerDefinition, terms: InpatientTerms, discharge: dt.date, words: list[str]
) -> Decimal:
    whole = next((p for p in terms.per_diem if not p.revenue_codes), None)
    if whole is not None:
        days = covered_days(claim, discharge)
        amount = money(whole.amount * days)
        words.append(f"{days} covered day(s) x {whole.amount} = {amount}")
        return amount
    total = ZERO
    priced = 0
    unpriced: list[str] = []
    for number, line in enumerate(claim.lines, 1):
        code = _revenue_code(line.revenue_code, line.procedure, line.code_system)
        if code is None or int(code) not in _ACCOMMODATION:
            continue
        rate = terms.per_diem_for(code)
        if rate is None:
            unpriced.append(f"line {number} revenue code {code}")
            continue
        part = money(rate.amount * line.units)
        words.append(f"line {number} revenue code {code}: {line.units} day(s) x {rate.amount} = {part}")
        total += part
        priced += 1
    if unpriced or not priced:
        what = ", ".join(unpriced) if unpriced else "no accommodation days (revenue codes 0100-0219)"
        raise _Pend(
            finding(
                "COM705",
                f"discharge {discharge}: {definition.payer.id}'s per diem by accommodation revenue code "
                f"has no rate for {what}",
                definition,
            )
        )
    return money(total)


def _revenue_code(revenue: str | None, procedure: str, system: CodeSystem) -> str | None:
    code = revenue or (procedure if system is CodeSystem.REVENUE else None)
    if code is None:
        return None
    code = code.strip().zfill(4)
    return code if code.isdigit() else None


def _stop_loss(
    terms: InpatientTerms,
    charges: Decimal,
    amount: Decimal,
    definition: PayerDefinition,
    words: list[str],
    notes: list[Finding],
) -> Decimal:
    stop = terms.stop_loss
    if stop is None or charges <= stop.threshold:
        return amount
    extra = split_percent(charges - stop.threshold, stop.percent)
    words.append(f"stop-loss {stop.percent}% x (charges {charges} - {stop.threshold}) = {extra}")
    notes.append(
        finding(
            "COM706",
            f"charges {charges} exceed the stop-loss threshold {stop.threshold}: {stop.percent}% of "
            f"{charges - stop.threshold} = {extra} added to {amount}",
            definition,
        )
    )
    return amount + extra


def _case(group: CaseGroup, amount: Decimal, fraction: Decimal | None, days: int) -> CasePayment | None:
    """The per-case payment reported on the 835 (CLP11-13) and FHIR; none without a DRG weight."""
    if group.weight is None:
        return None
    return CasePayment(
        drg=group.code,
        weight=group.weight,
        amount=amount,
        mdc=group.mdc,
        description=group.description,
        grouper=group.version,
        discharge_fraction=fraction,
        covered_days=days,
    )


def _balance_billing(claim: Claim, definition: PayerDefinition, network: bool) -> bool:
    if network:
        return False
    plan = definition.plan_of(claim)
    tier = plan.tier(network) if plan is not None else None
    return tier is not None and tier.balance_billing
