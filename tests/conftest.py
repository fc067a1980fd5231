from __future__ import annotations

from pathlib import Path

import pytest

from payer_rules.cli.state import reset_engine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"


def example_claim_ids() -> list[str]:
    """Ids of every claim in ``examples/claims``, in the runner's order: tests that count the
    examples' results follow the folder, so adding an example does not break them."""
    from payer_rules.io.json_claims import read_json_text

    return [
        claim.id
        for path in sorted((EXAMPLES / "claims").glob("*.json"))
        for claim in read_json_text(path.read_text(), path.name)
    ]


@pytest.fixture(autouse=True)
def _fresh_cli_engine():
    """The CLI caches its engine per process; tests change plugins, so start each one fresh."""
    reset_engine()
    yield
    reset_engine()
