"""Hook implementations: every state folder found at start-up is a Medicaid payer.

The state's rulepacks (fees, prior authorization, EPSDT ...) are served by the built-in
rulepack plugin like any pack; the shared Medicaid base pack (``base/``) lists no payer and is
applied here to every state, compiled once per state. Pricing comes from the state's fee pack
(a table, or a percent of Medicare through ``context.reference_price``); this plugin adjudicates.

A run that judges no Medicaid payer (``adjudicate --payer medicare``) registers none of them and
none of their packs, and never reads a ``state.toml``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Generator, Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from payer_rules import hookimpl
from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.payers import PayerInfo, PayerKind
from payer_rules.results import Adjudication, Finding, Pricing, Severity
from payer_rules.rulepack import CompiledRulepacks, RuleContext, builtin_kinds, compile_packs, load_packs
from payer_rules.rules import RuleInfo
from payer_rules.store import ImporterInfo
from payer_rules_medicaid.crossover import CROSSOVER_RULES
from payer_rules_medicaid.ncci import IMPORTERS, ncci_findings
from payer_rules_medicaid.rules import RULES, finding, source

if TYPE_CHECKING:
    from payer_rules_medicaid.state import StateDef

BASE = Path(__file__).parent / "base"
#: Every Medicaid payer id starts so (``state.toml`` is refused otherwise).
PAYER_PREFIX = "medicaid-"


def _state(payer: str) -> StateDef | None:
    if not payer.startswith(PAYER_PREFIX):
        return None
    from payer_rules_medicaid.state import discover_states

    return discover_states().get(payer)


def _none_of_ours(payers: Collection[str] | None) -> bool:
    """The run judges only other payers: no state need be read."""
    return payers is not None and not any(p.startswith(PAYER_PREFIX) for p in payers)


def base_packs() -> list[Path]:
    return sorted(BASE.glob("*.toml"))


@cache
def _base(payer: str) -> CompiledRulepacks:
    """The shared Medicaid base packs, compiled as if they listed ``payer``."""
    kinds = builtin_kinds()
    return compile_packs(load_packs(base_packs(), kinds), kinds, only_payer=payer)


@hookimpl
def register_payers(register: Callable[[PayerInfo], None], payers: Collection[str] | None) -> None:
    if _none_of_ours(payers):
        return
    from payer_rules_medicaid.state import discover_states

    for state in discover_states().values():
        register(
            PayerInfo(
                id=state.payer_id,
                name=state.state.name,
                kind=PayerKind.MEDICAID,
                description=state.state.description
                or f"{state.state.state} Medicaid (states/{state.directory.name})",
                kind_hints=state.kind_hints(),
            )
        )


@hookimpl
def register_rulepacks(register: Callable[[Path], None], payers: Collection[str] | None) -> None:
    """The base packs (reference only: applied by this plugin) and every state's own packs."""
    if _none_of_ours(payers):
        return
    from payer_rules_medicaid.state import discover_states

    for pack in base_packs():
        register(pack)
    for state in discover_states().values():
        for pack in state.packs:
            register(pack)


@hookimpl
def register_rules(register: Callable[[RuleInfo], None]) -> None:
    for rule in (*RULES.values(), *CROSSOVER_RULES.values()):
        register(rule)


@hookimpl
def register_importers(register: Callable[[ImporterInfo], None]) -> None:
    for info in IMPORTERS:
        register(info)


@hookimpl
def validate(claim: Claim, context: Context) -> Iterable[Finding]:
    state = _state(context.payer.id)
    if state is None:
        return ()
    from payer_rules_medicaid.edits import state_modifiers, timely_filing

    findings = list(timely_filing(claim, context, state))
    findings += state_modifiers(claim, context, state)
    findings += ncci_findings(claim, context)
    rejected = any(f.severity is Severity.REJECT for f in findings)
    ctx = RuleContext(context=context, code_sets=context.code_sets)
    findings += _base(state.payer_id).validate(claim, ctx, rejected=rejected)
    return findings


@hookimpl
def authorize(claim: Claim, context: Context) -> Iterable[Finding]:
    state = _state(context.payer.id)
    if state is None:
        return ()
    from payer_rules_medicaid.edits import last_resort

    findings = list(last_resort(claim, context, state))
    ctx = RuleContext(context=context, code_sets=context.code_sets)
    findings += _base(state.payer_id).authorize(claim, ctx)
    return findings


@hookimpl(wrapper=True)
def price(claim: Claim, context: Context) -> Generator[None, Pricing | None, Pricing | None]:
    """Lines no loaded fee pack prices for a state (none loaded, or one that does not cover the
    code) get MCD601, naming where the state publishes its schedule, instead of the engine's
    generic pend."""
    priced = yield
    state = _state(context.payer.id)
    if state is None:
        return priced
    covered = {p.line for p in priced.lines} if priced is not None else set()
    explained = {f.line for f in priced.findings} if priced is not None else set()
    where = state.fees.published if state.fees else "the state's published fee schedule"
    missing = tuple(
        finding(
            "MCD601",
            f"line {n}: no {state.state.name} fee schedule is loaded for {line.procedure}; "
            f"load {where} as a fee pack",
            n,
        )
        for n, line in enumerate(claim.lines, 1)
        if n not in covered and n not in explained and None not in explained
    )
    if priced is None:
        return Pricing(lines=(), findings=missing, source=source(RULES["MCD601"].citation))
    if not missing:
        return priced
    return attrs.evolve(priced, findings=(*priced.findings, *missing))


@hookimpl
def adjudicate(claim: Claim, context: Context, pricing: Pricing) -> Adjudication | None:
    state = _state(context.payer.id)
    if state is None:
        return None
    from payer_rules_medicaid.cost_sharing import adjudicate_claim

    return adjudicate_claim(claim, context, pricing, state)
