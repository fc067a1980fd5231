"""Hook implementations: the payer ``acme-health``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from payer_rules import hookimpl
from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.payers import PayerInfo, PayerKind
from payer_rules.results import Adjudication, Adjustment, Group, LineAdjudication, Pricing, Source
from payer_rules.rulepack.kinds import RuleKind
from payer_rules_acme import PAYER_ID, __version__
from payer_rules_acme.kinds import MAX_CHARGE

COPAY = Decimal("20.00")


@hookimpl
def register_payers(register: Callable[[PayerInfo], None]) -> None:
    register(PayerInfo(id=PAYER_ID, name="Acme Health (HMO)", kind=PayerKind.COMMERCIAL))


@hookimpl
def register_rule_kinds(register: Callable[[RuleKind], None]) -> None:
    register(MAX_CHARGE)


@hookimpl
def register_rulepacks(register: Callable[[Path], None]) -> None:
    for pack in sorted((Path(__file__).parent / "rulepacks").glob("*.toml")):
        register(pack)


@hookimpl
def adjudicate(claim: Claim, context: Context, pricing: Pricing) -> Adjudication | None:
    """A flat copay per claim, taken from the first priced line."""
    if context.payer.id != PAYER_ID or not pricing.lines:
        return None
    first = pricing.lines[0]
    copay = min(COPAY, first.allowed)
    taken = LineAdjudication(
        line=first.line, adjustments=(Adjustment(group=Group.PR, carc="3", amount=copay),)
    )
    return Adjudication(lines=(taken,), source=Source(name="payer-rules-acme", version=__version__))
