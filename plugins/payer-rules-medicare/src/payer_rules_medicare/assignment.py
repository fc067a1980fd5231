"""Assignment: who Medicare pays, and what a provider who does not accept it may charge.

A provider accepts assignment on a claim (837 CLM07 ``A``) or not (``C``; ``B``, assigned for lab
services only, is unassigned for the rest). On an unassigned claim of a non-participating
provider Medicare pays the beneficiary, and the remittance the provider gets is for information
(MCR640, RARC MA28). The provider may charge the patient at most the limiting charge: 115% of
the non-participating fee schedule amount, itself 95% of the participating amount, after any
reduction that applies to the line (SSA §1848(g); 42 CFR 414.48). A line charged above it gets
MCR641, naming the excess the provider must refund; Medicare's amounts do not change.

Some services are paid only on assignment, and Medicare processes them as assigned whatever the
claim says (MCR642): clinical lab tests (SSA §1833(h)(5)(C)) and the services of nurse
practitioners, physician assistants and clinical nurse specialists (SSA §1842(b)(18)); a
participating provider has agreed to accept assignment on every claim (SSA §1842(h)(1)).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from payer_rules.models import Claim
from payer_rules.money import money
from payer_rules.results import Finding, PricedLine
from payer_rules_medicare.edits import finding
from payer_rules_medicare.pricing import NON_PHYSICIAN_TAXONOMIES, is_lab_fee_schedule

__all__ = ["LIMITING_CHARGE", "assignment_findings"]

LIMITING_CHARGE = Decimal("1.15")


def assignment_findings(claim: Claim, priced: tuple[PricedLine, ...]) -> Iterator[Finding]:
    """Findings about assignment for the claim's priced lines (none for an assigned claim)."""
    if claim.accept_assignment:
        return
    if claim.billing_provider.participating:
        yield finding(
            "MCR642",
            "the provider participates in Medicare, so the claim is processed as assigned although "
            "it says assignment is not accepted",
        )
        return
    unassigned = False
    for p in priced:
        line = claim.lines[p.line - 1]
        taxonomy = (claim.rendering_for(line).taxonomy or "").upper()
        if is_lab_fee_schedule(p) or taxonomy.startswith(NON_PHYSICIAN_TAXONOMIES):
            why = (
                "a clinical lab test" if is_lab_fee_schedule(p) else f"a service of a {taxonomy} practitioner"
            )
            yield finding(
                "MCR642",
                f"line {p.line}: {line.procedure} is {why}, paid only on assignment: processed as assigned",
                line=p.line,
            )
            continue
        unassigned = True
        charge = money(line.charge)
        if p.allowed < charge:  # then the allowed amount is the (non-participating) fee itself
            limit = money(p.allowed * LIMITING_CHARGE)
            if charge > limit:
                yield finding(
                    "MCR641",
                    f"line {p.line}: charge {charge} exceeds the limiting charge {limit} (115% of the "
                    f"non-participating amount {p.allowed}); the provider must refund the patient any "
                    f"amount collected above it ({charge - limit})",
                    line=p.line,
                )
    if unassigned:
        yield finding(
            "MCR640",
            "assignment not accepted by a non-participating provider: Medicare pays the beneficiary; "
            "this remittance is for the provider's information",
        )
