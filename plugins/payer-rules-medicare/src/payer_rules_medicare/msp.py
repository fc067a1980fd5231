"""Medicare Secondary Payer: what Part B pays after a primary payer (42 CFR 411.33(a)).

Medicare is secondary when the claim lists other coverage whose place in the order of benefits
is ``primary`` and which carries that payer's adjudication (the 837's 2320 / 2430 loops, or the
earlier payer of a chain: :mod:`payer_rules.chains`). A state Medicaid listed as other coverage is
never primary to Medicare (payer of last resort) and is ignored here.

For each line, with ``A`` Medicare's allowed amount, ``N`` what Medicare would pay as primary
(``A`` less the deductible and coinsurance as they would apply), ``P`` what the primary paid,
``PA`` the primary's allowed amount (its payment plus the patient responsibility it left) and
``OTAF`` the amount the provider is obligated to accept as payment in full (the primary's
allowed amount when the primary took a contractual adjustment, CO-45; else none):

* (a) ``N``;
* (b) the charge, or ``OTAF`` when that is less, less ``P``;
* (c) the higher of ``A`` or ``PA``, less ``P``;

Medicare pays the lowest, never below 0 (MSP Manual, Pub. 100-05, ch.5 §40.7; 42 CFR 411.33(a)),
less sequestration (CO-253) as any Part B payment. The primary's payments satisfy the
beneficiary's Medicare deductible and coinsurance first (MSP Manual ch.1 §40; ch.3 §10.1.2): the
beneficiary owes at most the Medicare deductible and coinsurance (PR-1, PR-2) and never more than
what is left of the higher allowed amount after both payments. The rest of Medicare's allowed
amount is the prior payer's impact, OA-23. The Part B deductible is credited with the amount
Medicare's own calculation applies to it, whoever paid it (MSP Manual ch.1 §40).

A primary's line payments come from its 2430 loops; without them its claim-level payment (and
allowed amount) is spread over the lines in order, each line taking at most its charge.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache

from attrs import frozen

from payer_rules.models import Claim, OtherCoverage, OtherPayment
from payer_rules.money import ZERO, money
from payer_rules.order_of_benefits import unstated
from payer_rules.results import Adjustment, Finding, Group, Severity, Source
from payer_rules.rules import RuleInfo
from payer_rules_medicare import __version__
from payer_rules_medicare.rules import SOURCE_NAME, _rule

__all__ = [
    "MSP_RULES",
    "MspLine",
    "PrimaryLine",
    "msp_primary",
    "order_findings",
    "primary_lines",
    "secondary_payment",
]

MSP_CITATION = (
    "Medicare Secondary Payer Manual (Pub. 100-05), ch.5 §40.7 (Part B secondary payment "
    "calculation), §40.7.3.1 (from the 837P CAS segments); 42 CFR 411.32, 411.33(a)"
)
DEDUCTIBLE_CITATION = (
    "Medicare Secondary Payer Manual (Pub. 100-05), ch.1 §40 (effect of GHP payments on deductible, "
    "coinsurance and utilization), ch.3 §10.1.2 (charging the beneficiary after a GHP payment)"
)

ORDER_CITATION = (
    "42 U.S.C. 1395y(b)(1)(A)-(C); 42 CFR 411.162 (ESRD), 411.172 (working aged), 411.204 "
    "(disability); MSP Manual (Pub. 100-05) ch.2 §§10-30; payer_rules.order_of_benefits"
)

MSP_RULES: dict[str, RuleInfo] = {
    r.code: r
    for r in (
        _rule(
            "MCR750",
            "medicare-secondary-payment",
            "Medicare is secondary to another payer that paid the line: it pays the lowest of its "
            "normal payment, the charge (or the amount the provider must accept) less the primary "
            "payment, and the higher of its allowed or the primary's allowed less the primary "
            "payment; never below 0.",
            "Medicare benefits are secondary to a group health plan, liability, no-fault or workers' "
            "compensation payer; Medicare supplements the primary payment only up to those limits. "
            "What the primary's payment saves Medicare is reported OA-23.",
            MSP_CITATION,
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCR751",
            "msp-beneficiary-liability",
            "On a Medicare secondary claim the beneficiary owes at most the Medicare deductible and "
            "coinsurance left after the primary's and Medicare's payments; the deductible is "
            "credited with what Medicare's own calculation applies to it.",
            "The primary payer's payments are used first to satisfy the beneficiary's Medicare "
            "deductible and coinsurance.",
            DEDUCTIBLE_CITATION,
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCR752",
            "msp-primary-payment-does-not-balance",
            "The primary payer's line payment plus its adjustments does not equal the line's charge, "
            "or its payment is negative: Medicare cannot work out its secondary payment.",
            "The secondary payment is computed from the primary's remittance; numbers that do not "
            "balance are returned for correction instead of paid on a guess.",
            f"{MSP_CITATION}; ASC X12 837P 005010X222A1 loops 2320 / 2430 (CAS, SVD)",
            Severity.REJECT,
            "16",
            ("MA92",),
        ),
        _rule(
            "MCR753",
            "msp-order-of-benefits-decided",
            "The claim lists a group health plan without saying which pays first; the Medicare "
            "Secondary Payer rules decide: working aged (employer of 20 or more, current "
            "employment), disability (100 or more), ESRD (the 30-month coordination period); "
            "retiree and COBRA coverage after Medicare.",
            "Medicare is secondary only where the MSP statute makes it so; otherwise it pays first.",
            ORDER_CITATION,
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCR754",
            "msp-primary-plan-adjudication-missing",
            "By the Medicare Secondary Payer rules another plan pays first, and the claim does not "
            "carry its adjudication.",
            "Medicare pays secondary only after the primary plan's remittance; bill the group "
            "health plan first and send its payment (837 loops 2320 / 2430).",
            ORDER_CITATION,
            Severity.DENY,
            "22",
            ("MA04",),
        ),
        _rule(
            "MCR755",
            "msp-order-of-benefits-undecided",
            "The claim lists other coverage without its place in the order, and lacks what the "
            "Medicare Secondary Payer rules need to decide it (the Medicare basis, the plan's "
            "employment status or employer size, the ESRD coordination period).",
            "Paying as primary when a group health plan is primary is a conditional payment the "
            "MSP rules forbid; the claim waits for the facts instead of a guess.",
            ORDER_CITATION,
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
    )
}


@cache
def _source(code: str) -> Source:
    return Source(name=SOURCE_NAME, version=__version__, citation=MSP_RULES[code].citation)


def msp_finding(code: str, message: str, line: int | None = None) -> Finding:
    return MSP_RULES[code].finding(message, line=line, source=_source(code))


def _is_medicaid(other: OtherCoverage) -> bool:
    return other.payer_id.strip().lower().startswith("medicaid")


def msp_primary(claim: Claim) -> OtherCoverage | None:
    """The payer Medicare is secondary to on this claim, or ``None`` (Medicare is primary): other
    coverage stated primary, or whose place the claim leaves to the order-of-benefit rules and
    they put first (:mod:`payer_rules.order_of_benefits`); in either case with its adjudication."""
    for other in claim.coverage.other_coverage:
        if other.priority == "primary" and other.payment is not None and not _is_medicaid(other):
            return other
    for found in unstated(claim, "medicare"):
        if found.pays_first and found.payment is not None:
            return OtherCoverage(payer_id=found.payer_id, priority="primary", payment=found.payment)
    return None


def order_findings(claim: Claim) -> list[Finding]:
    """MCR753-MCR755: other coverage whose place against Medicare the claim does not state."""
    findings = []
    for found in unstated(claim, "medicare"):
        decision = found.decision
        if decision is None:
            findings.append(
                msp_finding(
                    "MCR755",
                    f"{found.payer_id} is listed without its place in the order of benefits and the "
                    "claim lacks what decides it (Medicare basis: age / disability / esrd; the plan's "
                    "employment status and employer size; the ESRD coordination start)",
                )
            )
            continue
        first = "pays first" if found.pays_first else "pays after Medicare"
        text = f"{found.payer_id} {first} ({decision.rule}: {decision.reason}; {decision.citation})"
        if found.pays_first and found.payment is None:
            findings.append(msp_finding("MCR754", f"{text}; the claim does not carry its adjudication"))
        else:
            findings.append(msp_finding("MCR753", text))
    return findings


@frozen
class PrimaryLine:
    """The primary payer's adjudication of one line."""

    paid: Decimal
    allowed: Decimal
    #: The amount the provider is obligated to accept in full (``None``: not contracted).
    obligated: Decimal | None


