"""The HTML report a client reads: Jinja2 templates with autoescaping, shipped in the package.

One self-contained file (inline CSS and SVG, a little inline script to filter; no CDN, opens
offline) that says when it was made and from what: the run date, the as-of date, the data
releases and plugin versions, each payer by name. A payer nothing priced says "not priced: no
fee schedule loaded" instead of figures a client would read as findings. The charts are
computed here as plain numbers and drawn by the template; every text goes through Jinja2's
escaping, never through string formatting.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from attrs import define, field, frozen

from payer_rules.compare.diff import LineComparison
from payer_rules.compare.summary import PayerSummary

if TYPE_CHECKING:
    from payer_rules.engine import Engine

__all__ = ["HTML_ROW_LIMIT", "HtmlComparison", "ReportContext"]

HTML_ROW_LIMIT = 5000

PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a",
)  # fmt: skip


@frozen(kw_only=True)
class ReportContext:
    """What the report says about the run itself."""

    run_date: dt.datetime
    as_of: dt.date | None = None
    received_date: dt.date | None = None
    payer_names: dict[str, str] = field(factory=dict)
    plugins: tuple[tuple[str, str], ...] = ()  # (distribution, version)
    data_releases: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        engine: Engine,
        payers: Sequence[str],
        *,
        as_of: dt.date | None = None,
        received_date: dt.date | None = None,
    ) -> ReportContext:
        """The run's context from the engine that judged it (and the data directory it read)."""
        from payer_rules.store import list_datasets

        releases = [
            f"{r.kind} {r.version} ({r.effective_from or '-'} .. {r.effective_to or 'open'}, imported)"
            for r in list_datasets()
        ]
        releases += [
            f"{v.name} ({v.effective_from} .. {v.effective_to or 'open'}, {v.provider})"
            for v in engine.code_sets
        ]
        plugins = sorted({(p.distribution, p.version) for p in engine.plugins})
        return cls(
            run_date=report_clock(),
            as_of=as_of,
            received_date=received_date,
            payer_names={p: engine.payer(p).name for p in payers},
            plugins=tuple(plugins),
            data_releases=tuple(releases) or ("no dataset imported: the plugins' shipped starter data",),
        )


def report_clock() -> dt.datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` (reproducible builds) so two runs can write the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


def not_priced(summary: PayerSummary) -> bool:
    """Nothing was priced for this payer: every judged line pended unpriced (no fee schedule)."""
    return summary.judged > 0 and summary.priced_lines == 0 and summary.unpriced_pends > 0


@frozen
class Bar:
    label: str
    y: int
    x: float
    width: float
    colour: str
    title: str
    text: str = ""


def _reimbursement_chart(summaries: Sequence[PayerSummary], names: dict[str, str]) -> dict[str, Any]:
    width, bar_h, gap, left = 680, 22, 8, 200
    top = max((float(s.paid) for s in summaries if not not_priced(s)), default=0.0) or 1.0
    bars = []
    for i, s in enumerate(summaries):
        y = 28 + i * (bar_h + gap)
        label = names.get(s.payer, s.payer)
        if not_priced(s):
            bars.append(
                Bar(label, y, left, 0, "none", f"{label}: not priced", "not priced: no fee schedule loaded")
            )
            continue
        w = max((width - left - 110) * float(s.paid) / top, 1.0)
        bars.append(
            Bar(label, y, left, w, PALETTE[i % len(PALETTE)], f"{label}: ${s.paid:,.2f}", f"${s.paid:,.2f}")
        )
    return {
        "width": width,
        "height": 34 + len(summaries) * (bar_h + gap),
        "bar_h": bar_h,
        "left": left,
        "bars": bars,
    }


def _denial_chart(summaries: Sequence[PayerSummary], names: dict[str, str]) -> dict[str, Any]:
    """Denied lines by group-CARC, one stacked bar per payer, each segment and bar with its count."""
    carcs = sorted({k for s in summaries for k in s.carc_counts})
    colours = {c: PALETTE[j % len(PALETTE)] for j, c in enumerate(carcs)}
    width, bar_h, gap, left = 680, 22, 8, 200
    top = max((sum(s.carc_counts.values()) for s in summaries), default=0) or 1
    rows = []
    for i, s in enumerate(summaries):
        y = 28 + i * (bar_h + gap)
        label = names.get(s.payer, s.payer)
        x = float(left)
        segments = []
        for carc in carcs:
            count = s.carc_counts.get(carc, 0)
            if not count:
                continue
            w = (width - left - 70) * count / top
            segments.append(
                Bar(
                    carc,
                    y,
                    x,
                    w,
                    colours[carc],
                    f"{label} {carc}: {count} line(s)",
                    str(count) if w >= 18 else "",
                )
            )
            x += w
        rows.append(
            {"label": label, "y": y, "segments": segments, "total": sum(s.carc_counts.values()), "end": x}
        )
    per_row = (width - left) // 96
    legend = [
        {
            "carc": c,
            "colour": colours[c],
            "x": left + (j % per_row) * 96,
            "y": 44 + len(summaries) * (bar_h + gap) + (j // per_row) * 18,
        }
        for j, c in enumerate(carcs)
    ]
    legend_rows = max(1, -(-len(carcs) // per_row)) if carcs else 1
    height = 50 + len(summaries) * (bar_h + gap) + legend_rows * 18
    return {"width": width, "height": height, "bar_h": bar_h, "left": left, "rows": rows, "legend": legend}


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("payer_rules.compare", "templates"),
        autoescape=True,  # every value is escaped unless the template says otherwise
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["money"] = lambda v: f"{Decimal(v):,.2f}"
    return env


@define
class HtmlComparison:
    """Collects differences (at most ``HTML_ROW_LIMIT``) and renders the page at the end."""

    stream: TextIO
    payers: list[str]
    context: ReportContext | None = None
    rows: list[LineComparison] = field(factory=list)
    claims: int = 0
    dropped: int = 0

    #: a chain comparison: each chain's label and its payers in order
    chains: dict[str, list[str]] = field(factory=dict)

    def __init__(
        self,
        stream: TextIO,
        payers: Sequence[str],
        context: ReportContext | None = None,
        chains: dict[str, list[str]] | None = None,
    ) -> None:
        self.__attrs_init__(stream, list(payers), context, chains=dict(chains or {}))  # type: ignore[attr-defined]

    def claim(self, rows: Sequence[LineComparison]) -> None:
        self.claims += 1
        for r in rows:
            if not r.differs:
                continue
            if len(self.rows) < HTML_ROW_LIMIT:
                self.rows.append(r)
            else:
                self.dropped += 1

    def finish(self, summaries: Sequence[PayerSummary], rule_names: dict[str, str]) -> None:
        context = self.context or ReportContext(run_date=report_clock())
        names = {p: context.payer_names.get(p, p) for p in self.payers}
        env = _environment()
        page = env.get_template("report.html.j2").render(
            context=context,
            names=names,
            payers=self.payers,
            chains=self.chains,
            claims=self.claims,
            summaries=[(s, not_priced(s)) for s in summaries],
            rule_names=rule_names,
            rows=self.rows,
            dropped=self.dropped,
            statuses=sorted({o.status for r in self.rows for o in r.outcomes}),
            reimbursement=_reimbursement_chart(summaries, names),
            denials=_denial_chart(summaries, names),
            css=env.loader.get_source(env, "report.css")[0],
            script=env.loader.get_source(env, "report.js")[0],
        )
        self.stream.write(page)
