"""The engine's own findings, registered like any plugin's rule so ``explain`` shows them.

ENG001 (a claim that could not be read), ENG002 / ENG003 (nothing installed prices the claim or
a line), ENG004 (a plugin failed on the claim) and ENG027 (a computed amount beyond what a result
may carry). The claim kinds' (ENG005 / ENG006), the run's payer (ENG019), chains' (ENG020) and
prior authorization's (ENG021-ENG026) live beside the code that emits them. Every one of these
findings is built by its rule (:meth:`~payer_rules.rules.RuleInfo.finding`, with the engine's
source), so what ``explain`` says of a code and what the results carry cannot drift apart.

ENG027 is the one limit on what the engine computes rather than reads: the readers keep each
amount in (:data:`~payer_rules.money.MAX_AMOUNT`) and units within
:data:`~payer_rules.money.MAX_UNITS`, but a rate times units, or the sum of as many lines as a
claim has, is not bounded by that. :func:`amount_beyond` finds a result amount no output holds;
the engine then answers that claim with an error instead, so no runner writes it.
"""

from __future__ import annotations

from decimal import Decimal

from payer_rules import __version__
from payer_rules.money import MAX_RESULT_AMOUNT
from payer_rules.results import ClaimResult
from payer_rules.rules import RuleInfo

__all__ = [
    "AMOUNT_BEYOND",
    "CLAIM_NOT_JUDGED",
    "CLAIM_NOT_PRICED",
    "CLAIM_NOT_READ",
    "CORE_RULES",
    "LINE_NOT_PRICED",
    "amount_beyond",
]

_SOURCE = f"payer-rules@{__version__}"
_RUNNER = "payer-rules README, 'Using the runner'"

CLAIM_NOT_READ = RuleInfo(
    code="ENG001",
    name="claim-not-readable",
    summary="The claim could not be read (bad JSON, an X12 segment or a FHIR resource that breaks its "
    "rules, a value out of range): an error result for every payer, located where the input is wrong.",
    why="Nothing is lost: every claim in gets a result out, and an unreadable claim is never judged "
    "on what could be guessed from it. Correct it as the message says and resubmit.",
    citation=f"{_RUNNER}; README, 'Limits'",
    severity="reject",
    carc="16",
    rarcs=("MA130",),
    group="CO",
    source=_SOURCE,
)
CLAIM_NOT_PRICED = RuleInfo(
    code="ENG002",
    name="no-plugin-prices-claim",
    summary="No installed plugin or rulepack prices or adjudicates claims for this payer: every "
    "payable line pends, naming what is missing.",
    why="A price from a schedule that is not the payer's would be wrong with confidence; the claim "
    "waits until a plugin or pack that models the payer is installed.",
    citation="payer-rules docs/architecture.md, 'How a claim flows'; docs/rulepacks.md",
    severity="pend",
    carc="133",
    group="OA",
    source=_SOURCE,
)
LINE_NOT_PRICED = RuleInfo(
    code="ENG003",
    name="line-not-priced",
    summary="The payer's pricer returned no amount for a payable line and no finding saying why: the "
    "line pends.",
    why="A line without an allowed amount and without a reason is never paid as zero nor denied; "
    "it waits for the data (a fee schedule, a rate) that would price it.",
    citation="payer-rules docs/architecture.md, 'How a claim flows'",
    severity="pend",
    carc="133",
    group="OA",
    source=_SOURCE,
)
CLAIM_NOT_JUDGED = RuleInfo(
    code="ENG004",
    name="claim-not-judged",
    summary="A plugin failed on the claim (an exception, a bug rather than bad input): an error "
    "result for that claim and payer, naming the exception; the batch goes on.",
    why="One claim a plugin cannot judge must not stop a batch of thousands, nor be answered with a "
    "guess. Report it to the plugin's maintainers; PAYER_RULES_DEBUG=1 shows the traceback.",
    citation=_RUNNER,
    severity="reject",
    carc="16",
    rarcs=("MA130",),
    group="CO",
    source=_SOURCE,
)
AMOUNT_BEYOND = RuleInfo(
    code="ENG027",
    name="amount-beyond-outputs",
    summary="An amount the payer computed for the claim (an allowed or paid amount, an adjustment, "
    "a total) is beyond 9,999,999,999,999,999.99 either sign, the most an X12 835 amount "
    "(18 digits) and a decimal(18,2) column hold: an error result for that claim and payer instead.",
    why="No output can carry it (an 835 with it is invalid X12); it comes from a rate times units "
    "no claim bills in earnest (a fee schedule without the lesser-of-charge cap at 999,999,999.99 "
    "times 99,999,999 units) or the sum of that many lines. Check the units and the rate.",
    citation="payer-rules README, 'Limits'; ASC X12 005010X221A1 (835), data element type R "
    "(at most 18 digits)",
    severity="reject",
    carc="16",
    rarcs=("MA130",),
    group="CO",
    source=_SOURCE,
)
CORE_RULES = (CLAIM_NOT_READ, CLAIM_NOT_PRICED, LINE_NOT_PRICED, CLAIM_NOT_JUDGED, AMOUNT_BEYOND)

_HIGH = MAX_RESULT_AMOUNT
#: A result's amounts are whole cents (the result records round them): one fits
#: :data:`~payer_rules.money.MAX_RESULT_AMOUNT` exactly when its most significant digit is at
#: most 10**15, so one ``adjusted()`` per amount answers, either sign, with no arithmetic.
_DIGITS = MAX_RESULT_AMOUNT.adjusted()


def amount_beyond(result: ClaimResult) -> str | None:
    """The first amount of ``result`` beyond :data:`~payer_rules.money.MAX_RESULT_AMOUNT`, either
    sign, as ``what amount`` (``line 1 allowed 99999998999000000.01``); ``None`` when all fit.

    Once per claim and payer, so it costs one ``adjusted()`` per amount (0.6 µs for a line
    with three adjustments, against 160 µs to judge it); naming the amount is the slow path.
    """
    digits = _DIGITS
    if (
        result.billed.adjusted() > digits
        or result.allowed.adjusted() > digits
        or result.paid.adjusted() > digits
        or result.patient_responsibility.adjusted() > digits
    ):
        return _first_beyond(result)
    for line in result.lines:
        if (
            line.billed.adjusted() > digits
            or line.allowed.adjusted() > digits
            or line.paid.adjusted() > digits
        ):
            return _first_beyond(result)
        for adjustment in line.adjustments:
            if adjustment.amount.adjusted() > digits:
                return _first_beyond(result)
    case = result.case
    if case is None or (
        case.amount.adjusted() <= digits and all(c.amount.adjusted() <= digits for c in case.components)
    ):
        return None
    return _first_beyond(result)


def _first_beyond(result: ClaimResult) -> str | None:
    """Which amount :func:`amount_beyond` found, named (the slow path, once per such claim)."""
    named: list[tuple[str, Decimal]] = [
        (name, getattr(result, name)) for name in ("billed", "allowed", "paid", "patient_responsibility")
    ]
    for line in result.lines:
        named += [(f"line {line.line} {name}", getattr(line, name)) for name in ("billed", "allowed", "paid")]
        named += [(f"line {line.line} adjustment {a.group}-{a.carc}", a.amount) for a in line.adjustments]
    if result.case is not None:
        named.append(("case payment", result.case.amount))
        named += [(f"case {c.component}", c.amount) for c in result.case.components]
    # the lines first: the line that makes a total too big says where to look
    ordered = named[4:] + named[:4]
    return next((f"{what} {amount}" for what, amount in ordered if abs(amount) > _HIGH), None)