def primary_lines(payment: OtherPayment, charges: Sequence[Decimal]) -> tuple[PrimaryLine, ...]:
    """Per line, what the primary paid and allowed, from its 2430 lines or its claim totals."""
    if payment.line_paid:
        out = []
        for n, charge in enumerate(charges):
            paid = money(payment.line_paid[n]) if n < len(payment.line_paid) else ZERO
            adjustments = payment.line_adjustments[n] if n < len(payment.line_adjustments) else ()
            patient = sum((money(a.amount) for a in adjustments if a.group == "PR"), ZERO)
            contracted = any(a.group == "CO" and a.carc == "45" for a in adjustments)
            allowed = paid + patient if adjustments else charge
            out.append(PrimaryLine(paid=paid, allowed=allowed, obligated=allowed if contracted else None))
        return tuple(out)
    paid_left = money(payment.paid)
    allowed_left = money(payment.allowed) if payment.allowed is not None else None
    contracted = any(a.group == "CO" and a.carc == "45" for a in payment.adjustments)
    out = []
    for charge in charges:
        paid = min(paid_left, charge)
        paid_left -= paid
        if allowed_left is None:
            allowed = charge
        else:
            allowed = min(allowed_left, charge)
            allowed_left -= allowed
        out.append(PrimaryLine(paid=paid, allowed=allowed, obligated=allowed if contracted else None))
    return tuple(out)


