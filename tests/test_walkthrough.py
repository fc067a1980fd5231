"""The README's walkthrough, as a new user would run it: every command of the section, in order.

Install is the quick start's `uv sync` (this test runs inside that environment); then one claim
per role, a rulepack-only payer that prices, a CSV into pandas and the report's screenshot.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .readme_blocks import code_blocks, readme_section

SECTION = "Walkthrough: the first hour"
SCRIPT = str(Path(sys.executable).with_name("payer-rules"))


def _commands() -> list[str]:
    (block,) = code_blocks(SECTION, "bash")
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command.replace("$PWD", str(cwd)))
    if argv[:2] == ["uv", "run"]:
        argv = argv[2:]
    if argv[0] == "payer-rules":
        argv[0] = SCRIPT
    env = {**os.environ, "PAYER_RULES_DATA_DIR": str(cwd / "data")}
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env, timeout=600, check=False)


def test_the_quick_start_installs_with_uv():
    assert "uv sync --all-packages --frozen" in readme_section("Quick start")


def test_the_walkthrough_runs_as_written(tmp_path, monkeypatch):
    for name in ("examples", "rulepacks"):
        (tmp_path / name).symlink_to(ROOT / name)
    outputs: dict[str, str] = {}
    for command in _commands():
        if command.startswith("chromium"):
            continue  # below, when a browser is installed
        done = _run(command, tmp_path)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        outputs[command] = done.stdout

    integrator = next(v for k, v in outputs.items() if "--format json" in k and "adjudicate" in k)
    (result,) = json.loads(integrator)
    assert result["status"] == "paid" and result["lines"][0]["basis"].startswith("MPFS CY2026")
    policy = next(v for k, v in outputs.items() if "--payer northwind-health" in k)
    assert "PAID" in policy and "northwind-health" in policy
    medicare_allowed = float(result["lines"][0]["allowed"])
    northwind_allowed = float(policy.split("allowed")[1].split()[0])
    assert round(medicare_allowed * 1.2, 2) == northwind_allowed  # 120% of Medicare, as the pack says
    tests = next(v for k, v in outputs.items() if "rulepack test" in k)
    assert "0 failed" in tests

    pandas = pytest.importorskip("pandas")
    (python,) = code_blocks(SECTION, "python")
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(python, "README.md", "exec"), {"__name__": "walkthrough"})
    assert "bluepeak" in printed.getvalue() and "harborline" in printed.getvalue()
    payers = pandas.read_csv(tmp_path / "payers.csv")
    assert list(payers["payer"]) == ["bluepeak", "harborline", "medicare"]

    page = (tmp_path / "report.html").read_text()
    assert "BluePeak Health" in page and "Harborline Mutual" in page

    chromium = next(c for c in _commands() if c.startswith("chromium"))
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (the README test block installs it): no screenshot")
    shot = _run(chromium, tmp_path)
    assert shot.returncode == 0, shot.stderr
    png = (tmp_path / "report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
