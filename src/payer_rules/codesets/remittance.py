"""CARC, RARC and group codes in words, for pages people read (the Claim Check web UI).

Results carry codes (``CO-50``, ``N386``) because that is what an 835 carries; a biller reading a
page wants the words too. The texts below are short forms of the descriptions in the code lists
their maintainers publish (Claim Adjustment Reason Codes: X12, code source 139; Remittance
Advice Remark Codes: CMS, code source 411; both at https://x12.org/codes), for the codes the
installed plugins and rulepacks send (``tests/test_web_routes.py`` checks every registered
rule's codes have words). A code without words here is shown as the bare code with a pointer to
the list, never with a guessed meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["CARC", "CODE_LISTS", "GROUPS", "RARC", "describe_carc", "describe_group", "describe_rarc"]

#: Where the full, current lists are published.
CODE_LISTS: Final = "https://x12.org/codes"

GROUPS: Final[Mapping[str, str]] = {
    "CO": "Contractual obligation (the provider writes it off)",
    "PR": "Patient responsibility",
    "OA": "Other adjustment",
    "PI": "Payer-initiated reduction",
    "CR": "Correction or reversal",
}

CARC: Final[Mapping[str, str]] = {
    "1": "Deductible amount.",
    "2": "Coinsurance amount.",
    "3": "Co-payment amount.",
    "4": "The procedure code is inconsistent with the modifier used.",
    "6": "The procedure code is inconsistent with the patient's age.",
    "7": "The procedure code is inconsistent with the patient's sex.",
    "10": "The diagnosis is inconsistent with the patient's sex.",
    "11": "The diagnosis is inconsistent with the procedure.",
    "16": "Claim/service lacks information or has submission/billing error(s).",
    "18": "Exact duplicate claim/service.",
    "22": "This care may be covered by another payer per coordination of benefits.",
    "23": "The impact of prior payer(s) adjudication, including payments and/or adjustments.",
    "29": "The time limit for filing has expired.",
    "45": "Charge exceeds fee schedule/maximum allowable or contracted/legislated fee arrangement.",
    "50": "Non-covered service: not deemed a medical necessity by the payer.",
    "54": "Multiple physicians/assistants are not covered in this case.",
    "58": "Treatment was rendered in an inappropriate or invalid place of service.",
    "94": "Processed in excess of charges.",
    "96": "Non-covered charge(s).",
    "97": "The benefit for this service is included in the payment/allowance for another service.",
    "119": "Benefit maximum for this time period or occurrence has been reached.",
    "133": "The disposition of this service line is pending further review.",
    "151": "The information submitted does not support this many/frequency of services.",
    "181": "Procedure code was invalid on the date of service.",
    "197": "Precertification/authorization/notification absent.",
    "204": "This service/equipment/drug is not covered under the patient's current benefit plan.",
    "236": "This procedure or procedure/modifier combination is not compatible with another procedure "
    "on the same day (National Correct Coding Initiative).",
    "242": "Services not provided by network/primary care providers.",
    "246": "This non-payable code is for required reporting only.",
    "253": "Sequestration: reduction in federal payment.",
    "B4": "Late filing penalty.",
}

RARC: Final[Mapping[str, str]] = {
    "M15": "Separately billed services/tests have been bundled as components of the same procedure.",
    "M38": "The patient is liable for the charges: told in writing before the service (ABN) and "
    "agreed to pay.",
    "M51": "Missing/incomplete/invalid procedure code(s).",
    "M53": "Missing/incomplete/invalid days or units of service.",
    "M59": "Missing/incomplete/invalid 'to' date.",
    "M76": "Missing/incomplete/invalid diagnosis or condition.",
    "M77": "Missing/incomplete/invalid place of service.",
    "M79": "Missing/incomplete/invalid charge.",
    "M144": "Pre-/post-operative care payment is included in the allowance for the surgery/procedure.",
    "MA04": "Secondary payment cannot be considered without the identity of, or payment information "
    "from, the primary payer.",
    "MA28": "Receipt of this notice by a provider who did not accept assignment is for information "
    "only and does not make the provider a party to the determination.",
    "MA63": "Missing/incomplete/invalid principal diagnosis.",
    "MA92": "Missing plan information for other insurance.",
    "MA130": "The claim is unprocessable (incomplete and/or invalid information); no appeal rights. "
    "Submit a new claim with the complete/correct information.",
    "N257": "Missing/incomplete/invalid billing provider/supplier primary identifier.",
    "N290": "Missing/incomplete/invalid rendering provider primary identifier.",
    "N362": "The number of days or units of service exceeds our acceptable maximum.",
    "N386": "This decision was based on a National Coverage Determination (NCD).",
    "N390": "This service/report cannot be billed separately.",
    "N425": "Statutorily excluded service(s).",
    "N431": "Not covered with this procedure.",
    "N620": "This procedure code is for quality reporting/informational purposes only.",
    "N822": "Missing procedure modifier(s).",
}


def describe_carc(code: str | None) -> str | None:
    """The words for a claim adjustment reason code, or ``None`` when none are shipped."""
    return CARC.get(code or "")


def describe_rarc(code: str) -> str | None:
    """The words for a remittance advice remark code, or ``None`` when none are shipped."""
    return RARC.get(code)


def describe_group(code: str | None) -> str | None:
    """The words for a CAS group code (CO, PR, OA, PI, CR)."""
    return GROUPS.get(str(code or ""))
