"""The Medicare rules this plugin applies, with their codes, outcomes and citations."""

from __future__ import annotations

import datetime as dt
from functools import cache

from payer_rules.results import Group, Severity, Source
from payer_rules.rules import RuleInfo
from payer_rules_medicare import PAYER_ID, __version__

SOURCE_NAME = "payer-rules-medicare"


def _rule(
    code: str,
    name: str,
    summary: str,
    why: str,
    citation: str,
    severity: Severity,
    carc: str | None = None,
    rarcs: tuple[str, ...] = (),
    group: Group | None = Group.CO,
    effective_from: dt.date | None = None,
    other_rarcs: tuple[str, ...] = (),
) -> RuleInfo:
    return RuleInfo(
        code=code,
        name=name,
        summary=summary,
        why=why,
        citation=citation,
        payers=(PAYER_ID,),
        source=f"{SOURCE_NAME}@{__version__}",
        severity=str(severity),
        carc=carc,
        rarcs=rarcs,
        group=str(group) if group else None,
        effective_from=effective_from,
        other_rarcs=other_rarcs,
    )


ASC_CITATION = "Medicare Claims Processing Manual (Pub. 100-04), Ch. 14 (Ambulatory Surgical Centers)"
_RVU_LAYOUT = "CMS PFS Relative Value File record layout (RVU25D.pdf)"
UNPROCESSABLE = "Medicare Claims Processing Manual (Pub. 100-04), Ch. 1, §80.3.2 (unprocessable claims)"
DRUGS = "42 CFR 414.904 (106% of ASP); Pub. 100-04 Ch. 17 §20 (drugs and biologicals)"
ANESTHESIA = "Medicare Claims Processing Manual (Pub. 100-04), Ch. 12, §50; 42 CFR 414.46"

