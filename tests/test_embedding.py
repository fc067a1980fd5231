"""Embedding from Python: dict / JSON / file to Claim and back, with the runner's rules."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import payer_rules
from payer_rules import (
    Claim,
    Engine,
    InputError,
    claim_from_dict,
    claim_from_file,
    claim_from_json,
    claim_to_dict,
    claim_to_json,
    claims_from_file,
    read_claims,
)
from payer_rules.cli import cli

from .conftest import EXAMPLES, ROOT
from .readme_blocks import code_blocks

VISIT = EXAMPLES / "claims" / "01-office-visit-2026.json"


def _visit() -> dict:
    return json.loads(VISIT.read_text())


def test_the_readme_embedding_example_runs(monkeypatch):
    blocks = code_blocks("Embedding from Python", "python")
    assert len(blocks) >= 2
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "readme"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    printed = out.getvalue()
    assert "CLM-1001 paid" in printed
    assert "expected a number" in printed and "expected a date" in printed
    assert namespace["claim"].lines[0].charge == Decimal("150.1")


@given(
    # whole cents: a fraction of a cent is refused by both paths alike (issue 19)
    st.integers(min_value=0, max_value=10**11).map(lambda cents: cents / 100)
    | st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False).map(float)
)
def test_a_float_from_json_load_is_read_as_the_runner_reads_the_same_text(charge):
    data = _visit()
    data["lines"][0]["charge"] = charge
    text = json.dumps(data)  # the file a user would give the runner
    from_text = claim_from_json(text)  # parse_float=Decimal, as the CLI
    from_load = claim_from_dict(json.loads(text))  # json.load's floats
    assert from_load == from_text
    assert from_load.lines[0].charge == Decimal(repr(charge))


def test_float_charge_is_judged_as_the_cli_judges_the_file(tmp_path):
    data = _visit()
    data["lines"][0]["charge"] = 25.1
    path = tmp_path / "claim.json"
    path.write_text(json.dumps(data))
    out = CliRunner().invoke(cli, ["adjudicate", str(path), "--payer", "medicare", "--format", "json"])
    assert out.exit_code == 0, out.output
    (cli_result,) = json.loads(out.stdout)
    result = Engine.from_installed().adjudicate(claim_from_dict(json.loads(path.read_text())), "medicare")
    assert cli_result["billed"] == "25.10" == f"{result.billed:.2f}"
    assert cli_result["paid"] == f"{result.paid:.2f}"


@pytest.mark.parametrize("bad", [math.nan, math.inf, True, "12,50"])
def test_bad_amounts_are_located_errors(bad):
    data = _visit()
    data["lines"][0]["charge"] = bad
    with pytest.raises(InputError) as caught:
        claim_from_dict(data, source="message-17")
    text = str(caught.value)
    assert text.startswith("message-17: claim CLM-1001:") and "$.lines[0].charge" in text


def test_unknown_keys_and_one_claim_only():
    with pytest.raises(InputError, match="ammount"):
        claim_from_dict({**_visit(), "ammount": "1"})
    with pytest.raises(InputError, match="expected one claim, found 2"):
        claim_from_json(json.dumps([_visit(), _visit()]))
    with pytest.raises(InputError, match="no such file"):
        claim_from_file(EXAMPLES / "missing.json")


def test_every_example_claim_round_trips_through_dict_and_json():
    claims = [
        c for c in read_claims([str(EXAMPLES / "claims"), str(EXAMPLES / "x12")]) if isinstance(c, Claim)
    ]
    assert len(claims) >= 10
    for claim in claims:
        assert claim_from_dict(claim_to_dict(claim)) == claim
        assert claim_from_json(claim_to_json(claim, indent=2)) == claim
    assert claim_to_dict(claim_from_file(VISIT))["lines"][0]["charge"] == "150.00"
    assert all(isinstance(c, Claim) for c in claims_from_file(EXAMPLES / "x12" / "professional.837"))


def test_the_namespace_is_curated():
    assert "annotations" not in vars(payer_rules)
    assert dir(payer_rules) == sorted(payer_rules.__all__)
    for name in payer_rules.__all__:
        assert getattr(payer_rules, name) is not None
    with pytest.raises(AttributeError):
        payer_rules.no_such_name  # noqa: B018


def test_import_payer_rules_is_light():
    code = "import sys, payer_rules; print(sorted(m for m in sys.modules if m.startswith('payer_rules')))"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert json.loads(out.stdout.replace("'", '"')) == ["payer_rules"]
