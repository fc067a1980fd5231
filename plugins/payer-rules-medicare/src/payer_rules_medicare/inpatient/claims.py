"""Medicare inpatient claims (type of bill 11x) through the stages: group and edit, price, cost share.

``validate`` groups the stay and runs the Medicare Code Editor (MCR800-MCR819); ``price`` pays
it under IPPS (MCR820-MCR825) as one case allocated to the lines by charge; ``adjudicate``
takes Part A cost sharing per benefit period (MCR826-MCR827) and sequestration.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

from attrs import evolve, frozen

from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.money import ZERO, money, split_percent
from payer_rules.results import (
    Adjudication,
    Adjustment,
    CaseComponent,
    CaseGroup,
    Finding,
    Group,
    LineAdjudication,
    PricedLine,
    Pricing,
    Severity,
    Source,
)
from payer_rules_medicare import __version__
from payer_rules_medicare.imported import ImportedTables
from payer_rules_medicare.inpatient import grouping
from payer_rules_medicare.inpatient.pricing import allocate, covered_days, ipps_payment
from payer_rules_medicare.inpatient.providers import find_provider
from payer_rules_medicare.inpatient.rates import IppsPack
from payer_rules_medicare.inpatient.rules import INPATIENT_RULES, MCE_RULE, inpatient_source
from payer_rules_medicare.inpatient.table5 import DrgWeight, fiscal_year, read_table5
from payer_rules_medicare.rules import SOURCE_NAME

__all__ = [
    "BENEFIT_PERIOD",
    "IPPS_SOURCE",
    "BenefitPeriod",
    "adjudicate_inpatient",
    "ms_drg_group",
    "price_inpatient",
    "validate_inpatient",
]

IPPS_SOURCE = Source(
    name=SOURCE_NAME,
    version=__version__,
    citation="42 CFR 412 Subparts D-G (IPPS); FY IPPS final rules (rates, Table 5)",
)
PART_A_SOURCE = Source(
    name=SOURCE_NAME,
    version=__version__,
    citation="42 CFR 409.82, 409.83 (Part A deductible, coinsurance); Budget Control Act of 2011 "
    "sequestration",
)
#: ``Adjudication.episodes`` name of the member's Part A benefit period.
BENEFIT_PERIOD = "medicare-part-a-benefit-period"
_PR, _CO = Group.PR, Group.CO


def _finding(code: str, message: str, **overrides: object) -> Finding:
    rule = INPATIENT_RULES[code]
    values: dict[str, object] = {
        "code": code,
        "severity": Severity(rule.severity),
        "message": message,
        "source": inpatient_source(code),
        "carc": rule.carc,
        "rarcs": rule.rarcs,
        "group": Group(rule.group) if rule.group else None,
    }
    values.update(overrides)
    return Finding(**values)  # type: ignore[arg-type]


# -- grouping (validate) -----------------------------------------------------------------------


@frozen
class _Grouped:
    grouping: grouping.Grouping
    discharge: dt.date


#: The last claim grouped and its grouping: ``validate`` and ``price`` ask for the same claim
#: one after the other, and grouping it twice would double the grouper's share of the time.
_last: tuple[Claim, _Grouped] | None = None
_last_lock = threading.Lock()


def _missing(claim: Claim) -> list[str]:
    missing = []
    if not claim.diagnoses:
        missing.append("principal diagnosis")
    if claim.admission_date is None and claim.statement_from is None:
        missing.append("admission date")
    if not (claim.discharge_status or "").strip().isdigit():
        missing.append("patient (discharge) status")
    if claim.patient.birth_date is None:
        missing.append("patient birth date")
    return missing


def grouped(claim: Claim) -> _Grouped | None:
    """The claim's grouping (cached for the next stage), or ``None`` when it cannot be grouped."""
    global _last
    last = _last
    if last is not None and last[0] is claim:
        return last[1]
    if _missing(claim) or not grouping.grouper_available():
        return None
    discharge = grouping.discharge_date(claim)
    version = grouping.grouper_version(discharge)
    if version is None:
        return None
    admitted = claim.admission_date or claim.statement_from or discharge
    age = claim.patient.age_on(admitted) or 0
    result = _Grouped(grouping.group_claim(claim, version, discharge, age), discharge)
    with _last_lock:
        _last = (claim, result)
    return result


