"""``compare`` and ``what-if``: one batch, many payers; and a claim with a change."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

import click

from payer_rules.batch.collector import paused_collector
from payer_rules.cli.run import JOBS_OPTION, Progress, open_output
from payer_rules.cli.state import get_engine
from payer_rules.compare.report import COMPARISON_WRITERS, ComparisonWriter, write_summary_csv
from payer_rules.compare.run import run_comparison
from payer_rules.compare.whatif import Movement, apply_changes, parse_change
from payer_rules.context import Session
from payer_rules.engine import RUNNER_CHUNK_SIZE
from payer_rules.errors import InputError, UsageError
from payer_rules.io.readers import ErrorCollector, read_claims
from payer_rules.models import Claim
from payer_rules.results import ClaimResult


@click.command("compare")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--payer", "payers", multiple=True, required=True, help="Payer id; repeat (two or more).")
@click.option(
    "--format", "fmt", type=click.Choice(sorted(COMPARISON_WRITERS)), default="table", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the per-payer summary here, as CSV (one row per payer).",
)
@JOBS_OPTION
def compare_command(
    inputs: tuple[str, ...],
    payers: tuple[str, ...],
    fmt: str,
    output: Path | None,
    summary_path: Path | None,
    jobs: int,
) -> None:
    """Judge INPUTS against every --payer and show where they differ, and why."""
    engine = get_engine()
    payers = tuple(engine.payer(p).id for p in payers)
    if len(set(payers)) != len(payers):
        raise UsageError(f"each payer may be named once: {', '.join(payers)}")
    collector = ErrorCollector()
    errors = collector.errors

    def claims() -> Iterator[Claim | InputError]:
        return collector.watch(read_claims(inputs))

    names = {code: rule.name for code, rule in engine.rules.items()}
    progress = Progress()

    def counted(
        pairs: Iterator[tuple[Claim | InputError, ClaimResult]],
    ) -> Iterator[tuple[Claim | InputError, ClaimResult]]:
        with paused_collector() as tick:
            for pair in pairs:
                progress.tick()
                tick()
                yield pair

    with open_output(output) as stream:
        factory: Callable[[TextIO, tuple[str, ...]], ComparisonWriter] = COMPARISON_WRITERS[fmt]
        writer = factory(stream, payers)
        if jobs > 1:
            pairs = _parallel_pairs(inputs, payers, jobs, errors)
        else:
            pairs = engine.adjudicate_pairs(claims(), payers, chunk_size=RUNNER_CHUNK_SIZE)
        summaries = run_comparison(counted(pairs), payers, writer, names)
    if summary_path is not None:
        with open_output(summary_path) as stream:
            write_summary_csv(stream, summaries)
    progress.done()
    for error in errors:
        click.echo(f"payer-rules: error: {error}", err=True)
    if errors:
        sys.exit(1)


def _parallel_pairs(
    inputs: tuple[str, ...], payers: tuple[str, ...], jobs: int, errors: list[InputError]
) -> Iterator[tuple[Claim | InputError, ClaimResult]]:
    """The serial pairs, in the serial order, judged in ``jobs`` processes partitioned by member."""
    from payer_rules.batch.parallel import RunOptions, iter_units, judge_parallel

    judged_all = judge_parallel(
        iter_units(inputs), RunOptions(payers=payers), jobs=jobs, engine_factory=get_engine
    )
    for judged in judged_all:
        if judged.error is not None:
            errors.append(judged.error)
        for result in judged.results:
            yield judged.item if judged.item is not None else judged.error, result  # type: ignore[misc]


@click.command("what-if")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--payer", "payers", multiple=True, required=True, help="Payer id; repeat for several.")
@click.option(
    "--change",
    "changes",
    multiple=True,
    required=True,
    help="e.g. 'line2.modifiers+=59', 'place_of_service=22', 'line1.service_date=2026-03-01'.",
)
@click.option("--claim", "claim_id", help="Which claim of the input (default: every claim).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def whatif_command(
    inputs: tuple[str, ...], payers: tuple[str, ...], changes: tuple[str, ...], claim_id: str | None, fmt: str
) -> None:
    """Re-run claims with a change and show what moved, and which rules made it move."""
    engine = get_engine()
    for payer in payers:
        engine.payer(payer)
    parsed = [parse_change(c) for c in changes]
    claims: list[Claim] = []
    for item in read_claims(inputs):
        if isinstance(item, InputError):
            raise item
        if claim_id is None or item.id == claim_id:
            claims.append(item)
    if not claims:
        raise UsageError(f"no claim {claim_id!r} in the input" if claim_id else "no claims in the input")
    movements = []
    for claim in claims:
        changed = apply_changes(claim, parsed)
        for payer in payers:
            before = engine.adjudicate(claim, payer, session=Session())
            after = engine.adjudicate(changed, payer, session=Session())
            movements.append(Movement(payer=engine.payer(payer).id, before=before, after=after))
    if fmt == "json":
        click.echo(json.dumps([m.to_dict() for m in movements], indent=2))
        return
    click.echo(f"change: {'; '.join(changes)}")
    for m in movements:
        b, a = m.before, m.after
        click.echo(
            f"\nclaim {b.claim_id}  payer {m.payer}: {b.status} -> {a.status}, "
            f"paid {b.paid} -> {a.paid} ({a.paid - b.paid:+}), "
            f"patient {b.patient_responsibility} -> {a.patient_responsibility}"
        )
        for lb, la in zip(b.lines, a.lines, strict=False):
            was = (lb.status, lb.paid, lb.allowed, lb.modifiers)
            if was != (la.status, la.paid, la.allowed, la.modifiers):
                click.echo(f"  line {la.line} {la.procedure}: {lb.status} {lb.paid} -> {la.status} {la.paid}")
        for text in m.removed:
            click.echo(f"  - no longer: {text}")
        for text in m.added:
            click.echo(f"  + now: {text}")
        if not m.moved:
            click.echo("  nothing moved")
