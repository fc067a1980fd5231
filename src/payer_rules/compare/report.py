"""Comparison outputs: table, JSON, CSV and a self-contained HTML report (``html.py``).

Every writer takes claim comparisons one at a time and the per-payer summaries at the end, so
the JSON and CSV stream; the HTML report keeps at most ``HTML_ROW_LIMIT`` difference rows (and
says so) because a page a client opens must stay usable.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import Any, Protocol, TextIO

from payer_rules.compare.diff import LineComparison, PayerLine
from payer_rules.compare.html import HTML_ROW_LIMIT, HtmlComparison
from payer_rules.compare.summary import PayerSummary

__all__ = [
    "COMPARISON_WRITERS",
    "HTML_ROW_LIMIT",
    "ComparisonWriter",
    "CsvComparison",
    "HtmlComparison",
    "JsonComparison",
    "TableComparison",
    "allowed_by_payer",
    "paid_by_payer",
    "write_summary_csv",
]


class ComparisonWriter(Protocol):
    def claim(self, rows: Sequence[LineComparison]) -> None: ...

    def finish(self, summaries: Sequence[PayerSummary], rule_names: dict[str, str]) -> None: ...


def _outcome_dict(o: PayerLine) -> dict[str, Any]:
    item: dict[str, Any] = {
        "status": o.status,
        "allowed": f"{o.allowed:.2f}",
        "paid": f"{o.paid:.2f}",
        "patient_responsibility": f"{o.patient_responsibility:.2f}",
        "rule_codes": list(o.rule_codes),
        "reasons": list(o.reasons),
        "basis": o.basis,
    }
    if o.steps:
        item["steps"] = [{"payer": s.payer, **_outcome_dict(s)} for s in o.steps]
        item["explanation"] = o.explanation
    return item


def _line_dict(row: LineComparison) -> dict[str, Any]:
    return {
        "line": row.line,
        "procedure": row.procedure,
        "differs": row.differs,
        "payers": {o.payer: _outcome_dict(o) for o in row.outcomes},
    }


def paid_by_payer(outcome: PayerLine) -> str:
    """``medicare=92.18 medicaid-ny=1.88``: what each payer of a chain paid."""
    return " ".join(f"{s.payer}={s.paid:.2f}" for s in outcome.steps)


def allowed_by_payer(outcome: PayerLine) -> str:
    """``medicare=117.58 medicaid-ny=94.06``: what each payer of a chain allowed."""
    return " ".join(f"{s.payer}={s.allowed:.2f}" for s in outcome.steps)


class JsonComparison:
    """One JSON document: the payers (or chains), every claim's lines, the summary.

    In a chain comparison ``payers`` lists the chains' labels, ``chains`` each chain's payers in
    order, and each outcome carries its ``steps`` (each payer's own outcome) and ``explanation``.
    """

    def __init__(
        self, stream: TextIO, payers: Sequence[str], chains: dict[str, list[str]] | None = None
    ) -> None:
        self._s = stream
        self._first = True
        head = '{\n"payers": ' + json.dumps(list(payers))
        if chains:
            head += ',\n"chains": ' + json.dumps(chains)
        self._s.write(head + ',\n"claims": [')

    def claim(self, rows: Sequence[LineComparison]) -> None:
        item = {"claim_id": rows[0].claim_id, "lines": [_line_dict(r) for r in rows]}
        self._s.write(("\n" if self._first else ",\n") + json.dumps(item, ensure_ascii=False))
        self._first = False

    def finish(self, summaries: Sequence[PayerSummary], rule_names: dict[str, str]) -> None:
        summary = json.dumps([s.to_dict(rule_names) for s in summaries], indent=1, ensure_ascii=False)
        self._s.write('\n],\n"summary": ' + summary + "\n}\n")


class CsvComparison:
    """One row per claim, line and payer under one header: loads as is in pandas or a spreadsheet.

    The per-payer summary is a different kind of row, so it never goes in this table: it is in
    ``--format json`` and ``html``, and ``--summary PATH`` writes it as a CSV of its own
    (:class:`SummaryCsv`).
    """

    FIELDS = (
        "claim_id",
        "line",
        "procedure",
        "payer",
        "status",
        "allowed",
        "paid",
        "patient_responsibility",
        "differs",
        "rule_codes",
        "reasons",
        "basis",
    )

    #: a chain comparison: ``chain`` (its label) instead of ``payer``, the chain's money
    #: (allowed by the payer that settled the line first, normally the primary; paid by all its
    #: payers; the patient's responsibility after the last), what each payer paid, the
    #: explanation by rule, and what each payer allowed
    CHAIN_FIELDS = (
        "claim_id",
        "line",
        "procedure",
        "chain",
        "status",
        "allowed",
        "paid",
        "patient_responsibility",
        "differs",
        "rule_codes",
        "reasons",
        "basis",
        "paid_by_payer",
        "explanation",
        "allowed_by_payer",
    )

    def __init__(
        self, stream: TextIO, payers: Sequence[str], chains: dict[str, list[str]] | None = None
    ) -> None:
        self._w = csv.writer(stream, lineterminator="\n")
        self._chains = bool(chains)
        self._w.writerow(self.CHAIN_FIELDS if self._chains else self.FIELDS)

    def claim(self, rows: Sequence[LineComparison]) -> None:
        for r in rows:
            for o in r.outcomes:
                row = [
                    r.claim_id,
                    r.line or "",
                    r.procedure,
                    o.payer,
                    o.status,
                    f"{o.allowed:.2f}",
                    f"{o.paid:.2f}",
                    f"{o.patient_responsibility:.2f}",
                    "yes" if r.differs else "no",
                    " ".join(o.rule_codes),
                    " | ".join(o.reasons),
                    o.basis,
                ]
                if self._chains:
                    row += [paid_by_payer(o), o.explanation, allowed_by_payer(o)]
                self._w.writerow(row)

    def finish(self, summaries: Sequence[PayerSummary], rule_names: dict[str, str]) -> None:
        """Nothing: the summary is another kind of row (see ``--summary``)."""


SUMMARY_FIELDS = (
    "payer",
    "claims",
    "errors",
    "clean_claim_rate",
    "denial_rate",
    "pended",
    "billed",
    "allowed",
    "expected_reimbursement",
    "patient_responsibility",
    "top_denial_rules",
    "top_denial_carcs",
)


def write_summary_csv(stream: TextIO, summaries: Sequence[PayerSummary]) -> None:
    """The per-payer summary as its own CSV: one header, one row per payer, plain numbers.

    Rates are percentages (``62.5``); the top reasons are ``CODE:count`` separated by spaces.
    """
    w = csv.writer(stream, lineterminator="\n")
    w.writerow(SUMMARY_FIELDS)
    for s in summaries:
        w.writerow(
            [
                s.payer,
                s.claims,
                s.errors,
                s.clean_claim_rate,
                s.denial_rate,
                s.by_status.get("pended", 0),
                f"{s.billed:.2f}",
                f"{s.allowed:.2f}",
                f"{s.paid:.2f}",
                f"{s.patient_responsibility:.2f}",
                " ".join(f"{k}:{c}" for k, c, _ in s.top_rules()),
                " ".join(f"{k}:{c}" for k, c, _ in s.top_carcs()),
            ]
        )


class TableComparison:
    """Differences only, then the summary: what a consultant reads first on a terminal."""

    def __init__(
        self, stream: TextIO, payers: Sequence[str], chains: dict[str, list[str]] | None = None
    ) -> None:
        self._s = stream
        self._payers = list(payers)
        self._chains = bool(chains)
        self._width = max([16, *(len(p) for p in payers)])
        self._shown = 0

    def claim(self, rows: Sequence[LineComparison]) -> None:
        for r in rows:
            if not r.differs:
                continue
            self._shown += 1
            where = f"line {r.line} {r.procedure}" if r.line else "claim"
            self._s.write(f"{r.claim_id} {where}\n")
            for o in r.outcomes:
                why = "; ".join(o.reasons) if o.reasons else (f"priced: {o.basis}" if o.basis else "-")
                self._s.write(
                    f"  {o.payer:<{self._width}} {o.status:<8} allowed {o.allowed:>9}  paid {o.paid:>9}  "
                    f"patient {o.patient_responsibility:>8}  {why}\n"
                )
                if o.explanation:
                    self._s.write(f"    {o.explanation}\n")

    def finish(self, summaries: Sequence[PayerSummary], rule_names: dict[str, str]) -> None:
        if not self._shown:
            self._s.write(f"No differences between the {'chains' if self._chains else 'payers'}.\n")
        self._s.write("\nSummary\n")
        self._s.write(
            f"  {'chain' if self._chains else 'payer':<{self._width}} {'claims':>6} {'clean%':>7} "
            f"{'denial%':>8} {'allowed':>12} {'paid':>12} {'patient':>10}  top denial reasons\n"
        )
        for s in summaries:
            top = ", ".join(f"{k} x{c}" for k, c, _ in s.top_rules(3)) or "-"
            self._s.write(
                f"  {s.payer:<{self._width}} {s.claims:>6} {s.clean_claim_rate:>7} {s.denial_rate:>8} "
                f"{s.allowed:>12} {s.paid:>12} {s.patient_responsibility:>10}  {top}\n"
            )


COMPARISON_WRITERS: dict[str, type[JsonComparison | CsvComparison | TableComparison | HtmlComparison]] = {
    "table": TableComparison,
    "json": JsonComparison,
    "csv": CsvComparison,
    "html": HtmlComparison,
}
