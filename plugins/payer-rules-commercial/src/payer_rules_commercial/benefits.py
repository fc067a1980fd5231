"""Member cost sharing: deductible, then copay, then coinsurance, capped by the out-of-pocket
maximum; year-to-date amounts carried across the batch through the engine's session.

Per line, in line order, each amount rounded half up to the cent:

1. deductible (PR-1), when the category's benefit applies it: the least of what is left of the
   year's deductible, the allowed amount and what is left of the out-of-pocket maximum;
2. copay (PR-3), once per visit (category and date of service on the claim; an inpatient stay
   is one visit, keyed by its admission date): what is left of the visit's copay, at most the
   allowed amount left and the out-of-pocket maximum left;
3. coinsurance (PR-2): the percentage of what is left of the allowed amount, at most the
   out-of-pocket maximum left.

Deductible, copays and coinsurance count toward the out-of-pocket maximum. In- and out-of-network
tiers keep separate accumulators (``deductible`` / ``out_of_pocket`` and the same names with
``:out-of-network``); the claim's own ``accumulators`` count toward the in-network ones. Only
individual accumulators are kept (no family deductible), by calendar year of the first date of
service, as the engine's session keys them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from payer_rules.claim_kinds import ClaimKind, claim_kind
from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.money import ZERO, money, split_percent
from payer_rules.results import Adjudication, Adjustment, Finding, Group, LineAdjudication, Pricing, Severity

from .cob import (
    CARVE_OUT,
    COB_FINDING,
    carve_out_balance,
    cob_line,
    primary_coverage,
    primary_deductible,
    primary_line,
)
from .definition import PayerDefinition, Tier
from .registry import in_network
from .rules import finding, source

__all__ = ["accumulator_names", "adjudicate_claim"]

_DECIDED = frozenset({Severity.REJECT, Severity.DENY, Severity.PEND})


def accumulator_names(network: bool) -> tuple[str, str]:
    suffix = "" if network else ":out-of-network"
    return f"deductible{suffix}", f"out_of_pocket{suffix}"


def adjudicate_claim(
    claim: Claim,
    context: Context,
    pricing: Pricing,
    findings: tuple[Finding, ...],
    definition: PayerDefinition,
) -> Adjudication:
    network = in_network(claim, definition)
    plan = definition.plan_of(claim)
    tier = plan.tier(network) if plan is not None else None
    if plan is None or tier is None:  # already rejected / denied in authorize
        return Adjudication(lines=(), source=source(definition))
    decided = {f.line for f in findings if f.severity in _DECIDED}
    if None in decided:
        return Adjudication(lines=(), source=source(definition))
    year = claim.first_service_date.year
    deductible_name, oop_name = accumulator_names(network)
    deductible_met = context.accumulated(claim, year, deductible_name)
    oop_met = context.accumulated(claim, year, oop_name)
    state = _State(tier, deductible_met, oop_met)
    of_deductible = "the primary's" if tier.primary_deductible else str(money(tier.deductible))
    primary = primary_coverage(claim, definition.payer.id)
    out: list[LineAdjudication] = []
    notes: list[Finding] = []
    kind = claim_kind(claim)
    # A stay is one visit: its copay is taken once, whatever dates its lines carry.
    stay = claim.admission_date or claim.statement_from if kind is ClaimKind.INPATIENT else None
    for priced in sorted(pricing.lines, key=lambda p: p.line):
        if priced.line in decided:
            continue
        line = claim.lines[priced.line - 1]
        category = definition.category(
            line.procedure, claim.rendering_for(line).taxonomy, claim.place_of_service_for(line), str(kind)
        )
        benefit = tier.benefit(category)
        allowed = priced.allowed
        paid, patient = ZERO, ZERO
        if primary is not None and primary.payment is not None:
            paid, patient = primary_line(primary.payment, priced.line)
        # a line the primary did not cover (nothing paid, nothing left to the patient): as primary
        coordinated = primary is not None and bool(paid or patient)
        method = plan.cob_on(line.service_date)
        base = carve_out_balance(allowed, paid, patient) if coordinated and method == CARVE_OUT else allowed
        if tier.primary_deductible:  # the primary's, as it took it for the line's date of service
            owed = primary_deductible(primary.payment, priced.line) if primary and primary.payment else ZERO
            deductible = state.take_primary_deductible(min(base, owed)) if coordinated else ZERO
        else:
            deductible = state.take_deductible(base) if benefit.applies_deductible() else ZERO
        copay = ZERO
        if benefit.copay is not None:
            visit = (category, stay or line.service_date)
            copay = state.take_copay(visit, benefit.copay, base - deductible)
        percent = tier.coinsurance_for(benefit)
        coinsurance = state.cap(split_percent(base - deductible - copay, percent))
        if primary is not None and coordinated:
            cob = cob_line(method, allowed, deductible, copay, coinsurance, paid, patient, base=base)
            out.append(LineAdjudication(line=priced.line, adjustments=cob.adjustments))
            notes.append(
                finding(
                    COB_FINDING[method],
                    f"line {priced.line}: secondary to {primary.payer_id}, which paid {paid} and left the "
                    f"patient {patient}; {plan.id} ({method}) {_cob_terms(method, allowed, base, cob.normal)}"
                    f" and pays {cob.payment}",
                    definition,
                    line=priced.line,
                )
            )
        else:
            out.append(
                LineAdjudication(
                    line=priced.line,
                    adjustments=(
                        Adjustment(group=Group.PR, carc="1", amount=deductible),
                        Adjustment(group=Group.PR, carc="3", amount=copay),
                        Adjustment(group=Group.PR, carc="2", amount=coinsurance),
                    ),
                )
            )
        notes.append(
            finding(
                "COM100",
                f"line {priced.line}: {line.procedure} is {category}, "
                f"{'in' if network else 'out of'} network, plan {plan.id}: allowed {allowed}; "
                f"deductible {deductible}, copay {copay}, coinsurance {coinsurance} ({_pct(percent)}); "
                f"year to date: deductible {money(state.deductible_met)} of {of_deductible}, "
                f"out of pocket {money(state.oop_met)} of {_cap(tier.out_of_pocket_max)}",
                definition,
                line=priced.line,
            )
        )
    return Adjudication(
        lines=tuple(out),
        source=source(definition),
        findings=tuple(notes),
        accumulated={
            deductible_name: state.deductible_met - deductible_met,
            oop_name: state.oop_met - oop_met,
        },
    )


def _cob_terms(method: str, allowed: Decimal, base: Decimal, normal: Decimal) -> str:
    if method == CARVE_OUT:
        return f"applies its cost sharing to the balance {base} of its allowed {allowed}, leaving {normal},"
    return f"would pay {normal} alone"


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _cap(value: Decimal | None) -> str:
    return "no maximum" if value is None else str(money(value))


class _State:
    """What is left of the year's deductible, the out-of-pocket maximum and each visit's copay."""

    def __init__(self, tier: Tier, deductible_met: Decimal, oop_met: Decimal) -> None:
        self.tier = tier
        self.deductible_met = deductible_met
        self.oop_met = oop_met
        self.copays: dict[tuple[str, dt.date], Decimal] = {}

    def oop_left(self) -> Decimal | None:
        if self.tier.out_of_pocket_max is None:
            return None
        return max(ZERO, self.tier.out_of_pocket_max - self.oop_met)

    def cap(self, amount: Decimal) -> Decimal:
        """``amount`` limited to what is left of the out-of-pocket maximum, counted toward it."""
        left = self.oop_left()
        taken = max(ZERO, amount if left is None else min(amount, left))
        self.oop_met += taken
        return taken

    def take_deductible(self, allowed: Decimal) -> Decimal:
        left = max(ZERO, self.tier.deductible - self.deductible_met)
        taken = self.cap(min(left, allowed))
        self.deductible_met += taken
        return taken

    def take_primary_deductible(self, owed: Decimal) -> Decimal:
        """The deductible the primary left on a line, counted toward the out-of-pocket maximum."""
        taken = self.cap(owed)
        self.deductible_met += taken
        return taken

    def take_copay(self, visit: tuple[str, dt.date], copay: Decimal, room: Decimal) -> Decimal:
        left = self.copays.get(visit, copay)
        taken = self.cap(min(left, room))
        self.copays[visit] = left - taken
        return taken
