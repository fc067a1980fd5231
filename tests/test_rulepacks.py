"""Rulepacks: loading with located errors, every kind through shipped cases, the engine, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from attrs import frozen
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.context import Context, Session
from payer_rules.engine import Engine
from payer_rules.payers import PayerInfo
from payer_rules.plugins import get_plugin_manager
from payer_rules.results import Group, Severity
from payer_rules.rulepack import (
    BUILTIN_KINDS,
    BoundRule,
    PairEvaluator,
    PairIndex,
    RuleContext,
    RulepackError,
    compile_packs,
    lint_cases,
    load_pack,
    load_packs,
    run_pack_cases,
)
from payer_rules.rulepack.docs import SECTIONS
from payer_rules.rulepack.kinds.ncci import ProcedurePairRule
from payer_rules.rulepack.plugin import collect_kinds
from payer_rules.rulepack.schema import PackMeta, Status

from .conftest import EXAMPLES, ROOT
from .helpers import make_claim

KINDS = {k.name: k for k in BUILTIN_KINDS}
#: The built-in kinds and those the installed plugins add (the Medicare packs use ncd-lab-coverage).
INSTALLED_KINDS = collect_kinds(get_plugin_manager())
EXAMPLE_PACKS = ROOT / "rulepacks" / "examples"
MEDICARE_PACKS = ROOT / "plugins" / "payer-rules-medicare" / "src" / "payer_rules_medicare" / "rulepacks"
ACME = ROOT / "examples" / "plugin-acme" / "src"
BROKEN = Path(__file__).parent / "rulepacks" / "broken"
LOCATED = re.compile(r"^(?P<file>[^:]+\.toml):(?P<line>\d+)(:\d+)?: (?P<subject>\S+): (?P<message>.+)$")


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


# -- shipped packs ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [EXAMPLE_PACKS, MEDICARE_PACKS], ids=["examples", "medicare"])
def test_every_shipped_rule_has_cases_that_fire_and_that_do_not(path):
    packs = load_packs([path], INSTALLED_KINDS)
    assert lint_cases(packs) == []
    results = run_pack_cases(packs, INSTALLED_KINDS)
    assert results and all(r.passed for r in results), [r.detail for r in results if not r.passed]
    fired = {r.rule.code for r in results if r.rule.code in r.case.expect}
    assert fired == {rule.code for pack in packs for rule in pack.rules}


def test_the_example_packs_use_most_built_in_kinds():
    packs = load_packs([EXAMPLE_PACKS, MEDICARE_PACKS], INSTALLED_KINDS)
    kinds = {rule.kind for pack in packs for rule in pack.rules}
    # code-validity needs a code-set registry (tested below), percent-of-reference the acme example
    assert set(KINDS) - kinds == {"code-validity", "percent-of-reference"}


def test_a_failing_case_is_reported_with_its_location(tmp_path):
    text = (EXAMPLE_PACKS / "therapy-units.toml").read_text().replace("max_units = 4", "max_units = 5")
    (tmp_path / "therapy.toml").write_text(text)
    out = run("rulepack", "test", str(tmp_path))
    assert out.exit_code == 1
    assert re.search(
        r"therapy\.toml:\d+: DCT101 case 1 \(five units in one day\): expected \['DCT101'\], got \[\]",
        out.output,
    )
    assert "3 passed, 2 failed" in out.output


# -- the policy-team story: edit TOML, test it, see it applied ------------------------------------


def test_payer_specific_unit_limit_by_toml_only_is_applied_by_adjudicate():
    engine = Engine.from_installed(rulepack_dirs=[EXAMPLE_PACKS])
    claims = {p.name: json.loads(p.read_text()) for p in (EXAMPLES / "commercial").glob("*.json")}
    from payer_rules.io.json_claims import read_json_text

    over, within = (
        next(iter(read_json_text(json.dumps(claims[name]), name)))
        for name in ("01-therapy-97110-over-daily-limit.json", "02-therapy-97110-within-limit.json")
    )
    denied = engine.adjudicate(over, "demo-commercial")
    assert denied.status == "denied"
    (finding,) = denied.findings
    assert (finding.code, finding.carc, finding.group, finding.line) == ("DCT101", "119", Group.CO, 1)
    assert str(finding.source) == "demo-commercial-therapy-units@2026.1.0"
    assert "Daily unit limits" in (finding.source.citation or "")
    assert denied.versions["demo-commercial-therapy-units"] == "2026.1.0"
    paid = engine.adjudicate(within, "demo-commercial")
    assert (paid.status, paid.allowed, paid.paid) == ("paid", Decimal("128.00"), Decimal("128.00"))


def test_cli_rulepacks_option_and_env_path_serve_packs_to_adjudicate_payers_and_explain():
    over = str(EXAMPLES / "commercial" / "01-therapy-97110-over-daily-limit.json")
    out = run(
        "--rulepacks",
        str(EXAMPLE_PACKS),
        "adjudicate",
        over,
        "--payer",
        "demo-commercial",
        "--format",
        "json",
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)[0]["findings"][0]["code"] == "DCT101"
    out = run("payers", "--json", env={"PAYER_RULES_PATH": str(EXAMPLE_PACKS)})
    assert "demo-commercial" in [p["id"] for p in json.loads(out.output)]
    out = run("--rulepacks", str(EXAMPLE_PACKS), "explain", "DCT101", "--json")
    rule = json.loads(out.output)
    assert (rule["carc"], rule["effective_from"], rule["source"]) == (
        "119",
        "2026-01-01",
        "demo-commercial-therapy-units@2026.1.0",
    )


def test_medicare_ncd_rules_come_from_the_plugin_packs():
    engine = Engine.from_installed()
    assert engine.rules["MCR101"].source == "medicare-ncd-190-20@2026.2.0"
    assert {"MCR102", "MCR103"} <= set(engine.rules)
    claim = make_claim(
        lines=[{"procedure": "84443", "charge": Decimal("40")}],
        diagnoses=("Z00.00",),
        coverage=make_claim().coverage.__class__(payer_id="medicare", member_id="M1"),
    )
    result = engine.check(claim, "medicare")
    assert "MCR102" in [f.code for f in result.findings]


def test_a_rejected_claim_gets_no_coverage_review_from_packs():
    engine = Engine.from_installed()
    claim = make_claim(lines=[{"procedure": "82947", "charge": Decimal("25")}], diagnoses=("S93.401",))
    codes = [f.code for f in engine.check(claim, "medicare").findings]
    assert "MCR101" not in codes and any(
        f.severity is Severity.REJECT for f in engine.check(claim, "medicare").findings
    )


# -- located errors: the broken corpus ------------------------------------------------------------

CORPUS = sorted([*BROKEN.glob("*.toml"), *(p for p in BROKEN.iterdir() if p.is_dir())])


def test_the_broken_corpus_is_large_enough():
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_each_broken_pack_is_a_located_human_error_never_a_traceback(path):
    expect_file = path if path.is_file() else sorted(path.glob("*.toml"))[0]
    expected = expect_file.read_text().splitlines()[0].removeprefix("# expect: ")
    out = CliRunner().invoke(cli, ["rulepack", "check", str(path)])
    assert out.exit_code == 1, out.output
    assert ("Traceback" not in out.output and out.exception is None) or isinstance(out.exception, SystemExit)
    lines = out.stderr.removeprefix("payer-rules: error: ").splitlines()
    assert all(LOCATED.match(line) for line in lines), lines
    assert any(expected in line for line in lines), (expected, lines)


def test_unknown_keys_list_the_valid_ones():
    with pytest.raises(RulepackError) as err:
        load_pack(BROKEN / "02-typo-ammount.toml", KINDS)
    (problem,) = [p for p in err.value.problems if "ammount" in p.message]
    assert problem.line == 22 and problem.subject == "BRK301"
    assert "valid keys: procedure, amount, modifier, effective_from, effective_to" in problem.message


# -- kinds, indexes and the evaluator -------------------------------------------------------------


@frozen
class _Status:
    valid: bool
    outcome: str
    message: str


class FakeCodeSets:
    def lookup(self, system: str, code: str, day: dt.date) -> _Status:
        if code == "E11A" and day < dt.date(2025, 10, 1):
            return _Status(False, "not-in-version", f"E11.A is not valid on {day}")
        if code == "K219":
            return _Status(False, "unknown-code", "not in the loaded list")
        return _Status(True, "valid", "valid")


def test_code_validity_asks_the_code_sets_by_date_of_service(tmp_path):
    pack = tmp_path / "validity.toml"
    pack.write_text(
        """
