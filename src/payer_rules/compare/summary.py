"""Per-payer revenue-cycle figures, accumulated one result at a time (streaming)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from attrs import define, field

from payer_rules.compare.diff import LineComparison
from payer_rules.money import ZERO
from payer_rules.results import ClaimResult, ClaimStatus, LineStatus, Severity

_FIRST_PASS_FAILURES = {Severity.REJECT, Severity.DENY}
_DENIED = ("denied", "rejected")


@define
class PayerSummary:
    """What a consultant reports per payer.

    * clean-claim rate: claims with no rejection or denial on first pass (pends are not clean
      either: they are not paid on first pass);
    * denial rate: claims with at least one denied or rejected line;
    * top denial reasons by CARC and by rule code, counted per line and weighted by billed amount.
    """

    payer: str
    claims: int = 0
    clean: int = 0
    denied: int = 0
    errors: int = 0
    billed: Decimal = ZERO
    allowed: Decimal = ZERO
    paid: Decimal = ZERO
    patient_responsibility: Decimal = ZERO
    by_status: Counter[str] = field(factory=Counter)
    carc_counts: Counter[str] = field(factory=Counter)
    carc_amounts: dict[str, Decimal] = field(factory=dict)
    rule_counts: Counter[str] = field(factory=Counter)
    rule_amounts: dict[str, Decimal] = field(factory=dict)
    #: lines given an allowed amount, and lines pended with none: a payer with no priced line
    #: and unpriced pends had no fee schedule to price from (the report says so)
    priced_lines: int = 0
    unpriced_pends: int = 0

    def add(self, result: ClaimResult) -> None:
        self.claims += 1
        self.by_status[str(result.status)] += 1
        if result.status is ClaimStatus.ERROR:
            self.errors += 1
            return
        self.billed += result.billed
        self.allowed += result.allowed
        self.paid += result.paid
        self.patient_responsibility += result.patient_responsibility
        failures = [
            f for f in result.findings if f.severity in _FIRST_PASS_FAILURES or f.severity is Severity.PEND
        ]
        if not failures and result.status in (ClaimStatus.PAID, ClaimStatus.CLEAN):
            self.clean += 1
        for ln in result.lines:
            if ln.allowed > 0 or ln.status is LineStatus.PAID:
                self.priced_lines += 1
            elif ln.status is LineStatus.PENDED:
                self.unpriced_pends += 1
        denied_lines = [ln for ln in result.lines if ln.status in (LineStatus.DENIED, LineStatus.REJECTED)]
        if denied_lines:
            self.denied += 1
        for ln in denied_lines:
            adjustment = ln.adjustments[0]
            key = f"{adjustment.group}-{adjustment.carc}"
            self.carc_counts[key] += 1
            self.carc_amounts[key] = self.carc_amounts.get(key, ZERO) + ln.billed
        for f in result.findings:
            if f.severity in _FIRST_PASS_FAILURES:
                self.rule_counts[f.code] += 1
                amount = sum((ln.billed for ln in result.lines if f.line in (None, ln.line)), ZERO)
                self.rule_amounts[f.code] = self.rule_amounts.get(f.code, ZERO) + amount

    def add_chain(self, results: Sequence[ClaimResult], rows: Sequence[LineComparison]) -> None:
        """One claim judged by a payer chain (this summary's ``payer`` is the chain's label).

        Money is the chain's: billed once, allowed as the payer that settled each line first
        allowed it (normally the primary), paid by all its payers together, the patient's
        responsibility after the whole chain (:func:`payer_rules.compare.diff.chain_outcome`);
        denials and rule counts come from every payer's findings.
        """
        outcomes = [o for row in rows for o in row.outcomes if o.payer == self.payer]
        self.claims += 1
        if any(r.status is ClaimStatus.ERROR for r in results):
            self.errors += 1
            self.by_status[str(ClaimStatus.ERROR)] += 1
            return
        statuses = {o.status for o in outcomes}
        status: str | None = next((s for s in ("pended", "partial") if s in statuses), None)
        if status is None:
            settled = "paid" if statuses == {"paid"} else "partial"
            status = settled if "paid" in statuses else str(results[-1].status)
        assert status is not None
        self.by_status[status] += 1
        self.billed += results[0].billed
        self.allowed += sum((o.allowed for o in outcomes), ZERO)
        self.paid += sum((o.paid for o in outcomes), ZERO)
        self.patient_responsibility += sum((o.patient_responsibility for o in outcomes), ZERO)
        failures = [
            f
            for r in results
            for f in r.findings
            if f.severity in _FIRST_PASS_FAILURES or f.severity is Severity.PEND
        ]
        if not failures and status == "paid":
            self.clean += 1
        for o in outcomes:
            if o.allowed > 0 or o.status == "paid":
                self.priced_lines += 1
            elif o.status == "pended":
                self.unpriced_pends += 1
        denied_lines = [
            (row.line, o)
            for row in rows
            for o in row.outcomes
            if o.payer == self.payer and o.status in _DENIED
        ]
        if denied_lines:
            self.denied += 1
        for line, o in denied_lines:
            # the reason of the payer that denied it last: the chain's answer to the provider
            step = next(s for s in reversed(o.steps) if s.status in _DENIED)
            result = next(r for r in results if r.payer == step.payer)
            ln = result.lines[line - 1] if line is not None and result.lines else None
            if ln is None or not ln.adjustments:
                continue
            key = f"{ln.adjustments[0].group}-{ln.adjustments[0].carc}"
            self.carc_counts[key] += 1
            self.carc_amounts[key] = self.carc_amounts.get(key, ZERO) + ln.billed
        for r in results:
            for f in r.findings:
                if f.severity in _FIRST_PASS_FAILURES:
                    self.rule_counts[f.code] += 1
                    amount = sum((ln.billed for ln in r.lines if f.line in (None, ln.line)), ZERO)
                    self.rule_amounts[f.code] = self.rule_amounts.get(f.code, ZERO) + amount

    @property
    def judged(self) -> int:
        return self.claims - self.errors

    def rate(self, count: int) -> Decimal:
        if not self.judged:
            return ZERO
        return (Decimal(100) * count / self.judged).quantize(Decimal("0.1"))

    @property
    def clean_claim_rate(self) -> Decimal:
        return self.rate(self.clean)

    @property
    def denial_rate(self) -> Decimal:
        return self.rate(self.denied)

    def top_carcs(self, n: int = 5) -> list[tuple[str, int, Decimal]]:
        return [(k, c, self.carc_amounts[k]) for k, c in _top(self.carc_counts, n)]

    def top_rules(self, n: int = 5) -> list[tuple[str, int, Decimal]]:
        return [(k, c, self.rule_amounts[k]) for k, c in _top(self.rule_counts, n)]

    def to_dict(self, rule_names: dict[str, str] | None = None) -> dict[str, object]:
        names = rule_names or {}
        return {
            "payer": self.payer,
            "claims": self.claims,
            "errors": self.errors,
            "clean_claim_rate": str(self.clean_claim_rate),
            "denial_rate": str(self.denial_rate),
            "billed": f"{self.billed:.2f}",
            "allowed": f"{self.allowed:.2f}",
            "expected_reimbursement": f"{self.paid:.2f}",
            "patient_responsibility": f"{self.patient_responsibility:.2f}",
            "by_status": dict(sorted(self.by_status.items())),
            "top_denial_carcs": [
                {"carc": k, "lines": c, "billed": f"{a:.2f}"} for k, c, a in self.top_carcs()
            ],
            "top_denial_rules": [
                {"code": k, "name": names.get(k, ""), "count": c, "billed": f"{a:.2f}"}
                for k, c, a in self.top_rules()
            ],
        }


def _top(counter: Counter[str], n: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
