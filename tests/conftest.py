from __future__ import annotations

from pathlib import Path

import pytest

from payer_rules.cli.state import reset_engine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _fresh_cli_engine():
    """The CLI caches its engine per process; tests change plugins, so start each one fresh."""
    reset_engine()
    yield
    reset_engine()
