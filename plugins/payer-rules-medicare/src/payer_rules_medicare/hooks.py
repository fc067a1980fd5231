"""Hook implementations: Medicare Part B as the payer ``medicare``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from payer_rules import hookimpl
from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.payers import PayerInfo, PayerKind
from payer_rules.results import Adjudication, Finding, PricedLine, Pricing, Severity
from payer_rules.rules import RuleInfo
from payer_rules_medicare import PAYER_ID
from payer_rules_medicare.cost_sharing import adjudicate_claim
from payer_rules_medicare.edits import diagnosis_codes, glucose_medical_necessity, required_data
from payer_rules_medicare.pricing import price_claim
from payer_rules_medicare.rules import RULES
from payer_rules_medicare.starter import load_starter


@hookimpl
def register_payers(register: Callable[[PayerInfo], None]) -> None:
    register(
        PayerInfo(
            id=PAYER_ID,
            name="Medicare Part B (fee-for-service)",
            kind=PayerKind.MEDICARE,
            description="Original Medicare, professional claims (837P / CMS-1500).",
        )
    )


@hookimpl
def register_rules(register: Callable[[RuleInfo], None]) -> None:
    for rule in RULES.values():
        register(rule)


@hookimpl
def validate(claim: Claim, context: Context) -> Iterable[Finding]:
    if context.payer.id != PAYER_ID:
        return ()
    starter = load_starter()
    findings = list(required_data(claim, context))
    findings += diagnosis_codes(claim, context, starter)
    if any(f.severity is Severity.REJECT for f in findings):
        return findings  # front-end edits: an unprocessable claim gets no coverage review
    findings += glucose_medical_necessity(claim, starter)
    return findings


@hookimpl
def price(claim: Claim, context: Context) -> Pricing | None:
    if context.payer.id != PAYER_ID:
        return None
    return price_claim(claim, context, load_starter())


@hookimpl
def reference_price(reference: str, claim: Claim, line: int, context: Context) -> PricedLine | None:
    """Medicare's fee schedules as the reference for percent-of-Medicare contracts."""
    if reference != PAYER_ID:
        return None
    return price_claim(claim, context, load_starter()).for_line(line)


@hookimpl
def adjudicate(claim: Claim, context: Context, pricing: Pricing) -> Adjudication | None:
    if context.payer.id != PAYER_ID:
        return None
    return adjudicate_claim(claim, context, pricing, load_starter())