def _weight(tables: ImportedTables, pack: IppsPack, year: int, drg: str) -> tuple[DrgWeight | None, str]:
    """The DRG's Table 5 row for the FY (imported, else the starter rows), or why not."""
    if tables.ipps is not None:
        found = read_table5(tables.ipps, year, drg)
        if isinstance(found, DrgWeight):
            return found, ""
        if found is None:
            return None, f"MS-DRG {drg} is not in the imported FY {year} Table 5"
    row = pack.table5.get((year, drg))
    if row is not None:
        return row, ""
    shipped = sorted({y for y, _ in pack.table5})
    return None, (
        f"no FY {year} Table 5 weight for MS-DRG {drg}: import the FY {year} IPPS final rule's "
        f"Table 5 (payer-rules data import ipps-table5 FILE); the starter pack has a few FY "
        f"{', '.join(map(str, shipped))} rows only"
    )


def ms_drg_group(claim: Claim, tables: ImportedTables, pack: IppsPack) -> CaseGroup:
    """The stay's MS-DRG for another payer's per-DRG contract (the ``group_case`` hook).

    Only the grouping: no Medicare Code Editor findings (those are Medicare's edits), no
    pricing. The weight and geometric mean length of stay are the discharge FY's Table 5 row
    (imported, else the starter rows), when known.
    """
    missing = _missing(claim)
    if missing:
        return CaseGroup(scheme="ms-drg", code="", problem=f"no {', '.join(missing)} to group the stay by")
    if not grouping.grouper_available():
        return CaseGroup(
            scheme="ms-drg",
            code="",
            problem="the MS-DRG grouper is not installed (payer-rules-medicare[inpatient]: msdrg)",
        )
    discharge = grouping.discharge_date(claim)
    if grouping.grouper_version(discharge) is None:
        problem = f"no MS-DRG grouper version covers discharge {discharge}"
        return CaseGroup(scheme="ms-drg", code="", problem=problem)
    found = grouped(claim)
    assert found is not None
    g = found.grouping
    if not g.drg or g.drg in ("998", "999") or g.return_code != "OK":
        return CaseGroup(
            scheme="ms-drg",
            code="",
            version=f"MS-DRG {g.version}",
            problem=f"ungroupable (DRG {g.drg or 'none'}, return code {g.return_code})",
        )
    weight, _why = _weight(tables, pack, fiscal_year(discharge), g.drg)
    return CaseGroup(
        scheme="ms-drg",
        code=g.drg,
        version=f"MS-DRG {g.version}",
        mdc=g.mdc,
        description=g.description,
        weight=weight.weight if weight is not None else None,
        mean_length_of_stay=weight.gmlos if weight is not None else None,
    )


def validate_inpatient(
    claim: Claim, context: Context, tables: ImportedTables, pack: IppsPack
) -> list[Finding]:
    missing = _missing(claim)
    if missing:
        return [_finding("MCR803", f"inpatient claim without {', '.join(missing)}: it cannot be grouped")]
    if not grouping.grouper_available():
        return [
            _finding(
                "MCR800",
                "inpatient claim (type of bill 11x): the MS-DRG grouper is not installed; install "
                "payer-rules-medicare[inpatient] (the msdrg package) to group and price it",
            )
        ]
    discharge = grouping.discharge_date(claim)
    if grouping.grouper_version(discharge) is None:
        first = grouping.GROUPER_VERSIONS[0][0]
        return [
            _finding(
                "MCR804",
                f"discharge {discharge}: no installed MS-DRG grouper version covers it (from {first} "
                "to 2027-09-30); a newer msdrg release adds the next fiscal year",
            )
        ]
    found = grouped(claim)
    assert found is not None
    g = found.grouping
    findings: list[Finding] = []
    for edit in g.edits:
        code = MCE_RULE.get(edit.name)
        if code is None:
            if edit.name.startswith("LIMITED_COVERAGE"):
                code = "MCR816"
            else:
                code = "MCR819" if edit.edit_type != "PREPAYMENT" else "MCR818"
        if edit.edit_type == "POSTPAYMENT" and INPATIENT_RULES[code].severity != "warn":
            code = "MCR819"
        label = edit.name.replace("_", " ").lower()
        plural = "s" if edit.count != 1 else ""
        findings.append(
            _finding(
                code,
                f"Medicare Code Editor ({g.version}): {label} ({edit.count} "
                f"{edit.code_type.lower()} code{plural}, {edit.edit_type.lower()} edit)",
            )
        )
    if not g.drg or g.drg in ("998", "999") or g.return_code != "OK":
        findings.append(
            _finding(
                "MCR802",
                f"MS-DRG grouper {g.version}: the stay is ungroupable (DRG {g.drg or 'none'}, "
                f"return code {g.return_code})",
            )
        )
        return findings
    year = fiscal_year(discharge)
    weight, _why = _weight(tables, pack, year, g.drg)
    weight_text = f"; weight {weight.weight} ({weight.release})" if weight is not None else ""
    findings.append(
        _finding(
            "MCR801",
            f"MS-DRG {g.drg} {g.description} (MDC {g.mdc or '?'}, secondary diagnoses: "
            f"{g.severity or 'NONE'}), grouper {g.version}, discharge {discharge}{weight_text}",
        )
    )
    return findings


