"""The runner through Click's CliRunner: outputs, located errors and exit codes."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from payer_rules.cli import cli

from .conftest import EXAMPLES


def run(*args, input=None, env=None):
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def test_plugins_and_payers_list_the_medicare_plugin():
    out = run("plugins", "--json")
    assert out.exit_code == 0
    assert any(p["name"] == "medicare" and "validate" in p["hooks"] for p in json.loads(out.output))
    # other installed plugins (commercial, medicaid) list their payers beside it
    [medicare] = [p for p in json.loads(run("payers", "--json").output) if p["id"] == "medicare"]
    assert medicare["kind"] == "medicare" and medicare["provider"].startswith("payer-rules-medicare@")
    assert "professional" in medicare["claim_kinds"]
    # the kinds it does not price say how Medicare pays them and what would price them
    opps = medicare["not_priced"]["outpatient-hospital"]
    assert "OPPS" in opps["method"] and opps["citation"].startswith("42 CFR Part 419")
    assert not set(medicare["not_priced"]) & set(medicare["claim_kinds"])


def test_adjudicate_examples_as_json_gives_a_result_per_claim():
    out = run("adjudicate", str(EXAMPLES / "claims"), "--payer", "medicare", "--format", "json")
    assert out.exit_code == 0, out.output
    results = json.loads(out.output)
    claims = [json.loads(p.read_text()) for p in sorted((EXAMPLES / "claims").glob("*.json"))]
    assert len(results) == sum(len(c) if isinstance(c, list) else 1 for c in claims)
    for r in results:
        assert set(r) >= {
            "claim_id",
            "payer",
            "status",
            "as_of",
            "billed",
            "allowed",
            "paid",
            "patient_responsibility",
            "findings",
            "lines",
            "versions",
        }
        assert r["versions"]["payer-rules"]


def test_ndjson_and_stdin():
    text = (EXAMPLES / "claims" / "01-office-visit-2026.json").read_text()
    out = run("adjudicate", "-", "--payer", "medicare", "--format", "ndjson", input=text)
    assert out.exit_code == 0
    (line,) = out.output.splitlines()
    assert json.loads(line)["paid"] == "92.18"


def test_table_is_the_default_and_names_the_rule():
    out = run("adjudicate", str(EXAMPLES / "claims" / "03-glucose-ankle-sprain.json"), "--payer", "medicare")
    assert out.exit_code == 0
    assert "DENIED" in out.output and "MCR101" in out.output and "CO-50" in out.output


def test_malformed_json_is_a_located_error_with_exit_1(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "X",\n "lines": [}\n')
    out = CliRunner().invoke(cli, ["adjudicate", str(bad), "--payer", "medicare", "--format", "json"])
    assert out.exit_code == 1
    assert f"{bad}:2:" in out.stderr and "invalid JSON" in out.stderr
    assert "Traceback" not in out.output + out.stderr
    assert json.loads(out.stdout)[0]["status"] == "error"


def test_missing_required_fields_name_the_claim_and_path(tmp_path):
    claim = json.loads((EXAMPLES / "claims" / "01-office-visit-2026.json").read_text())
    del claim["lines"][0]["charge"]
    (tmp_path / "c.json").write_text(json.dumps(claim, indent=1))
    out = CliRunner().invoke(cli, ["adjudicate", str(tmp_path / "c.json"), "--payer", "medicare"])
    assert out.exit_code == 1
    assert "claim CLM-1001" in out.stderr and "$.lines[0].charge" in out.stderr


def test_a_typo_in_a_key_is_refused(tmp_path):
    claim = json.loads((EXAMPLES / "claims" / "01-office-visit-2026.json").read_text())
    claim["lines"][0]["ammount"] = "1"
    (tmp_path / "c.json").write_text(json.dumps(claim))
    out = CliRunner().invoke(cli, ["adjudicate", str(tmp_path / "c.json"), "--payer", "medicare"])
    assert out.exit_code == 1 and "ammount" in out.stderr


def test_unknown_payer_exits_2_with_a_suggestion():
    out = CliRunner().invoke(cli, ["adjudicate", str(EXAMPLES / "claims"), "--payer", "medicar"])
    assert out.exit_code == 2
    assert "did you mean 'medicare'" in out.stderr


def test_missing_file_is_a_usage_error_naming_it():
    out = CliRunner().invoke(cli, ["adjudicate", "no/such/claims.json", "--payer", "medicare"])
    assert out.exit_code == 2 and out.stdout == ""  # no fake error result
    assert "no/such/claims.json: no such file or directory" in out.stderr


def test_a_bad_claim_in_a_batch_does_not_stop_the_others(tmp_path):
    good = json.loads((EXAMPLES / "claims" / "01-office-visit-2026.json").read_text())
    bad = dict(good, id="BAD-1", lines=[dict(good["lines"][0], service_date="2026-02-30")])
    # CLM-3: the next day's visit (the same visit again would be denied as a duplicate, OA-18)
    later = dict(good, id="CLM-3", lines=[dict(good["lines"][0], service_date="2026-02-04")])
    (tmp_path / "batch.json").write_text(json.dumps([good, bad, later], indent=2))
    out = CliRunner().invoke(
        cli, ["adjudicate", str(tmp_path / "batch.json"), "--payer", "medicare", "--format", "json"]
    )
    assert out.exit_code == 1
    results = json.loads(out.stdout)
    assert [r["status"] for r in results] == ["paid", "error", "paid"]
    assert results[1]["claim_id"] == "BAD-1"
    assert "batch.json:" in results[1]["findings"][0]["message"]
    assert "2026-02-30" in out.stderr


def test_ndjson_input_locates_errors_by_line(tmp_path):
    good = (EXAMPLES / "claims" / "01-office-visit-2026.json").read_text()
    path = tmp_path / "claims.ndjson"
    path.write_text(json.dumps(json.loads(good)) + "\n{oops\n")
    out = CliRunner().invoke(cli, ["adjudicate", str(path), "--payer", "medicare", "--format", "ndjson"])
    assert out.exit_code == 1
    assert f"{path}:2:" in out.stderr
    assert len(out.stdout.splitlines()) == 2


def test_check_runs_the_scrubber_only():
    out = run("check", str(EXAMPLES / "claims"), "--payer", "medicare", "--format", "json")
    results = json.loads(out.output)
    assert {r["claim_id"]: r["status"] for r in results}["CLM-1001"] == "clean"
    assert {r["claim_id"]: r["status"] for r in results}["CLM-1005"] == "rejected"
    assert all(r["paid"] == "0.00" for r in results)


def test_explain_reads_rule_metadata():
    out = run("explain", "MCR101")
    assert out.exit_code == 0 and "NCD 190.20" in out.output
    out = CliRunner().invoke(cli, ["explain", "MCR10"])
    assert out.exit_code == 2 and "unknown rule code" in out.stderr


def test_core_only_says_no_payer_plugin_is_installed():
    env = {"PAYER_RULES_LOAD_PLUGINS": ""}
    out = CliRunner().invoke(cli, ["plugins"], env=env)
    assert out.exit_code == 0 and "No payer-rules plugins installed" in out.output
    out = CliRunner().invoke(cli, ["adjudicate", str(EXAMPLES / "claims"), "--payer", "medicare"], env=env)
    assert out.exit_code == 2 and "no payer plugin is installed" in out.stderr


def test_output_to_a_file(tmp_path):
    target = tmp_path / "out.json"
    src = tmp_path / "in"
    shutil.copytree(EXAMPLES / "claims", src)
    out = run("adjudicate", str(src), "--payer", "medicare", "--format", "json", "--output", str(target))
    assert out.exit_code == 0 and out.output == ""
    claims = [json.loads(p.read_text()) for p in sorted((EXAMPLES / "claims").glob("*.json"))]
    assert len(json.loads(target.read_text())) == sum(len(c) if isinstance(c, list) else 1 for c in claims)
