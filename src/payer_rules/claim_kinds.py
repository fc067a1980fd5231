"""What kind of claim this is, as a payer's payment systems tell them apart.

A payer prices each kind from a different schedule: professional services from a fee schedule,
inpatient stays per case (MS-DRG under IPPS), outpatient hospital by APC, ambulatory surgical
centers from the ASC addenda, and so on. Each payer declares the kinds it prices
(:attr:`payer_rules.payers.Payer.claim_kinds`); the engine answers a claim of any other kind with an
explicit not-modelled finding instead of a price from the wrong schedule.

The kind comes from the type of bill on institutional claims (UB-04 FL 4; 837I CLM05-1 facility
code plus the frequency) and, on professional claims, from the billing provider's taxonomy
(an ambulatory surgical center bills Medicare on the 837P / CMS-1500 as a facility).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payer_rules.models import Claim

__all__ = ["ASC_TAXONOMY", "ClaimKind", "claim_kind"]

#: NUCC taxonomy of an ambulatory surgical center (Clinic/Center, Ambulatory Surgical).
ASC_TAXONOMY = "261QA1903X"


class ClaimKind(StrEnum):
    """Payment-system kinds of claim. The value is what ``payers --json`` and findings print."""

    PROFESSIONAL = "professional"  # 837P / CMS-1500, priced line by line from fee schedules
    ASC = "asc"  # ambulatory surgical center facility claim (837P, ASC taxonomy)
    DENTAL = "dental"  # 837D / ADA claim form
    INPATIENT = "inpatient"  # type of bill 11x: inpatient hospital (Part A), per case
    OUTPATIENT_HOSPITAL = "outpatient-hospital"  # 12x (Part B inpatient ancillaries), 13x, 14x
    SNF = "snf"  # 18x swing bed, 21x / 22x / 23x skilled nursing facility
    HOME_HEALTH = "home-health"  # 32x / 33x / 34x
    HOSPICE = "hospice"  # 81x / 82x
    CLINIC = "clinic"  # 7xx: RHC, FQHC, ESRD, ORF, CORF, CMHC
    CRITICAL_ACCESS = "critical-access-hospital"  # 85x
    INSTITUTIONAL_OTHER = "institutional-other"  # any other or missing type of bill


_BY_FACILITY_CLASS: dict[str, ClaimKind] = {
    "11": ClaimKind.INPATIENT,
    "12": ClaimKind.OUTPATIENT_HOSPITAL,
    "13": ClaimKind.OUTPATIENT_HOSPITAL,
    "14": ClaimKind.OUTPATIENT_HOSPITAL,
    "18": ClaimKind.SNF,
    "21": ClaimKind.SNF,
    "22": ClaimKind.SNF,
    "23": ClaimKind.SNF,
    "32": ClaimKind.HOME_HEALTH,
    "33": ClaimKind.HOME_HEALTH,
    "34": ClaimKind.HOME_HEALTH,
    "81": ClaimKind.HOSPICE,
    "82": ClaimKind.HOSPICE,
    "85": ClaimKind.CRITICAL_ACCESS,
}


def claim_kind(claim: Claim) -> ClaimKind:
    """The payment-system kind of ``claim`` (see the module docstring for the rules)."""
    claim_type = str(claim.claim_type)  # a ClaimType (StrEnum) or, from the fast JSON reader, its value
    if claim_type == "professional":
        if claim.billing_provider.taxonomy == ASC_TAXONOMY:
            return ClaimKind.ASC
        return ClaimKind.PROFESSIONAL
    if claim_type == "dental":
        return ClaimKind.DENTAL
    bill_type = (claim.bill_type or "").lstrip("0")
    if len(bill_type) < 2:
        return ClaimKind.INSTITUTIONAL_OTHER
    if bill_type[0] == "7":
        return ClaimKind.CLINIC
    return _BY_FACILITY_CLASS.get(bill_type[:2], ClaimKind.INSTITUTIONAL_OTHER)
