"""``--format table`` on a terminal: one aligned rich table per claim and payer.

Off a terminal (pipes, files, CI) the plain :class:`~payer_rules.io.writers.TableWriter` writes,
so what scripts read does not change; this one is only chosen when stdout is a terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from payer_rules.errors import InputError
from payer_rules.models import Claim
from payer_rules.results import ClaimResult

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["RichTableWriter"]

_STYLES = {"paid": "green", "denied": "red", "rejected": "red", "pended": "yellow", "error": "red"}


class RichTableWriter:
    def __init__(self, stream: TextIO, console: Console | None = None) -> None:
        from rich.console import Console

        self._console = console or Console(file=stream)
        self._count = 0

    def write(self, r: ClaimResult, claim: Claim | InputError | None = None) -> None:
        from rich.table import Table
        from rich.text import Text

        out = self._console
        if self._count:
            out.print()
        self._count += 1
        status = str(r.status)
        title = Text(f"claim {r.claim_id or '?'}  payer {r.payer}  ")
        title.append(status.upper(), style=_STYLES.get(status, "bold"))
        title.append(
            f"  billed {r.billed}  allowed {r.allowed}  paid {r.paid}  patient {r.patient_responsibility}"
        )
        if status == "error" or not r.lines:
            out.print(title)
        else:
            table = Table(
                title=title, title_justify="left", header_style="bold", show_edge=False, pad_edge=False
            )
            for name, justify in (
                ("line", "right"), ("procedure", "left"), ("units", "right"), ("status", "left"),
                ("billed", "right"), ("allowed", "right"), ("paid", "right"), ("adjustments", "left"),
                ("remarks", "left"),
            ):  # fmt: skip
                table.add_column(name, justify=justify, no_wrap=name != "adjustments")  # type: ignore[arg-type]
            for ln in r.lines:
                mods = f"-{'-'.join(ln.modifiers)}" if ln.modifiers else ""
                table.add_row(
                    Text(str(ln.line)),
                    Text(f"{ln.procedure}{mods}"),
                    Text(str(ln.units)),
                    Text(str(ln.status), style=_STYLES.get(str(ln.status), "")),
                    Text(str(ln.billed)),
                    Text(str(ln.allowed)),
                    Text(str(ln.paid)),
                    Text(" ".join(f"{a.group}-{a.carc} {a.amount}" for a in ln.adjustments)),
                    Text(" ".join(ln.rarcs)),
                )
            out.print(table)
        for f in r.findings:
            where = f"line {f.line}" if f.line else "claim"
            carc = f" {f.group}-{f.carc}" if f.carc else ""
            rarcs = f" {' '.join(f.rarcs)}" if f.rarcs else ""
            line = Text("  ")
            line.append(f.code, style="bold")
            line.append(f" {f.severity} {where}{carc}{rarcs}: {f.message} ({f.source})")
            out.print(line)

    def close(self) -> None:
        if self._count == 0:
            self._console.print("No claims.")
