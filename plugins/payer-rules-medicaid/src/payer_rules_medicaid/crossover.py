"""Medicare to Medicaid crossovers: Medicaid pays the Medicare deductible and coinsurance.

When the claim's other coverage is Medicare with its adjudication (a crossover), Medicaid does
not price the service again as primary: it pays toward the Medicare cost sharing, the PR
amounts on Medicare's line (``OtherPayment.line_adjustments`` group PR), by the state's policy
in ``state.toml`` ``[crossover]``:

* ``lesser-of``: at most the Medicaid rate less what Medicare paid (42 U.S.C. 1396a(n)(2):
  a state need not pay more than its own rate), so ``min(cost sharing, max(0, Medicaid
  allowed - Medicare paid))``;
* ``full-cost-sharing``: the whole Medicare deductible and coinsurance;
* ``lesser-of-coinsurance``: the whole deductible, and the coinsurance at most the Medicaid rate
  less Medicare's payment (New York since July 2015).

A state whose policy could not be confirmed takes the federal rule's lesser-of and says so in
its note.

What is left of the cost sharing after Medicaid's payment (up to Medicaid's allowed amount):
for a Qualified Medicare Beneficiary (``Coverage.qmb``), or any member in a state whose rules
forbid billing dual eligibles for it (``bill_members = false``), it is written off by the
provider, CO-23, never billed (42 U.S.C. 1396a(n)(3)(B)); for other members it stays the
member's, PR-1 / PR-2 (the deductible first). The rest of Medicaid's allowed amount is the prior
payer's impact, OA-23. State copays are not taken on crossover lines (not modelled).
"""

from __future__ import annotations

from decimal import Decimal

from attrs import frozen

from payer_rules.models import Claim, OtherCoverage, OtherPayerAdjustment
from payer_rules.money import ZERO, money
from payer_rules.results import Adjustment, Finding, Group, Severity, Source
from payer_rules.rules import RuleInfo
from payer_rules_medicaid import SOURCE_NAME, __version__
from payer_rules_medicaid.rules import _rule

__all__ = ["CROSSOVER_RULES", "CrossoverLine", "crossover_line", "medicare_primary"]

LESSER_OF = "lesser-of"
FULL_COST_SHARING = "full-cost-sharing"
LESSER_OF_COINSURANCE = "lesser-of-coinsurance"
METHODS = (LESSER_OF, FULL_COST_SHARING, LESSER_OF_COINSURANCE)
FEDERAL = "42 U.S.C. 1396a(n)(2) (a state may limit its payment of Medicare cost sharing to its own rate)"
QMB = "42 U.S.C. 1396a(n)(3)(B) (a QMB has no legal liability for Medicare cost sharing)"

CROSSOVER_RULES: dict[str, RuleInfo] = {
    r.code: r
    for r in (
        _rule(
            "MCD801",
            "medicare-crossover-cost-sharing",
            "A Medicare crossover: Medicaid pays toward the Medicare deductible and coinsurance "
            "(Medicare's PR amounts), by the state's policy: the lesser of the cost sharing and the "
            "Medicaid rate less Medicare's payment, or the full cost sharing.",
            "Medicaid pays Medicare cost sharing for dual-eligible members; states may limit it to "
            "what Medicaid would have paid for the service.",
            f"{FEDERAL}; 42 U.S.C. 1396d(p)(3); the state's policy, cited in its state.toml",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCD802",
            "crossover-cost-sharing-not-billed",
            "The member is a Qualified Medicare Beneficiary (or the state forbids billing dual "
            "eligibles): the Medicare cost sharing Medicaid does not pay is written off by the "
            "provider (CO-23), never billed to the member.",
            "Medicare and Medicaid payment together are payment in full for a QMB; providers may not "
            "bill QMBs for Medicare deductibles and coinsurance.",
            f"{QMB}; 42 U.S.C. 1395cc(a)(1)(A)",
            Severity.INFO,
            group=None,
        ),
        _rule(
            "MCD803",
            "crossover-cost-sharing-above-medicaid-allowed",
            "The state pays the full Medicare cost sharing (or the full deductible), which is more "
            "than the Medicaid allowed amount of the line: the line cannot be paid right from this "
            "plugin's pricing.",
            "Held, naming the amounts, rather than paid short.",
            "the state's crossover policy, cited in its state.toml",
            Severity.PEND,
            "133",
            group=Group.OA,
        ),
    )
}


def _source(citation: str) -> Source:
    return Source(name=SOURCE_NAME, version=__version__, citation=citation)


def crossover_finding(code: str, message: str, line: int, citation: str | None = None) -> Finding:
    rule = CROSSOVER_RULES[code]
    return rule.finding(message, line=line, source=_source(citation or rule.citation))


def _is_medicare(other: OtherCoverage) -> bool:
    payer = other.payer_id.strip().lower()
    return payer == "medicare" or payer.startswith("medicare-")


def medicare_primary(claim: Claim) -> OtherCoverage | None:
    """Medicare's entry, when it adjudicated the claim line by line (a crossover)."""
    for other in claim.coverage.other_coverage:
        if _is_medicare(other) and other.payment is not None and other.payment.line_paid:
            return other
    return None


@frozen
class CrossoverLine:
    """Medicaid's share of one crossover line, and how its allowed amount is split."""

    cost_sharing: Decimal
    medicare_paid: Decimal
    payment: Decimal
    #: The cost sharing left for the member (PR) or written off for a QMB (CO-23).
    left: Decimal
    prior_payer: Decimal
    adjustments: tuple[Adjustment, ...]


def crossover_line(
    allowed: Decimal,
    medicare_paid: Decimal,
    medicare_adjustments: tuple[OtherPayerAdjustment, ...],
    method: str,
    write_off: bool,
) -> CrossoverLine:
    """Medicaid's payment on one crossover line (see the module doc); ``payment`` may exceed
    ``allowed`` under full cost sharing, which the caller pends (MCD803)."""
    deductible = sum(
        (money(a.amount) for a in medicare_adjustments if a.group == "PR" and a.carc == "1"), ZERO
    )
    cost_sharing = sum((money(a.amount) for a in medicare_adjustments if a.group == "PR"), ZERO)
    paid = money(medicare_paid)
    if method == FULL_COST_SHARING:
        payment = cost_sharing
    elif method == LESSER_OF_COINSURANCE:
        payment = deductible + min(cost_sharing - deductible, max(ZERO, allowed - paid))
    else:
        payment = min(cost_sharing, max(ZERO, allowed - paid))
    room = max(ZERO, allowed - payment)
    left = min(cost_sharing - payment, room)
    adjustments: list[Adjustment] = []
    if write_off:
        if left:
            adjustments.append(Adjustment(group=Group.CO, carc="23", amount=left))
    else:
        # the member's part of what is left: the deductible first, as Medicare took it
        ded_left = max(ZERO, deductible - payment)
        ded = min(ded_left, left)
        if ded:
            adjustments.append(Adjustment(group=Group.PR, carc="1", amount=ded))
        if left - ded:
            adjustments.append(Adjustment(group=Group.PR, carc="2", amount=left - ded))
    prior = room - left
    if prior:
        adjustments.append(Adjustment(group=Group.OA, carc="23", amount=prior))
    return CrossoverLine(
        cost_sharing=cost_sharing,
        medicare_paid=paid,
        payment=payment,
        left=left,
        prior_payer=prior,
        adjustments=tuple(adjustments),
    )
