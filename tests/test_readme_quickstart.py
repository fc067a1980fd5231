"""The README's Quick start runs as written: every example claim gets a result, none an error."""

from __future__ import annotations

import json
import re
import shlex

from click.testing import CliRunner

from payer_rules.cli import cli

from .conftest import ROOT


def quick_start_arguments() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start\s+```bash\n(.*?)\n```", text, re.S)
    assert block is not None, "README.md has no ```bash block under '## Quick start'"
    command = block.group(1).strip().split("&&")[-1].strip()
    words = shlex.split(command)
    assert words[:3] == ["uv", "run", "payer-rules"], command
    return words[3:]


def test_the_quick_start_judges_every_example_without_an_error(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))  # nothing imported: the starter packs
    result = CliRunner().invoke(cli, [*quick_start_arguments(), "--format", "ndjson"])
    assert result.exit_code == 0, result.output
    results = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    examples = sorted((ROOT / "examples" / "claims").glob("*.json"))
    assert len(results) >= len(examples) + 3  # every example claim file, and the three facility claims
    assert not [r for r in results if r["status"] == "error"]
    kinds = {r["claim_id"][:3] for r in results}
    assert {"INP", "ASC", "OPH"} <= kinds