# -- pricing ---------------------------------------------------------------------------------


def price_inpatient(claim: Claim, context: Context, tables: ImportedTables, pack: IppsPack) -> Pricing:
    found = grouped(claim)
    if found is None:  # validate pended or rejected it; nothing to price
        return Pricing(lines=(), source=IPPS_SOURCE)
    g, discharge = found.grouping, found.discharge
    year = fiscal_year(discharge)
    rates = pack.rates.get(year)
    if rates is None:
        known = ", ".join(f"FY {y}" for y in sorted(pack.rates))
        return _pend(
            "MCR822", f"discharge {discharge} (FY {year}): no IPPS rates for FY {year} ({known} shipped)"
        )
    weight, why = _weight(tables, pack, year, g.drg)
    if weight is None:
        return _pend("MCR820", f"discharge {discharge}: {why}")
    provider = find_provider(
        tables.ipps, pack.providers, claim.provider_ccn, claim.billing_provider.npi, discharge
    )
    if provider is None:
        who = f"CCN {claim.provider_ccn}" if claim.provider_ccn else f"NPI {claim.billing_provider.npi}"
        return _pend(
            "MCR821",
            f"no IPPS provider record for {who} on {discharge}: import CMS's Provider Specific "
            "File (payer-rules data import ipps-psf PSF.csv WAGE_INDEX.csv) or the hospital's "
            "own record (payer-rules data import ipps-provider FILE.toml)",
        )
    payment = ipps_payment(
        claim, discharge, rates, weight, provider, grouper=f"MS-DRG {g.version}", mdc=g.mdc
    )
    case = payment.case
    ltr = next((v.amount for v in claim.value_codes if v.code == "83"), None)
    if ltr is not None:
        case = evolve(case, lifetime_reserve_days=int(ltr))
    shares = allocate(case.amount, [money(line.charge) for line in claim.lines])
    lines = []
    for number, (line, share) in enumerate(zip(claim.lines, shares, strict=True), 1):
        billed = money(line.charge)
        lines.append(
            PricedLine(
                line=number,
                allowed=share,
                basis=f"IPPS MS-DRG {case.drg}: share of the case payment {case.amount} by charge",
                # A DRG payment may exceed the charges: CARC 94, processed in excess of charges.
                reduction_carc="94" if share > billed else "45",
            )
        )
    findings = [_finding("MCR823", payment.explanation)]
    if payment.transfer is not None:
        findings.append(
            _finding(
                "MCR824",
                f"{payment.transfer} transfer, discharge status {claim.discharge_status}: paid "
                f"{case.discharge_fraction} of the full MS-DRG {case.drg} payment",
            )
        )
    if payment.outlier:
        findings.append(
            _finding(
                "MCR825",
                f"cost outlier: operating {case.component(CaseComponent.OPERATING_OUTLIER)}, capital "
                f"{case.component(CaseComponent.CAPITAL_OUTLIER)}",
            )
        )
    return Pricing(lines=tuple(lines), source=IPPS_SOURCE, findings=tuple(findings), case=case)


def _pend(code: str, message: str) -> Pricing:
    return Pricing(lines=(), source=IPPS_SOURCE, findings=(_finding(code, message),))


# -- Part A cost sharing ------------------------------------------------------------------------


@frozen
class BenefitPeriod:
    """The member's Part A benefit period as far as this run has seen it (42 CFR 409.60)."""

    start: dt.date
    year: int  # the calendar year whose deductible applies (the period's start)
    last_discharge: dt.date
    days_used: int
    deductible_met: Decimal


