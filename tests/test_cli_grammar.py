"""One command-line grammar: the same options, words and exit codes on every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

import payer_rules
from payer_rules.cli import COMMANDS, cli

from .conftest import EXAMPLES, ROOT


def test_python_dash_m_runs_the_runner():
    out = subprocess.run(
        [sys.executable, "-m", "payer_rules", "--version"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"payer-rules, version {payer_rules.__version__}"


# -- the grammar ------------------------------------------------------------------------------

VISIT = str(EXAMPLES / "claims" / "01-office-visit-2026.json")


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def _all_commands():
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                yield f"{name} {sub.name}", sub
        else:
            yield name, command


def test_every_option_has_help_and_dates_say_yyyy_mm_dd():
    for name, command in _all_commands():
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, f"{name} {param.opts} has no help"
        text = invoke(*name.split(), "--help").output
        assert "%Y" not in text, name
        if "--as-of" in text:
            assert "--as-of YYYY-MM-DD" in text


@pytest.mark.parametrize(
    "name", ["adjudicate", "check", "compare", "what-if", "explain", "payers", "plugins"]
)
def test_every_command_shows_an_example(name):
    text = invoke(name, "--help").output
    assert "Examples:" in text and f"payer-rules {name}" in text


def test_the_top_help_documents_shell_completion():
    assert "_PAYER_RULES_COMPLETE=bash_source payer-rules" in invoke("--help").output


def test_rulepacks_works_before_and_after_the_command():
    packs = str(ROOT / "rulepacks" / "examples")
    before = invoke("--rulepacks", packs, "payers", "--format", "json")
    after = invoke("payers", "--rulepacks", packs, "--format", "json")
    assert before.exit_code == after.exit_code == 0, after.output
    assert before.stdout == after.stdout
    assert "demo-commercial" in [p["id"] for p in json.loads(after.stdout)]


@pytest.mark.parametrize("name", ["payers", "plugins"])
def test_listing_commands_take_format_json_and_keep_json(name):
    new, old = invoke(name, "--format", "json"), invoke(name, "--json")
    assert new.exit_code == old.exit_code == 0
    assert new.stdout == old.stdout and json.loads(new.stdout)


def test_listing_tables_are_aligned_plain_text_off_a_terminal():
    lines = invoke("payers").stdout.splitlines()
    assert lines[0].split() == ["id", "kind", "name", "provider", "prices"]
    starts = {line.index("payer-rules-") for line in lines[1:]}
    assert len(starts) == 1  # the provider column starts at one place on every row


def test_compare_takes_as_of_and_received_date():
    base = invoke("compare", VISIT, "--payer", "medicare", "--format", "json")
    late = invoke(
        "compare", VISIT, "--payer", "medicare", "--format", "json", "--received-date", "2028-01-01"
    )
    assert base.exit_code == late.exit_code == 0, late.output

    def codes(out):
        return json.loads(out.stdout)["claims"][0]["lines"][0]["payers"]["medicare"]["rule_codes"]

    assert "MCR401" not in codes(base) and "MCR401" in codes(late)  # filed over 12 months late
    as_of = invoke("compare", VISIT, "--payer", "medicare", "--format", "json", "--as-of", "2026-02-03")
    assert as_of.exit_code == 0, as_of.output


def test_what_if_writes_to_output_and_takes_as_of(tmp_path):
    target = tmp_path / "moved.json"
    out = invoke(
        "what-if", VISIT, "--payer", "medicare", "--change", "place_of_service=22",
        "--as-of", "2026-02-03", "--received-date", "2026-02-10", "--format", "json", "-o", str(target),
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert out.stdout == ""
    assert json.loads(target.read_text())[0]["moved"] is True


@pytest.mark.parametrize("name", ["adjudicate", "check", "compare"])
def test_a_missing_input_is_a_usage_error(name):
    out = invoke(name, "no/such.json", "--payer", "medicare")
    assert out.exit_code == 2 and "no/such.json: no such file or directory" in out.stderr
    assert out.stdout == ""


def test_bad_date_is_a_usage_error_with_the_format():
    out = invoke("adjudicate", VISIT, "--payer", "medicare", "--as-of", "2026-02-30")
    assert out.exit_code == 2 and "YYYY-MM-DD" in out.stderr


def test_quiet_and_verbose(tmp_path):
    loud = invoke("adjudicate", VISIT, "--payer", "medicare", "-v")
    assert loud.exit_code == 0 and "1 result(s) in" in loud.stderr
    also = invoke("-v", "adjudicate", VISIT, "--payer", "medicare")
    assert "1 result(s) in" in also.stderr
    quiet = invoke("-q", "adjudicate", VISIT, "--payer", "medicare")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert invoke("adjudicate", VISIT, "--payer", "medicare").stderr == ""  # the state does not leak


def test_format_names_match_the_writers():
    from payer_rules.cli.compare import COMPARISON_FORMATS
    from payer_rules.cli.run import WRITER_NAMES
    from payer_rules.compare.report import COMPARISON_WRITERS
    from payer_rules.io.writers import WRITERS

    assert tuple(sorted(WRITERS)) == WRITER_NAMES
    assert tuple(sorted(COMPARISON_WRITERS)) == COMPARISON_FORMATS


_PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('HEAVY' if 'payer_rules.engine' in sys.modules "
    "or 'pluggy' in sys.modules else 'LIGHT'))\n"
    "from payer_rules.cli import main\n"
    "main()\n"
)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--help"], {}),
        (["--version"], {}),
        (["adjudicate", "--help"], {}),
        ([], {"_PAYER_RULES_COMPLETE": "bash_complete", "COMP_WORDS": "payer-rules adj", "COMP_CWORD": "1"}),
    ],
    ids=["help", "version", "command-help", "completion"],
)
def test_help_version_and_completion_build_no_engine(args, env):
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.endswith("LIGHT"), out.stderr
    if env:
        assert "adjudicate" in out.stdout
