"""Line-by-line differences between payers' results for one claim."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from attrs import frozen

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


def compare_claim(results: Sequence[ClaimResult]) -> list[LineComparison]:
    """Compare one claim's results (one per payer, same claim) line by line."""
    claim_id = results[0].claim_id
    count = max((len(r.lines) for r in results), default=0)
    rows: list[LineComparison] = []
    if count == 0:
        outcomes = tuple(
            PayerLine(
                payer=r.payer,
                status=str(r.status),
                allowed=r.allowed,
                paid=r.paid,
                patient_responsibility=r.patient_responsibility,
                reasons=tuple(_reason(f) for f in r.findings),
                rule_codes=tuple(f.code for f in r.findings),
            )
            for r in results
        )
        return [LineComparison(claim_id=claim_id, line=None, procedure="", outcomes=outcomes)]
    for n in range(1, count + 1):
        outcomes_list = []
        procedure = ""
        for r in results:
            if n > len(r.lines):
                continue
            ln = r.lines[n - 1]
            procedure = ln.procedure + ("-" + "-".join(ln.modifiers) if ln.modifiers else "")
            findings = [f for f in r.findings if f.line in (None, n)]
            outcomes_list.append(
                PayerLine(
                    payer=r.payer,
                    status=str(ln.status),
                    allowed=ln.allowed,
                    paid=ln.paid,
                    patient_responsibility=ln.patient_responsibility,
                    reasons=tuple(_reason(f) for f in findings),
                    rule_codes=tuple(f.code for f in findings),
                    basis=ln.basis,
                )
            )
        rows.append(
            LineComparison(claim_id=claim_id, line=n, procedure=procedure, outcomes=tuple(outcomes_list))
        )
    return rows
