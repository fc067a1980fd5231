"""Structural validation of FHIR input with fhir.resources, as located errors: every PAS request,
and claim files with PAYER_RULES_FHIR_VALIDATE=1 (its cost: benchmarks/bench_fhir_validate.py)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.errors import InputError
from payer_rules.io.fhir.validate import VALIDATE_ENV, structural_errors
from payer_rules.io.readers import read_text
from payer_rules.models import Claim

from .conftest import EXAMPLES

pytest.importorskip("fhir.resources", reason="structural validation needs the fhir-validate extra")

CLAIMS = EXAMPLES / "fhir" / "claims.json"
PAS = EXAMPLES / "fhir" / "pas" / "knee-orthosis-request.json"


def example() -> dict[str, Any]:
    return json.loads(CLAIMS.read_text(encoding="utf-8"))


def claim_entries(data: dict[str, Any]) -> list[int]:
    return [n for n, e in enumerate(data["entry"]) if e["resource"]["resourceType"] == "Claim"]


def test_valid_examples_have_no_structural_errors():
    assert structural_errors(example()) == []
    assert structural_errors(json.loads(PAS.read_text(encoding="utf-8"))) == []


def test_the_switch_reads_valid_files_exactly_as_without_it(monkeypatch):
    text = CLAIMS.read_text(encoding="utf-8")
    plain = list(read_text(text, "c.json"))
    monkeypatch.setenv(VALIDATE_ENV, "1")
    assert list(read_text(text, "c.json")) == plain


def test_a_misspelt_element_in_a_claim_is_located_at_that_claim_and_the_others_are_read(monkeypatch):
    data = example()
    first, *others = claim_entries(data)
    item = data["entry"][first]["resource"]["item"][0]
    item["servicedDte"] = item.pop("servicedDate")
    text = json.dumps(data)
    # the reader alone says what it misses; fhir.resources says which element is wrong
    [without, *rest] = read_text(text, "c.json")
    assert isinstance(without, InputError) and "no date of service" in without.message
    monkeypatch.setenv(VALIDATE_ENV, "1")
    [checked, *rest] = read_text(text, "c.json")
    claim_id = data["entry"][first]["resource"]["id"]
    assert isinstance(checked, InputError) and checked.claim_id == claim_id
    assert checked.location == f"c.json: entry[{first}] Claim/{claim_id}"
    assert checked.message == (
        "not valid FHIR R4: servicedDte is not an element of this FHIR R4 resource or datatype "
        "@ $.item[0].servicedDte"
    )
    assert len(rest) == len(others) and all(isinstance(c, Claim) for c in rest)


def test_a_wrong_datatype_and_a_missing_required_element_are_named(monkeypatch):
    data = example()
    first = claim_entries(data)[0]
    claim = data["entry"][first]["resource"]
    claim["created"] = "2026-02-30"
    del claim["insurance"][0]["focal"]
    monkeypatch.setenv(VALIDATE_ENV, "1")
    [checked, *_] = read_text(json.dumps(data), "c.json")
    assert isinstance(checked, InputError)
    assert "(and 1 more structural errors)" in checked.message
    errors = {e.json_path(3): e.message for e in structural_errors(data)}
    assert (
        errors["$.insurance[0].focal"] == "focal is required here (FHIR R4 cardinality 1..1); it is missing"
    )
    assert errors["$.created"].startswith("created: ") and "'2026-02-30'" in errors["$.created"]


def test_a_broken_referenced_resource_is_reported_and_its_claims_are_still_judged(tmp_path, monkeypatch):
    data = example()
    coverage = next(n for n, e in enumerate(data["entry"]) if e["resource"]["resourceType"] == "Coverage")
    data["entry"][coverage]["resource"]["grouping"] = {"group": "X"}  # an STU3 element, gone in R4
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv(VALIDATE_ENV, "1")
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        cli, ["adjudicate", str(path), "--payer", "medicare", "--format", "json", "-o", str(out)]
    )
    assert result.exit_code == 1
    resource = data["entry"][coverage]["resource"]
    assert (
        f"{path}: entry[{coverage}] Coverage/{resource['id']}: not valid FHIR R4: grouping is not an element"
        in result.stderr
    )
    assert "@ $.grouping" in result.stderr
    judged = json.loads(out.read_text(encoding="utf-8"))
    assert len(judged) == len(claim_entries(data)) and all(r["status"] != "error" for r in judged)


def test_the_switch_without_fhir_resources_is_a_usage_error_naming_the_extra(tmp_path, monkeypatch):
    import payer_rules.io.fhir.validate as validate

    monkeypatch.setattr(validate, "available", lambda: False)
    monkeypatch.setenv(VALIDATE_ENV, "1")
    result = CliRunner().invoke(cli, ["adjudicate", str(CLAIMS), "--payer", "medicare"])
    assert result.exit_code == 2 and "payer-rules[fhir-validate]" in result.stderr


def test_a_pas_request_that_breaks_fhir_structure_is_refused_with_every_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path / "data"))
    data = json.loads(PAS.read_text(encoding="utf-8"))
    broken = copy.deepcopy(data)
    claim = broken["entry"][0]["resource"]
    claim["insurance"] = claim["insurance"][0]  # one object where the element repeats
    coverage = next(n for n, e in enumerate(broken["entry"]) if e["resource"]["resourceType"] == "Coverage")
    del broken["entry"][coverage]["resource"]["beneficiary"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    out = tmp_path / "outcome.json"
    result = CliRunner().invoke(cli, ["pas", "submit", str(path), "--payer", "medicare", "-o", str(out)])
    assert result.exit_code == 1
    assert "not valid FHIR R4" in result.stderr and "(and 1 more structural errors)" in result.stderr
    outcome = json.loads(out.read_text(encoding="utf-8"))
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    OperationOutcome.model_validate(outcome)
    expressions = sorted(i["expression"][0] for i in outcome["issue"])
    assert expressions == sorted(
        ["Bundle.entry[0].resource.insurance", f"Bundle.entry[{coverage}].resource.beneficiary"]
    )
    assert not (tmp_path / "data" / "authorizations.sqlite").exists()
