"""The ``payer-rules`` runner.

Exit codes: 0 when the run completed (a denial is a result, not a failure), 1 for unreadable
or invalid input, 2 for usage errors. Errors are one located line on stderr; set
``PAYER_RULES_DEBUG=1`` for the traceback.

Subcommands are imported when they run (``LazyGroup``), and the engine is built when a command
first needs it: ``payer-rules --help``, ``--version`` and shell completion import Click and
this module only (``benchmarks/bench_startup.py``).
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Any

import click

from payer_rules.cli.options import Verbosity, examples, global_options
from payer_rules.errors import PayerRulesError

#: name -> "module:attribute" of every built-in command, in the order help lists them
COMMANDS: dict[str, str] = {
    "adjudicate": "payer_rules.cli.run:adjudicate_command",
    "check": "payer_rules.cli.run:check_command",
    "compare": "payer_rules.cli.compare:compare_command",
    "what-if": "payer_rules.cli.compare:whatif_command",
    "explain": "payer_rules.cli.show:explain_command",
    "payers": "payer_rules.cli.show:payers_command",
    "plugins": "payer_rules.cli.show:plugins_command",
    "rulepack": "payer_rules.cli.rulepack:rulepack_group",
    "data": "payer_rules.cli.data:data_group",
    "pas": "payer_rules.cli.pas:pas_group",
    "serve": "payer_rules.service.cli:serve_command",
}

#: One-line help per command, so ``--help`` need not import the commands to list them.
SUMMARIES: dict[str, str] = {
    "adjudicate": "Judge claims against each --payer: status, money and reasons per line.",
    "check": "Scrubber mode: validation and authorization only, no pricing.",
    "compare": "Judge claims against several payers and show where they differ, and why.",
    "what-if": "Re-run claims with a change and show what moved, and which rules moved it.",
    "explain": "What a rule checks, why, its source, its dates and its payers.",
    "payers": "Payer ids you can pass to --payer, with who provides each.",
    "plugins": "Installed plugins, their versions and their hooks.",
    "rulepack": "Check, test and document rulepacks (payer policy as TOML).",
    "data": "Import official CMS / CDC files and list the imported datasets.",
    "pas": "Prior authorization over Da Vinci PAS: review requests, issue numbers.",
    "serve": "Serve adjudication over HTTP (JSON, X12, FHIR).",
}


class LazyGroup(click.Group):
    """Imports a subcommand only when it is run (the pattern of Click's docs, hatch and flask).

    Plugin commands (``register_commands``) are loaded, with the plugins, only when a name is
    not a built-in command. Our errors become one line and an exit code instead of a traceback.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *sorted(set(self.commands) - set(COMMANDS))]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = COMMANDS.get(cmd_name)
        if target is None:
            _load_plugin_commands(self)
            return self.commands.get(cmd_name)
        module, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (name, SUMMARIES.get(name) or self.commands[name].get_short_help_str())
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        if parent is None:  # a new invocation (tests and embedders run several in one process)
            from payer_rules.cli.state import use_rulepack_dirs

            Verbosity.level = 0
            use_rulepack_dirs(())  # ``--rulepacks`` of an earlier invocation does not carry over
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PayerRulesError as exc:
            if os.environ.get("PAYER_RULES_DEBUG") == "1":
                raise
            click.echo(f"payer-rules: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


def _load_plugin_commands(group: click.Group) -> None:
    from payer_rules.cli.state import load_engine_for_commands

    try:
        load_engine_for_commands(group)
    except PayerRulesError as exc:
        if os.environ.get("PAYER_RULES_DEBUG") == "1":
            raise
        click.echo(f"payer-rules: warning: {exc}", err=True)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=examples(
        "payer-rules payers",
        "payer-rules adjudicate examples/claims --payer medicare",
        "payer-rules compare examples/commercial-payers --payer bluepeak --payer harborline",
        "",
        "Shell completion (bash; zsh_source and fish_source likewise):",
        '  eval "$(_PAYER_RULES_COMPLETE=bash_source payer-rules)"',
    ),
)
@click.version_option(package_name="payer-rules", prog_name="payer-rules")
@global_options
def cli() -> None:
    """Judge claims the way US payers would: line by line, with reasons.

    Options --rulepacks, -q and -v may come before or after the command.
    """


def main(argv: list[str] | None = None) -> None:
    """The console script: runs one command, then the process exits (click's standalone mode)."""
    try:
        cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="payer-rules")
    finally:
        # Everything alive now lives until the exit; frozen, the interpreter's collections at
        # shutdown do not scan it again (a tenth of a 10,000-claim run's CPU time).
        gc.freeze()