RULES = {
    r.code: r
    for r in (
        _rule(
            "MCR001",
            "diagnosis-code-not-valid-on-date-of-service",
            "A diagnosis code is not in the ICD-10-CM release in force on the line's date of service.",
            "Claims are coded with the code set valid on the date of service; codes added later or "
            "deleted earlier make the claim unprocessable.",
            f"{UNPROCESSABLE}; HIPAA code set rule 45 CFR 162.1002",
            Severity.REJECT,
            "16",
            ("M76",),
        ),
        _rule(
            "MCR002",
            "diagnosis-code-is-a-header",
            "A diagnosis code is a category (header) that needs more characters to be billable.",
            "Only billable (leaf) ICD-10-CM codes may be reported.",
            f"ICD-10-CM Official Guidelines for Coding and Reporting, Section I.B.2; {UNPROCESSABLE}",
            Severity.REJECT,
            "16",
            ("M76",),
        ),
        _rule(
            "MCR003",
            "diagnosis-code-not-in-loaded-code-set",
            "A diagnosis code is unknown to the loaded ICD-10-CM data; it could not be checked.",
            "Reported as a warning: a false rejection costs more than a missed check.",
            "payer-rules policy on unknown codes",
            Severity.WARN,
            group=None,
        ),
        _rule(
            "MCR004",
            "excludes1-pair-billed-together",
            "Two diagnoses form an ICD-10-CM Excludes1 pair (one excludes the other).",
            "Excludes1 means 'not coded here': the two conditions cannot normally occur together. "
            "Reported as a warning: the guidelines allow both when the conditions are unrelated.",
            "ICD-10-CM Official Guidelines for Coding and Reporting, Section I.A.12.a",
            Severity.WARN,
            group=None,
        ),
        _rule(
            "MCR005",
            "manifestation-code-first-listed",
            "The first-listed diagnosis is a manifestation code ('in diseases classified elsewhere').",
            "Manifestation codes are never first-listed; the underlying condition is sequenced first.",
            f"ICD-10-CM Official Guidelines, Section I.A.13 (etiology/manifestation); {UNPROCESSABLE}",
            Severity.REJECT,
            "16",
            ("M76",),
        ),
        _rule(
            "MCR006",
            "unspecified-laterality-when-side-exists",
            "A diagnosis leaves the side unspecified where the code set has codes for each side.",
            "Laterality is documented in most records; payers increasingly deny unspecified side codes.",
            "ICD-10-CM Official Guidelines, Section I.B.13 (laterality)",
            Severity.WARN,
            group=None,
        ),
        _rule(
            "MCR007",
            "diagnosis-inconsistent-with-age",
            "A diagnosis is for an age group (newborn, maternity) the patient is not in.",
            "CMS's code editors flag age conflicts (CARC 9). A warning here: the age lists are derived "
            "from the tabular's notes, not the official MCE tables.",
            "Medicare Code Editor (MCE) age edits; CARC 9",
            Severity.WARN,
            group=None,
        ),
        _rule(
            "MCR008",
            "diagnosis-inconsistent-with-sex",
            "A line points at a diagnosis for one sex and the patient is of the other.",
            "The diagnosis is inconsistent with the patient's sex; modifier KX (gender-specific services "
            "for a beneficiary whose records show another sex) bypasses the edit.",
            "Medicare Code Editor (MCE) sex edits; Pub. 100-04 Ch. 32 (KX for gender-specific services)",
            Severity.DENY,
            "10",
        ),
        _rule(
            "MCR015",
            "procedure-code-not-valid-on-date-of-service",
            "A HCPCS / CPT code is not valid in the code set in force on the line's date of service.",
            "A code added later or terminated earlier cannot be paid on that date.",
            "HCPCS quarterly update instructions; 45 CFR 162.1002",
            Severity.DENY,
            "181",
            ("M51",),
        ),
        _rule(
            "MCR016",
            "procedure-code-not-in-loaded-code-set",
            "A procedure code could not be checked: no loaded list covers it on the date of service.",
            "Reported as a warning: a false rejection costs more than a missed check.",
            "payer-rules policy on unknown codes",
            Severity.WARN,
            group=None,
        ),
        _rule(
            "MCR010",
            "npi-check-digit-invalid",
            "A provider NPI fails the check digit (Luhn with the 80840 prefix).",
            "An NPI that cannot exist identifies no enrolled provider.",
            f"45 CFR 162.406 (NPI standard); {UNPROCESSABLE}",
            Severity.REJECT,
            "16",
            ("N257",),
            other_rarcs=("N290", "N286"),  # a rendering / referring NPI (edits.required_data)
        ),
        _rule(
            "MCR011",
            "diagnosis-pointer-points-nowhere",
            "A service line points at a diagnosis the claim does not have, or the claim has none.",
            "Every line must be linked to the diagnosis that justifies it.",
            f"CMS-1500 instructions, item 24E; {UNPROCESSABLE}",
            Severity.REJECT,
            "16",
            ("M76",),
        ),
        _rule(
            "MCR012",
            "units-not-positive",
            "A service line has zero or negative units.",
            "Units of service must be reported and greater than zero.",
            f"CMS-1500 instructions, item 24G; {UNPROCESSABLE}",
            Severity.REJECT,
            "16",
            ("M53",),
        ),
        _rule(
            "MCR013",
            "charge-not-positive",
            "A service line has a zero or negative charge.",
            "Medicare needs the provider's actual charge to apply the lesser-of rule.",
            f"CMS-1500 instructions, item 24F; {UNPROCESSABLE}",
            Severity.REJECT,
            "16",
            ("M79",),
        ),
        _rule(
            "MCR014",
            "service-dates-out-of-order",
            "A line's 'to' date of service is before its 'from' date, or after the received date.",
            "Dates of service must be possible.",
            f"CMS-1500 instructions, item 24A; {UNPROCESSABLE}",
            Severity.REJECT,
            "16",
            ("M59",),
        ),
        _rule(
            "MCR201",
            "no-fee-schedule-amount",
            "No fee schedule amount exists for the code on the date of service in the loaded data.",
            "The line cannot be priced until the fee schedule for that code and locality is loaded.",
            "Medicare Claims Processing Manual (Pub. 100-04), Ch. 12, §20",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        # -- issue 6: Part B claims edits from CMS's own files ---------------------------------
        _rule(
            "MCR202",
            "assistant-at-surgery-not-payable",
            "An assistant-at-surgery modifier (80, 81, 82, AS) on a procedure whose ASST SURG "
            "indicator does not allow payment.",
            "The physician fee schedule pays assistants only for procedures with ASST SURG 2; "
            "indicator 0 needs documentation of medical necessity, 1 and 9 are never paid.",
            "Pub. 100-04 Ch. 12 §20.4.3 and §40.8; PPRRVU ASST SURG indicator",
            Severity.DENY,
            "54",
        ),
        # -- issue 18: anesthesia (MCR700-MCR709) -------------------------------------------
        _rule(
            "MCR700",
            "anesthesia-base-units-not-loaded",
            "An anesthesia code (00100-01999) has no CMS base units for its year in the loaded data.",
            "Anesthesia is paid (base units + time units) x the locality's anesthesia conversion "
            "factor; without the code's base units the line cannot be priced. Import CMS's "
            "anesthesia base units file (payer-rules data import anesthesia-base-units).",
            f"{ANESTHESIA}; CMS Anesthesia Base Units by CPT code (anesthesiologists center)",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR701",
            "anesthesia-conversion-factor-not-loaded",
            "No anesthesia conversion factor is loaded for the line's year and payment locality.",
            "The anesthesia conversion factor varies by locality and year (the RVU bundle's "
            "ANESyyyy file); import it with payer-rules data import mpfs.",
            f"{ANESTHESIA}; RVU bundle ANESyyyy file (anesthesia conversion factors by locality)",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR702",
            "anesthesia-payment-modifier-missing",
            "An anesthesia line carries no payment modifier (AA, AD, QK, QX, QY, QZ), or two that "
            "contradict each other.",
            "The payment modifier says who furnished the anesthesia and how (personally performed, "
            "medically directed, supervised, CRNA alone) and so what share of the fee is paid "
            "(100%, 50%, 3 base units); without exactly one the line cannot be paid.",
            "Medicare Claims Processing Manual (Pub. 100-04), Ch. 12, §50 (anesthesia payment "
            "modifiers, medical direction and supervision); 42 CFR 414.46; 42 CFR 415.110",
            Severity.DENY,
            "4",
        ),
        _rule(
            "MCR703",
            "anesthesia-time-not-in-minutes",
            "An anesthesia line reports its units as units of service (837P SV103 UN) instead of "
            "minutes of anesthesia time (MJ).",
            "Time units are the reported minutes divided by 15; a count of units does not say how "
            "long the anesthesia lasted.",
            "Medicare Claims Processing Manual (Pub. 100-04), Ch. 12, §50 G (anesthesia time and "
            "time units); 42 CFR 414.46; ASC X12 837P SV103 (MJ = minutes)",
            Severity.DENY,
            "16",
            ("M53",),
        ),
        # -- issue 18: drugs and biologicals (MCR710-MCR719) --------------------------------
        _rule(
            "MCR710",
            "drug-asp-quarter-not-loaded",
            "A Part B drug or vaccine is billed for a quarter whose ASP pricing file is not loaded.",
            "Drugs are paid 106% of the average sales price per HCPCS billing unit from CMS's "
            "quarterly file, by the quarter of the date of service; never from the physician fee "
            "schedule. Import that quarter's file (payer-rules data import asp).",
            f"{DRUGS}; CMS ASP Pricing File (quarterly)",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR711",
            "drug-without-asp-payment-limit",
            "A drug code is not in the quarter's ASP pricing file, or its payment limit there is N/A.",
            "CMS publishes no ASP payment limit for it; the contractor prices it (invoice, WAC or "
            "AWP methodology), which this engine does not model.",
            f"{DRUGS}; Pub. 100-04 Ch. 17 §20.1.3",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR712",
            "drug-coinsurance-inflation-adjusted",
            "The quarter's ASP file sets a drug's coinsurance below 20% (Part B inflation rebate).",
            "For drugs whose price rose faster than inflation the beneficiary's coinsurance is "
            "reduced (Social Security Act §1847A(i)(5), from April 2023); the file's Co-insurance "
            "Percentage column says by how much. Reported as a warning: cost sharing here still "
            "takes the standard 20%.",
            f"{DRUGS}; Social Security Act §1847A(i)(5); CMS ASP Pricing File, Co-insurance Percentage",
            Severity.WARN,
            group=None,
        ),
        # -- issue 18: MPFS payment-policy indicators (docs/medicare.md) -------------------
        _rule(
            "MCR203",
            "bundled-status-code-billed",
            "A code whose STATUS CODE is B (bundled) or P (bundled/excluded), or a status T "
            "injection billed with another fee-schedule service the same day by the same provider.",
            "Medicare never pays these separately: their payment is part of the services they go "
            "with (RVU file, Attachment A).",
            f"{_RVU_LAYOUT}, STATUS CODE B, P, T; Pub. 100-04 Ch. 12 §20.3",
            Severity.DENY,
            "97",
            ("M15",),
        ),
        _rule(
            "MCR204",
            "contractor-priced-code",
            "A code with STATUS CODE C: the MAC prices it case by case.",
            "There are no national RVUs to price it; the MAC sets the amount on review of the "
            "documentation (operative report), so the line waits for that review.",
            f"{_RVU_LAYOUT}, STATUS CODE C; Pub. 100-04 Ch. 12 §20",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR205",
            "paid-outside-the-physician-fee-schedule",
            "A code the physician fee schedule does not price (STATUS CODE E, J, a HCPCS Level II "
            "status X item, or another status with no RVUs) and no loaded schedule prices.",
            "Such services are paid under other provisions (reasonable charge, anesthesia, "
            "ambulance, DMEPOS ...); the line waits until that schedule is modelled or loaded.",
            f"{_RVU_LAYOUT}, STATUS CODE E, J, X",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR206",
            "code-not-valid-for-medicare",
            "A code with STATUS CODE I: not valid for Medicare purposes.",
            "Medicare uses another code for the service; the line is denied and may be rebilled "
            "with the Medicare code.",
            f"{_RVU_LAYOUT}, STATUS CODE I",
            Severity.DENY,
            "181",
            ("M51",),
        ),
        _rule(
            "MCR207",
            "measurement-code-reported",
            "A code with STATUS CODE M: a measurement code, reported for quality data only.",
            "Measurement codes carry no payment; the line is accepted for reporting at $0.",
            f"{_RVU_LAYOUT}, STATUS CODE M",
            Severity.DENY,
            "246",
            ("N620",),
        ),
        _rule(
            "MCR208",
            "non-covered-status-code",
            "A code with STATUS CODE N: not covered by Medicare.",
            "The service is not a Medicare benefit; the provider is liable unless the beneficiary "
            "was told in advance (GA, or GY for a service Medicare never covers: group PR).",
            f"{_RVU_LAYOUT}, STATUS CODE N; 42 CFR 411.15; Noridian JE Part B reason code guidance "
            "(non-covered charge: CO-96, N431)",
            Severity.DENY,
            "96",
            ("N431",),
        ),
        _rule(
            "MCR209",
            "statutory-exclusion-status-code",
            "A CPT code with STATUS CODE X that no other loaded fee schedule prices: a statutory "
            "exclusion from 'physician services'.",
            "No payment may be made under the physician fee schedule; laboratory tests with this "
            "status are priced from the CLFS (or pend, MCR201), HCPCS Level II items pend (MCR205).",
            f"{_RVU_LAYOUT}, STATUS CODE X; Social Security Act §1848(j)(3)",
            Severity.DENY,
            "204",
            ("N425",),
        ),
        _rule(
            "MCR210",
            "component-modifier-not-allowed",
            "Modifier 26 or TC on a code whose PCTC IND does not allow it (26 only with 1, 6, 8; "
            "TC only with 1).",
            "Codes with PCTC 0 (physician services), 2, 3, 4 (stand-alone component or global "
            "codes), 5, 7 and 9 cannot be split into professional and technical components.",
            f"{_RVU_LAYOUT}, PCTC IND (Attachment A); Pub. 100-04 Ch. 12 §20.4",
            Severity.DENY,
            "4",
        ),
        _rule(
            "MCR211",
            "component-not-paid-in-this-setting",
            "PCTC IND 5 (incident-to) for a hospital patient, or 8 (physician interpretation of an "
            "abnormal smear, 85060) for anyone but a hospital inpatient.",
            "Incident-to services are not paid to hospital patients; 85060 is paid only for an "
            "inpatient, its outpatient interpretation being in the lab fee.",
            f"{_RVU_LAYOUT}, PCTC IND 5 and 8",
            Severity.DENY,
            "58",
        ),
        _rule(
            "MCR212",
            "co-surgeons-not-permitted",
            "Modifier 62 on a procedure whose CO-SURG indicator is 0 or 9.",
            "Two surgeons are not paid for this procedure.",
            f"{_RVU_LAYOUT}, CO-SURG; Pub. 100-04 Ch. 12 §40.8",
            Severity.DENY,
            "54",
        ),
        _rule(
            "MCR213",
            "co-surgeons-need-documentation",
            "Modifier 62 on a procedure whose CO-SURG indicator is 1.",
            "Co-surgeons are paid (62.5% each) only once documentation shows that two surgeons "
            "were medically necessary; the line waits for it.",
            f"{_RVU_LAYOUT}, CO-SURG; Pub. 100-04 Ch. 12 §40.8",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR214",
            "team-surgery-not-permitted",
            "Modifier 66 on a procedure whose TEAM SURG indicator is 0 or 9.",
            "A surgical team is not paid for this procedure.",
            f"{_RVU_LAYOUT}, TEAM SURG; Pub. 100-04 Ch. 12 §40.8",
            Severity.DENY,
            "54",
        ),
        _rule(
            "MCR215",
            "team-surgery-by-report",
            "Modifier 66 on a procedure whose TEAM SURG indicator is 1 (documentation of medical "
            "necessity, then by report) or 2 (by report).",
            "Team surgeons are priced by report: the MAC sets each surgeon's amount from the "
            "documentation, so the line waits for that review.",
            f"{_RVU_LAYOUT}, TEAM SURG; Pub. 100-04 Ch. 12 §40.8",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR216",
            "modifier-priced-by-report",
            "Modifier 22 (increased procedural services), 52 (reduced services), or 53 "
            "(discontinued) on a code without a 53 row of its own.",
            "CMS defines no percentage for these: the MAC prices them on review of the operative "
            "report (22: a statement of how the service differs; 53: individual consideration). "
            "CMS gives 53 its own RVUs only for the colonoscopies it lists (45378, 44388, G0105, "
            "G0121), which are priced from that row.",
            f"{_RVU_LAYOUT}, Modifier field (53); Pub. 100-04 Ch. 12 §20.4.6 and §40.2.A.10",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR217",
            "procedures-after-the-fifth-by-report",
            "A sixth or later surgical procedure (MULT PROC 1, 2, 3) the same day by the same provider.",
            "Multiple surgery pays 100%, then 50% for the second to fifth procedures; the sixth "
            "and later are priced by report.",
            f"{_RVU_LAYOUT}, MULT PROC 2; Pub. 100-04 Ch. 12 §40.6.2",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR713",
            "vaccine-administration-rate-not-loaded",
            "Influenza, pneumococcal or hepatitis B vaccine administration (G0008, G0009, G0010).",
            "These codes carry status X and no RVUs in the physician fee schedule file: Medicare pays "
            "them at an annual vaccine administration rate set in the PFS rule and adjusted by "
            "locality, which this engine does not load; the line pends rather than being priced "
            "from the wrong schedule. The vaccine itself is priced from the ASP file.",
            "42 CFR 410.57, 410.63; CMS Part B vaccine pricing (cms.gov/medicare/payment/part-b-drugs/"
            "vaccine-pricing); PPRRVU status X",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR301",
            "ncci-procedure-to-procedure-pair",
            "A column-2 code of an NCCI procedure-to-procedure edit is billed with its column-1 code "
            "for the same patient, provider and date of service, without a modifier the edit allows.",
            "The column-2 service is a component of, or mutually exclusive with, the column-1 "
            "service. Modifier indicator 1 allows an NCCI-associated modifier to bypass the edit; "
            "0 never does; 9 means the edit does not apply.",
            "NCCI Policy Manual for Medicare Services, Ch. I §E (modifiers and modifier indicators); "
            "Pub. 100-04 Ch. 23 §20.9; CMS NCCI practitioner PTP edit files",
            Severity.DENY,
            "236",
        ),
        _rule(
            "MCR302",
            "units-over-medically-unlikely-edit",
            "The units of service exceed the practitioner MUE value: per line (MAI 1) or summed "
            "over the date of service (MAI 2 and 3).",
            "An MUE is the most units a provider would report under most circumstances; the whole "
            "line over it is denied, and may be appealed.",
            "NCCI Policy Manual for Medicare Services, Ch. I §V (MUE); Pub. 100-08 Ch. 3 §3.3; "
            "CMS practitioner services MUE table",
            Severity.DENY,
            "151",
            ("N362",),
        ),
        _rule(
            "MCR401",
            "claim-filed-after-timely-filing-limit",
            "The claim was received more than 12 months (one calendar year) after the date of service.",
            "Medicare pays only claims filed within one calendar year of the date of service.",
            "42 CFR 424.44; Pub. 100-04 Ch. 1 §70",
            Severity.DENY,
            "29",
        ),
        _rule(
            "MCR402",
            "duplicate-service",
            "The same service (procedure, modifiers, date of service, rendering provider) for the "
            "same beneficiary was already submitted, in this batch or in the claim history.",
            "A service is paid once; a repeat needs modifier 76, 77 or 91 or a replacement claim.",
            "Pub. 100-04 Ch. 1 §120 (duplicate claims); Pub. 100-08 Ch. 3",
            Severity.DENY,
            "18",
            group=Group.OA,
        ),
        # -- issue 18: cost sharing by year, preventive services, global surgery, assignment ---
        _rule(
            "MCR600",
            "part-b-deductible-year-unknown",
            "A line's calendar year has no Part B deductible in the loaded data, so its cost "
            "sharing cannot be worked out.",
            "Each line takes the deductible of its own calendar year; a year the plugin does not "
            "know is pended rather than given another year's amount.",
            "42 CFR 410.160 (Part B annual deductible); CMS 'Medicare Parts A & B Premiums and "
            "Deductibles' fact sheets (2025: $257; 2026: $283)",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR601",
            "preventive-service-without-cost-sharing",
            "A preventive service on CMS's list (AWV, IPPE, screening colonoscopy and mammography, "
            "vaccines and their administration ...): no deductible and no coinsurance.",
            "Medicare pays 100% of the fee schedule amount for the preventive services the "
            "Affordable Care Act §4104 made free of cost sharing; told, not a money change.",
            "42 CFR 410.152(l), 410.160(b); Pub. 100-04 Ch. 18 §1.2 (Table of Preventive and "
            "Screening Services); CMS MLN006559",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCR602",
            "screening-became-diagnostic-pt",
            "Modifier PT: a colorectal cancer screening became diagnostic or therapeutic in the same "
            "encounter; no deductible, and the coinsurance of the year (20% 2022, 15% 2023-2026, "
            "10% 2027-2029, 0% from 2030).",
            "The Consolidated Appropriations Act, 2021 §122 phases out the coinsurance on screening "
            "colonoscopies and sigmoidoscopies that find and remove a polyp.",
            "SSA §1833(a)(1)(Y) and §1833(dd) (CAA 2021 Div. CC §122); CMS CR 12656 / MLN Matters "
            "MM12656; 42 CFR 410.152(l)(5)",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCR620",
            "em-on-day-of-global-surgery",
            "An E/M visit by the surgeon (same NPI, or the same group and specialty) on the day of "
            "a surgery with a global period, or the day before a major (090) one, without the "
            "modifier that separates it: 57 (decision for major surgery), 25 (significant, "
            "separately identifiable, with a 000 / 010 procedure) or FT (unrelated).",
            "Pre-operative visits after the decision to operate are part of the global surgical "
            "package: the day before and the day of a major surgery, the day of a minor one.",
            "Pub. 100-04 Ch. 12 §40.1 (definition of a global surgical package), §40.2.A; NCCI "
            "Policy Manual for Medicare Services Ch. I §D; PPRRVU GLOB DAYS",
            Severity.DENY,
            "97",
            ("M144",),
        ),
        _rule(
            "MCR621",
            "em-in-postoperative-period",
            "An E/M visit by the surgeon (same NPI, or the same group and specialty) inside the "
            "post-operative period of a 010 / 090 surgery (10 or 90 days after it), without "
            "modifier 24 (unrelated) or FT.",
            "Post-operative visits related to recovery are paid in the global surgery amount.",
            "Pub. 100-04 Ch. 12 §40.1.A and §40.2.A.8 (modifier 24); PPRRVU GLOB DAYS",
            Severity.DENY,
            "97",
            ("M144",),
        ),
        _rule(
            "MCR622",
            "procedure-in-postoperative-period",
            "A procedure by the surgeon inside the post-operative period of an earlier 010 / 090 "
            "surgery without modifier 58 (staged or related), 78 (return to the operating room) or "
            "79 (unrelated).",
            "Services for complications that need no return to the operating room are part of "
            "the global package; other procedures must say why they are not.",
            "Pub. 100-04 Ch. 12 §40.1.A and §40.2.A (modifiers 58, 78, 79)",
            Severity.DENY,
            "97",
            ("M144",),
        ),
        _rule(
            "MCR623",
            "split-care-modifier-without-global-period",
            "Modifier 54, 55, 56 or 78 on a code whose GLOB DAYS is not 010 or 090 (or whose RVU "
            "row gives no pre/intra/post-operative shares).",
            "Split care is priced with the PRE / INTRA / POST OP shares of a global package; a code "
            "without a post-operative period has no such shares.",
            "Pub. 100-04 Ch. 12 §40.2.A; PPRRVU PRE OP / INTRA OP / POST OP and GLOB DAYS",
            Severity.DENY,
            "4",
        ),
        _rule(
            "MCR640",
            "unassigned-claim-paid-to-beneficiary",
            "A non-participating provider did not accept assignment: Medicare pays the beneficiary, "
            "and the remittance is for the provider's information (MA28).",
            "On an unassigned claim the provider bills the patient and Medicare reimburses the "
            "patient; the amounts are unchanged.",
            "SSA §1842(b)(3)(B)(ii); Pub. 100-04 Ch. 1 §30.3 (assignment); RARC MA28",
            Severity.INFO,
            rarcs=("MA28",),
            group=None,
        ),
        _rule(
            "MCR641",
            "charge-over-limiting-charge",
            "An unassigned line of a non-participating provider charges more than the limiting "
            "charge, 115% of the non-participating fee schedule amount.",
            "The provider may not collect more than the limiting charge from the patient and must "
            "refund any excess; Medicare's allowed amount and payment do not change.",
            "SSA §1848(g)(1) and (2); 42 CFR 414.48 (limits on actual charges of non-participating "
            "suppliers)",
            Severity.WARN,
            group=None,
        ),
        _rule(
            "MCR642",
            "unassigned-claim-treated-as-assigned",
            "A service Medicare pays only on assignment (clinical lab, services of nurse "
            "practitioners, physician assistants, clinical nurse specialists), or any claim of a "
            "participating provider, is billed unassigned: it is processed as assigned.",
            "Assignment is mandatory for these services, and a participating provider agreed to "
            "accept it on every claim; Medicare processes such claims as assigned.",
            "SSA §1833(h)(5)(C), §1842(b)(18), §1842(h)(1); Pub. 100-04 Ch. 1 §30.3.1 (mandatory assignment)",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCR501",
            "prior-authorization-absent",
            "A service on a CMS prior-authorization list (hospital outpatient department services; "
            "DMEPOS required prior authorization list) is billed without a prior authorization.",
            "For these services Medicare requires a provisional affirmation before the claim; a claim "
            "without one is denied.",
            "42 CFR 419.82 (OPD prior authorization); 42 CFR 414.234 (DMEPOS required prior "
            "authorization list)",
            Severity.DENY,
            "197",
        ),
        # -- issue 20: ambulatory surgical centers (MCR850-MCR899) -----------------------------
        _rule(
            "MCR850",
            "asc-addenda-not-loaded",
            "An ASC facility line's date of service falls in a quarter for which no CMS ASC addenda "
            "are imported.",
            "ASC payment rates and payment indicators change every quarter; the line is held until "
            "the quarter's Addenda AA / BB / EE / FF are imported, never priced from another schedule.",
            f"{ASC_CITATION}, §30.1 (where to obtain current rates); CMS ASC payment addenda",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR851",
            "asc-wage-index-not-on-file",
            "No wage index is on file for the ASC (by billing NPI or CCN) on the date of service.",
            "50% of an ASC payment rate is adjusted by the wage index of the ASC's CBSA (the IPPS "
            "pre-floor, pre-reclassified wage index); without it the line is held, never paid "
            "unadjusted.",
            f"{ASC_CITATION}, §40.2; 42 CFR 416.172(c); CY2026 OPPS/ASC final rule (CMS-1834-FC), "
            "ASC wage index",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR852",
            "asc-procedure-excluded",
            "The procedure is on Addendum EE: excluded from payment when furnished in an ASC.",
            "Medicare pays an ASC only for procedures on its covered list (Addendum AA) and their "
            "covered ancillary services (BB); EE lists surgical procedures CMS excludes (inpatient-only, "
            "unlisted codes, procedures that pose a significant safety risk).",
            f"42 CFR 416.166; {ASC_CITATION}, §10.2 and §60 (service not payable in this "
            "location, CARC 58); CMS ASC Addendum EE",
            Severity.DENY,
            "58",
        ),
        _rule(
            "MCR853",
            "asc-packaged-service",
            "The code's ASC payment indicator packages it (N1, L1, D1): no separate payment.",
            "Its payment is included in the covered surgical procedure's rate.",
            f"42 CFR 416.164(a); {ASC_CITATION}, §40; CMS ASC Addenda AA / BB payment indicators",
            Severity.DENY,
            "97",
        ),
        _rule(
            "MCR854",
            "asc-code-not-in-addenda",
            "The code is on none of the loaded ASC addenda (AA, BB, EE) of the quarter in force.",
            "Only codes on Addenda AA and BB are paid in an ASC; a code on none of them may be new, "
            "deleted, or not an ASC service. The line is held for review.",
            f"{ASC_CITATION}, §20 and §70; CMS ASC addenda",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR855",
            "asc-payment-not-modelled",
            "The code's ASC payment is contractor-priced, at reasonable cost, has no rate yet, or "
            "follows a policy this plugin does not model (device credits FB / FC, OPPS-rate items "
            "whose geographic treatment is not modelled).",
            "Held, naming why, rather than paid at a wrong amount.",
            f"{ASC_CITATION}, §40.7, §40.8; CMS ASC Addendum DD1 (payment indicators)",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCR856",
            "asc-ancillary-without-surgical-procedure",
            "An ASC covered ancillary service (Addendum BB) is billed with no covered surgical "
            "procedure (Addendum AA) on the claim for the same date of service.",
            "Covered ancillary services are paid only when integral to a covered surgical procedure "
            "furnished in the ASC; the line is held until the procedure is known.",
            f"42 CFR 416.164(b); {ASC_CITATION}, §10.2; CMS ASC Addendum BB",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
    )
}


@cache
def source(code: str) -> Source:
    return Source(name=SOURCE_NAME, version=__version__, citation=RULES[code].citation)