def adjudicate_inpatient(
    claim: Claim, context: Context, pricing: Pricing, pack: IppsPack, sequestration_percent: Decimal
) -> Adjudication:
    discharge = grouping.discharge_date(claim)
    admitted = claim.admission_date or claim.statement_from or discharge
    prior = context.episode(claim, BENEFIT_PERIOD)
    if isinstance(prior, BenefitPeriod) and 0 <= (admitted - prior.last_discharge).days <= 60:
        period = prior
    else:
        period = BenefitPeriod(
            start=admitted, year=admitted.year, last_discharge=admitted, days_used=0, deductible_met=ZERO
        )
    year = period.year
    deductible = pack.part_a.deductible.get(year)
    daily = pack.part_a.coinsurance_61_90.get(year)
    reserve = pack.part_a.lifetime_reserve.get(year)
    findings: list[Finding] = []
    if deductible is None or daily is None or reserve is None:
        known = ", ".join(map(str, sorted(pack.part_a.deductible)))
        findings.append(
            _finding("MCR822", f"no Part A deductible and coinsurance amounts for {year} (known: {known})")
        )
        return Adjudication(lines=(), source=PART_A_SOURCE, findings=tuple(findings))
    days = covered_days(claim, discharge)
    first, last = period.days_used + 1, period.days_used + days
    coinsurance_days = max(0, min(last, 90) - max(first, 61) + 1)
    over_90 = max(0, last - max(first - 1, 90))
    reported = {v.code: v.amount for v in claim.value_codes}
    if "82" in reported:
        coinsurance_days = int(reported["82"])
    reserve_days = int(reported.get("83", Decimal(over_90)))
    if over_90 > reserve_days:
        findings.append(
            _finding(
                "MCR826",
                f"days {max(first, 91)}-{last} of the benefit period begun {period.start} are past day 90 "
                f"and only {reserve_days} lifetime reserve days (value code 83) are reported",
            )
        )
        return Adjudication(lines=(), source=PART_A_SOURCE, findings=tuple(findings))
    allowed = sum((p.allowed for p in pricing.lines), ZERO)
    owed_deductible = min(max(deductible - period.deductible_met, ZERO), allowed)
    owed_coinsurance = min(
        money(daily * coinsurance_days + reserve * reserve_days), allowed - owed_deductible
    )
    findings.append(
        _finding(
            "MCR827",
            f"benefit period from {period.start}: days {first}-{last}; deductible {money(owed_deductible)} "
            f"({year}: {deductible}), coinsurance {coinsurance_days} day(s) x {daily} + {reserve_days} "
            f"lifetime reserve day(s) x {reserve} = {money(owed_coinsurance)}",
        )
    )
    remaining_deductible, remaining_coinsurance = owed_deductible, owed_coinsurance
    rest: list[Decimal] = []
    taken: list[list[Adjustment]] = []
    for priced in pricing.lines:
        adjustments: list[Adjustment] = []
        payable = priced.allowed
        ded = min(remaining_deductible, max(payable, ZERO))
        remaining_deductible -= ded
        payable -= ded
        coins = min(remaining_coinsurance, max(payable, ZERO))
        remaining_coinsurance -= coins
        payable -= coins
        if ded:
            adjustments.append(Adjustment(group=_PR, carc="1", amount=ded))
        if coins:
            adjustments.append(Adjustment(group=_PR, carc="2", amount=coins))
        rest.append(max(payable, ZERO))
        taken.append(adjustments)
    medicare = sum(rest, ZERO)
    sequestration = allocate(split_percent(medicare, sequestration_percent), rest)
    out = []
    for priced, adjustments, cut in zip(pricing.lines, taken, sequestration, strict=True):
        if cut:
            adjustments.append(Adjustment(group=_CO, carc="253", amount=cut))
        out.append(LineAdjudication(line=priced.line, adjustments=tuple(adjustments)))
    kept = BenefitPeriod(
        start=period.start,
        year=period.year,
        last_discharge=discharge,
        days_used=last,
        deductible_met=period.deductible_met + owed_deductible,
    )
    return Adjudication(
        lines=tuple(out),
        source=PART_A_SOURCE,
        findings=tuple(findings),
        episodes={BENEFIT_PERIOD: kept},
    )
