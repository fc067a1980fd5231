"""One command-line grammar: the same options, words and exit codes on every command."""

from __future__ import annotations

import subprocess
import sys

import payer_rules


def test_python_dash_m_runs_the_runner():
    out = subprocess.run(
        [sys.executable, "-m", "payer_rules", "--version"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"payer-rules, version {payer_rules.__version__}"
