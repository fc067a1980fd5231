"""Progress on stderr for long runs: a rich bar with total, rate and time left, on a terminal only.

Off a terminal (pipes, CI logs, tests) nothing is drawn, so what a program reads never changes;
``-q`` turns it off on a terminal too; ``-v`` adds one line about the run when it ends.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from payer_rules.cli.options import Verbosity

if TYPE_CHECKING:
    from rich.console import Console

#: Redraw every this many results: drawing costs more than judging a claim.
_EVERY = 64


def estimate_claims(inputs: Iterable[str]) -> int | None:
    """Claims in the inputs, when counting is cheap (NDJSON: its non-empty lines), else ``None``."""
    total = 0
    for item in inputs:
        path = Path(item)
        if item == "-" or path.is_dir() or path.suffix.lower() not in (".ndjson", ".jsonl"):
            return None
        try:
            with path.open("rb") as handle:
                total += sum(1 for line in handle if line.strip())
        except OSError:
            return None
    return total


class Progress:
    """Counts results; draws a bar when stderr is a terminal (or ``console`` is given)."""

    def __init__(
        self,
        inputs: Iterable[str] = (),
        payers: int = 1,
        *,
        label: str = "judging",
        console: Console | None = None,
    ) -> None:
        self.count = 0
        self.started = time.perf_counter()
        self._label = label
        self._bar: Any = None
        self._task: Any = None
        draw = console is not None or (sys.stderr.isatty() and not Verbosity.quiet())
        if draw:
            claims = estimate_claims(inputs)
            self._start(claims * payers if claims is not None else None, console)

    def _start(self, total: int | None, console: Console | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task: Any) -> Text:
                return Text(f"{task.speed:,.0f} results/s" if task.speed else "", style="progress.data.speed")

        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=console is None,
        )
        self._bar.start()
        self._task = self._bar.add_task(self._label, total=total)

    def tick(self) -> None:
        self.count += 1
        if self._bar is not None and self.count % _EVERY == 0:
            self._bar.update(self._task, completed=self.count)

    def done(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=self.count)
            self._bar.stop()
            self._bar = None
        if Verbosity.verbose():
            seconds = time.perf_counter() - self.started
            rate = f" ({self.count / seconds:,.0f} results/s)" if seconds > 0 else ""
            click.echo(f"payer-rules: {self.count} result(s) in {seconds:.2f} s{rate}", err=True)
