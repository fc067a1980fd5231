"""``adjudicate`` and ``check``: judge every claim in the inputs against every payer named."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from payer_rules.cli.options import (
    date_options,
    examples,
    global_options,
    inputs_argument,
    output_option,
    payers_option,
)
from payer_rules.cli.progress import Progress
from payer_rules.cli.state import get_engine
from payer_rules.errors import InputError, UsageError
from payer_rules.io.atomic import atomic_output

if TYPE_CHECKING:
    from payer_rules.engine import Stages
    from payer_rules.models import Claim

#: ``--format`` choices (``payer_rules.io.writers.WRITERS``), named here so help imports no writer
WRITER_NAMES = ("fhir", "json", "ndjson", "table", "x12-277ca", "x12-835")
#: ``--format x12-999`` (``payer_rules.cli.acks.ACK_FORMAT``): acknowledgments only, nothing judged
ACK_FORMAT = "x12-999"

#: ``--jobs`` for every command that judges a batch (``adjudicate``, ``check``, ``compare``).
JOBS_OPTION = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="Worker processes; a member's claims stay in one, so the output is the same for any N.",
)


def _common(func: Callable[..., None]) -> Callable[..., None]:
    options = [
        inputs_argument,
        payers_option(),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(sorted([*WRITER_NAMES, ACK_FORMAT])),
            default="table",
            show_default=True,
            help="Output format: table for people; json, ndjson, fhir or X12 (835, 277CA, 999) for programs.",
        ),
        output_option,
        date_options,
        JOBS_OPTION,
        click.option(
            "--then",
            "then",
            multiple=True,
            metavar="ID",
            help=(
                "After the one --payer, judge each claim by this payer with the earlier payers' "
                "results as other coverage (coordination of benefits); repeat for a tertiary."
            ),
        ),
        click.option(
            "--x12-st03",
            "x12_st03",
            is_flag=True,
            help="With --format x12-835: write the guide reference 005010X221A1 in ST03 "
            "(for pyx12's x12valid; the 835 guide marks ST03 not used).",
        ),
        click.option(
            "--ack",
            "ack_dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Also write acknowledgments here: a 999 per X12 input and claims.277ca (claim by claim).",
        ),
        global_options,
    ]
    for option in reversed(options):
        func = option(func)
    return func


@contextlib.contextmanager
def open_output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or ``path`` written whole or not at all (:mod:`payer_rules.io.atomic`)."""
    if path is None:
        yield sys.stdout
        return
    if path.is_dir():
        raise UsageError(f"{path}: cannot write output: it is a directory")
    with contextlib.ExitStack() as stack:
        try:
            handle = stack.enter_context(atomic_output(path))
        except OSError as exc:
            raise UsageError(f"{path}: cannot write output: {exc.strerror or exc}") from exc
        yield handle


