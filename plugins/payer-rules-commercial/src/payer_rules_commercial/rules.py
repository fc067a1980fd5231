"""The plugin's own rule codes: what a payer definition (not a rulepack) decides.

Claim edits live in each payer's rulepacks with the payer's own codes; these few come from the
contract and the benefit plans, so they are the same for every commercial payer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from payer_rules.results import Finding, Source
from payer_rules.rules import RuleInfo

from . import __version__

if TYPE_CHECKING:
    from .definition import PayerDefinition

__all__ = ["RULES", "SOURCE_NAME", "finding", "source"]

SOURCE_NAME = "payer-rules-commercial"
_SOURCE = f"{SOURCE_NAME}@{__version__}"
_DOC = "docs/commercial-payers.md"

RULES: dict[str, RuleInfo] = {
    info.code: info
    for info in (
        RuleInfo(
            code="COM001",
            name="line-without-contract-rate",
            summary=(
                "No contract term prices the line: no fee, no percent of Medicare that Medicare "
                "can price, no percent of charge."
            ),
            why=(
                "A commercial payer pays what its contract sets; a code the contract does not "
                "price is reviewed by hand."
            ),
            citation=f"payer.toml [contract] ({_DOC})",
            source=_SOURCE,
            severity="pend",
            carc="133",
            group="OA",
        ),
        RuleInfo(
            code="COM002",
            name="benefit-plan-not-found",
            summary=(
                "The claim's coverage names a plan the payer does not define (or names none and "
                "there is no default plan)."
            ),
            why=(
                "Benefits cannot be applied without the member's plan; the claim is returned as "
                "unprocessable."
            ),
            citation=f"payer.toml [[plans]] ({_DOC})",
            source=_SOURCE,
            severity="reject",
            carc="16",
            rarcs=("MA130",),
            group="CO",
        ),
        RuleInfo(
            code="COM003",
            name="out-of-network-service-not-covered",
            summary="The provider is out of network and the member's plan has no out-of-network benefits.",
            why="HMO and EPO plans pay only network providers except in emergencies.",
            citation=f"payer.toml [[plans]] out_of_network ({_DOC})",
            source=_SOURCE,
            severity="deny",
            carc="242",
            group="CO",
        ),
        RuleInfo(
            code="COM004",
            name="service-category-excluded-from-plan",
            summary="The line's service category is not covered by the member's plan in this network tier.",
            why="The plan's summary of benefits excludes the category.",
            citation=f"payer.toml [[plans]] categories ... covered = false ({_DOC})",
            source=_SOURCE,
            severity="deny",
            carc="204",
            group="CO",
        ),
        RuleInfo(
            code="COM100",
            name="member-cost-share-applied",
            summary=(
                "How the plan split the allowed amount: category, network tier, deductible, "
                "copay, coinsurance and the year-to-date accumulators."
            ),
            why=(
                "Explains the patient responsibility (PR-1 deductible, PR-3 copay, PR-2 "
                "coinsurance) line by line."
            ),
            citation=f"payer.toml [[plans]] ({_DOC})",
            source=_SOURCE,
            severity="info",
        ),
        RuleInfo(
            code="COM700",
            name="inpatient-stay-priced-by-contract",
            summary=(
                "How the contract priced an inpatient stay: the terms in force on the discharge date, the "
                "method (case rate for the MS-DRG, percent of the Medicare IPPS payment, per diem) and the "
                "amount, shared among the lines by charge."
            ),
            why=(
                "A per-case payment has no line-level fee; the finding is the claim's explanation of "
                "benefits."
            ),
            citation=f"payer.toml [[contract.inpatient]] ({_DOC}, 'Inpatient stays')",
            source=_SOURCE,
            severity="info",
        ),
        RuleInfo(
            code="COM701",
            name="inpatient-terms-not-in-force",
            summary=("No [[contract.inpatient]] terms cover the stay's discharge date: the stay pends."),
            why=(
                "A stay discharged outside every contract period has no agreed price; pricing it by another"
                " period's terms would pay an amount nobody agreed to."
            ),
            citation=f"payer.toml [[contract.inpatient]] ({_DOC}, 'Inpatient stays')",
            source=_SOURCE,
            severity="pend",
            carc="133",
            group="OA",
        ),
        RuleInfo(
            code="COM702",
            name="inpatient-stay-without-contract-term",
            summary=(
                "The inpatient terms in force have no term for the stay: no case rate for its MS-DRG, no "
                "percent of Medicare and no per diem."
            ),
            why=(
                "A contract listing case rates for some DRGs only does not price the others; such a stay is"
                " reviewed by hand."
            ),
            citation=f"payer.toml [[contract.inpatient]] ({_DOC}, 'Inpatient stays')",
            source=_SOURCE,
            severity="pend",
            carc="133",
            group="OA",
        ),
        RuleInfo(
            code="COM703",
            name="inpatient-stay-without-ms-drg",
            summary=(
                "The terms price by MS-DRG (a case rate or a percent of Medicare) but the stay has no "
                "MS-DRG: the grouper is not installed or the stay cannot be grouped."
            ),
            why=("Without the DRG the contract cannot tell which case rate applies."),
            citation=f"payer.toml [[contract.inpatient]] ({_DOC}, 'Inpatient stays')",
            source=_SOURCE,
            severity="pend",
            carc="133",
            group="OA",
        ),
        RuleInfo(
            code="COM704",
            name="medicare-ipps-reference-not-available",
            summary=(
                "The terms pay a percent of the Medicare IPPS payment, and Medicare cannot price the stay "
                "(no IPPS rates or Table 5 row for the discharge, no provider record, a Medicare Code "
                "Editor edit): the stay pends naming Medicare's reason."
            ),
            why=(
                "A percent of an amount that cannot be computed is no price; another schedule's amount "
                "would be a wrong one."
            ),
            citation=f"payer.toml [[contract.inpatient]] ({_DOC}, 'Inpatient stays')",
            source=_SOURCE,
            severity="pend",
            carc="133",
            group="OA",
        ),
        RuleInfo(
            code="COM705",
            name="per-diem-days-without-rate",
            summary=(
                "The per diem terms give rates by accommodation revenue code, and the stay bills "
                "accommodation days (revenue codes 0100-0219) no rate covers, or no days at all."
            ),
            why=(
                "Per diems are paid by the accommodation billed; days the contract has no rate for are "
                "reviewed by hand."
            ),
            citation=f"payer.toml [[contract.inpatient]] ({_DOC}, 'Inpatient stays')",
            source=_SOURCE,
            severity="pend",
            carc="133",
            group="OA",
        ),
        RuleInfo(
            code="COM706",
            name="inpatient-stop-loss-applied",
            summary=(
                "The stay's charges passed the contract's stop-loss threshold: the agreed percent of the "
                "charges above it is added to the case rate or per diem payment."
            ),
            why=(
                "Stop-loss (outlier) provisions protect the hospital from catastrophic cases paid at a "
                "fixed rate."
            ),
            citation=f"payer.toml [[contract.inpatient]] ({_DOC}, 'Inpatient stays')",
            source=_SOURCE,
            severity="info",
        ),
        RuleInfo(
            code="COM707",
            name="inpatient-lesser-of-charges",
            summary=(
                "The stay's charges were below the contract amount: the charges are allowed (lesser of "
                "charges)."
            ),
            why=("Contracts pay the lesser of the contract rate and the billed charges."),
            citation=f"payer.toml [[contract.inpatient]] ({_DOC}, 'Inpatient stays')",
            source=_SOURCE,
            severity="info",
        ),
        RuleInfo(
            code="COM708",
            name="out-of-network-inpatient-stay",
            summary=(
                "The hospital is out of network and the contract's out-of-network terms have no inpatient "
                "terms: the stay pends."
            ),
            why=(
                "[[contract.inpatient]] are in-network terms; an out-of-network stay is priced by the "
                "plan's out-of-network agreement, which the definition does not hold."
            ),
            citation=f"payer.toml [[contract.inpatient]] ({_DOC}, 'Inpatient stays')",
            source=_SOURCE,
            severity="pend",
            carc="133",
            group="OA",
        ),
        RuleInfo(
            code="COM709",
            name="inpatient-transfer-per-diem",
            summary=(
                "A case-rate stay transferred to another acute care hospital before the MS-DRG's geometric "
                "mean length of stay is paid per diem: case rate / GMLOS x (days + 1), at most the case "
                "rate."
            ),
            why=("The transferring hospital did not provide the whole episode the case rate pays for."),
            citation=f"payer.toml [[contract.inpatient]] ({_DOC}, 'Inpatient stays')",
            source=_SOURCE,
            severity="info",
        ),
        RuleInfo(
            code="COM710",
            name="inpatient-transfer-without-mean-stay",
            summary=(
                "A case-rate stay is a transfer and the terms pay transfers per diem, but the MS-DRG's "
                "geometric mean length of stay is not known (no Table 5 row for the discharge's fiscal "
                "year)."
            ),
            why=(
                "The per diem of a transfer is figured from the DRG's mean stay; without it the payment is "
                "unknown."
            ),
            citation=f"payer.toml [[contract.inpatient]] ({_DOC}, 'Inpatient stays')",
            source=_SOURCE,
            severity="pend",
            carc="133",
            group="OA",
        ),
        RuleInfo(
            code="COM801",
            name="coordination-of-benefits-as-secondary",
            summary=(
                "The plan pays second, after another plan's adjudication, by its COB method: "
                "traditional (the lesser of its normal benefit and what the primary left the "
                "patient) or non-duplication (its normal benefit less the primary's payment)."
            ),
            why=(
                "Coordination of benefits keeps two plans from paying more than the allowable "
                "expense; what the primary's payment saves is reported OA-23."
            ),
            citation=(
                "NAIC Coordination of Benefits Model Regulation (MDL-120) (traditional / standard "
                f"COB); payer.toml [[plans]] cob ({_DOC})"
            ),
            source=_SOURCE,
            severity="info",
        ),
        RuleInfo(
            code="COM803",
            name="coordination-of-benefits-carve-out",
            summary=(
                "The plan pays second by carve-out: the primary's payment is carved out of the plan's "
                "allowed amount, the balance (at most what the primary left the patient) is the amount "
                "the plan's deductible, copay and coinsurance apply to, and the plan pays the rest of it."
            ),
            why=(
                "A self-funded or retiree plan that coordinates by carve-out applies its own cost "
                "sharing to what remains after the primary, so the member keeps part of the plan's "
                "cost sharing; the plan's allowed amount less its payment and the member's share is "
                "the prior payer's impact (OA-23)."
            ),
            citation=(
                "Plan-document convention (summary plan descriptions: 'the balance remaining after "
                "the primary plan's payment, not to exceed the covered person's responsibility, is "
                "the amount used in determining the benefits payable; the deductible, copays and "
                "coinsurance are applied before benefits are paid on the balance'); NAIC MDL-120 §3 "
                f'(allowable expense) and §7; payer.toml [[plans]] cob = "carve-out" ({_DOC})'
            ),
            source=_SOURCE,
            severity="info",
        ),
        RuleInfo(
            code="COM804",
            name="coordination-of-benefits-maintenance-of-benefits",
            summary=(
                "The plan pays second by maintenance of benefits: the member keeps the cost sharing "
                "the plan would have charged as primary; the plan pays what the primary left the "
                "patient less that cost sharing, at most its normal benefit, never below 0."
            ),
            why=(
                "Maintenance of benefits keeps a member with two plans at the secondary plan's own "
                "benefit level (deductible, copay and coinsurance as if it were the only plan), "
                "instead of a second plan paying the member's cost sharing away."
            ),
            citation=(
                "Plan-document convention (maintenance of benefits, MOB: the member's out-of-pocket "
                "is the secondary plan's own cost sharing); NAIC MDL-120 §7 (a secondary plan's "
                "benefit never exceeds what it would pay in the absence of other coverage); "
                f'payer.toml [[plans]] cob = "maintenance-of-benefits" ({_DOC})'
            ),
            source=_SOURCE,
            severity="info",
        ),
        RuleInfo(
            code="COM805",
            name="supplement-billed-without-the-primarys-adjudication",
            summary=(
                "The plan supplements another payer (payer.toml [[plans]] supplement = true, e.g. a "
                "Medigap plan) and the claim does not carry the primary's adjudication."
            ),
            why=(
                "A supplement pays only toward what the primary approved; without the primary's "
                "remittance there is nothing to supplement. Bill the primary first (or send its "
                "adjudication: 837 loops 2320 / 2430, or a payer chain)."
            ),
            citation=(
                "42 U.S.C. 1395ss(p); CMS 'Choosing a Medigap Policy' (publication 02110): Medigap "
                f"pays after Medicare; payer.toml [[plans]] supplement ({_DOC})"
            ),
            source=_SOURCE,
            severity="deny",
            carc="22",
            rarcs=("MA04",),
            group="CO",
        ),
        RuleInfo(
            code="COM806",
            name="supplement-line-the-primary-did-not-approve",
            summary=(
                "The plan supplements another payer and the primary did not approve the line (it "
                "paid nothing and left no deductible, coinsurance or copay to the patient)."
            ),
            why=(
                "A Medicare supplement's benefits are the cost sharing of Medicare-approved "
                "services: a service Medicare denied is not a supplement benefit either."
            ),
            citation=(
                "42 U.S.C. 1395ss(p); 42 CFR 403.205 (Medicare supplement policy); CMS publication "
                f"02110; payer.toml [[plans]] supplement ({_DOC})"
            ),
            source=_SOURCE,
            severity="deny",
            carc="204",
            group="CO",
        ),
        RuleInfo(
            code="COM807",
            name="order-of-benefits-decided",
            summary=(
                "The claim lists other coverage without saying which pays first; the order-of-"
                "benefit rules decide (employee before dependent, the birthday rule for children, "
                "active before retired, COBRA last, longer coverage first; Medicare-secondary rules "
                "by employer size, ESRD; Medicaid last)."
            ),
            why=(
                "A plan pays as primary, or coordinates as secondary, by the order the rules give; "
                "the finding names the rule and the facts that decided it."
            ),
            citation=(
                "NAIC Coordination of Benefits Model Regulation (MDL-120) §5 D; 42 U.S.C. "
                "1395y(b) and 42 CFR 411.162 / 411.172 / 411.204 where Medicare is the other plan; "
                f"payer_rules.order_of_benefits ({_DOC})"
            ),
            source=_SOURCE,
            severity="info",
        ),
        RuleInfo(
            code="COM808",
            name="primary-plan-adjudication-missing",
            summary=(
                "By the order-of-benefit rules another plan pays first, and the claim does not carry "
                "its adjudication."
            ),
            why=(
                "A secondary plan pays only after the primary's remittance (it may reduce its "
                "benefit by what the primary pays); bill the primary first and send its payment."
            ),
            citation=f"NAIC MDL-120 §5 D and §7; payer_rules.order_of_benefits ({_DOC})",
            source=_SOURCE,
            severity="deny",
            carc="22",
            rarcs=("MA04",),
            group="CO",
        ),
        RuleInfo(
            code="COM809",
            name="order-of-benefits-undecided",
            summary=(
                "The claim lists other coverage without its place in the order, and lacks what the "
                "order-of-benefit rules need (relationships, the subscribers' birth dates, coverage "
                "start dates, employment status, the employer's size)."
            ),
            why=(
                "Paying as primary when the other plan is primary (or the reverse) pays the wrong "
                "amount; the claim waits for the facts instead of a guess."
            ),
            citation=f"NAIC MDL-120 §5 D; payer_rules.order_of_benefits ({_DOC})",
            source=_SOURCE,
            severity="pend",
            carc="133",
            group="OA",
        ),
    )
}


def source(definition: PayerDefinition) -> Source:
    """The definition as the source of a finding, a price or an adjudication."""
    payer = definition.payer
    return Source(name=f"{payer.id}-payer", version=payer.version, citation=payer.source)


def finding(code: str, message: str, definition: PayerDefinition, line: int | None = None) -> Finding:
    return RULES[code].finding(message, line=line, source=source(definition))