[pack]
name = "validity"
prefix = "VAL"
version = "1"
payers = ["demo"]
effective_from = 2015-10-01
source = "HIPAA code sets"

[[rules]]
code = "VAL001"
name = "diagnosis-not-valid-on-date-of-service"
kind = "code-validity"
severity = "reject"
status = "stable"
effective_from = 2015-10-01
citation = "45 CFR 162.1002"
summary = "s"
message = "{invalid_code}: {reason}"
carc = "16"
rarcs = ["M76"]
group = "CO"
system = "icd-10-cm"
target = "diagnoses"
"""
    )
    compiled = compile_packs([load_pack(pack, KINDS)], KINDS)
    ctx = RuleContext(
        context=Context(payer=PayerInfo(id="demo", name="Demo"), received_date=dt.date(2026, 1, 1)),
        code_sets=FakeCodeSets(),
    )
    before = make_claim(
        diagnoses=("E11.A",),
        lines=[{"procedure": "99213", "charge": Decimal(1), "service_date": dt.date(2025, 9, 30)}],
    )
    after = make_claim(
        diagnoses=("E11.A",),
        lines=[{"procedure": "99213", "charge": Decimal(1), "service_date": dt.date(2025, 10, 1)}],
    )
    unknown = make_claim(diagnoses=("K21.9",))
    (finding,) = compiled.validate(before, ctx)
    assert (finding.code, finding.severity, finding.message) == (
        "VAL001",
        Severity.REJECT,
        "E11A: E11.A is not valid on 2025-09-30",
    )
    assert compiled.validate(after, ctx) == [] and compiled.validate(unknown, ctx) == []
    assert compiled.validate(before, RuleContext(context=ctx.context)) == []  # no registry: not judged
    # The same pack against the real registry the installed code-set plugin gives the engine
    # (ICD-10-CM FY2025 / FY2026): E11.A (added for FY2026) is judged by each line's date.
    real = RuleContext(context=ctx.context, code_sets=Engine.from_installed().code_sets)
    if not list(real.code_sets or ()):
        pytest.skip("the payer-rules-codesets plugin is not installed")
    (finding,) = compiled.validate(before, real)
    assert finding.code == "VAL001" and "FY2026" in finding.message
    assert compiled.validate(after, real) == []


def test_a_plugin_can_feed_a_large_pair_table_without_toml():
    meta = PackMeta(
        name="ncci",
        prefix="NCC",
        version="2026q1",
        payers=("demo",),
        effective_from=dt.date(2026, 1, 1),
        source="CMS",
    )
    rule = ProcedurePairRule(
        code="NCC001", name="ptp-pair-billed-together", kind="procedure-pair", severity=Severity.DENY,
        status=Status.STABLE, effective_from=dt.date(2026, 1, 1), citation="NCCI", summary="s",
        message="{procedure} with {column1}", carc="236", group=Group.CO, pairs=(),
    )  # fmt: skip
    bound = BoundRule(rule, meta)
    index: PairIndex[BoundRule[ProcedurePairRule]] = PairIndex()
    for n in range(50_000):
        index.add(f"{10000 + n}", f"{60000 + n}", 1, bound)
    index.add("97530", "97140", 0, bound, deleted=dt.date(2026, 7, 1))
    claim = make_claim(
        lines=[
            {"procedure": "97530", "charge": Decimal(1)},
            {"procedure": "97140", "charge": Decimal(1), "modifiers": ("59",)},
        ]
    )
    ctx = RuleContext(
        context=Context(payer=PayerInfo(id="demo", name="Demo"), received_date=dt.date(2026, 3, 1))
    )
    (finding,) = PairEvaluator(index)(claim, ctx)
    assert (finding.line, finding.message) == (2, "97140 with 97530")  # indicator 0: 59 does not bypass
    late = make_claim(
        lines=[
            {"procedure": "97530", "charge": Decimal(1), "service_date": dt.date(2026, 7, 1)},
            {"procedure": "97140", "charge": Decimal(1), "service_date": dt.date(2026, 7, 1)},
        ]
    )
    assert list(PairEvaluator(index)(late, ctx)) == []  # deleted on 2026-07-01


def test_history_kinds_read_earlier_claims_of_the_run():
    engine = Engine.from_installed(rulepack_dirs=[EXAMPLE_PACKS], load_entrypoints=False)
    first = make_claim(
        "A", lines=[{"procedure": "99396", "charge": Decimal(200), "service_date": dt.date(2026, 2, 1)}]
    )
    second = make_claim(
        "B",
        lines=[{"procedure": "99396", "charge": Decimal(200), "service_date": dt.date(2026, 8, 1)}],
        received_date=dt.date(2026, 8, 2),
    )
    results = list(engine.adjudicate_many([first, second], ["demo-commercial"], session=Session()))
    assert [r.status for r in results] == ["paid", "denied"]
    assert results[1].findings[0].code == "DCH107" and "2026-02-01" in results[1].findings[0].message


def test_rule_count_does_not_change_the_work_per_line():
    """Compiled indexes: a line looks up its code; rules for other codes are never visited."""
    text = (EXAMPLE_PACKS / "therapy-units.toml").read_text()
    packs = [load_pack(EXAMPLE_PACKS / "therapy-units.toml", KINDS)]
    compiled = compile_packs(packs, KINDS)
    evaluator = compiled.payers["demo-commercial"].clinical[0]
    assert len(evaluator.index) == 1  # type: ignore[attr-defined]
    assert "97110" in text


# -- the third-party example plugin ---------------------------------------------------------------


@pytest.fixture
def acme(monkeypatch):
    monkeypatch.syspath_prepend(str(ACME))
    import payer_rules_acme.hooks as hooks

    return hooks


def test_example_plugin_adds_a_kind_a_pack_a_payer_and_prices_by_reference(acme):
    engine = Engine(get_plugin_manager(plugins=[acme], load_entrypoints=False))
    assert engine.payer("acme-health").provider
    assert engine.rules["ACM101"].status == "preview"
    claim = make_claim(lines=[{"procedure": "99213", "charge": Decimal("900.00")}])
    result = engine.adjudicate(claim, "acme-health")
    # 110% of the 90.00 reference amount; a $20 copay; the preview rule only warns
    assert (result.status, result.allowed, result.paid, result.patient_responsibility) == (
        "paid", Decimal("99.00"), Decimal("79.00"), Decimal("20.00"),
    )  # fmt: skip
    (warning,) = result.findings
    assert (warning.code, warning.severity) == ("ACM101", Severity.WARN) and warning.message.startswith(
        "[preview]"
    )


def test_example_plugin_pack_cases_pass_with_its_kind(acme):
    from payer_rules.rulepack.plugin import collect_kinds

    kinds = collect_kinds(get_plugin_manager(plugins=[acme], load_entrypoints=False))
    packs = load_packs([ACME / "payer_rules_acme" / "rulepacks"], kinds)
    results = run_pack_cases(packs, kinds)
    assert len(results) == 8 and all(r.passed for r in results), [r.detail for r in results]


def test_a_kind_registered_twice_is_an_error(acme):
    class Twice:
        from payer_rules import hookimpl

        @hookimpl
        def register_rule_kinds(self, register):
            register(KINDS["unit-limit"])

    engine_pm = get_plugin_manager(plugins=[Twice()], load_entrypoints=False)
    with pytest.raises(RulepackError, match="rule kind 'unit-limit' is registered twice"):
        Engine(engine_pm)


# -- docs and the pytest plugin -------------------------------------------------------------------


def test_docs_writes_a_page_per_rule_with_every_section(tmp_path):
    out = run("rulepack", "docs", str(EXAMPLE_PACKS), str(MEDICARE_PACKS), "--output", str(tmp_path))
    assert out.exit_code == 0, out.output
    pages = {p.stem: p.read_text() for p in tmp_path.glob("*.md")}
    assert {"MCR101", "DCT101", "index"} <= set(pages)
    for code, page in pages.items():
        if code != "index":
            assert all(section in page for section in SECTIONS), code
    assert "Fires: *five units in one day*" in pages["DCT101"]


def test_pytest_plugin_runs_a_policy_repo_with_one_line_of_configuration(tmp_path):
    (tmp_path / "rulepacks").mkdir()
    shutil.copy(EXAMPLE_PACKS / "therapy-units.toml", tmp_path / "rulepacks")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npayer_rules_rulepacks = ["rulepacks"]\n'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "rulepacks"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 passed" in proc.stdout


def test_a_retired_fee_schedule_rule_does_not_hide_the_rule_that_replaced_it(tmp_path):
    rule = """
