"""Options every command spells the same way, so the grammar is one (issue: one command-line grammar).

* ``--rulepacks DIR``, ``-q`` and ``-v`` work before or after the subcommand;
* dates are ``YYYY-MM-DD`` (the metavar says so) and arrive as :class:`datetime.date`;
* ``--format`` / ``-o`` / ``--output`` mean the same on every command; listing commands take
  ``--format table|json`` (``--json`` stays as its alias);
* a missing input file is a usage error (exit 2), not a result.

This module imports only Click: ``payer-rules --help`` must stay light.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from payer_rules.engine import Engine

F = TypeVar("F", bound=Callable[..., Any])


class Verbosity:
    """``-q`` (errors only) and ``-v`` (a line about the run on stderr); 0 is the default."""

    level = 0

    @classmethod
    def quiet(cls) -> bool:
        return cls.level < 0

    @classmethod
    def verbose(cls) -> bool:
        return cls.level > 0


class DateParam(click.ParamType):  # type: ignore[type-arg]
    """A calendar date, ``YYYY-MM-DD``; the value is a :class:`datetime.date`."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date as YYYY-MM-DD (e.g. 2026-03-01)", param, ctx)
        from payer_rules.models import MAX_DATE, MIN_DATE

        if not MIN_DATE <= day <= MAX_DATE:
            self.fail(
                f"{day.isoformat()} is out of range; expected a date from {MIN_DATE} to {MAX_DATE}",
                param,
                ctx,
            )
        return day


DATE = DateParam()


def _set_rulepacks(ctx: click.Context, _param: click.Parameter, value: tuple[Path, ...]) -> None:
    if value:
        from payer_rules.cli.state import use_rulepack_dirs

        use_rulepack_dirs(value)


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        Verbosity.level = -1


def _set_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        Verbosity.level = value


RULEPACKS_HELP = (
    "Also serve the rulepacks in this directory (or file); repeatable. "
    "Directories in PAYER_RULES_PATH are always served."
)


def global_options(func: F) -> F:
    """``--rulepacks``, ``-q`` and ``-v``: on the group and on every command that uses the engine."""
    decorators = [
        click.option(
            "--rulepacks",
            multiple=True,
            type=click.Path(exists=True, path_type=Path),
            expose_value=False,
            is_eager=True,
            callback=_set_rulepacks,
            metavar="DIR",
            help=RULEPACKS_HELP,
        ),
        click.option(
            "--quiet",
            "-q",
            is_flag=True,
            expose_value=False,
            callback=_set_quiet,
            help="Only errors on stderr: no progress bar, notes or run summary.",
        ),
        click.option(
            "--verbose",
            "-v",
            count=True,
            expose_value=False,
            callback=_set_verbose,
            help="Say on stderr what ran: claims, results, payers, seconds.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def listing_format(func: F) -> F:
    """``--format table|json`` for listing commands, with ``--json`` kept as its alias."""
    func = click.option(
        "--json",
        "as_json",
        is_flag=True,
        hidden=True,
        help="Same as --format json (kept for scripts written before --format).",
    )(func)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="table for people, json for programs.",
    )(func)


def wants_json(fmt: str, as_json: bool) -> bool:
    return as_json or fmt == "json"


def _existing_inputs(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    missing = [v for v in value if v != "-" and not Path(v).exists()]
    if missing:
        raise click.BadParameter(
            "; ".join(f"{m}: no such file or directory" for m in missing), ctx=ctx, param=param
        )
    return value


def inputs_argument(func: F) -> F:
    """``INPUT...``: files, directories or ``-`` (stdin); a missing one is a usage error (exit 2)."""
    return click.argument("inputs", nargs=-1, required=True, metavar="INPUT...", callback=_existing_inputs)(
        func
    )


def output_option(func: F) -> F:
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="PATH",
        help="Write here instead of stdout.",
    )(func)


def date_options(func: F) -> F:
    """``--as-of`` and ``--received-date``, for every command that judges claims."""
    func = click.option(
        "--received-date",
        type=DATE,
        help="Date the payer received the claims (overrides the claims' own).",
    )(func)
    return click.option(
        "--as-of",
        type=DATE,
        help="Judge by the rules in force on this date instead of each line's date of service.",
    )(func)


def payers_option(
    help_text: str = "Payer id (see `payer-rules payers`); repeat for several.",
    *,
    required: bool = True,
) -> Callable[[F], F]:
    return click.option("--payer", "payers", multiple=True, required=required, metavar="ID", help=help_text)


#: ``--chain`` for the commands that compare payer chains (``compare``, ``what-if``)
CHAIN_HELP = (
    "A payer chain, payer ids in order separated by commas (e.g. medicare,medicaid-ny): each later "
    "payer judges the claim with the earlier payers' results as other coverage. Repeat to compare "
    "chains; instead of --payer."
)


def parse_chains(engine: Engine, texts: Sequence[str]) -> dict[str, list[str]]:
    """``--chain`` values as ``{label: [payer, ...]}``; the label joins the ids with ``>``.

    :raises UsageError: an unknown payer (with a did-you-mean), an empty or repeated chain, or
        a payer twice in one chain.
    """
    from payer_rules.errors import UsageError

    chains: dict[str, list[str]] = {}
    for text in texts:
        names = [p.strip() for p in text.split(",")]
        if not any(names):
            raise UsageError(f"--chain {text!r}: name the payers in order, e.g. medicare,medicaid-ny")
        if not all(names):
            raise UsageError(
                f"--chain {text!r}: an empty payer between commas; expected e.g. medicare,medicaid-ny"
            )
        payers = [engine.payer(name).id for name in names]
        if len(set(payers)) != len(payers):
            raise UsageError(f"--chain {text!r}: a payer may appear once in a chain")
        label = ">".join(payers)
        if label in chains:
            raise UsageError(f"each chain may be named once: {label}")
        chains[label] = payers
    return chains


def examples(*lines: str) -> str:
    """An epilog of examples, kept as written (Click's ``\\b`` stops re-wrapping)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
