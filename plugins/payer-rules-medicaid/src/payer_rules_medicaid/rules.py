"""The Medicaid rules the plugin's Python applies to every state, with codes and citations.

The state-specific rules live in each state's rulepacks (``states/<xx>/rulepacks``) and the
shared ones in ``base/``; these are the behaviours that need code: timely filing by the
state's clock, payer of last resort, NCCI from Medicaid's tables, copays and their exemptions.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import evolve

from payer_rules.results import Finding, Group, Severity, Source
from payer_rules.rules import RuleInfo
from payer_rules_medicaid import SOURCE_NAME, __version__

__all__ = ["RULES", "finding", "source"]


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
) -> RuleInfo:
    return RuleInfo(
        code=code,
        name=name,
        summary=summary,
        why=why,
        citation=citation,
        source=f"{SOURCE_NAME}@{__version__}",
        severity=str(severity),
        carc=carc,
        rarcs=rarcs,
        group=str(group) if group else None,
    )


RULES = {
    r.code: r
    for r in (
        _rule(
            "MCD101",
            "claim-filed-after-state-timely-filing-limit",
            "The claim reached the state Medicaid program after its filing limit (the state's "
            "days or months, from the date or the month of service).",
            "Each state sets its own limit within the federal ceiling of 12 months (42 CFR 447.45(d)); "
            "late claims are not paid.",
            "42 CFR 447.45(d); the state's own limit, cited in its state.toml",
            Severity.DENY,
            "29",
        ),
        _rule(
            "MCD102",
            "late-claim-paid-at-reduced-rate",
            "The claim was received after the state's full-payment limit but within a tier the "
            "state pays at a reduced rate; the reduction is taken as CO-B4 (late filing penalty).",
            "Some states (Medi-Cal) pay late claims in part rather than deny them.",
            "the state's own rule, cited in its state.toml",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCD201",
            "other-coverage-without-primary-adjudication",
            "The member has other coverage, and the claim does not carry that payer's adjudication.",
            "Medicaid is the payer of last resort: other coverage pays first, and the claim to "
            "Medicaid must show what it paid.",
            "42 U.S.C. 1396a(a)(25); 42 CFR 433.139 (third-party liability, cost avoidance)",
            Severity.DENY,
            "22",
            ("MA04",),
        ),
        _rule(
            "MCD202",
            "primary-payment-applied",
            "What the other payer paid is taken from the Medicaid allowed amount (OA-23); Medicaid "
            "pays at most the rest.",
            "Medicaid pays up to its own allowed amount less what the primary paid.",
            "42 CFR 433.139(b); 42 U.S.C. 1396a(a)(25)",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCD301",
            "medicaid-ncci-procedure-to-procedure-pair",
            "A column-2 code of a Medicaid NCCI procedure-to-procedure edit is billed with its "
            "column-1 code for the same patient, provider and date of service.",
            "Section 6507 of the Affordable Care Act requires state Medicaid programs to use NCCI "
            "methodologies; Medicaid publishes its own PTP tables, read like Medicare's.",
            "42 U.S.C. 1396b(r); CMS Medicaid NCCI Technical Guidance Manual; Medicaid NCCI PTP files",
            Severity.DENY,
            "236",
        ),
        _rule(
            "MCD302",
            "medicaid-ncci-units-over-mue",
            "The units of service exceed the Medicaid practitioner MUE value.",
            "Medicaid NCCI includes medically unlikely edits with their own values.",
            "42 U.S.C. 1396b(r); CMS Medicaid NCCI Technical Guidance Manual; Medicaid NCCI MUE files",
            Severity.DENY,
            "151",
            ("N362",),
        ),
        _rule(
            "MCD401",
            "copay-exempt",
            "No copay: the member or the service is exempt (under the state's age, pregnancy, "
            "emergency, family planning, hospice, institutionalized, American Indian / Alaska Native).",
            "Federal law exempts these members and services from Medicaid cost sharing.",
            "42 CFR 447.56(a); 42 U.S.C. 1396o(a)(2), 1396o(j)",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCD402",
            "copay-capped-at-five-percent-of-income",
            "The copay is reduced (or waived) because the family's cost sharing reached the cap "
            "of 5% of family income for the period.",
            "Aggregate premiums and cost sharing may not exceed 5% of family income.",
            "42 CFR 447.56(f)",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCD403",
            "copay-collected-on-top-of-payment",
            "The state's copay applies, but the program does not reduce its payment by it: the "
            "provider may collect (or waive) it on top.",
            "A state choice (Medi-Cal: W&I Code §14134(a)(3)-(4)).",
            "the state's own rule, cited in its state.toml",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCD404",
            "copay-capped-at-annual-maximum",
            "The copay is reduced (or waived) because the member reached the state's annual copay "
            "maximum for the benefit year.",
            "A state's own limit beside the federal 5% cap (New York: $200 per April-March year).",
            "the state's own rule, cited in its state.toml",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCD601",
            "no-state-fee-schedule-loaded",
            "No fee schedule for the state's Medicaid program is loaded, so the line cannot be priced.",
            "payer-rules ships a state's fee amounts only where they could be confirmed from the "
            "state's own publication; load the published schedule as a fee pack (state rulepacks "
            "folder or PAYER_RULES_PATH) to price the state's claims.",
            "the state's published fee schedule, named in its state.toml [fees]",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
        _rule(
            "MCD501",
            "unknown-state-defined-modifier",
            "A line carries a state-defined modifier (U1-UD) the state does not define.",
            "Modifiers U1-UD mean what each state's Medicaid program says; one the state does not "
            "define is reported.",
            "CMS HCPCS Level II modifiers U1-UD (Medicaid level of care, defined by the state)",
            Severity.WARN,
            group=None,
        ),
    )
}


def source(citation: str | None = None) -> Source:
    return Source(name=SOURCE_NAME, version=__version__, citation=citation)


def finding(
    code: str,
    message: str,
    line: int | None = None,
    *,
    citation: str | None = None,
    rarcs: Iterable[str] | None = None,
) -> Finding:
    rule = RULES[code]
    return rule.finding(
        message,
        line=line,
        source=source(citation or rule.citation),
        rarcs=tuple(rarcs) if rarcs is not None else rule.rarcs,
    )


def recode(found: Finding, code: str) -> Finding:
    """A Medicare NCCI finding (MCR301 / MCR302) as the Medicaid rule ``code``."""
    rule = RULES[code]
    return evolve(found, code=code, source=source(rule.citation))
