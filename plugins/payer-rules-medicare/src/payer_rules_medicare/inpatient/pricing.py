"""IPPS payment for one stay: operating and capital DRG payments, transfers and cost outliers.

The formula, for a DRG of relative weight *W* (Table 5, the payment weight after the 10% cap),
a hospital of wage index *WI* and the fiscal year's rates (``data/ipps.toml``):

- operating: labor = standardized amount x labor share (66.0% in FY 2026 when *WI* > 1, else
  62%) rounded to the cent, non-labor = standardized amount - labor;
  ``operating = (labor x WI + non-labor) x W`` (42 CFR 412.64(g), (h));
- IME = operating x the hospital's IME factor (412.105); DSH = operating x DSH factor x 25%
  (the empirically justified part, 412.106(f)); uncompensated care = the hospital's amount per
  claim (412.106(g));
- capital: ``GAF = WI ^ 0.6848`` rounded to four places (as Table 2 prints it);
  ``capital = capital federal rate x GAF x W``, plus capital IME and DSH factors (412.312,
  412.320, 412.322);
- transfers (412.4): when the discharge status is a transfer to another acute hospital, or a
  post-acute transfer for a DRG Table 5 flags post-acute, payment is per diem:
  ``fraction = (LOS + 1) / GMLOS`` (at most 1); for special pay DRGs ``0.5 + 0.5 x fraction``;
  the operating and capital payments (and their IME / DSH) are multiplied by the fraction;
- cost outliers (412.84, 412.312(c)): cost = charges x cost-to-charge ratio; the fixed-loss
  threshold is split between operating and capital by each CCR's share of the total, wage
  adjusted (operating: ``labor share x WI + non-labor share``; capital: GAF) and, for a
  transfer, multiplied by the transfer fraction; the outlier is 80% of the cost above the
  threshold plus the payment (DRG + IME + DSH), for operating and capital separately.

Each component is rounded to the cent; the case is their sum. Not applied (say so when it
matters): hospital VBP, readmissions and HAC adjustments, low-volume and MDH / SCH payments,
new technology add-ons, hospital-specific rates, non-covered charges.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from attrs import frozen

from payer_rules.models import Claim
from payer_rules.money import ZERO, allocate, money
from payer_rules.results import CaseAmount, CaseComponent, CasePayment
from payer_rules_medicare.inpatient.providers import ProviderRecord
from payer_rules_medicare.inpatient.rates import FiscalYearRates
from payer_rules_medicare.inpatient.table5 import DrgWeight

__all__ = [
    "ACUTE_TRANSFER_STATUSES",
    "POST_ACUTE_TRANSFER_STATUSES",
    "IppsPayment",
    "allocate",
    "covered_days",
    "geographic_adjustment_factor",
    "ipps_payment",
    "length_of_stay",
    "transfer_kind",
]

#: Discharge statuses that transfer the patient to another IPPS hospital or a CAH (412.4(b)):
#: short-term general hospital (02, 82 with a planned readmission), CAH (66, 94).
ACUTE_TRANSFER_STATUSES = frozenset({"02", "82", "66", "94"})
#: Post-acute transfers (412.4(c)): SNF (03, 83), IPPS-excluded hospital or unit: cancer or
#: children's (05, 85), IRF (62, 90), LTCH (63, 91), psychiatric (65, 93); swing bed (61, 89);
#: home health (06, 86; not with condition code 42 or 43: care unrelated or outside 3 days).
POST_ACUTE_TRANSFER_STATUSES = frozenset(
    {"03", "83", "05", "85", "62", "90", "63", "91", "65", "93", "61", "89", "06", "86"}
)
_HOME_HEALTH = frozenset({"06", "86"})
_HALF = Decimal("0.5")
_QUARTER = Decimal("0.25")
_ONE = Decimal(1)
_GAF_PLACES = Decimal("0.0001")


@frozen
class IppsPayment:
    """The computed case and the words that explain it."""

    case: CasePayment
    transfer: str | None  # "acute" / "post-acute" / "special pay" when paid per diem
    outlier: bool
    explanation: str


def length_of_stay(claim: Claim, discharge: dt.date) -> int:
    """Days from admission to discharge (the discharge day not counted)."""
    admitted = claim.admission_date or claim.statement_from or discharge
    return max((discharge - admitted).days, 0)


def _value(claim: Claim, code: str) -> Decimal | None:
    return next((v.amount for v in claim.value_codes if v.code == code), None)


def covered_days(claim: Claim, discharge: dt.date) -> int:
    """Value code 80 (covered days) when reported, else the length of stay (at least one day)."""
    reported = _value(claim, "80")
    if reported is not None:
        return int(reported)
    return max(length_of_stay(claim, discharge), 1)


def transfer_kind(claim: Claim, weight: DrgWeight) -> str | None:
    status = (claim.discharge_status or "").zfill(2)
    if status in ACUTE_TRANSFER_STATUSES:
        return "acute"
    if status in POST_ACUTE_TRANSFER_STATUSES and weight.post_acute:
        if status in _HOME_HEALTH and {"42", "43"} & set(claim.condition_codes):
            return None
        return "special pay" if weight.special_pay else "post-acute"
    return None


def ipps_payment(
    claim: Claim,
    discharge: dt.date,
    rates: FiscalYearRates,
    weight: DrgWeight,
    provider: ProviderRecord,
    *,
    grouper: str,
    mdc: str | None,
) -> IppsPayment:
    wi = provider.wage_index
    share = rates.labor_share(wi)
    labor = money(rates.standardized_amount * share)
    nonlabor = rates.standardized_amount - labor
    w = weight.weight
    full_operating = (labor * wi + nonlabor) * w
    gaf = geographic_adjustment_factor(wi, rates.gaf_exponent)
    full_capital = rates.capital_rate * gaf * w

    los = length_of_stay(claim, discharge)
    kind = transfer_kind(claim, weight)
    fraction: Decimal | None = None
    if kind is not None:
        per_diem = min(Decimal(los + 1) / weight.gmlos, _ONE) if weight.gmlos else _ONE
        fraction = min(_HALF + _HALF * per_diem, _ONE) if kind == "special pay" else per_diem
        if fraction >= _ONE:
            fraction, kind = None, None  # stayed the mean length of stay or more: the full DRG
    factor = fraction if fraction is not None else _ONE

    operating = money(full_operating * factor)
    ime = money(operating * provider.ime)
    dsh = money(operating * provider.dsh * _QUARTER)
    ucp = money(provider.uncompensated_care_per_claim)
    capital = money(full_capital * factor)
    capital_ime = money(capital * provider.capital_ime)
    capital_dsh = money(capital * provider.capital_dsh)

    charges = sum((line.charge for line in claim.lines), ZERO)
    ccr_total = provider.operating_ccr + provider.capital_ccr
    operating_outlier = capital_outlier = ZERO
    if ccr_total > 0:
        fixed_loss = rates.fixed_loss_threshold * factor
        op_threshold = (
            fixed_loss * (share * wi + (_ONE - share)) * provider.operating_ccr / ccr_total
            + operating
            + ime
            + dsh
        )
        cap_threshold = (
            fixed_loss * gaf * provider.capital_ccr / ccr_total + capital + capital_ime + capital_dsh
        )
        op_excess = charges * provider.operating_ccr - op_threshold
        cap_excess = charges * provider.capital_ccr - cap_threshold
        if op_excess > 0:
            operating_outlier = money(op_excess * rates.marginal_cost_factor)
        if cap_excess > 0:
            capital_outlier = money(cap_excess * rates.marginal_cost_factor)

    parts = (
        (CaseComponent.OPERATING_FEDERAL, operating),
        (CaseComponent.INDIRECT_TEACHING, ime),
        (CaseComponent.DISPROPORTIONATE_SHARE, dsh),
        (CaseComponent.UNCOMPENSATED_CARE, ucp),
        (CaseComponent.OPERATING_OUTLIER, operating_outlier),
        (CaseComponent.CAPITAL_FEDERAL, capital),
        (CaseComponent.CAPITAL_INDIRECT_TEACHING, capital_ime),
        (CaseComponent.CAPITAL_DISPROPORTIONATE_SHARE, capital_dsh),
        (CaseComponent.CAPITAL_OUTLIER, capital_outlier),
    )
    components = tuple(CaseAmount(component=c, amount=a) for c, a in parts if a)
    total = sum((a for _, a in parts), ZERO)
    case = CasePayment(
        drg=weight.drg,
        weight=w,
        amount=total,
        mdc=weight.mdc or mdc,
        description=weight.title,
        grouper=grouper,
        discharge_fraction=fraction.quantize(Decimal("0.0001"), ROUND_HALF_UP)
        if fraction is not None
        else None,
        covered_days=covered_days(claim, discharge),
        components=components,
    )
    words = [
        f"MS-DRG {weight.drg} weight {w} ({weight.release}); {rates.release}: standardized amount "
        f"{rates.standardized_amount} = labor {labor} (share {share}) + non-labor {nonlabor}; "
        f"{provider.name} (CCN {provider.ccn}, {provider.source}) wage index {wi}, GAF {gaf}; "
        f"operating {operating}, capital {capital} (rate {rates.capital_rate})"
    ]
    if ime or dsh or ucp:
        words.append(f"IME {ime}, DSH {dsh}, uncompensated care {ucp}")
    if capital_ime or capital_dsh:
        words.append(f"capital IME {capital_ime}, capital DSH {capital_dsh}")
    if fraction is not None:
        words.append(
            f"{kind} transfer (status {claim.discharge_status}): LOS {los}, GMLOS {weight.gmlos}, "
            f"paid {fraction.quantize(Decimal('0.0001'), ROUND_HALF_UP)} of the full DRG"
        )
    if operating_outlier or capital_outlier:
        words.append(
            f"cost outlier: charges {money(charges)} x CCR {provider.operating_ccr} / "
            f"{provider.capital_ccr}, fixed-loss {rates.fixed_loss_threshold}: operating "
            f"{operating_outlier}, capital {capital_outlier}"
        )
    return IppsPayment(
        case=case,
        transfer=kind if fraction is not None else None,
        outlier=bool(operating_outlier or capital_outlier),
        explanation="; ".join(words) + f"; total {money(total)}",
    )


@lru_cache(maxsize=4096)
def geographic_adjustment_factor(wage_index: Decimal, exponent: Decimal) -> Decimal:
    """``wage index ^ exponent`` to four places, as Table 2 prints the GAF (412.316(a)).

    A non-integral Decimal power costs about a millisecond; a hospital's answer is kept.
    """
    return (wage_index**exponent).quantize(_GAF_PLACES, ROUND_HALF_UP)
