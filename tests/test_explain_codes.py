"""Every rule code the product emits is known to ``payer-rules explain``.

A finding's code is its stable name; ``explain CODE`` must say what it checks, its CARC / RARC,
group and citation. The codes are found in the source itself: every string literal of
``src/`` and ``plugins/*/src`` that is a whole rule code (``"ENG004"``, ``code="MCR101"``), and
every ``code = "..."`` of the packs the plugins ship. A new code emitted and not registered
fails here, naming it and where it is.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from payer_rules import claims_from_file, hookimpl
from payer_rules.cli import cli
from payer_rules.engine import ENGINE_SOURCE, Engine
from payer_rules.engine.assembly import engine_pend
from payer_rules.errors import InputError
from payer_rules.payers import PayerInfo

from .conftest import ROOT

_CODE = re.compile(r"(ENG|MCR|MCD|COM)\d{3}")
_PACK_CODE = re.compile(r'^\s*code\s*=\s*"((?:ENG|MCR|MCD|COM)\d{3})"', re.M)


def _sources() -> list[Path]:
    roots = [ROOT / "src", *sorted((ROOT / "plugins").glob("*/src"))]
    return [p for root in roots for p in sorted(root.rglob("*")) if p.suffix in (".py", ".toml")]


def emitted_codes() -> dict[str, set[str]]:
    """Each rule code in a string literal (Python) or a pack's ``code =`` (TOML), with where."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(ROOT))
        if path.suffix == ".toml":
            for code in _PACK_CODE.findall(text):
                found[code].add(where)
            continue
        for node in ast.walk(ast.parse(text, filename=where)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _CODE.fullmatch(node.value):
                found[node.value].add(f"{where}:{node.lineno}")
    return found


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def test_the_source_scan_finds_the_engines_own_codes():
    found = emitted_codes()
    # the engine's own codes, registered in own_rules and chains, are all seen
    assert {"ENG001", "ENG002", "ENG003", "ENG004", "ENG005", "ENG020", "ENG027"} <= found.keys()
    assert len(found) > 100


def test_every_emitted_rule_code_is_registered(engine):
    missing = {code: sorted(where) for code, where in emitted_codes().items() if code not in engine.rules}
    assert missing == {}, "register these codes (RuleInfo) so `payer-rules explain` knows them"


@pytest.mark.parametrize("code", ["ENG001", "ENG002", "ENG003", "ENG004", "ENG020", "ENG027"])
def test_explain_shows_an_engine_code(code):
    out = CliRunner().invoke(cli, ["explain", code], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith(code + " ") and "unknown rule code" not in out.output
    assert "Outcome: " in out.stdout and "Citation: payer-rules" in out.stdout


def _as_registered(engine, finding):
    """The finding the rule ``explain`` shows builds, with this finding's message and line."""
    return engine.rule(finding.code).finding(finding.message, line=finding.line, source=ENGINE_SOURCE)


def test_the_engines_findings_are_what_explain_says(engine):
    """Every field of an engine finding but its message and line is the registered rule's
    (severity, CARC, RARCs, group), with the engine as its source: a value written beside the
    rule instead of taken from it fails here as soon as the two differ."""
    payer, error = next(iter(engine.payers)), InputError("x.json:1", "bad", claim_id="C")
    for code in ("ENG001", "ENG004", "ENG027"):
        [finding] = engine.error_result(error, payer, code=code).findings
        assert finding.code == code and finding == _as_registered(engine, finding)
        assert finding.message == "x.json:1: bad" and finding.source == ENGINE_SOURCE
    for line, code in ((None, "ENG002"), (1, "ENG003")):
        finding = engine_pend(line, "nothing prices it")
        assert finding.code == code and finding == _as_registered(engine, finding)
    with pytest.raises(ValueError, match="ENG001, ENG004, ENG027, got 'ENG002'"):
        engine.error_result(error, payer, code="ENG002")


def test_a_chain_behind_an_unpriced_payer_waits_with_the_registered_rules():
    """A payer nothing prices pends the claim (ENG002) and the payer after it in a chain waits
    (ENG020): both findings as their rules build them."""

    class Bare:
        @hookimpl
        def register_payers(self, register):
            register(PayerInfo(id="bare", name="Bare"))

    chained = Engine.from_installed(plugins=[Bare()])
    [claim] = claims_from_file(ROOT / "examples" / "claims" / "01-office-visit-2026.json")
    primary, secondary = chained.adjudicate_many([claim], ["bare", "medicare"], chain=True)
    own = [f for result in (primary, secondary) for f in result.findings if f.source == ENGINE_SOURCE]
    assert [(f.code, f.line) for f in own] == [("ENG002", None), ("ENG020", None)]
    assert all(f == _as_registered(chained, f) for f in own)
    assert own[1].message == (
        "medicare coordinates benefits after bare, which has pended it: held until bare's "
        "adjudication is final"
    )
