"""Part B cost sharing: deductible, 20% coinsurance and 2% sequestration, line by line.

- Each line takes the deductible of its own calendar year (42 CFR 410.160: the deductible is
  per calendar year), so a claim spanning 1 January meets the 2025 deductible with its 2025
  lines and the 2026 deductible with its 2026 lines; a year whose deductible the starter pack
  does not know pends the line (MCR600) instead of taking a wrong amount.
- Preventive services carry no deductible and no coinsurance; modifier PT (a colorectal
  screening turned diagnostic) carries no deductible and the year's reduced coinsurance
  (:mod:`payer_rules_medicare.preventive`, MCR601 / MCR602).
- Clinical lab fee schedule services carry no deductible or coinsurance (42 CFR 410.152(e)).
- Sequestration reduces the Medicare payment itself, after cost sharing (CO-253).
- Assignment (:mod:`payer_rules_medicare.assignment`): who is paid and the limiting charge.
- Medicare as a secondary payer (:mod:`payer_rules_medicare.msp`): the lowest of three amounts.
"""

from __future__ import annotations

from decimal import Decimal

from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.money import ZERO, money, split_percent
from payer_rules.results import (
    Adjudication,
    Adjustment,
    Finding,
    Group,
    LineAdjudication,
    Pricing,
    Source,
)
from payer_rules_medicare import __version__
from payer_rules_medicare.assignment import assignment_findings
from payer_rules_medicare.edits import finding
from payer_rules_medicare.msp import msp_findings, msp_primary, primary_lines, secondary_payment
from payer_rules_medicare.preventive import cost_sharing_for, load_preventive
from payer_rules_medicare.pricing import is_lab_fee_schedule
from payer_rules_medicare.rules import SOURCE_NAME
from payer_rules_medicare.starter import Starter

_PR, _CO = Group.PR, Group.CO  # module constants: enum class lookups are slow on Python 3.11

COST_SHARING_SOURCE = Source(
    name=SOURCE_NAME,
    version=__version__,
    citation="42 CFR 410.152, 410.160; Pub. 100-04 Ch. 18 §1.2; Budget Control Act of 2011 sequestration",
)


def adjudicate_claim(claim: Claim, context: Context, pricing: Pricing, starter: Starter) -> Adjudication:
    listed = load_preventive()
    remaining: dict[int, Decimal] = {}
    by_year: dict[int, dict[str, Decimal]] = {}
    out: list[LineAdjudication] = []
    findings: list[Finding] = []
    primary = msp_primary(claim)
    before = (
        primary_lines(primary.payment, [money(ln.charge) for ln in claim.lines])
        if primary is not None and primary.payment is not None
        else None
    )
    for priced in pricing.lines:
        line = claim.lines[priced.line - 1]
        year = line.service_date.year
        adjustments: list[Adjustment] = []
        payable = priced.allowed
        ded = coins = ZERO
        lab = is_lab_fee_schedule(priced)
        if not lab:
            left = remaining.get(year)
            if left is None:
                deductible = starter.deductible.get(year)
                if deductible is None:
                    findings.append(
                        finding(
                            "MCR600",
                            f"line {priced.line}: the Part B deductible for {year} is not known to this "
                            f"plugin (it knows {', '.join(map(str, sorted(starter.deductible)))})",
                            line=priced.line,
                        )
                    )
                    continue
                left = max(ZERO, deductible - context.accumulated(claim, year, "deductible"))
            terms = cost_sharing_for(line, claim, listed)
            if terms is not None:
                findings.append(finding(terms.rule, f"line {priced.line}: {terms.why}", line=priced.line))
                ded = min(left, payable) if terms.deductible else ZERO
                coins = split_percent(payable - ded, terms.coinsurance_percent)
            else:
                ded = min(left, payable)
                coins = split_percent(payable - ded, starter.coinsurance_percent)
            remaining[year] = left - ded
        if before is not None and primary is not None:
            # Medicare Secondary Payer: the deductible is credited whoever paid it (MSP Manual ch.1 §40).
            msp = secondary_payment(money(line.charge), priced.allowed, ded, coins, before[priced.line - 1])
            adjustments.extend(msp.adjustments())
            findings.extend(msp_findings(priced.line, primary.payer_id, priced.allowed, before, msp))
            payable = msp.payment
            patient = msp.deductible + msp.coinsurance
        else:
            if ded:
                adjustments.append(Adjustment(group=_PR, carc="1", amount=ded))
            if coins:
                adjustments.append(Adjustment(group=_PR, carc="2", amount=coins))
            payable -= ded + coins
            patient = ded + coins
        if not lab:
            totals = by_year.setdefault(year, {"deductible": ZERO, "out_of_pocket": ZERO})
            totals["deductible"] += ded
            totals["out_of_pocket"] += patient
        sequestration = split_percent(payable, starter.sequestration_percent)
        adjustments.append(Adjustment(group=_CO, carc="253", amount=sequestration))
        out.append(LineAdjudication(line=priced.line, adjustments=tuple(adjustments)))
    findings.extend(assignment_findings(claim, pricing.lines))
    return Adjudication(
        lines=tuple(out),
        source=COST_SHARING_SOURCE,
        findings=tuple(findings),
        accumulated_by_year=by_year,
    )
