"""Comparison outputs: table, JSON, CSV and a self-contained HTML report.

Every writer takes claim comparisons one at a time and the per-payer summaries at the end, so
the JSON and CSV stream; the HTML report keeps at most ``HTML_ROW_LIMIT`` difference rows (and
says so) because a page a client opens must stay usable.
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol, TextIO

from payer_rules.compare.diff import LineComparison
from payer_rules.compare.summary import PayerSummary

HTML_ROW_LIMIT = 5000


class ComparisonWriter(Protocol):
    def claim(self, rows: Sequence[LineComparison]) -> None: ...

    def finish(self, summaries: Sequence[PayerSummary], rule_names: dict[str, str]) -> None: ...


def _line_dict(row: LineComparison) -> dict[str, Any]:
    return {
        "line": row.line,
        "procedure": row.procedure,
        "differs": row.differs,
        "payers": {
            o.payer: {
                "status": o.status,
                "allowed": f"{o.allowed:.2f}",
                "paid": f"{o.paid:.2f}",
                "patient_responsibility": f"{o.patient_responsibility:.2f}",
                "rule_codes": list(o.rule_codes),
                "reasons": list(o.reasons),
                "basis": o.basis,
            }
            for o in row.outcomes
        },
    }


class JsonComparison:
    def __init__(self, stream: TextIO, payers: Sequence[str]) -> None:
        self._s = stream
        self._first = True
        self._s.write('{\n"payers": ' + json.dumps(list(payers)) + ',\n"claims": [')

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

    def __init__(self, stream: TextIO, payers: Sequence[str]) -> None:
        self._w = csv.writer(stream, lineterminator="\n")
        self._w.writerow(self.FIELDS)

    def claim(self, rows: Sequence[LineComparison]) -> None:
        for r in rows:
            for o in r.outcomes:
                self._w.writerow(
                    [
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
                )

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

    def __init__(self, stream: TextIO, payers: Sequence[str]) -> None:
        self._s = stream
        self._payers = list(payers)
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
                    f"  {o.payer:<16} {o.status:<8} allowed {o.allowed:>9}  paid {o.paid:>9}  "
                    f"patient {o.patient_responsibility:>8}  {why}\n"
                )

    def finish(self, summaries: Sequence[PayerSummary], rule_names: dict[str, str]) -> None:
        if not self._shown:
            self._s.write("No differences between the payers.\n")
        self._s.write("\nSummary\n")
        self._s.write(
            f"  {'payer':<16} {'claims':>6} {'clean%':>7} {'denial%':>8} {'allowed':>12} "
            f"{'paid':>12} {'patient':>10}  top denial reasons\n"
        )
        for s in summaries:
            top = ", ".join(f"{k} x{c}" for k, c, _ in s.top_rules(3)) or "-"
            self._s.write(
                f"  {s.payer:<16} {s.claims:>6} {s.clean_claim_rate:>7} {s.denial_rate:>8} "
                f"{s.allowed:>12} {s.paid:>12} {s.patient_responsibility:>10}  {top}\n"
            )


_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#ad494a",
)


def _bar_chart(title: str, labels: Sequence[str], values: Sequence[Decimal], unit: str, chart_id: str) -> str:
    """A horizontal bar chart as inline SVG: drawn by the browser with no script and no CDN."""
    width, bar_h, gap, left = 640, 22, 8, 170
    top = max((float(v) for v in values), default=0.0) or 1.0
    height = 30 + len(labels) * (bar_h + gap)
    parts = [
        f'<svg id="{chart_id}" class="chart" role="img" aria-label="{html.escape(title)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<text x="0" y="16" class="chart-title">{html.escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 28 + i * (bar_h + gap)
        w = int((width - left - 90) * float(value) / top)
        colour = _PALETTE[i % len(_PALETTE)]
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{html.escape(label)}</text>')
        parts.append(
            f'<rect class="bar" x="{left}" y="{y}" width="{max(w, 1)}" height="{bar_h}" '
            f'fill="{colour}"><title>{html.escape(label)}: {value}{unit}</title></rect>'
        )
        parts.append(f'<text x="{left + max(w, 1) + 6}" y="{y + 15}">{value}{unit}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _stacked_reasons(summaries: Sequence[PayerSummary]) -> str:
    """Denial reasons by payer: one bar per payer, one segment per CARC."""
    carcs = sorted({k for s in summaries for k in s.carc_counts})
    width, bar_h, gap, left = 640, 22, 8, 170
    top = max((sum(s.carc_counts.values()) for s in summaries), default=0) or 1
    per_row = (width - left) // 90
    legend_rows = max(1, -(-len(carcs) // per_row))
    height = 42 + len(summaries) * (bar_h + gap) + legend_rows * 18
    parts = [
        f'<svg id="chart-denials" class="chart" role="img" aria-label="Denial reasons by payer" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        '<text x="0" y="16" class="chart-title">Denied lines by reason (group-CARC) and payer</text>',
    ]
    for i, s in enumerate(summaries):
        y = 28 + i * (bar_h + gap)
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{html.escape(s.payer)}</text>')
        x = float(left)
        for j, carc in enumerate(carcs):
            count = s.carc_counts.get(carc, 0)
            if not count:
                continue
            w = (width - left - 40) * count / top
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{_PALETTE[j % len(_PALETTE)]}"><title>{html.escape(s.payer)} '
                f"{carc}: {count} line(s)</title></rect>"
            )
            x += w
    legend_y = 40 + len(summaries) * (bar_h + gap)
    for j, carc in enumerate(carcs):
        x = left + (j % per_row) * 90
        y = legend_y + (j // per_row) * 18
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="10" height="10" '
            f'fill="{_PALETTE[j % len(_PALETTE)]}"/><text x="{x + 14}" y="{y}">{carc}</text>'
        )
    if not carcs:
        parts.append(f'<text x="{left}" y="{legend_y}">No denials.</text>')
    parts.append("</svg>")
    return "".join(parts)


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right}.chart{display:block;margin:12px 0}.chart text{font-size:12px}
.chart-title{font-weight:600;font-size:13px}.denied,.rejected{color:#b00020}.pended{color:#8a6d00}
.basis{color:#555}.filters{margin:8px 0}.filters input,.filters select{margin-right:8px}
.note{color:#555;font-size:12px}
"""

