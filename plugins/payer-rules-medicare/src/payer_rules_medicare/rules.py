"""The Medicare rules this plugin applies, with their codes, outcomes and citations."""

from __future__ import annotations

import datetime as dt

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
    )


UNPROCESSABLE = "Medicare Claims Processing Manual (Pub. 100-04), Ch. 1, §80.3.2 (unprocessable claims)"

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
            "MCR010",
            "npi-check-digit-invalid",
            "A provider NPI fails the check digit (Luhn with the 80840 prefix).",
            "An NPI that cannot exist identifies no enrolled provider.",
            f"45 CFR 162.406 (NPI standard); {UNPROCESSABLE}",
            Severity.REJECT,
            "16",
            ("N257",),
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
            "MCR101",
            "glucose-test-diagnosis-not-covered",
            "A blood glucose test (82947, 82950-82952, 82962) is billed without a diagnosis NCD 190.20 "
            "covers.",
            "Medicare covers blood glucose testing only for the conditions the national coverage "
            "determination lists. With a signed ABN (modifier GA) the patient is liable; otherwise the "
            "provider is.",
            "NCD 190.20 Blood Glucose Testing (Medicare NCD Manual, Pub. 100-03, Ch. 1 Part 3, §190.20); "
            "ABN: Pub. 100-04 Ch. 30 §40",
            Severity.DENY,
            "50",
            ("N386",),
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
    )
}


def source(code: str) -> Source:
    return Source(name=SOURCE_NAME, version=__version__, citation=RULES[code].citation)
