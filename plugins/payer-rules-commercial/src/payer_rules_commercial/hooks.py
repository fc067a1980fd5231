"""Hook implementations: every commercial payer a ``payer.toml`` defines.

Payers come from the definitions shipped in ``payers/`` and from those found in the run's
configured directories (``--rulepacks DIR``, ``PAYER_RULES_PATH``). This plugin owns those
payers (registration, pricing, adjudication); their claim edits are rulepacks, served by the
built-in rulepack plugin (shipped packs through ``register_rulepacks``, directory packs from the
directories themselves). A pack beside a ``payer.toml`` lists the payer in ``[pack] payers``
and must not declare it again with ``[payer]``: one payer, one owner.

A run that judges none of these payers (``adjudicate --payer medicare``) registers none: the
definitions are not read, and the modules that price and adjudicate them are not imported.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from payer_rules import hookimpl
from payer_rules.claim_kinds import claim_kind
from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.payers import PayerInfo
from payer_rules.results import Adjudication, Finding, Pricing
from payer_rules.rulepack.kinds import RuleKind
from payer_rules.rules import RuleInfo

from .files import DEFINITION_FILE, defined_ids
from .kinds import KINDS
from .registry import definition_for, in_network, remember
from .rules import RULES, finding

if TYPE_CHECKING:
    from .definition import PayerDefinition, Plan

#: The example payers this plugin ships (one directory each: payer.toml and rulepacks/).
SHIPPED = Path(__file__).parent / "payers"


@hookimpl
def register_payers(
    register: Callable[[PayerInfo], None], directories: Sequence[Path], payers: Collection[str] | None
) -> None:
    from payer_rules.rulepack.parsed import ParsedFiles

    paths = [SHIPPED, *directories]
    parsed = ParsedFiles()  # a definition defined_ids read is not parsed again to load it
    if payers is not None:
        ids = defined_ids(paths, parsed=parsed)
        if ids is not None and ids.isdisjoint(payers):
            return  # none of the run's payers is defined here: nothing to read
    from .definition import load_definitions

    for definition in load_definitions(paths, parsed=parsed):
        register(remember(definition))


@hookimpl
def register_rulepacks(register: Callable[[Path], None]) -> None:
    """The shipped payers' packs (directory payers' packs are served from their directories)."""
    for pack in sorted(SHIPPED.rglob("*.toml")):
        if pack.name != DEFINITION_FILE:
            register(pack)


@hookimpl
def register_rule_kinds(register: Callable[[RuleKind], None]) -> None:
    for kind in KINDS:
        register(kind)


@hookimpl
def register_rules(register: Callable[[RuleInfo], None]) -> None:
    for info in RULES.values():
        register(info)


@hookimpl
def authorize(claim: Claim, context: Context) -> Iterable[Finding]:
    """Benefit checks: the member's plan exists, covers this network tier and each category."""
    definition = definition_for(context.payer)
    if definition is None:
        return ()
    plan = definition.plan_of(claim)
    if plan is None:
        named = claim.coverage.plan or "none"
        known = ", ".join(p.id for p in definition.plans)
        message = f"coverage names plan {named!r}; {definition.payer.id} plans: {known}"
        return [finding("COM002", message, definition)]
    network = in_network(claim, definition)
    tier = plan.tier(network)
    if tier is None:
        return [
            finding(
                "COM003",
                f"billing provider {claim.billing_provider.npi} is out of network and plan {plan.id} "
                "has no out-of-network benefits",
                definition,
            )
        ]
    found = [*_order(claim, definition), *_supplement(claim, plan, definition)]
    kind = str(claim_kind(claim))
    for n, line in enumerate(claim.lines, 1):
        category = definition.category(
            line.procedure, claim.rendering_for(line).taxonomy, claim.place_of_service_for(line), kind
        )
        if not tier.benefit(category).covered:
            where = "in network" if network else "out of network"
            found.append(
                finding(
                    "COM004",
                    f"line {n}: {line.procedure} is {category}, not covered {where} by plan {plan.id}",
                    definition,
                    line=n,
                )
            )
    return found


@hookimpl
def price(claim: Claim, context: Context) -> Pricing | None:
    definition = definition_for(context.payer)
    if definition is None:
        return None
    from .pricing import price_claim

    return price_claim(claim, context, definition)


@hookimpl
def adjudicate(
    claim: Claim, context: Context, pricing: Pricing, findings: tuple[Finding, ...]
) -> Adjudication | None:
    definition = definition_for(context.payer)
    if definition is None:
        return None
    from .benefits import adjudicate_claim

    return adjudicate_claim(claim, context, pricing, findings, definition)


def _order(claim: Claim, definition: PayerDefinition) -> Iterator[Finding]:
    """COM807-COM809: the order of benefits where the claim does not state it."""
    from .cob import order_of

    for found in order_of(claim, definition.payer.id):
        decision = found.decision
        if decision is None:
            yield finding(
                "COM809",
                f"{found.payer_id} is listed without its place in the order of benefits, and the claim "
                "lacks what decides it (each plan's relationship to the patient, the subscribers' "
                "birth dates, coverage start dates, employment status)",
                definition,
            )
            continue
        first = f"{found.payer_id} pays first" if found.pays_first else f"{definition.payer.id} pays first"
        text = f"{first} by the {decision.rule} ({decision.reason}; {decision.citation})"
        if found.pays_first and found.payment is None:
            yield finding("COM808", f"{text}; the claim does not carry its adjudication", definition)
        else:
            yield finding("COM807", text, definition)


def _supplement(claim: Claim, plan: Plan, definition: PayerDefinition) -> Iterator[Finding]:
    """A supplement plan (Medigap) pays only after the primary, on lines the primary approved."""
    if not plan.supplement:
        return
    from .cob import approved_by_primary, primary_coverage

    primary = primary_coverage(claim, definition.payer.id)
    if primary is None or primary.payment is None:
        yield finding(
            "COM805",
            f"plan {plan.id} supplements the primary payer and the claim carries no primary "
            "adjudication: bill the primary first",
            definition,
        )
        return
    for n in range(1, len(claim.lines) + 1):
        if not approved_by_primary(primary.payment, n):
            yield finding(
                "COM806",
                f"line {n}: {primary.payer_id} did not approve it (nothing paid, no deductible, "
                f"coinsurance or copay left); plan {plan.id} supplements only approved services",
                definition,
                line=n,
            )
