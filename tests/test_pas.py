"""Prior authorization over Da Vinci PAS: request -> PASClaimResponse with a number -> a claim
quoting it passes the authorization edit (837 REF*G1, FHIR preAuthRef, claim JSON), and a claim
without it, or quoting it for another member, service, date, provider or more units, does not.

What needs authorization is read from the Medicare plugin's own list (``prior_auth.toml``, CMS's
DMEPOS Required Prior Authorization List), never taken from the engine's answer.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.engine import Engine
from payer_rules.io.claims import claim_from_dict
from payer_rules.io.fhir.writer import claim_bundle, dumps
from payer_rules.io.readers import read_text
from payer_rules.io.x12.writer_837 import claims_to_837
from payer_rules.models import Claim
from payer_rules.pas.response import REVIEW_ACTION, REVIEW_ACTION_CODE, RULE_SYSTEM, X12_ACTION_CODES

from .conftest import EXAMPLES, ROOT

REQUEST = EXAMPLES / "fhir" / "pas" / "knee-orthosis-request.json"
PRIOR_AUTH = (
    ROOT / "plugins" / "payer-rules-medicare" / "src" / "payer_rules_medicare" / "data" / "prior_auth.toml"
)


def listed_for_prior_auth(code: str, day: dt.date) -> bool:
    """Whether CMS's DMEPOS list (as the plugin ships it) requires authorization for ``code`` on ``day``."""
    data = tomllib.loads(PRIOR_AUTH.read_text(encoding="utf-8"))
    return any(
        code in group["codes"]
        and group["effective_from"] <= day
        and (group.get("effective_to") is None or day <= group["effective_to"])
        for group in data["dmepos"]["group"]
    )


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(directory))
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "medicare,codesets")
    return directory


def submit(path: Path, tmp_path: Path, *extra: str, payer: str = "medicare") -> tuple[dict[str, Any], Any]:
    out = tmp_path / f"response-{len(list(tmp_path.glob('response-*')))}.json"
    result = CliRunner().invoke(cli, ["pas", "submit", str(path), "--payer", payer, "-o", str(out), *extra])
    return (json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}), result


def claim_response(bundle: dict[str, Any]) -> dict[str, Any]:
    first = bundle["entry"][0]["resource"]
    assert first["resourceType"] == "ClaimResponse"
    return first


def review_action(item: dict[str, Any]) -> tuple[str, str | None, str]:
    """(HCR01 code, item review number, deciding rule) of a ClaimResponse item."""
    [adjudication] = item["adjudication"]
    assert adjudication["category"]["coding"][0]["code"] == "submitted"
    [action] = [e for e in adjudication["extension"] if e["url"] == REVIEW_ACTION]
    parts = {e["url"]: e for e in action["extension"]}
    [coding] = parts[REVIEW_ACTION_CODE]["valueCodeableConcept"]["coding"]
    assert coding["system"] == X12_ACTION_CODES
    [rule] = adjudication["reason"]["coding"]
    assert rule["system"] == RULE_SYSTEM
    number = parts["number"]["valueString"] if "number" in parts else None
    return coding["code"], number, rule["code"]


def validate_r4(bundle: dict[str, Any]) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.claimresponse import ClaimResponse

    Bundle.model_validate(bundle)
    ClaimResponse.model_validate(claim_response(bundle))


def billed_claim(number: str | None, **changes: Any) -> dict[str, Any]:
    """The claim the supplier sends after the service: the request's member, supplier and item 1."""
    line = {
        "procedure": changes.pop("procedure", "L1851"),
        "units": changes.pop("units", "1"),
        "charge": "950.00",
        "service_date": changes.pop("service_date", "2026-05-04"),
        "diagnosis_pointers": [1],
    }
    claim: dict[str, Any] = {
        "id": changes.pop("id", "DME-1"),
        "patient": {
            "id": "member-1",
            "last_name": "Doe",
            "first_name": "Jane",
            "birth_date": "1955-03-14",
            "sex": "F",
        },
        "coverage": {"payer_id": "medicare", "member_id": changes.pop("member_id", "1EG4TE5MK72")},
        "billing_provider": {
            "npi": changes.pop("npi", "1234567893"),
            "name": "Mission Orthotics and Supply",
            "address": {"line1": "200 Valencia St", "city": "San Francisco", "state": "CA", "zip": "94110"},
        },
        "place_of_service": "12",
        "received_date": "2026-05-20",
        "diagnoses": [{"code": "M17.11"}],
        "lines": [line, *changes.pop("more_lines", [])],
        "prior_authorizations": [number] if number else [],
    }
    assert not changes, changes
    return claim