def balance_problem(payment: OtherPayment, charges: Sequence[Decimal]) -> str | None:
    """Why the primary's line numbers cannot be used, or ``None`` when they balance."""
    for n, paid in enumerate(payment.line_paid, 1):
        if paid < 0:
            return f"line {n}: the primary's payment {paid} is negative"
        if n <= len(charges) and n <= len(payment.line_adjustments) and payment.line_adjustments[n - 1]:
            adjusted = sum((money(a.amount) for a in payment.line_adjustments[n - 1]), ZERO)
            if money(paid) + adjusted != charges[n - 1]:
                return (
                    f"line {n}: the primary paid {money(paid)} and adjusted {adjusted}, which is not the "
                    f"charge {charges[n - 1]}"
                )
    if payment.paid < 0:
        return f"the primary's claim payment {payment.paid} is negative"
    return None


@frozen
class MspLine:
    """Medicare's secondary payment on one line, and how its allowed amount is split."""

    normal: Decimal
    charge_limit: Decimal
    allowed_limit: Decimal
    payment: Decimal
    deductible: Decimal
    coinsurance: Decimal
    #: What the primary's payment saves Medicare (OA-23).
    prior_payer: Decimal

    def adjustments(self) -> list[Adjustment]:
        out = []
        if self.deductible:
            out.append(Adjustment(group=Group.PR, carc="1", amount=self.deductible))
        if self.coinsurance:
            out.append(Adjustment(group=Group.PR, carc="2", amount=self.coinsurance))
        if self.prior_payer:
            out.append(Adjustment(group=Group.OA, carc="23", amount=self.prior_payer))
        return out


def secondary_payment(
    charge: Decimal, allowed: Decimal, deductible: Decimal, coinsurance: Decimal, primary: PrimaryLine
) -> MspLine:
    """The lowest of the three amounts of 42 CFR 411.33(a) for one line (see the module doc)."""
    normal = allowed - deductible - coinsurance
    base = charge if primary.obligated is None else min(charge, primary.obligated)
    charge_limit = base - primary.paid
    allowed_limit = max(allowed, primary.allowed) - primary.paid
    payment = max(ZERO, min(normal, charge_limit, allowed_limit))
    owed = max(ZERO, min(deductible + coinsurance, max(allowed, primary.allowed) - primary.paid - payment))
    ded = min(deductible, owed)
    return MspLine(
        normal=normal,
        charge_limit=charge_limit,
        allowed_limit=allowed_limit,
        payment=payment,
        deductible=ded,
        coinsurance=owed - ded,
        prior_payer=allowed - payment - owed,
    )


def msp_findings(
    line: int, payer: str, allowed: Decimal, before: Sequence[PrimaryLine], msp: MspLine
) -> list[Finding]:
    """MCR750 (the three amounts and the lowest) and MCR751 (what the beneficiary owes)."""
    primary = before[line - 1]
    obligated = "" if primary.obligated is None else f" (obligated to accept {primary.obligated})"
    return [
        msp_finding(
            "MCR750",
            f"line {line}: secondary to {payer}, which allowed {primary.allowed}{obligated} and paid "
            f"{primary.paid}; Medicare allows {allowed}: lowest of (a) normal payment {msp.normal}, "
            f"(b) charge less primary payment {msp.charge_limit}, (c) higher allowed less primary "
            f"payment {msp.allowed_limit} = {msp.payment} before sequestration; OA-23 {msp.prior_payer}",
            line=line,
        ),
        msp_finding(
            "MCR751",
            f"line {line}: beneficiary owes deductible {msp.deductible} and coinsurance "
            f"{msp.coinsurance} after both payments",
            line=line,
        ),
    ]


def msp_checks(claim: Claim) -> list[Finding]:
    """MCR753-MCR755: the order of benefits where the claim does not state it; MCR752: a
    primary's remittance whose numbers do not balance (the claim is returned)."""
    order = order_findings(claim)
    primary = msp_primary(claim)
    if primary is None or primary.payment is None:
        return order
    problem = balance_problem(primary.payment, [money(ln.charge) for ln in claim.lines])
    if problem is None:
        return order
    return [*order, msp_finding("MCR752", f"secondary to {primary.payer_id}: {problem}")]
