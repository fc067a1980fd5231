"""The ``payer-rules`` runner.

Exit codes: 0 when the run completed (a denial is a result, not a failure), 1 for unreadable
or invalid input, 2 for usage errors. Errors are one located line on stderr; set
``PAYER_RULES_DEBUG=1`` for the traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from payer_rules import __version__
from payer_rules.cli.compare import compare_command, whatif_command
from payer_rules.cli.data import data_group
from payer_rules.cli.rulepack import rulepack_group
from payer_rules.cli.run import adjudicate_command, check_command
from payer_rules.cli.show import explain_command, payers_command, plugins_command
from payer_rules.cli.state import load_engine_for_commands, use_rulepack_dirs
from payer_rules.errors import PayerRulesError
from payer_rules.service.cli import serve_command


class _Group(click.Group):
    """Turns our errors into one line and an exit code instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PayerRulesError as exc:
            if os.environ.get("PAYER_RULES_DEBUG") == "1":
                raise
            click.echo(f"payer-rules: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="payer-rules")
@click.option(
    "--rulepacks",
    "rulepack_dirs",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Also serve the rulepacks in this directory (or file); repeatable. "
    "Directories in PAYER_RULES_PATH are always served. [env var: PAYER_RULES_PATH]",
)
def cli(rulepack_dirs: tuple[Path, ...]) -> None:
    """Judge claims the way US payers would: line by line, with reasons."""
    if rulepack_dirs:
        use_rulepack_dirs(rulepack_dirs)


cli.add_command(plugins_command)
cli.add_command(payers_command)
cli.add_command(adjudicate_command)
cli.add_command(check_command)
cli.add_command(explain_command)
cli.add_command(rulepack_group)
cli.add_command(data_group)
cli.add_command(serve_command)
cli.add_command(compare_command)
cli.add_command(whatif_command)


def main(argv: list[str] | None = None) -> None:
    try:
        load_engine_for_commands(cli)
    except PayerRulesError as exc:
        if os.environ.get("PAYER_RULES_DEBUG") == "1":
            raise
        # A broken plugin must not hide `--help` or `plugins`: report it when a command needs it.
        click.echo(f"payer-rules: warning: {exc}", err=True)
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="payer-rules")