[[rules]]
code = "{code}"
name = "fees-{year}"
kind = "fee-schedule"
severity = "pend"
status = "stable"
effective_from = {start}
{end}
citation = "fees"
summary = "fees"
message = "no fee"
carc = "133"
group = "OA"
fees = [{{ procedure = "99213", amount = "{amount}" }}]
"""
    pack = tmp_path / "fees.toml"
    pack.write_text(
        """
[pack]
name = "fees"
prefix = "FEE"
version = "1"
payers = ["demo"]
effective_from = 2023-01-01
source = "test"
"""
        + rule.format(
            code="FEE301", year="2023", start="2023-01-01", end="effective_to = 2023-12-31", amount="80.00"
        )
        + rule.format(code="FEE302", year="2024", start="2024-01-01", end="", amount="90.00")
    )
    compiled = compile_packs([load_pack(pack, KINDS)], KINDS)
    ctx = RuleContext(
        context=Context(payer=PayerInfo(id="demo", name="Demo"), received_date=dt.date(2024, 6, 1))
    )

    def allowed(day: dt.date) -> Decimal | None:
        claim = make_claim(lines=[{"procedure": "99213", "charge": Decimal(200), "service_date": day}])
        pricing = compiled.price(claim, ctx)
        assert pricing is not None
        return pricing.lines[0].allowed if pricing.lines else None

    assert allowed(dt.date(2023, 6, 1)) == Decimal("80.00")
    assert allowed(dt.date(2024, 6, 1)) == Decimal("90.00")  # not unpriced behind FEE301's row


# -- one pack reached twice ---------------------------------------------------------------------


def _payer_ids(engine: Engine) -> set[str]:
    return set(engine.payers)


def test_one_directory_given_with_rulepacks_and_on_the_path_loads_once(monkeypatch, tmp_path):
    # a relative --rulepacks and an absolute PAYER_RULES_PATH (and a symlink to it) reach one pack
    link = tmp_path / "link"
    link.symlink_to(EXAMPLE_PACKS, target_is_directory=True)
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PAYER_RULES_PATH", f"{EXAMPLE_PACKS}{os.pathsep}{link}")
    relative = Path("rulepacks") / "examples"
    engine = Engine.from_installed(rulepack_dirs=[relative, link / "therapy-units.toml"])
    assert "demo-commercial" in _payer_ids(engine)
    assert engine.rules["DCT101"].source == "demo-commercial-therapy-units@2026.1.0"
    over = str(EXAMPLES / "commercial" / "01-therapy-97110-over-daily-limit.json")
    out = run(
        "--rulepacks", str(relative), "adjudicate", over, "--payer", "demo-commercial", "--format", "json"
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)[0]["findings"][0]["code"] == "DCT101"


def test_a_plugin_pack_directory_also_on_the_path_loads_once(monkeypatch, tmp_path):
    (tmp_path / "ncd").symlink_to(MEDICARE_PACKS, target_is_directory=True)
    monkeypatch.setenv("PAYER_RULES_PATH", f"{MEDICARE_PACKS}{os.pathsep}{tmp_path / 'ncd'}")
    engine = Engine.from_installed()
    assert engine.rules["MCR101"].source == "medicare-ncd-190-20@2026.2.0"


def test_two_different_packs_declaring_one_payer_is_still_an_error_naming_both(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        shutil.copy(EXAMPLE_PACKS / "demo-commercial.toml", tmp_path / name / "demo-commercial.toml")
    with pytest.raises(RulepackError) as caught:
        _payer_ids(Engine.from_installed(rulepack_dirs=[tmp_path / "a", tmp_path / "b"]))
    text = str(caught.value)
    first, second = tmp_path / "a" / "demo-commercial.toml", tmp_path / "b" / "demo-commercial.toml"
    assert f"{second}:" in text and f"payer 'demo-commercial' is already declared by {first}" in text
