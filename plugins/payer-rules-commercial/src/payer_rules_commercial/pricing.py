"""Contract pricing: carve-outs, the payer's fee schedule, percent of Medicare by year,
percent of charge, the lesser of billed charges; out of network by its own terms.

Percent of Medicare asks the engine's ``reference_price`` hook (the Medicare plugin answers) for
the Medicare fee schedule amount of the line: as for a participating provider and not capped by
the charge, since the contract percentage applies to the fee schedule itself; the contract's
own ``lesser_of_billed`` then caps the result.
"""

from __future__ import annotations

from decimal import Decimal

from attrs import evolve

from payer_rules.claim_kinds import ClaimKind, claim_kind
from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.money import money, split_percent
from payer_rules.results import Finding, Group, PricedLine, Pricing

from .definition import PayerDefinition, Terms, percent_for
from .inpatient import price_inpatient_stay
from .registry import in_network
from .rules import finding, source

__all__ = ["price_claim"]

#: Charges on the claim sent for the Medicare reference, so Medicare's lesser-of-charge never binds.
_UNCAPPED = Decimal("99999999.99")


def _reference_claim(claim: Claim) -> Claim:
    billing = evolve(claim.billing_provider, participating=True)
    lines = tuple(evolve(line, charge=_UNCAPPED) for line in claim.lines)
    return evolve(claim, billing_provider=billing, lines=lines)


def price_claim(claim: Claim, context: Context, definition: PayerDefinition) -> Pricing:
    if claim.bill_type is not None and claim_kind(claim) is ClaimKind.INPATIENT:
        return price_inpatient_stay(claim, context, definition)
    network = in_network(claim, definition)
    terms = definition.terms(network)
    plan = definition.plan_of(claim)
    tier = plan.tier(network) if plan is not None else None
    balance_billing = not network and tier is not None and tier.balance_billing
    reference = _reference_claim(claim)
    priced: list[PricedLine] = []
    findings: list[Finding] = []
    for n, line in enumerate(claim.lines, 1):
        day = context.rules_date(line.service_date)
        amount: Decimal | None = None
        basis = ""
        carve = definition.carve_out(line.procedure) if network else None
        if carve is not None:
            if carve.amount is not None:
                amount = money(carve.amount * line.units)
                basis = f"carve-out {carve.name}: {carve.amount} per unit"
            elif carve.percent_of_charge is not None:
                amount = split_percent(line.charge, carve.percent_of_charge)
                basis = f"carve-out {carve.name}: {carve.percent_of_charge}% of charge"
            elif carve.percent_of_medicare is not None:
                medicare = context.reference_price("medicare", reference, n)
                if medicare is not None:
                    amount = split_percent(medicare.allowed, carve.percent_of_medicare)
                    basis = (
                        f"carve-out {carve.name}: {carve.percent_of_medicare}% of medicare ({medicare.basis})"
                    )
        if amount is None:
            fee = definition.fees(network).fee(line, day)
            if fee is not None:
                amount = money(fee.amount * line.units)
                basis = f"{definition.payer.id} fee schedule {fee.amount} per unit"
        if amount is None:
            amount, basis = _percent_of_medicare(terms, claim, context, n, reference)
        if amount is None and terms.percent_of_charge is not None:
            amount = split_percent(line.charge, terms.percent_of_charge)
            basis = f"{terms.percent_of_charge}% of charge"
        if amount is None:
            findings.append(
                finding(
                    "COM001",
                    f"line {n}: {definition.payer.id}'s {'in' if network else 'out-of'}-network contract "
                    f"has no rate for {line.procedure} on {day}",
                    definition,
                    line=n,
                )
            )
            continue
        if terms.lesser_of_billed and money(line.charge) < amount:
            basis = f"billed charge (lesser of billed; contract {amount}: {basis})"
            amount = money(line.charge)
        tier_name = "in network" if network else "out of network"
        priced.append(
            PricedLine(
                line=n,
                allowed=amount,
                basis=f"{basis}; {tier_name}",
                reduction_group=Group.PR if balance_billing else Group.CO,
                reduction_carc="45",
            )
        )
    return Pricing(lines=tuple(priced), source=source(definition), findings=tuple(findings))


def _percent_of_medicare(
    terms: Terms, claim: Claim, context: Context, n: int, reference: Claim
) -> tuple[Decimal | None, str]:
    line = claim.lines[n - 1]
    percent = percent_for(terms.percent_of_medicare, context.rules_date(line.service_date))
    if percent is None:
        return None, ""
    medicare = context.reference_price("medicare", reference, n)
    if medicare is None:
        return None, ""
    basis = f"{percent}% of medicare {medicare.allowed} ({medicare.basis})"
    return split_percent(medicare.allowed, percent), basis
