"""Nothing priced by accident: the engine's answer for what no installed plugin prices.

Each payer declares the kinds of claim it prices (:attr:`PayerInfo.claim_kinds
<payer_rules.payers.PayerInfo.claim_kinds>`). A claim of any other kind is not handed to the
plugins at all: a Part B fee schedule must never price an outpatient-hospital line, and a
professional edit must never deny one. Every line gets ENG005 instead, a pend naming the kind,
how the payer pays it and what would price it (the payer's :class:`~payer_rules.payers.KindHint`
where it registered one). Only ``authorize`` still runs: a prior-authorization requirement
(Medicare's hospital outpatient department list, say) binds however the claim is paid, so a
line it denies is denied, not pended.

On kinds priced line by line from HCPCS codes (professional, ASC, outpatient hospital), a line
with a revenue code and no HCPCS code cannot be priced from any fee schedule; it gets ENG006
rather than whatever a fee lookup of the revenue code would say.
"""

from __future__ import annotations

from payer_rules import __version__
from payer_rules.claim_kinds import ASC_TAXONOMY, ClaimKind
from payer_rules.models import Claim, CodeSystem
from payer_rules.payers import PayerInfo
from payer_rules.results import Finding, Source
from payer_rules.rules import RuleInfo

__all__ = ["ENGINE_RULES", "LINE_PRICED_KINDS", "not_priced", "revenue_only_lines"]

_SOURCE = f"payer-rules@{__version__}"
_CITATION = "payer-rules docs/architecture.md, 'Claim kinds'"

NOT_PRICED = RuleInfo(
    code="ENG005",
    name="claim-kind-not-priced",
    summary="A claim of a kind (inpatient, outpatient hospital, SNF, ...) no installed plugin prices "
    "for this payer: every line pends, naming how the payer pays that kind and what would price it.",
    why="Each kind of claim is paid from its own payment system; pricing it from another (a Part B "
    "fee schedule for an outpatient-hospital line) gives a wrong amount with confidence.",
    citation=_CITATION,
    severity="pend",
    carc="133",
    group="OA",
    source=_SOURCE,
)
REVENUE_ONLY = RuleInfo(
    code="ENG006",
    name="revenue-code-without-hcpcs",
    summary="A line with a revenue code and no HCPCS code on a claim the payer prices line by line "
    "from HCPCS codes: it pends; no fee schedule says what it is paid.",
    why="Line-by-line payment (fee schedules, APCs, ASC rates) is looked up by HCPCS code; a "
    "revenue code alone may be packaged, paid per diem or not paid, and nothing installed says which.",
    citation=_CITATION,
    severity="pend",
    carc="133",
    group="OA",
    source=_SOURCE,
)
ENGINE_RULES = (NOT_PRICED, REVENUE_ONLY)

#: Kinds whose lines are priced one by one from their HCPCS codes.
LINE_PRICED_KINDS = frozenset({ClaimKind.PROFESSIONAL, ClaimKind.ASC, ClaimKind.OUTPATIENT_HOSPITAL})

_LABELS = {
    ClaimKind.PROFESSIONAL: "professional",
    ClaimKind.ASC: "ambulatory surgical center facility",
    ClaimKind.DENTAL: "dental",
    ClaimKind.INPATIENT: "inpatient hospital",
    ClaimKind.OUTPATIENT_HOSPITAL: "outpatient hospital",
    ClaimKind.SNF: "skilled nursing facility",
    ClaimKind.HOME_HEALTH: "home health",
    ClaimKind.HOSPICE: "hospice",
    ClaimKind.CLINIC: "clinic (RHC, FQHC, ESRD, CORF, CMHC)",
    ClaimKind.CRITICAL_ACCESS: "critical access hospital",
    ClaimKind.INSTITUTIONAL_OTHER: "institutional",
}
#: How payers commonly pay a kind, where the payer registered no hint of its own.
_USUAL_METHODS = {
    ClaimKind.PROFESSIONAL: "a professional fee schedule",
    ClaimKind.ASC: "ASC facility rates",
    ClaimKind.DENTAL: "a dental fee schedule",
    ClaimKind.INPATIENT: "a per-case (DRG) or per-diem inpatient method",
    ClaimKind.OUTPATIENT_HOSPITAL: "an outpatient facility method (APC, EAPG or a fee schedule)",
    ClaimKind.SNF: "a skilled nursing per diem",
    ClaimKind.HOME_HEALTH: "home health period or visit rates",
    ClaimKind.HOSPICE: "hospice per diem rates by level of care",
    ClaimKind.CLINIC: "clinic encounter or per-visit rates",
    ClaimKind.CRITICAL_ACCESS: "cost-based payment",
    ClaimKind.INSTITUTIONAL_OTHER: "the method for its type of bill",
}


def describe(claim: Claim, kind: ClaimKind) -> str:
    """``outpatient hospital claim (type of bill 131)``: the kind and what it was told by."""
    label = _LABELS[kind]
    if kind is ClaimKind.ASC:
        return f"{label} claim (billing provider taxonomy {ASC_TAXONOMY})"
    if claim.claim_type == "institutional":
        told = f"type of bill {claim.bill_type}" if claim.bill_type else "no type of bill"
        return f"{label} claim ({told})"
    return f"{label} claim"


def not_priced(claim: Claim, kind: ClaimKind, payer: PayerInfo) -> list[Finding]:
    """ENG005 for every line of ``claim``, a kind ``payer`` does not price."""
    hint = payer.hint(kind)
    method = hint.method if hint is not None else _USUAL_METHODS[kind]
    remedy = (
        hint.remedy
        if hint is not None and hint.remedy
        else f"a plugin or rulepack that prices {_LABELS[kind]} claims for {payer.id} "
        f"(with '{kind}' in its claim kinds)"
    )
    source = Source(
        name="payer-rules", version=__version__, citation=(hint.citation if hint else "") or _CITATION
    )
    what = describe(claim, kind)
    priced = ", ".join(sorted(payer.claim_kinds)) or "no kinds"
    return [
        NOT_PRICED.finding(
            f"line {n}: {what} is paid under {method}; no installed plugin models that for "
            f"{payer.id} (it prices {priced} here). What would price it: {remedy}",
            line=n,
            source=source,
        )
        for n in range(1, len(claim.lines) + 1)
    ]


def revenue_only_lines(claim: Claim, kind: ClaimKind, payer: PayerInfo) -> list[Finding]:
    """ENG006 for each revenue-code-only line of a claim ``payer`` prices line by line."""
    if kind not in LINE_PRICED_KINDS:
        return []
    found = []
    for n, line in enumerate(claim.lines, 1):
        if line.code_system is CodeSystem.REVENUE:
            found.append(
                REVENUE_ONLY.finding(
                    f"line {n}: revenue code {line.revenue_code or line.procedure} has no HCPCS code; "
                    f"{payer.id} prices {_LABELS[kind]} claims line by line from HCPCS codes, and "
                    "nothing installed says whether this line is packaged, paid another way or not "
                    "paid (bill the HCPCS code of the service, if it has one)",
                    line=n,
                )
            )
    return found
