"""Payer chains: a claim judged by its payers in order, each after the ones before it.

A patient with two payers is judged twice: the primary, then the secondary knowing what the
primary did (coordination of benefits; Medicare to Medicaid crossovers). The secondary reads
the primary's adjudication exactly as it would from an 837's 2320 / 2330 / 2430 loops: as an
:class:`~payer_rules.models.OtherCoverage` with an :class:`~payer_rules.models.OtherPayment`
(paid and allowed amounts, per-line payments and CAS adjustments). So a chain gives the same
answer as feeding the primary's 835 into the secondary by hand, and the secondary's own rules
(Medicaid as payer of last resort, Medicare Secondary Payer, a commercial plan's COB method)
decide what it pays. The engine knows nothing of those rules; it only carries the result over.

A primary that has not finished with the claim (a pended line, a claim it could not judge)
gives the secondary nothing to coordinate with: the secondary's result is pended with ENG020,
naming the primary, as a real secondary payer holds a claim until the primary's remittance.
"""

from __future__ import annotations

from attrs import evolve

from payer_rules import __version__
from payer_rules.models import Claim, OtherCoverage, OtherPayerAdjustment, OtherPayment
from payer_rules.results import ClaimResult, ClaimStatus, LineStatus
from payer_rules.rules import RuleInfo

__all__ = ["CHAIN_WAITING", "CHAIN_WAITING_RULE", "after", "waiting_on"]

#: The finding code of a secondary that waits for its primary (see :func:`waiting_on`).
CHAIN_WAITING = "ENG020"
CHAIN_WAITING_RULE = RuleInfo(
    code=CHAIN_WAITING,
    name="waiting-for-earlier-payer",
    summary="In a chain (--then), a later payer's claim while an earlier payer has pended it or "
    "could not judge it: every line pends, naming that payer.",
    why="A secondary payer coordinates benefits with the primary's final adjudication (its 835); "
    "until the primary has one there is nothing to coordinate with, so the claim is held.",
    citation="payer-rules docs/cob.md; ASC X12 005010X222A1 (837P) loops 2320 / 2430 (other payer "
    "adjudication)",
    severity="pend",
    carc="133",
    group="OA",
    source=f"payer-rules@{__version__}",
)


def waiting_on(result: ClaimResult) -> bool:
    """Whether a later payer must wait: the primary pended a line or could not judge the claim."""
    if result.status in (ClaimStatus.ERROR, ClaimStatus.PENDED, ClaimStatus.CLEAN):
        return True
    return any(line.status in (LineStatus.PENDED, LineStatus.CLEAN) for line in result.lines)


def _payment(result: ClaimResult) -> OtherPayment:
    return OtherPayment(
        paid=result.paid,
        allowed=result.allowed,
        line_paid=tuple(line.paid for line in result.lines),
        line_adjustments=tuple(
            tuple(
                OtherPayerAdjustment(group=str(a.group), carc=a.carc, amount=a.amount)
                for a in line.adjustments
            )
            for line in result.lines
        ),
    )


def _rank(others: list[OtherCoverage]) -> str:
    """A payer's place after the ones that have already judged the claim (entries with a
    payment); an entry for a payer still to come (the secondary's own plan) does not count."""
    ahead = sum(1 for other in others if other.payment is not None)
    return ("primary", "secondary")[ahead] if ahead < 2 else "tertiary"


def after(claim: Claim, result: ClaimResult) -> Claim:
    """``claim`` as the next payer in the chain sees it: ``result``'s payer is other coverage
    with its payment. An entry the claim already had for that payer (without a payment, or with
    one the primary's own adjudication now replaces) is filled in, keeping its member id, plan
    and stated place in the order; otherwise the payer is added, ranked after the entries that
    already carry a payment (the primary when none does). An entry whose place the claim left to
    the order-of-benefit rules (``priority`` null) takes its place in the chain: the chain's
    order is the order the caller states (the earlier payer judged the rules for itself)."""
    payment = _payment(result)
    others = list(claim.coverage.other_coverage)
    for n, other in enumerate(others):
        if other.payer_id.strip().lower() == result.payer:
            rest = others[:n] + others[n + 1 :]
            priority = other.priority if other.priority is not None else _rank(rest)
            others[n] = evolve(other, payment=payment, priority=priority)
            break
    else:
        others.append(OtherCoverage(payer_id=result.payer, priority=_rank(others), payment=payment))
    return evolve(claim, coverage=evolve(claim.coverage, other_coverage=tuple(others)))
