"""The plugin's own rule codes: what a payer definition (not a rulepack) decides.

Claim edits live in each payer's rulepacks with the payer's own codes; these few come from the
contract and the benefit plans, so they are the same for every commercial payer.
"""

from __future__ import annotations

from payer_rules.results import Finding, Source
from payer_rules.rules import RuleInfo

from . import __version__
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
    )
}


def source(definition: PayerDefinition) -> Source:
    """The definition as the source of a finding, a price or an adjudication."""
    payer = definition.payer
    return Source(name=f"{payer.id}-payer", version=payer.version, citation=payer.source)


def finding(code: str, message: str, definition: PayerDefinition, line: int | None = None) -> Finding:
    return RULES[code].finding(message, line=line, source=source(definition))
