"""Payers built on demand: ``adjudicate --payer X`` loads X's definitions and rulepacks only.

An engine built for some payers (``get_plugin_manager(payers=...)``) must judge them exactly as
the engine built for every payer does; anything it cannot answer (an unknown payer, a pack of
the run's payer that does not load) gets the full engine's answer; and the commands that list
or compare payers keep seeing them all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from payer_rules import claims_from_file, result_to_json
from payer_rules.cli import cli
from payer_rules.engine import Engine
from payer_rules.plugins import get_plugin_manager
from payer_rules.rulepack.loader import may_apply

from .conftest import EXAMPLES, ROOT

DEMO_PACKS = ROOT / "rulepacks" / "examples"
NORTHWIND = ROOT / "rulepacks" / "percent-of-medicare"

#: (payers judged, in order as a chain when several, the claim files, the rulepack directories)
RUNS = [
    (("medicare",), ["claims"], ()),
    (("bluepeak",), ["commercial-payers"], ()),
    (("harborline", "medicare"), ["commercial-payers"], ()),
    (("medicaid-ny",), ["claims"], ()),
    (("medicare", "medicaid-ca"), ["claims"], ()),
    (("demo-commercial",), ["commercial"], (DEMO_PACKS,)),
    (("northwind-health",), ["claims"], (NORTHWIND,)),
    (("cedarvale", "medicare"), ["x12/inpatient.837"], (EXAMPLES / "commercial-payers" / "cedarvale",)),
]


def _claims(names: list[str]) -> list[object]:
    found: list[object] = []
    for name in names:
        path = EXAMPLES / name
        for file in sorted(path.glob("*.json")) if path.is_dir() else [path]:
            found += claims_from_file(file)
    return found


@pytest.mark.parametrize(("payers", "inputs", "dirs"), RUNS, ids=lambda v: ",".join(map(str, v)))
def test_an_engine_built_for_its_payers_judges_them_as_the_full_engine_does(payers, inputs, dirs):
    claims = _claims(inputs)
    full = Engine.from_installed(rulepack_dirs=dirs)
    lazy = Engine(get_plugin_manager(rulepack_dirs=dirs, payers=payers))
    assert set(payers) <= set(lazy.payers) and set(lazy.payers) < set(full.payers)
    for payer in payers:
        assert lazy.payers[payer] == full.payers[payer]
    chain = len(payers) > 1
    expected = [result_to_json(r) for r in full.adjudicate_many(claims, payers, chain=chain)]
    got = [result_to_json(r) for r in lazy.adjudicate_many(claims, payers, chain=chain)]
    assert len(got) == len(claims) * len(payers) and got == expected


def test_a_medicare_engine_reads_no_commercial_definition_and_no_state():
    engine = Engine(get_plugin_manager(payers=["medicare"]))
    assert list(engine.payers) == ["medicare"]
    packs = engine.plugin_manager.get_plugin("rulepacks").compiled.packs
    assert packs and {p for pack in packs for p in pack.meta.payers} == {"medicare"}


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def test_an_unknown_payer_is_the_same_usage_error_listing_every_payer():
    every = [p["id"] for p in json.loads(run("payers", "--json").output)]
    claim = str(EXAMPLES / "claims" / "01-office-visit-2026.json")
    out = run("adjudicate", claim, "--payer", "medicar")
    assert out.exit_code == 2
    assert out.stderr == (
        f"payer-rules: error: unknown payer 'medicar'; did you mean 'medicare'? (known: {', '.join(every)})\n"
    )
    assert {"medicare", "bluepeak", "medicaid-ny"} <= set(every)


def test_payers_lists_every_payer_after_a_run_for_one(tmp_path):
    claim = str(EXAMPLES / "claims" / "01-office-visit-2026.json")
    assert run("adjudicate", claim, "--payer", "medicare").exit_code == 0
    listed = [p["id"] for p in json.loads(run("payers", "--json").output)]
    assert {"medicare", "bluepeak", "harborline", "silverleaf", "medicaid-ny", "medicaid-tx"} <= set(listed)


def _broken_pack(directory: Path, payer: str) -> Path:
    text = (DEMO_PACKS / "demo-commercial.toml").read_text(encoding="utf-8")
    text = text.replace("demo-commercial", payer).replace('prefix = "DCH"', 'prefix = "DCH"\nammount = 1', 1)
    directory.mkdir()
    path = directory / f"{payer}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_broken_pack_stops_the_runs_of_its_payer_and_the_listing_not_another_payers_run(tmp_path):
    pack = _broken_pack(tmp_path / "packs", "acme-demo")
    claim = str(EXAMPLES / "claims" / "01-office-visit-2026.json")
    alone = run("adjudicate", claim, "--payer", "medicare")
    beside = run("--rulepacks", str(tmp_path / "packs"), "adjudicate", claim, "--payer", "medicare")
    assert (beside.exit_code, beside.output) == (0, alone.output)
    for args in (["adjudicate", claim, "--payer", "acme-demo"], ["payers"]):
        out = run("--rulepacks", str(tmp_path / "packs"), *args)
        assert out.exit_code == 1, out.output
        assert out.stderr.startswith(f"payer-rules: error: {pack}:")
        assert "ammount" in out.stderr and "Traceback" not in out.output


@pytest.mark.parametrize(
    ("text", "applies"),
    [
        ('[pack]\npayers = ["medicare"]\n', True),
        ('[pack]\npayers = ["bluepeak", "Medicare "]\n', True),
        ('[pack]\npayers = ["bluepeak"]\n', False),
        ('[pack]\npayers = ["acme"]\n[payer]\nid = "acme"\n', False),
        ('[pack]\npayers = []\n[payer]\nid = "medicare"\n', True),
        ("[pack]\npayers = []\n", True),  # a reference pack: others' rules may name its fees
        ('[pack]\nname = "no payers key"\n', True),
        ('[pack]\npayers = "medicare"\n', True),  # the wrong shape: loading it says what is wrong
        ('[pack]\npayers = ["bluepeak"]\n[payer]\nid = 7\n', True),
        ("[pack\n", True),  # not TOML
        ('pack = "a string"\n', True),
    ],
)
def test_which_packs_may_apply_to_a_run(tmp_path, text, applies):
    path = tmp_path / "pack.toml"
    path.write_text(text, encoding="utf-8")
    assert may_apply(path, {"medicare"}) is applies


def test_a_missing_pack_file_may_apply(tmp_path):
    assert may_apply(tmp_path / "gone.toml", {"medicare"}) is True


@pytest.mark.parametrize("payers", [("medicare",), ("bluepeak",), ("harborline", "medicare")], ids=",".join)
def test_an_engine_built_for_its_payers_parses_each_file_once(monkeypatch, payers):
    """``--payer X`` asks each pack whether it may apply, then loads those that may, and the
    commercial plugin asks each ``payer.toml`` which payer it defines, then loads them: each
    file is parsed once for both (its document handed from the first reader to the second)."""
    from collections import Counter

    from payer_rules.rulepack import parsed

    counted: Counter[str] = Counter()  # parsed (from the on-disk cache or by tomllib)
    read: Counter[str] = Counter()  # read from disk
    parse, read_text = parsed.parse, Path.read_text

    def counting(text: str, origin: str, **kwargs: object) -> dict[str, object]:
        counted[origin] += 1
        return parse(text, origin, **kwargs)  # type: ignore[arg-type]

    def reading(self: Path, *args: object, **kwargs: object) -> str:
        if self.suffix == ".toml":
            read[str(self)] += 1
        return read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parsed, "parse", counting)
    monkeypatch.setattr(Path, "read_text", reading)
    engine = Engine(get_plugin_manager(payers=payers))
    assert set(payers) <= set(engine.payers)
    packs = engine.plugin_manager.get_plugin("rulepacks").compiled.packs
    assert {pack.file for pack in packs} <= set(counted)
    definitions = {name for name in counted if Path(name).name == "payer.toml"}
    assert ({"bluepeak", "harborline"} & set(payers)) <= {Path(d).parent.name for d in definitions}
    assert counted and set(counted.values()) == {1}, counted
    assert read == counted


def test_a_file_changed_after_its_first_reader_is_read_again(tmp_path):
    from payer_rules.rulepack.parsed import ParsedFiles

    path = tmp_path / "pack.toml"
    path.write_text('[pack]\npayers = ["medicare"]\n', encoding="utf-8")
    files = ParsedFiles()
    looked = files.read(path, keep=True)
    assert files.read(path) is looked  # handed over, not parsed again
    assert files.read(path) is not looked  # once: the loader took it
    files.read(path, keep=True)
    path.write_text('[pack]\npayers = ["medicaid-ny"]\n', encoding="utf-8")  # another size
    text, doc = files.read(path)
    assert doc["pack"]["payers"] == ["medicaid-ny"] and "medicaid-ny" in text