def judge(claims: list[dict[str, Any]], tmp_path: Path, payer: str = "medicare") -> dict[str, dict[str, Any]]:
    path = tmp_path / f"claims-{len(list(tmp_path.glob('claims-*')))}.json"
    path.write_text(json.dumps(claims), encoding="utf-8")
    out = path.with_suffix(".out.json")
    result = CliRunner().invoke(
        cli, ["adjudicate", str(path), "--payer", payer, "--format", "json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    return {r["claim_id"]: r for r in json.loads(out.read_text(encoding="utf-8"))}


def codes(result: dict[str, Any], line: int = 1) -> set[str]:
    return {f["code"] for f in result["findings"] if f["line"] in (line, None)}


# -- the round trip -------------------------------------------------------------------------


def test_pas_round_trip_certifies_issues_a_number_and_a_claim_quoting_it_passes_the_edit(data_dir, tmp_path):
    day = dt.date(2026, 5, 4)
    assert listed_for_prior_auth("L1851", day) and not listed_for_prior_auth("E0114", day)
    bundle, result = submit(REQUEST, tmp_path)
    assert result.exit_code == 0, result.output
    validate_r4(bundle)
    response = claim_response(bundle)
    assert response["use"] == "preauthorization" and response["status"] == "active"
    assert response["request"] == {"reference": "http://example.org/fhir/Claim/PA-KNEE-1"}
    number = response["preAuthRef"]
    assert number.startswith("PA") and len(number) == 14
    assert response["preAuthPeriod"] == {"start": "2026-05-04", "end": "2026-05-04"}
    first, second = response["item"]
    assert first["itemSequence"] == 1 and second["itemSequence"] == 2
    assert review_action(first) == ("A1", number, "ENG024")
    assert review_action(second) == ("NA", None, "ENG025")
    notes = {n["number"]: n["text"] for n in response["processNote"]}
    assert any(notes[k].startswith("MCR501") for k in first["noteNumber"])  # the rule that requires it
    assert f"authorization {number}" in first["adjudication"][0]["reason"]["text"]
    # every reference of the response resolves inside it
    urls = {e["fullUrl"] for e in bundle["entry"]}
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Organization"} <= kinds
    assert "http://example.org/fhir/Patient/member-1" in urls
    assert "Saved" not in result.output and number in result.stderr

    results = judge(
        [
            billed_claim(number, id="WITH"),
            billed_claim(None, id="WITHOUT", member_id="1EG4TE5MK73"),
            billed_claim(number, id="OTHER-MEMBER", member_id="9XX9XX9XX99"),
            billed_claim(number, id="OTHER-DATE", service_date="2026-05-05"),
            billed_claim(number, id="OTHER-SERVICE", procedure="L0650"),
            billed_claim(number, id="OTHER-SUPPLIER", npi="1003000126"),
            billed_claim(number, id="MORE-UNITS", units="2"),
        ],
        tmp_path,
    )
    assert "ENG021" in codes(results["WITH"]) and "MCR501" not in codes(results["WITH"])
    assert results["WITH"]["lines"][0]["status"] != "denied"
    assert "MCR501" in codes(results["WITHOUT"]) and results["WITHOUT"]["lines"][0]["status"] == "denied"
    for claim_id, why in [
        ("OTHER-MEMBER", "another member"),
        ("OTHER-DATE", "from 2026-05-04 to 2026-05-04"),
        ("OTHER-SERVICE", "authorizes L1851, not L0650"),
        ("OTHER-SUPPLIER", "provider NPI 1234567893"),
        ("MORE-UNITS", "1 unit(s)"),
    ]:
        judged = results[claim_id]
        assert "MCR501" in codes(judged), claim_id
        assert judged["lines"][0]["status"] == "denied", claim_id
        [warning] = [f for f in judged["findings"] if f["code"] == "ENG022"]
        assert number in warning["message"] and why in warning["message"], (claim_id, warning["message"])


def test_the_number_is_honoured_from_an_837_ref_g1_and_a_fhir_preauthref(data_dir, tmp_path):
    bundle, _ = submit(REQUEST, tmp_path)
    number = claim_response(bundle)["preAuthRef"]
    claim = claim_from_dict(billed_claim(number, id="X12-1"))
    x12 = claims_to_837([claim])
    assert f"REF*G1*{number}~" in x12
    fhir = claim_bundle([claim])
    assert fhir["entry"][0]["resource"]["insurance"][0]["preAuthRef"] == [number]
    for name, text in (("claim.837", x12), ("claim.fhir.json", dumps(fhir))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out = tmp_path / f"{name}.out.json"
        result = CliRunner().invoke(
            cli, ["adjudicate", str(path), "--payer", "medicare", "--format", "json", "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        [judged] = json.loads(out.read_text(encoding="utf-8"))
        assert "ENG021" in codes(judged) and "MCR501" not in codes(judged), (name, judged["findings"])


def test_a_number_from_outside_is_still_taken_as_given(data_dir, tmp_path):
    """A number this engine did not issue cannot be checked here: as before, it satisfies the edit."""
    results = judge([billed_claim("UTN-FROM-THE-MAC", id="OUTSIDE")], tmp_path)
    assert not {"MCR501", "ENG021", "ENG022"} & codes(results["OUTSIDE"])


def test_dry_run_answers_without_saving_so_the_number_is_not_honoured(data_dir, tmp_path):
    bundle, result = submit(REQUEST, tmp_path, "--dry-run")
    assert result.exit_code == 0, result.output
    number = claim_response(bundle)["preAuthRef"]
    assert "not saved" in result.stderr
    assert not (data_dir / "authorizations.sqlite").exists()
    judged = judge([billed_claim(number, id="DRY")], tmp_path)["DRY"]
    assert not {"MCR501", "ENG021"} & codes(judged)  # an unknown number: taken as given, as any outside one


# -- other decisions --------------------------------------------------------------------------


def _request(**changes: Any) -> dict[str, Any]:
    data = json.loads(REQUEST.read_text(encoding="utf-8"))
    claim = data["entry"][0]["resource"]
    for key, value in changes.items():
        claim[key] = value
    return data


def test_an_item_another_rule_refuses_is_not_certified_a3_with_that_rule(data_dir, tmp_path):
    # M17.1 is a header, not a billable ICD-10-CM code: a front-end rejection decides the item
    data = _request()
    data["entry"][0]["resource"]["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0]["code"] = "M17.1"
    path = tmp_path / "header-dx.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    bundle, result = submit(path, tmp_path)
    assert result.exit_code == 0, result.output
    validate_r4(bundle)
    response = claim_response(bundle)
    action, number, rule = review_action(response["item"][0])
    assert action == "A3" and number is None and rule == "MCR002"
    assert "preAuthRef" not in response
    assert not (data_dir / "authorizations.sqlite").exists()


def test_an_item_with_only_an_x12_service_type_is_pended_a4(data_dir, tmp_path):
    data = _request()
    item = data["entry"][0]["resource"]["item"][1]
    item["productOrService"] = {
        "coding": [
            {"system": "https://codesystem.x12.org/005010/1365", "code": "12", "display": "DME Purchase"}
        ]
    }
    path = tmp_path / "service-type.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    bundle, result = submit(path, tmp_path)
    assert result.exit_code == 0, result.output
    validate_r4(bundle)
    response = claim_response(bundle)
    assert review_action(response["item"][0])[0] == "A1"
    assert review_action(response["item"][1]) == ("A4", None, "ENG023")
    assert response["outcome"] == "partial"


def test_the_requested_device_gives_the_code_when_the_item_names_only_a_service_type(data_dir, tmp_path):
    data = _request()
    data["entry"][0]["resource"]["item"][0]["productOrService"] = {
        "coding": [{"system": "https://codesystem.x12.org/005010/1365", "code": "12"}]
    }
    path = tmp_path / "device.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    bundle, _ = submit(path, tmp_path)
    assert review_action(claim_response(bundle)["item"][0])[0] == "A1"  # L1851 from the DeviceRequest


def test_an_unreadable_request_is_an_operation_outcome_and_a_located_error(data_dir, tmp_path):
    data = _request(use="claim")
    path = tmp_path / "not-a-request.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    outcome, result = submit(path, tmp_path)
    assert result.exit_code == 1
    assert f"{path}: entry[0] Claim/PA-KNEE-1: expected use preauthorization" in result.stderr
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == ["Claim.use"]
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    OperationOutcome.model_validate(outcome)
    unknown = CliRunner().invoke(cli, ["pas", "submit", str(REQUEST), "--payer", "nobody"])
    assert unknown.exit_code == 2


def test_adjudicate_refuses_a_prior_authorization_request_per_claim_naming_pas_submit(tmp_path):
    [item] = read_text(REQUEST.read_text(encoding="utf-8"), str(REQUEST))
    assert not isinstance(item, Claim)
    assert item.location == f"{REQUEST}: entry[0] Claim/PA-KNEE-1"
    assert "pas submit" in item.message and item.message.endswith("@ $.use")


def test_every_pas_rule_is_explained():
    engine = Engine.from_installed()
    for code in ("ENG021", "ENG022", "ENG023", "ENG024", "ENG025", "ENG026"):
        info = engine.rule(code)
        assert info.summary and info.why and "Da Vinci" in info.citation


# -- over HTTP --------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_http_submit_then_adjudicate_honours_the_number(data_dir):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from payer_rules.service.app import create_app

    with TestClient(create_app(Engine.from_installed())) as client:
        body = REQUEST.read_bytes()
        refused = client.post(
            "/fhir/Claim/$submit?payer=medicare", content=body, headers={"content-type": "application/json"}
        )
        assert refused.status_code == 415 and "application/fhir+json" in refused.json()["detail"]
        no_payer = client.post(
            "/fhir/Claim/$submit", content=body, headers={"content-type": "application/fhir+json"}
        )
        assert no_payer.status_code == 400
        answer = client.post(
            "/fhir/Claim/$submit?payer=medicare",
            content=body,
            headers={"content-type": "application/fhir+json"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/fhir+json")
        bundle = answer.json()
        validate_r4(bundle)
        number = claim_response(bundle)["preAuthRef"]
        claims = [
            billed_claim(number, id="HTTP-WITH"),
            billed_claim(None, id="HTTP-WITHOUT", member_id="1EG4TE5MK74"),
        ]
        judged = client.post("/v1/adjudicate?payer=medicare", json=claims)
        assert judged.status_code == 200, judged.text
        results = {r["claim_id"]: r for r in judged.json()["results"]}
        assert "ENG021" in codes(results["HTTP-WITH"]) and "MCR501" not in codes(results["HTTP-WITH"])
        assert "MCR501" in codes(results["HTTP-WITHOUT"])
        broken = client.post(
            "/fhir/Claim/$submit?payer=medicare",
            content=b"{",
            headers={"content-type": "application/fhir+json"},
        )
        assert broken.status_code == 400 and broken.json()["resourceType"] == "OperationOutcome"


def test_the_shared_pas_reference_bundles_get_an_answer_or_a_located_operation_outcome(data_dir, tmp_path):
    from .conftest import SHARED_DATA

    folder = SHARED_DATA / "fhir" / "davinci-pas-ri"
    if not folder.is_dir():
        pytest.skip(f"shared Da Vinci PAS samples not found under {folder}")
    for path in sorted(folder.glob("*.json")):
        answer, result = submit(path, tmp_path, "--dry-run")
        assert "Traceback" not in result.output, path
        if result.exit_code == 0:
            validate_r4(answer)
        else:
            assert result.exit_code == 1, (path, result.output)
            assert answer["resourceType"] == "OperationOutcome"
            assert result.stderr.startswith(f"payer-rules: error: {path}"), result.stderr


def test_request_items_keep_their_sequence(data_dir, tmp_path):
    data = _request()
    items = data["entry"][0]["resource"]["item"]
    items[0]["sequence"], items[1]["sequence"] = 7, 3
    path = tmp_path / "seq.json"
    path.write_text(json.dumps(copy.deepcopy(data)), encoding="utf-8")
    bundle, _ = submit(path, tmp_path)
    assert [i["itemSequence"] for i in claim_response(bundle)["item"]] == [7, 3]


def test_two_certified_items_the_reason_names_the_closest_and_units_are_counted_within_a_claim(
    data_dir, tmp_path
):
    day = dt.date(2026, 5, 4)
    assert listed_for_prior_auth("L1851", day) and listed_for_prior_auth("L0650", day)
    data = _request()
    data["entry"][0]["resource"]["item"][1]["productOrService"]["coding"][0]["code"] = "L0650"
    path = tmp_path / "two.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    bundle, _ = submit(path, tmp_path)
    response = claim_response(bundle)
    number = response["preAuthRef"]
    assert [review_action(i)[:2] for i in response["item"]] == [("A1", number), ("A1", number)]
    twice = {"procedure": "L1851", "units": "1", "charge": "950.00", "service_date": "2026-05-04"}
    results = judge(
        [billed_claim(number, id="LATE-LSO", procedure="L0650", service_date="2026-05-06")], tmp_path
    )
    [why] = [f["message"] for f in results["LATE-LSO"]["findings"] if f["code"] == "ENG022"]
    assert "authorizes L0650 from 2026-05-04 to 2026-05-04; this line is on 2026-05-06" in why, why
    assert "L1851, not L0650" not in why
    # one unit of L1851 certified: the first line uses it, the second is over it
    same_member = judge([billed_claim(number, id="TWICE-SAME", more_lines=[twice])], tmp_path)["TWICE-SAME"]
    by_line = {n: {f["code"] for f in same_member["findings"] if f["line"] == n} for n in (1, 2)}
    assert "ENG021" in by_line[1] and "MCR501" not in by_line[1]
    assert {"MCR501", "ENG022"} <= by_line[2]
    [units] = [f["message"] for f in same_member["findings"] if f["code"] == "ENG022"]
    assert "authorizes 1 unit(s) of L1851, 1 billed on this claim; this line bills 1" in units


def brain_mri_request() -> dict[str, Any]:
    """The sample request cut to one item: a brain MRI (70553) in an outpatient hospital, for
    migraine (G43.909)."""
    data = _request()
    claim = data["entry"][0]["resource"]
    claim["item"] = [claim["item"][1]]
    item = claim["item"][0]
    item["sequence"] = 1
    item["productOrService"] = {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "70553"}]}
    item["locationCodeableConcept"]["coding"][0]["code"] = "22"
    claim["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0]["code"] = "G43.909"
    return data


def test_a_commercial_round_trip_bluepeak_brain_mri(tmp_path, monkeypatch):
    """BluePeak's pack requires authorization for a brain MRI (BPK101); its 90-day filing limit
    does not judge a request (it is judged as billed right after its last service)."""
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path / "data"))
    data = brain_mri_request()
    path = tmp_path / "mri.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    bundle, result = submit(path, tmp_path, payer="bluepeak")
    assert result.exit_code == 0, result.output
    validate_r4(bundle)
    response = claim_response(bundle)
    number = response["preAuthRef"]
    assert review_action(response["item"][0]) == ("A1", number, "ENG024")
    notes = [n["text"] for n in response["processNote"]]
    assert any(n.startswith("BPK101") for n in notes) and not any(n.startswith("BPK001") for n in notes)
    mri = {"procedure": "70553", "service_date": "2026-05-04"}
    results = judge(
        [
            {
                **billed_claim(number, id="MRI-WITH", **mri),
                "diagnoses": [{"code": "G43.909"}],
                "place_of_service": "22",
            },
            {
                **billed_claim(None, id="MRI-WITHOUT", **mri),
                "diagnoses": [{"code": "G43.909"}],
                "place_of_service": "22",
            },
        ],
        tmp_path,
        payer="bluepeak",
    )
    assert "ENG021" in codes(results["MRI-WITH"]) and "BPK101" not in codes(results["MRI-WITH"])
    assert "BPK101" in codes(results["MRI-WITHOUT"])
