"""One claim against one payer through ``validate`` -> ``authorize`` -> ``price`` -> ``adjudicate``.

A kind of claim the payer does not price stops before any hook but ``authorize``
(:mod:`payer_rules.kind_check`); a reject stops after ``validate`` / ``authorize``; lines denied
or pended there are not priced, and only lines still payable reach cost sharing. What the
stages decided becomes a result in :mod:`payer_rules.engine.assembly`.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import evolve

from payer_rules.claim_kinds import claim_kind
from payer_rules.context import Context
from payer_rules.engine.assembly import (
    ResultAssembler,
    engine_pend,
    finding_order,
    has_reject,
    line_outcomes,
)
from payer_rules.engine.hooks import StageCaller
from payer_rules.engine.stages import Stages
from payer_rules.kind_check import not_priced, revenue_only_lines
from payer_rules.models import Claim
from payer_rules.pas.honour import authorize_with_issued_numbers
from payer_rules.payer_standin import stand_in
from payer_rules.plugins import PayerRulesPluginManager
from payer_rules.results import (
    Adjudication,
    CasePayment,
    ClaimResult,
    Finding,
    LineAdjudication,
    PricedLine,
    Pricing,
)

__all__ = ["Pipeline"]

_CHECK = Stages.CHECK


class Pipeline:
    """The stage hooks of one plugin manager, run in order for a claim and a payer (its context)."""

    def __init__(self, pm: PayerRulesPluginManager, assembler: ResultAssembler) -> None:
        self._validate = StageCaller(pm.hook.validate, pm)
        self._authorize = StageCaller(pm.hook.authorize, pm)
        self._price = StageCaller(pm.hook.price, pm)
        self._adjudicate = StageCaller(pm.hook.adjudicate, pm)
        self._results = assembler

    def run(
        self, claim: Claim, context: Context, stages: Stages, origin: str | None
    ) -> tuple[ClaimResult, Adjudication | None]:
        """The claim's result, and the adjudication that decided it (what the session keeps)."""
        count = len(claim.lines)
        kind = claim_kind(claim)
        if kind not in context.payer.claim_kinds:
            # No plugin validates or prices a kind its payer does not price (a professional edit or
            # fee schedule would answer wrongly); authorization requirements bind however it is paid.
            unpriced = stand_in(claim, context.payer) + not_priced(claim, kind, context.payer)
            unpriced += self.authorized(claim, context)
            return self._results.unpaid(claim, context, unpriced, True, origin), None
        findings = stand_in(claim, context.payer) + revenue_only_lines(claim, kind, context.payer)
        findings += _flatten(self._validate(claim, context))
        rejected = has_reject(findings)
        if not rejected:
            findings += self.authorized(claim, context)
            rejected = has_reject(findings)
        outcomes = line_outcomes(count, findings)
        priced: dict[int, PricedLine] = {}
        taken: dict[int, LineAdjudication] = {}
        case: CasePayment | None = None
        pricing: Pricing | None = None
        adjudication: Adjudication | None = None
        check_only = stages is _CHECK or rejected
        payable = (
            [n for n in range(1, count + 1) if n not in outcomes] if outcomes else [*range(1, count + 1)]
        )
        if not check_only and payable:
            pricing = self._price(claim, context)
            before = len(findings)
            if pricing is None:
                findings.append(engine_pend(None, f"no installed plugin prices {context.payer.id}"))
            else:
                findings.extend(pricing.findings)
                priced = {p.line: p for p in pricing.lines}
                explained = line_outcomes(count, pricing.findings) if pricing.findings else {}
                for n in payable:
                    # A line the pricer left out without saying why gets the engine's pend.
                    if n not in priced and n not in explained:
                        findings.append(
                            engine_pend(
                                n,
                                f"line {n}: {context.payer.id} has no price for "
                                f"{claim.lines[n - 1].procedure}",
                            )
                        )
            case = pricing.case if pricing is not None else None
            if len(findings) > before:  # pricing said something: the outcomes may have changed
                outcomes = line_outcomes(count, findings)
            if pricing is not None and (not outcomes or any(n not in outcomes for n in payable)):
                # Only lines still payable reach cost sharing: a denied line must not use up
                # the member's deductible.
                if outcomes and any(n in outcomes for n in priced):
                    still = tuple(p for p in pricing.lines if p.line not in outcomes)
                    if type(pricing) is Pricing:  # evolve() introspects; the common case needs none of it
                        pricing = Pricing(lines=still, source=pricing.source, findings=pricing.findings)
                    else:
                        pricing = evolve(pricing, lines=still)
                adjudication = self._adjudicate(claim, context, pricing, tuple(findings))
                if adjudication is None:
                    findings.append(engine_pend(None, f"no installed plugin adjudicates {context.payer.id}"))
                else:
                    findings.extend(adjudication.findings)
                    taken = {a.line: a for a in adjudication.lines}
                if adjudication is None or adjudication.findings:
                    outcomes = line_outcomes(count, findings)
        result = self._results.assemble(
            claim, context, findings, outcomes, priced, taken, check_only, pricing, adjudication, origin, case
        )
        return result, adjudication

    def authorized(self, claim: Claim, context: Context) -> list[Finding]:
        """The ``authorize`` findings; numbers this engine issued through PAS held to what they cover."""
        if not claim.prior_authorizations:
            return _flatten(self._authorize(claim, context))
        return authorize_with_issued_numbers(
            claim,
            context.payer.id,
            lambda c: _flatten(self._authorize(c, context)),
            context.session.authorizations,
        )

    def review(self, claim: Claim, context: Context) -> tuple[list[Finding], bool]:
        """Every ``validate`` and ``authorize`` finding for ``claim`` as a prior-authorization request.

        See :meth:`payer_rules.engine.Engine.review`.
        """
        asked = evolve(claim, prior_authorizations=()) if claim.prior_authorizations else claim
        validated = claim_kind(asked) in context.payer.claim_kinds
        findings = stand_in(asked, context.payer)
        if validated:
            findings += _flatten(self._validate(asked, context))
        findings += _flatten(self._authorize(asked, context))
        findings.sort(key=finding_order)
        return findings, validated


def _flatten(results: Iterable[Iterable[Finding] | None]) -> list[Finding]:
    return [f for batch in results if batch for f in batch]