_SCRIPT = """
(function(){
  var q=document.getElementById('filter-text'), p=document.getElementById('filter-payer'),
      s=document.getElementById('filter-status'), rows=document.querySelectorAll('#differences tbody tr');
  function apply(){
    var text=q.value.toLowerCase(), payer=p.value, status=s.value, shown=0;
    rows.forEach(function(r){
      var ok=(!text||r.textContent.toLowerCase().indexOf(text)>=0)
        &&(!payer||r.dataset.payer===payer)&&(!status||r.dataset.status===status);
      r.style.display=ok?'':'none'; if(ok){shown++;}
    });
    document.getElementById('shown-count').textContent=shown;
  }
  [q,p,s].forEach(function(el){el.addEventListener('input',apply);el.addEventListener('change',apply);});
  apply();
  var drawn=0; document.querySelectorAll('svg.chart rect.bar').forEach(function(b){
    var box=b.getBBox(); if(box.width>0&&box.height>0){drawn++;}});
  document.body.setAttribute('data-bars-drawn', String(drawn));
})();
"""


class HtmlComparison:
    """One self-contained file: inline CSS, inline SVG charts, a little inline script to filter."""

    def __init__(self, stream: TextIO, payers: Sequence[str]) -> None:
        self._s = stream
        self._payers = list(payers)
        self._rows: list[LineComparison] = []
        self._claims = 0
        self._dropped = 0

    def claim(self, rows: Sequence[LineComparison]) -> None:
        self._claims += 1
        for r in rows:
            if not r.differs:
                continue
            if len(self._rows) < HTML_ROW_LIMIT:
                self._rows.append(r)
            else:
                self._dropped += 1

    def finish(self, summaries: Sequence[PayerSummary], rule_names: dict[str, str]) -> None:
        e = html.escape
        out: list[str] = [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            "<title>payer-rules comparison</title>",
            f"<style>{_STYLE}</style></head><body>",
            "<h1>Claims compared across payers</h1>",
            f"<p>{self._claims} claim(s) judged by {len(self._payers)} payer(s): "
            f"{e(', '.join(self._payers))}.</p>",
            "<h2>Summary</h2><table id='summary'><thead><tr><th>Payer</th><th>Claims</th>"
            "<th>Clean-claim rate</th><th>Denial rate</th><th>Pended</th><th>Billed</th><th>Allowed</th>"
            "<th>Expected reimbursement</th><th>Patient responsibility</th><th>Top denial reasons</th>"
            "</tr></thead><tbody>",
        ]
        for s in summaries:
            reasons = (
                "<br>".join(f"{e(k)} {e(rule_names.get(k, ''))} &times;{c}" for k, c, _ in s.top_rules(3))
                or "&ndash;"
            )
            out.append(
                f"<tr><td>{e(s.payer)}</td><td class='num'>{s.claims}</td>"
                f"<td class='num'>{s.clean_claim_rate}%</td><td class='num'>{s.denial_rate}%</td>"
                f"<td class='num'>{s.by_status.get('pended', 0)}</td>"
                f"<td class='num'>{s.billed:.2f}</td><td class='num'>{s.allowed:.2f}</td>"
                f"<td class='num'>{s.paid:.2f}</td><td class='num'>{s.patient_responsibility:.2f}</td>"
                f"<td>{reasons}</td></tr>"
            )
        out.append("</tbody></table><h2>Charts</h2>")
        out.append(
            _bar_chart(
                "Expected reimbursement by payer ($)",
                [s.payer for s in summaries],
                [s.paid for s in summaries],
                "",
                "chart-reimbursement",
            )
        )
        out.append(_stacked_reasons(summaries))
        out.append("<h2>Line-by-line differences</h2>")
        statuses = sorted({o.status for r in self._rows for o in r.outcomes})
        out.append(
            "<div class='filters'>"
            "<input id='filter-text' type='search' placeholder='Filter: claim, code, rule…'>"
            "<select id='filter-payer'><option value=''>All payers</option>"
            + "".join(f"<option>{e(p)}</option>" for p in self._payers)
            + "</select><select id='filter-status'><option value=''>All statuses</option>"
            + "".join(f"<option>{e(st)}</option>" for st in statuses)
            + "</select> <span class='note'><span id='shown-count'></span> row(s) shown</span></div>"
        )
        out.append(
            "<table id='differences'><thead><tr><th>Claim</th><th>Line</th><th>Procedure</th>"
            "<th>Payer</th><th>Status</th><th>Allowed</th><th>Paid</th><th>Patient</th>"
            "<th>Why (rule codes; how it was priced)</th></tr></thead><tbody>"
        )
        for r in self._rows:
            for o in r.outcomes:
                parts = [e(x) for x in o.reasons]
                if o.basis:
                    parts.append(f"<span class='basis'>priced: {e(o.basis)}</span>")
                why = "<br>".join(parts) or "&ndash;"
                out.append(
                    f"<tr data-payer='{e(o.payer)}' data-status='{e(o.status)}'><td>{e(r.claim_id)}</td>"
                    f"<td>{r.line or ''}</td><td>{e(r.procedure)}</td><td>{e(o.payer)}</td>"
                    f"<td class='{e(o.status)}'>{e(o.status)}</td><td class='num'>{o.allowed:.2f}</td>"
                    f"<td class='num'>{o.paid:.2f}</td><td class='num'>{o.patient_responsibility:.2f}</td>"
                    f"<td>{why}</td></tr>"
                )
        out.append("</tbody></table>")
        if not self._rows:
            out.append("<p>No differences between the payers.</p>")
        if self._dropped:
            out.append(
                f"<p class='note'>{self._dropped} further differing line(s) are not shown; "
                "use --format csv or json for the full list.</p>"
            )
        out.append(f"<script>{_SCRIPT}</script></body></html>\n")
        self._s.write("".join(out))


COMPARISON_WRITERS: dict[str, type[JsonComparison | CsvComparison | TableComparison | HtmlComparison]] = {
    "table": TableComparison,
    "json": JsonComparison,
    "csv": CsvComparison,
    "html": HtmlComparison,
}
