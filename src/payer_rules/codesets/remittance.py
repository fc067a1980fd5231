"""CARC, RARC and group codes in words, for pages people read (the Claim Check web UI).

Results carry codes (``CO-50``, ``N386``) because that is what an 835 carries; a biller reading a
page wants the words too. The words are the descriptions the lists' maintainers publish, for the
codes the installed plugins and rulepacks send (``tests/test_web_routes.py`` checks that every
code a registered rule names, and every code the example claims bring out, has words):

* Claim Adjustment Reason Codes: X12 external code source 139, maintained by the X12 Health Care
  Code Maintenance Committee;
* Remittance Advice Remark Codes: X12 external code source 411, maintained by CMS;
* both published at https://x12.org/codes (and republished by CMS's contractors).

Each text is the code's published description without the list's ``Usage:`` note, which tells a
payer how to send the code rather than what it means; anything before that note (a group code
restriction, "At least one Remark Code must be provided ...") is kept as published.

**Release.** The texts were checked in December 2026 against republished copies of the lists,
none of which carries a release date of its own: a complete copy of both lists kept in OpenEMR's
billing module (every code below); copies of x12.org's CARC page that show each code's Start /
Last Modified dates (CARC 1 to 7: CARC 4 as last modified 03/01/2020, which dropped "or a
required modifier is missing"; CARC 6 and 7 as last modified 07/01/2017); a Medicare
contractor's reason-code pages (Noridian: CARC 97, RARC M15); and pages quoting the X12 text
(CARC 10, 18, 253; RARC M77, MA130, N386). Where copies differed, the wording with the latest
Last Modified date is used (CARC 4); CARC 204, which the OpenEMR copy garbles, follows the other
copies found. So the release these texts follow cannot be pinned to one date: it is the
03/01/2020 release or a later one (CARC 4's wording), and apart from CARC 4 and 204 each text is
the one every copy found agrees on. A code whose published text cannot be found may be added
with our own words only if its text says "(paraphrase)"; none does today.
A code without words here is shown as the bare code with a pointer to the list, never with a
guessed meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = [
    "CARC",
    "CODE_LISTS",
    "GROUPS",
    "RARC",
    "describe_carc",
    "describe_group",
    "describe_rarc",
]

#: Where the full, current lists are published.
CODE_LISTS: Final = "https://x12.org/codes"

#: The group codes' names as the 835 guide gives them, each with a short form of the explanation
#: X12 publishes beside the CARC list (what the group says about who bears the amount).
GROUPS: Final[Mapping[str, str]] = {
    "CO": "Contractual Obligations (a contract or regulation; generally written off by the provider, "
    "not billed to the patient)",
    "PR": "Patient Responsibility (an amount that may be billed to the patient or insured)",
    "OA": "Other Adjustments (no other group applies)",
    "PI": "Payer Initiated Reductions (not the patient's responsibility, with no contract behind it)",
    "CR": "Corrections and Reversals (correcting a prior claim)",
}

CARC: Final[Mapping[str, str]] = {
    "1": "Deductible Amount",
    "2": "Coinsurance Amount",
    "3": "Co-payment Amount",
    "4": "The procedure code is inconsistent with the modifier used.",
    "6": "The procedure/revenue code is inconsistent with the patient's age.",
    "7": "The procedure/revenue code is inconsistent with the patient's gender.",
    "10": "The diagnosis is inconsistent with the patient's gender.",
    "11": "The diagnosis is inconsistent with the procedure.",
    "16": "Claim/service lacks information or has submission/billing error(s).",
    "18": "Exact duplicate claim/service (Use only with Group Code OA except where state workers' "
    "compensation regulations requires CO)",
    "22": "This care may be covered by another payer per coordination of benefits.",
    "23": "The impact of prior payer(s) adjudication including payments and/or adjustments. "
    "(Use only with Group Code OA)",
    "29": "The time limit for filing has expired.",
    "45": "Charge exceeds fee schedule/maximum allowable or contracted/legislated fee arrangement.",
    "50": "These are non-covered services because this is not deemed a 'medical necessity' by the payer.",
    "54": "Multiple physicians/assistants are not covered in this case.",
    "58": "Treatment was deemed by the payer to have been rendered in an inappropriate or invalid place "
    "of service.",
    "94": "Processed in Excess of charges.",
    "96": "Non-covered charge(s). At least one Remark Code must be provided (may be comprised of either "
    "the NCPDP Reject Reason Code, or Remittance Advice Remark Code that is not an ALERT.)",
    "97": "The benefit for this service is included in the payment/allowance for another "
    "service/procedure that has already been adjudicated.",
    "119": "Benefit maximum for this time period or occurrence has been reached.",
    "133": "The disposition of this service line is pending further review. (Use only with Group Code OA).",
    "151": "Payment adjusted because the payer deems the information submitted does not support this "
    "many/frequency of services.",
    "181": "Procedure code was invalid on the date of service.",
    "197": "Precertification/authorization/notification/pre-treatment absent.",
    "204": "This service/equipment/drug is not covered under the patient's current benefit plan",
    "236": "This procedure or procedure/modifier combination is not compatible with another procedure or "
    "procedure/modifier combination provided on the same day according to the National Correct "
    "Coding Initiative or workers compensation state regulations/ fee schedule requirements.",
    "242": "Services not provided by network/primary care providers.",
    "246": "This non-payable code is for required reporting only.",
    "253": "Sequestration - reduction in federal payment",
    "B4": "Late filing penalty.",
}

RARC: Final[Mapping[str, str]] = {
    "M15": "Separately billed services/tests have been bundled as they are considered components of the "
    "same procedure. Separate payment is not allowed.",
    "M38": "Alert: The patient is liable for the charges for this service as they were informed in "
    "writing before the service was furnished that we would not pay for it and the patient agreed "
    "to be responsible for the charges.",
    "M51": "Missing/incomplete/invalid procedure code(s).",
    "M53": "Missing/incomplete/invalid days or units of service.",
    "M59": 'Missing/incomplete/invalid "to" date(s) of service.',
    "M76": "Missing/incomplete/invalid diagnosis or condition.",
    "M77": "Missing/incomplete/invalid/inappropriate place of service.",
    "M79": "Missing/incomplete/invalid charge.",
    "M144": "Pre-/post-operative care payment is included in the allowance for the surgery/procedure.",
    "MA04": "Secondary payment cannot be considered without the identity of or payment information from "
    "the primary payer. The information was either not reported or was illegible.",
    "MA28": "Alert: Receipt of this notice by a physician or supplier who did not accept assignment is for "
    "information only and does not make the physician or supplier a party to the determination. No "
    "additional rights to appeal this decision, above those rights already provided for by "
    "regulation/instruction, are conferred by receipt of this notice.",
    "MA63": "Missing/incomplete/invalid principal diagnosis.",
    "MA92": "Missing plan information for other insurance.",
    "MA130": "Your claim contains incomplete and/or invalid information, and no appeal rights are afforded "
    "because the claim is unprocessable. Please submit a new claim with the complete/correct "
    "information.",
    "N257": "Missing/incomplete/invalid billing provider/supplier primary identifier.",
    "N286": "Missing/incomplete/invalid referring provider primary identifier.",
    "N290": "Missing/incomplete/invalid rendering provider primary identifier.",
    "N362": "The number of Days or Units of Service exceeds our acceptable maximum.",
    "N386": "This decision was based on a National Coverage Determination (NCD). An NCD provides a "
    "coverage determination as to whether a particular item or service is covered. A copy of this "
    "policy is available at www.cms.gov/mcd/search.asp. If you do not have web access, you may "
    "contact the contractor to request a copy of the NCD.",
    "N390": "This service/report cannot be billed separately.",
    "N425": "Statutorily excluded service(s).",
    "N431": "Not covered with this procedure.",
    "N620": "Alert: This procedure code is for quality reporting/informational purposes only.",
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
