"""Line-by-line differences between payers' results for one claim."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from attrs import evolve, frozen

from payer_rules.results import ClaimResult, Finding


@frozen(kw_only=True)
class PayerLine:
    """One payer's outcome for one line, with the rule codes behind it."""

    payer: str
    status: str
    allowed: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    reasons: tuple[str, ...]  # "CODE group-carc: message"
    rule_codes: tuple[str, ...]
    basis: str = ""  # how the allowed amount was found, for paid lines
    #: in a chain comparison: each payer's own outcome on the line, in chain order
    steps: tuple[PayerLine, ...] = ()
    #: in a chain comparison: what each payer did and the rule codes only this chain applied
    explanation: str = ""


@frozen(kw_only=True)
class LineComparison:
    claim_id: str
    line: int | None  # None: the claim as a whole (errors, rejections without lines)
    procedure: str
    outcomes: tuple[PayerLine, ...]

    @property
    def differs(self) -> bool:
        keys = {(o.status, o.allowed, o.paid, o.patient_responsibility) for o in self.outcomes}
        return len(keys) > 1


def _reason(f: Finding) -> str:
    carc = f" {f.group}-{f.carc}" if f.carc else ""
    return f"{f.code}{carc}: {f.message}"


def _claim_outcome(r: ClaimResult) -> PayerLine:
    return PayerLine(
        payer=r.payer,
        status=str(r.status),
        allowed=r.allowed,
        paid=r.paid,
        patient_responsibility=r.patient_responsibility,
        reasons=tuple(_reason(f) for f in r.findings),
        rule_codes=tuple(f.code for f in r.findings),
    )


def _line_outcome(r: ClaimResult, n: int) -> PayerLine:
    ln = r.lines[n - 1]
    findings = [f for f in r.findings if f.line in (None, n)]
    return PayerLine(
        payer=r.payer,
        status=str(ln.status),
        allowed=ln.allowed,
        paid=ln.paid,
        patient_responsibility=ln.patient_responsibility,
        reasons=tuple(_reason(f) for f in findings),
        rule_codes=tuple(f.code for f in findings),
        basis=ln.basis,
    )


def _procedure(r: ClaimResult, n: int) -> str:
    ln = r.lines[n - 1]
    return ln.procedure + ("-" + "-".join(ln.modifiers) if ln.modifiers else "")


def compare_claim(results: Sequence[ClaimResult]) -> list[LineComparison]:
    """Compare one claim's results (one per payer, same claim) line by line."""
    claim_id = results[0].claim_id
    count = max((len(r.lines) for r in results), default=0)
    rows: list[LineComparison] = []
    if count == 0:
        outcomes = tuple(_claim_outcome(r) for r in results)
        return [LineComparison(claim_id=claim_id, line=None, procedure="", outcomes=outcomes)]
    for n in range(1, count + 1):
        present = [r for r in results if n <= len(r.lines)]
        rows.append(
            LineComparison(
                claim_id=claim_id,
                line=n,
                procedure=_procedure(present[-1], n),
                outcomes=tuple(_line_outcome(r, n) for r in present),
            )
        )
    return rows


# -- chains ---------------------------------------------------------------------------------------

_SETTLED = ("paid", "partial")
_UNFINISHED = ("pended", "clean", "error")


def chain_outcome(label: str, steps: Sequence[PayerLine]) -> PayerLine:
    """One chain's outcome on one line (or the claim) from each payer's outcome, in chain order.

    * paid: what the payers paid together;
    * patient responsibility: what the patient owes after the whole chain. Each payer that
      settles the line (paid it, or adjudicated it to a zero payment as secondary) states what the
      patient still owes after it, so the last such payer's amount stands; a later payer that
      denies or rejects the line leaves the patient owing what the payers before it left (a
      secondary's denial neither adds to nor erases the primary's cost sharing);
    * status: pended (or error) when any payer has not finished, else paid when a payer settled
      the line, else the last payer's status;
    * allowed: the allowed amount of the first payer that settled the line: normally the
      primary's, the amount the line was priced at first, against which the chain's payments
      and the patient's share are read. A secondary's allowed amount is its own fee schedule's
      (New York Medicaid's is 80% of Medicare's), never the line's price, so the last payer's
      would put a paid amount above the allowed one. When the primary denied the line and a
      later payer paid it, that payer priced it first; when no payer settled it, the
      primary's. Each payer's own allowed amount stays in ``steps`` (and the explanation).
    """
    patient = steps[0].patient_responsibility
    settled = steps[0].status in _SETTLED
    priced_by = next((s for s in steps if s.status in _SETTLED), steps[0])
    for step in steps[1:]:
        if step.status in _SETTLED:
            patient, settled = step.patient_responsibility, True
    unfinished = [s.status for s in steps if s.status in _UNFINISHED]
    status = unfinished[0] if unfinished else ("paid" if settled else steps[-1].status)
    return PayerLine(
        payer=label,
        status=status,
        allowed=priced_by.allowed,
        paid=sum((s.paid for s in steps), Decimal(0)),
        patient_responsibility=patient,
        reasons=tuple(f"{s.payer}: {reason}" for s in steps for reason in s.reasons),
        rule_codes=tuple(dict.fromkeys(code for s in steps for code in s.rule_codes)),
        basis="; ".join(f"{s.payer}: {s.basis}" for s in steps if s.basis),
        steps=tuple(steps),
    )


def _explain(outcome: PayerLine, others: Sequence[PayerLine]) -> str:
    """What each payer of the chain did on the line, and the rule codes no other chain applied."""
    elsewhere = {code for o in others for code in o.rule_codes}
    only = [code for code in outcome.rule_codes if code not in elsewhere]
    steps = ", then ".join(
        f"{s.payer} {s.status} {s.paid:.2f} of {s.allowed:.2f} allowed" for s in outcome.steps
    )
    text = f"{steps}: {outcome.paid:.2f} paid together, the patient owes {outcome.patient_responsibility:.2f}"
    return f"{text}; rules only this chain applied: {', '.join(only)}" if only else text


def compare_chains(
    chains: Sequence[tuple[str, Sequence[ClaimResult]]],
) -> list[LineComparison]:
    """Compare one claim judged by several payer chains, line by line.

    :param chains: per chain, its label and its results for the claim (one per payer, in
        chain order, as :meth:`payer_rules.engine.Engine.adjudicate_pairs` gives them with
        ``chain=True``).
    """
    claim_id = chains[0][1][0].claim_id
    count = max((len(r.lines) for _, results in chains for r in results), default=0)
    rows: list[LineComparison] = []
    keys: list[tuple[int | None, str, list[PayerLine]]] = []
    if count == 0 or any(not r.lines for _, results in chains for r in results):
        outcomes = [chain_outcome(label, [_claim_outcome(r) for r in results]) for label, results in chains]
        keys.append((None, "", outcomes))
    else:
        for n in range(1, count + 1):
            outcomes = []
            procedure = ""
            for label, results in chains:
                present = [r for r in results if n <= len(r.lines)]
                if present:
                    procedure = _procedure(present[-1], n)
                    outcomes.append(chain_outcome(label, [_line_outcome(r, n) for r in present]))
            keys.append((n, procedure, outcomes))
    for line, procedure, outcomes in keys:
        explained = tuple(
            evolve(o, explanation=_explain(o, [x for x in outcomes if x is not o])) for o in outcomes
        )
        rows.append(LineComparison(claim_id=claim_id, line=line, procedure=procedure, outcomes=explained))
    return rows
