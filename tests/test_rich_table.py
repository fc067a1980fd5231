"""``--format table`` on a terminal: aligned rich tables; off a terminal the plain, stable text."""

from __future__ import annotations

import io

from click.testing import CliRunner
from rich.console import Console

from payer_rules.cli import cli
from payer_rules.cli.rich_table import RichTableWriter
from payer_rules.engine import Engine
from payer_rules.io.readers import read_claims
from payer_rules.models import Claim

from .conftest import EXAMPLES


def test_a_terminal_gets_one_aligned_table_per_claim_and_payer():
    engine = Engine.from_installed()
    claims = [
        c
        for c in read_claims([str(EXAMPLES / "claims" / "06-member-batch-2026.json")])
        if isinstance(c, Claim)
    ]
    screen = io.StringIO()
    writer = RichTableWriter(screen, Console(file=screen, force_terminal=True, width=200, color_system=None))
    results = list(engine.adjudicate_many(claims, payers=["medicare"]))
    for claim, result in zip(claims, results, strict=True):
        writer.write(result, claim)
    writer.close()
    text = screen.getvalue()
    lines = text.splitlines()
    headers = [i for i, line in enumerate(lines) if "procedure" in line and "allowed" in line]
    assert len(headers) == len(results)
    for start, result in zip(headers, results, strict=True):
        header = lines[start]
        columns = [i for i, ch in enumerate(header) if ch == "┃"]
        rows = lines[start + 2 : start + 2 + len(result.lines)]
        for row, ln in zip(rows, result.lines, strict=True):
            assert [i for i, ch in enumerate(row) if ch == "│"] == columns  # one grid for every row
            paid_column = header[: header.index(" paid ")].count("┃")  # separators before "paid"
            cell = row[columns[paid_column - 1] + 1 : columns[paid_column]]
            assert cell.rstrip() == cell.rstrip(" ") and cell.endswith(f"{ln.paid} ")  # right-aligned
    assert all(f.code in text for r in results for f in r.findings)


def test_off_a_terminal_the_table_is_the_plain_text():
    out = CliRunner().invoke(
        cli, ["adjudicate", str(EXAMPLES / "claims" / "01-office-visit-2026.json"), "--payer", "medicare"]
    )
    assert out.stdout.startswith("claim CLM-1001  payer medicare  PAID")
    assert "━" not in out.stdout and "│" not in out.stdout
