"""Part B cost sharing: deductible, 20% coinsurance and 2% sequestration.

Clinical lab fee schedule services carry no deductible or coinsurance (42 CFR 410.152(e)).
Sequestration reduces the Medicare payment itself, after cost sharing (CO-253).
"""

from __future__ import annotations

from decimal import Decimal

from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.money import ZERO, split_percent
from payer_rules.results import Adjudication, Adjustment, Group, LineAdjudication, Pricing, Source
from payer_rules_medicare import __version__
from payer_rules_medicare.pricing import is_lab_fee_schedule
from payer_rules_medicare.rules import SOURCE_NAME
from payer_rules_medicare.starter import Starter

_PR, _CO = Group.PR, Group.CO  # module constants: enum class lookups are slow on Python 3.11

COST_SHARING_SOURCE = Source(
    name=SOURCE_NAME,
    version=__version__,
    citation="42 CFR 410.152, 410.160; Budget Control Act of 2011 sequestration",
)


def adjudicate_claim(claim: Claim, context: Context, pricing: Pricing, starter: Starter) -> Adjudication:
    year = claim.first_service_date.year
    deductible = starter.deductible.get(year, ZERO)
    remaining = max(ZERO, deductible - context.accumulated(claim, year, "deductible"))
    applied_deductible = ZERO
    patient_total = ZERO
    out: list[LineAdjudication] = []
    for priced in pricing.lines:
        adjustments: list[Adjustment] = []
        payable = priced.allowed
        if not is_lab_fee_schedule(priced):
            ded = min(remaining, payable)
            remaining -= ded
            applied_deductible += ded
            coins = split_percent(payable - ded, starter.coinsurance_percent)
            if ded:
                adjustments.append(Adjustment(group=_PR, carc="1", amount=ded))
            if coins:
                adjustments.append(Adjustment(group=_PR, carc="2", amount=coins))
            payable -= ded + coins
            patient_total += ded + coins
        sequestration = split_percent(payable, starter.sequestration_percent)
        adjustments.append(Adjustment(group=_CO, carc="253", amount=sequestration))
        out.append(LineAdjudication(line=priced.line, adjustments=tuple(adjustments)))
    accumulated: dict[str, Decimal] = {"deductible": applied_deductible, "out_of_pocket": patient_total}
    return Adjudication(
        lines=tuple(out),
        source=COST_SHARING_SOURCE,
        accumulated=accumulated,
    )
