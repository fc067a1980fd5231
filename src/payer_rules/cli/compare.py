"""``compare`` and ``what-if``: one batch, many payers; and a claim with a change."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from payer_rules.cli.options import (
    CHAIN_HELP,
    date_options,
    examples,
    global_options,
    inputs_argument,
    output_option,
    parse_chains,
    payers_option,
)
from payer_rules.cli.progress import Progress
from payer_rules.cli.run import JOBS_OPTION, open_output
from payer_rules.cli.state import get_engine
from payer_rules.errors import InputError, UsageError

if TYPE_CHECKING:
    from payer_rules.compare.run import ChainGroup
    from payer_rules.compare.whatif import Movement
    from payer_rules.engine import Engine
    from payer_rules.models import Claim
    from payer_rules.results import ClaimResult

#: ``compare --format`` choices (``payer_rules.compare.report.COMPARISON_WRITERS``)
COMPARISON_FORMATS = ("csv", "html", "json", "table")


@click.command(
    "compare",
    epilog=examples(
        "payer-rules compare examples/commercial-payers --payer bluepeak --payer harborline",
        "payer-rules compare claims/ --payer medicare --payer bluepeak --format csv -o lines.csv \\",
        "    --summary payers.csv",
        "payer-rules compare claims/ --payer medicare --payer medicaid-ca --format html -o report.html",
        "payer-rules compare examples/cob --chain medicare,medicaid-ny --chain medicare,silverleaf",
    ),
)
@inputs_argument
@payers_option(
    "Payer id; repeat for each payer to compare (one payer gives its own results and summary).",
    required=False,
)
@click.option("--chain", "chains", multiple=True, metavar="A,B[,C]", help=CHAIN_HELP)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(COMPARISON_FORMATS),
    default="table",
    show_default=True,
    help="table: differences and summary; json / csv: every line and payer; html: a report to share.",
)
@output_option
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Also write the per-payer summary here, as CSV (one row per payer).",
)
@date_options
@JOBS_OPTION
@global_options
def compare_command(
    inputs: tuple[str, ...],
    payers: tuple[str, ...],
    chains: tuple[str, ...],
    fmt: str,
    output: Path | None,
    summary_path: Path | None,
    as_of: dt.date | None,
    received_date: dt.date | None,
    jobs: int,
) -> None:
    """Judge INPUT against every --payer (or --chain) and show where they differ, and why."""
    from payer_rules.batch.collector import paused_collector
    from payer_rules.compare.report import COMPARISON_WRITERS, ComparisonWriter, write_summary_csv
    from payer_rules.compare.run import run_comparison
    from payer_rules.engine import RUNNER_CHUNK_SIZE
    from payer_rules.io.readers import ErrorCollector, read_claims

    if bool(payers) == bool(chains):
        raise UsageError("name the payers to compare with --payer, or payer chains with --chain (not both)")
    engine = get_engine()
    if chains:
        _compare_chains(
            engine,
            inputs,
            parse_chains(engine, chains),
            fmt,
            output,
            summary_path,
            as_of,
            received_date,
            jobs,
        )
        return
    payers = tuple(engine.payer(p).id for p in payers)
    if len(set(payers)) != len(payers):
        raise UsageError(f"each payer may be named once: {', '.join(payers)}")
    collector = ErrorCollector()
    errors = collector.errors

    def claims() -> Iterator[Claim | InputError]:
        return collector.watch(read_claims(inputs))

    names = {code: rule.name for code, rule in engine.rules.items()}
    progress = Progress(inputs, len(payers))

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
        if fmt == "html":
            from payer_rules.compare.html import HtmlComparison, ReportContext

            assert isinstance(writer, HtmlComparison)
            writer.context = ReportContext.of(engine, payers, as_of=as_of, received_date=received_date)
        if jobs > 1:
            pairs = _parallel_pairs(inputs, payers, jobs, errors, as_of, received_date)
        else:
            pairs = engine.adjudicate_pairs(
                claims(), payers, as_of=as_of, received_date=received_date, chunk_size=RUNNER_CHUNK_SIZE
            )
        summaries = run_comparison(counted(pairs), payers, writer, names)
    if summary_path is not None:
        with open_output(summary_path) as stream:
            write_summary_csv(stream, summaries)
    progress.done()
    for error in errors:
        click.echo(f"payer-rules: error: {error}", err=True)
    if errors:
        sys.exit(1)


def _compare_chains(
    engine: Engine,
    inputs: tuple[str, ...],
    chains: dict[str, list[str]],
    fmt: str,
    output: Path | None,
    summary_path: Path | None,
    as_of: dt.date | None,
    received_date: dt.date | None,
    jobs: int,
) -> None:
    """``compare --chain``: every claim judged by each chain, the chains compared line by line."""
    from attrs import evolve

    from payer_rules.batch.collector import paused_collector
    from payer_rules.compare.report import COMPARISON_WRITERS, write_summary_csv
    from payer_rules.compare.run import chain_groups, run_chain_comparison
    from payer_rules.io.readers import ErrorCollector, read_claims

    if jobs > 1 and "-" in inputs:
        raise UsageError("--chain with --jobs reads the inputs once per chain: give files, not stdin (-)")
    labels = list(chains)
    collector = ErrorCollector()
    names = {code: rule.name for code, rule in engine.rules.items()}
    progress = Progress(inputs, sum(len(p) for p in chains.values()))
    with open_output(output) as stream:
        writer = COMPARISON_WRITERS[fmt](stream, labels, chains=chains)
        if fmt == "html":
            from payer_rules.compare.html import HtmlComparison, ReportContext

            assert isinstance(writer, HtmlComparison)
            every = list(dict.fromkeys(p for chain in chains.values() for p in chain))
            context = ReportContext.of(engine, every, as_of=as_of, received_date=received_date)
            titles = {
                label: ", then ".join(context.payer_names[p] for p in payers)
                for label, payers in chains.items()
            }
            writer.context = evolve(context, payer_names={**context.payer_names, **titles})
        with paused_collector() as tick:

            def on_result() -> None:
                progress.tick()
                tick()

            if jobs > 1:
                groups = _parallel_chain_groups(inputs, chains, jobs, collector.errors, as_of, received_date)
            else:
                groups = chain_groups(
                    collector.watch(read_claims(inputs)),
                    list(chains.items()),
                    engine,
                    as_of=as_of,
                    received_date=received_date,
                )
            summaries = run_chain_comparison(groups, labels, writer, names, on_result=on_result)
    if summary_path is not None:
        with open_output(summary_path) as stream:
            write_summary_csv(stream, summaries)
    progress.done()
    for error in collector.errors:
        click.echo(f"payer-rules: error: {error}", err=True)
    if collector.errors:
        sys.exit(1)


def _parallel_chain_groups(
    inputs: tuple[str, ...],
    chains: dict[str, list[str]],
    jobs: int,
    errors: list[InputError],
    as_of: dt.date | None,
    received_date: dt.date | None,
) -> Iterator[ChainGroup]:
    """:func:`~payer_rules.compare.run.chain_groups` in ``jobs`` worker processes per chain, each
    chain its own run (its own sessions, partitioned by member), zipped back claim by claim."""
    from payer_rules.batch.parallel import RunOptions, iter_units, judge_parallel

    runs = [
        judge_parallel(
            iter_units(inputs),
            RunOptions(payers=tuple(payers), as_of=as_of, received_date=received_date, chain=True),
            jobs=jobs,
            engine_factory=get_engine,
        )
        for payers in chains.values()
    ]
    for outcomes in zip(*runs, strict=True):
        first = outcomes[0]
        if first.error is not None:
            errors.append(first.error)  # every chain read the same input: report it once
        if first.results:
            yield [(label, list(o.results)) for label, o in zip(chains, outcomes, strict=True)]


def _parallel_pairs(
    inputs: tuple[str, ...],
    payers: tuple[str, ...],
    jobs: int,
    errors: list[InputError],
    as_of: dt.date | None,
    received_date: dt.date | None,
) -> Iterator[tuple[Claim | InputError, ClaimResult]]:
    """The serial pairs, in the serial order, judged in ``jobs`` processes partitioned by member."""
    from payer_rules.batch.parallel import RunOptions, iter_units, judge_parallel

    judged_all = judge_parallel(
        iter_units(inputs),
        RunOptions(payers=payers, as_of=as_of, received_date=received_date),
        jobs=jobs,
        engine_factory=get_engine,
    )
    for judged in judged_all:
        if judged.error is not None:
            errors.append(judged.error)
        for result in judged.results:
            yield judged.item if judged.item is not None else judged.error, result  # type: ignore[misc]


@click.command(
    "what-if",
    epilog=examples(
        "payer-rules what-if examples/claims/03-glucose-ankle-sprain.json --payer medicare \\",
        "    --change 'line1.modifiers+=GA'",
        "payer-rules what-if claims.json --claim C-7 --payer bluepeak --change place_of_service=22 \\",
        "    --format json -o moved.json",
        "payer-rules what-if examples/cob/01-dual-eligible-crossover.json --payer medicare \\",
        "    --then medicaid-ny --change line1.procedure=99214",
    ),
)
@inputs_argument
@payers_option()
@click.option(
    "--then",
    "then",
    multiple=True,
    metavar="ID",
    help=(
        "After the one --payer, judge each claim by this payer with the earlier payers' results as "
        "other coverage (a chain, as adjudicate --then); the change is judged through the whole chain."
    ),
)
@click.option(
    "--change",
    "changes",
    multiple=True,
    required=True,
    metavar="CHANGE",
    help="e.g. 'line2.modifiers+=59', 'place_of_service=22', 'line1.service_date=2026-03-01'; repeatable.",
)
@click.option("--claim", "claim_id", metavar="ID", help="Which claim of the input (default: every claim).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json for programs.",
)
@output_option
@date_options
@global_options
def whatif_command(
    inputs: tuple[str, ...],
    payers: tuple[str, ...],
    then: tuple[str, ...],
    changes: tuple[str, ...],
    claim_id: str | None,
    fmt: str,
    output: Path | None,
    as_of: dt.date | None,
    received_date: dt.date | None,
) -> None:
    """Re-run claims with a change and show what moved, and which rules made it move."""
    from payer_rules.compare.whatif import (
        apply_changes,
        chain_movements,
        movements,
        parse_change,
        write_movements,
    )
    from payer_rules.io.readers import read_claims

    engine = get_engine()
    if then:
        if len(payers) != 1:
            raise UsageError("--then follows one --payer (the primary); give the others with --then")
        payers = (*payers, *then)
        if len({engine.payer(p).id for p in payers}) != len(payers):
            raise UsageError(f"a payer may appear once in a chain: {', '.join(payers)}")
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
    moved: list[Movement] = []
    for claim in claims:
        changed = apply_changes(claim, parsed)
        judge = chain_movements if then else movements
        moved += judge(engine, claim, changed, payers, as_of=as_of, received_date=received_date)
    with open_output(output) as stream:
        if fmt == "json":
            stream.write(json.dumps([m.to_dict() for m in moved], indent=2) + "\n")
        else:
            write_movements(stream, changes, moved)