def _run(
    inputs: tuple[str, ...],
    payers: tuple[str, ...],
    fmt: str,
    output: Path | None,
    as_of: dt.date | None,
    received_date: dt.date | None,
    stages: Stages,
    jobs: int = 1,
    ack_dir: Path | None = None,
    then: tuple[str, ...] = (),
    x12_st03: bool = False,
) -> None:
    from payer_rules.batch.collector import paused_collector
    from payer_rules.cli.acks import AckWriter, write_999
    from payer_rules.context import Session
    from payer_rules.engine import RUNNER_CHUNK_SIZE, Stages
    from payer_rules.io.readers import ErrorCollector, read_claims
    from payer_rules.io.writers import MONEY_ONLY_FORMATS, WRITERS, ResultWriter, held_back, held_back_notice
    from payer_rules.pas.usage import AuthorizationLedger

    if fmt == ACK_FORMAT:
        with open_output(output) as stream:
            failed = write_999(inputs, stream)
        _finish(Progress(), failed)
        return
    if x12_st03 and fmt != "x12-835":
        raise UsageError("--x12-st03 applies to --format x12-835")
    writer_factory = WRITERS[fmt]
    if x12_st03:
        from payer_rules.io.x12.writer_835 import X12_835Writer

        writer_factory = functools.partial(X12_835Writer, implementation_reference=True)
    if fmt == "table" and output is None and sys.stdout.isatty():
        from payer_rules.cli.rich_table import RichTableWriter

        writer_factory = RichTableWriter  # a terminal: aligned tables; piped: the plain text
    if ack_dir is not None and jobs > 1:
        raise UsageError("--ack writes the 277CA from one process; leave out --jobs")
    if then:
        if len(payers) != 1:
            raise UsageError("--then follows one --payer (the primary); give the others with --then")
        payers = (*payers, *then)
    engine = get_engine(payers)  # built for these payers only: the others' packs stay unread
    for payer in payers:
        engine.payer(payer)
    if stages is Stages.CHECK and fmt in MONEY_ONLY_FORMATS:
        raise UsageError(f"--format {fmt} reports payments; use it with adjudicate, not check")
    collector = ErrorCollector()
    errors = collector.errors

    def claims() -> Iterator[Claim | InputError]:
        return collector.watch(read_claims(inputs))

    progress = Progress(inputs, len(payers))
    held = 0

    def closed(writer: ResultWriter) -> None:
        nonlocal held
        held = held_back(writer)

    with open_output(output) as stream:
        if jobs > 1:
            from payer_rules.batch.parallel import RunOptions, write_parallel

            options = RunOptions(
                payers=payers,
                as_of=as_of,
                received_date=received_date,
                stages=stages,
                chain=bool(then),
                record_authorizations=stages is Stages.ADJUDICATE,
            )
            errors = write_parallel(
                inputs,
                options,
                fmt=fmt,
                stream=stream,
                jobs=jobs,
                engine_factory=functools.partial(get_engine, payers),
                on_result=progress.tick,
                on_close=closed,
                writer_factory=writer_factory,
            )
        else:
            writer = writer_factory(stream)
            if ack_dir is not None:
                writer = AckWriter(writer, ack_dir, inputs)
            # payer-rules adjudicate keeps the units of authorizations used for later runs
            ledger = AuthorizationLedger(record=stages is Stages.ADJUDICATE)
            with paused_collector() as tick:
                try:
                    for item, result in engine.adjudicate_pairs(
                        claims(),
                        payers,
                        session=Session(authorizations=ledger),
                        as_of=as_of,
                        received_date=received_date,
                        stages=stages,
                        chunk_size=RUNNER_CHUNK_SIZE,
                        chain=bool(then),
                    ):
                        writer.write(result, item)
                        progress.tick()
                        tick()
                finally:
                    ledger.flush()  # once for the run, however it ends
            writer.close()
            closed(writer)
            if isinstance(writer, AckWriter):
                errors = [*errors, *writer.failed]  # a missing 999 fails the run (exit 1)
    if held:
        click.echo(held_back_notice(held), err=True)
    _finish(progress, errors)


def _finish(progress: Progress, errors: list[InputError]) -> None:
    progress.done()
    for error in errors:
        click.echo(f"payer-rules: error: {error}", err=True)
    if errors:
        sys.exit(1)


@click.command(
    "adjudicate",
    epilog=examples(
        "payer-rules adjudicate examples/claims --payer medicare",
        "payer-rules adjudicate claims.ndjson --payer medicare --format ndjson -o results.ndjson -j 2",
        "payer-rules adjudicate examples/x12/professional.837 --payer medicare --format x12-835 -o out.835",
    ),
)
@_common
def adjudicate_command(**kwargs: object) -> None:
    """Judge every claim in INPUT (files, directories, or - for stdin) against each --payer."""
    from payer_rules.engine import Stages

    _run(stages=Stages.ADJUDICATE, **kwargs)  # type: ignore[arg-type]


@click.command(
    "check",
    epilog=examples("payer-rules check examples/claims --payer medicare --format json"),
)
@_common
def check_command(**kwargs: object) -> None:
    """Scrubber mode: run validation and authorization only, no pricing."""
    from payer_rules.engine import Stages

    _run(stages=Stages.CHECK, **kwargs)  # type: ignore[arg-type]
