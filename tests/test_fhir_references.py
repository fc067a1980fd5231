"""Every way FHIR R4 (and US Core, CARIN BB, Da Vinci PAS) points from a Claim to its provider,
patient, coverage and payer; the run's payer standing in for a claim that names none (ENG019);
claim types that are not modelled; and every Claim in the shared and example FHIR files judged
or given a per-claim located result."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.errors import InputError
from payer_rules.io.fhir.reader import NPI_SYSTEM
from payer_rules.io.readers import read_text
from payer_rules.models import Claim

from .conftest import EXAMPLES, SHARED_DATA

NPI = "1234567893"
MEMBER_SYSTEM = "http://example.org/fhir/sid/member-id"
PAYER_SYSTEM = "http://example.org/fhir/sid/payer-id"
BASE = "http://example.org/fhir"

PATIENT = {
    "resourceType": "Patient",
    "id": "pat1",
    "identifier": [{"system": MEMBER_SYSTEM, "value": "M-77"}],
    "name": [{"family": "Doe", "given": ["Jan"]}],
    "gender": "female",
    "birthDate": "1960-01-02",
}
PRACTITIONER = {
    "resourceType": "Practitioner",
    "id": "pra1",
    "identifier": [{"system": NPI_SYSTEM, "value": NPI}],
    "name": [{"family": "Reyes", "given": ["Ana"]}],
}
PAYER = {
    "resourceType": "Organization",
    "id": "org1",
    "identifier": [{"system": PAYER_SYSTEM, "value": "PAYER-9"}],
    "name": "Example Health",
}
COVERAGE = {
    "resourceType": "Coverage",
    "id": "cov1",
    "status": "active",
    "subscriberId": "M-77",
    "beneficiary": {"reference": "Patient/pat1"},
    "payor": [{"reference": "Organization/org1"}],
}


def claim(patient: Any, provider: Any, coverage: Any, **extra: Any) -> dict[str, Any]:
    """A small professional Claim pointing at its parties with the References given."""
    return {
        "resourceType": "Claim",
        "id": "c1",
        "status": "active",
        "type": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]
        },
        "use": "claim",
        "patient": patient,
        "created": "2026-02-10",
        "provider": provider,
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": coverage}],
        "diagnosis": [
            {
                "sequence": 1,
                "diagnosisCodeableConcept": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10"}]
                },
            }
        ],
        "item": [
            {
                "sequence": 1,
                "productOrService": {
                    "coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99213"}]
                },
                "servicedDate": "2026-02-03",
                "net": {"value": 150, "currency": "USD"},
            }
        ],
        **extra,
    }


def bundle(the_claim: dict[str, Any], *entries: tuple[str | None, dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:0b6b9a53-4fcb-4f5f-9d3b-2b1b4b0e0001", "resource": the_claim},
            *({"resource": copy.deepcopy(r), **({"fullUrl": u} if u else {})} for u, r in entries),
        ],
    }


def read_one(data: dict[str, Any]) -> Claim:
    [item] = read_text(json.dumps(data), "refs.json")
    assert isinstance(item, Claim), str(item)
    return item


def assert_parties(c: Claim, *, payer: str = "PAYER-9", names: bool = True) -> None:
    assert c.billing_provider.npi == NPI
    assert c.coverage.member_id == "M-77"
    assert c.coverage.payer_id == payer
    if names:  # the resources themselves were found, not just an identifier
        assert c.billing_provider.name == "Ana Reyes"
        assert c.patient.last_name == "Doe"


def test_literal_relative_references_resolve_against_entries_under_any_base():
    data = bundle(
        claim(
            {"reference": "Patient/pat1"}, {"reference": "Practitioner/pra1"}, {"reference": "Coverage/cov1"}
        ),
        (f"{BASE}/Patient/pat1", PATIENT),
        (f"{BASE}/Practitioner/pra1", PRACTITIONER),
        (f"{BASE}/Coverage/cov1", COVERAGE),
        (f"{BASE}/Organization/org1", PAYER),
    )
    assert_parties(read_one(data))


def test_absolute_url_references_match_the_full_url():
    coverage = {**COVERAGE, "payor": [{"reference": f"{BASE}/Organization/org1"}]}
    data = bundle(
        claim(
            {"reference": f"{BASE}/Patient/pat1"},
            {"reference": f"{BASE}/Practitioner/pra1"},
            {"reference": f"{BASE}/Coverage/cov1"},
        ),
        (f"{BASE}/Patient/pat1", PATIENT),
        (f"{BASE}/Practitioner/pra1", PRACTITIONER),
        (f"{BASE}/Coverage/cov1", coverage),
        (f"{BASE}/Organization/org1", PAYER),
    )
    assert_parties(read_one(data))


def test_absolute_url_references_match_type_and_id_when_no_full_url_does():
    """Entries under urn:uuid full URLs (or none), referenced by a server's absolute URL."""
    coverage = {**COVERAGE, "payor": [{"reference": "https://payer.example.com/r4/Organization/org1"}]}
    data = bundle(
        claim(
            {"reference": "https://ehr.example.com/fhir/Patient/pat1"},
            {"reference": "https://ehr.example.com/fhir/Practitioner/pra1/_history/3"},
            {"reference": "https://payer.example.com/r4/Coverage/cov1"},
        ),
        ("urn:uuid:9c1d3a52-1c11-4d62-9b8f-6c3b1f0a0002", PATIENT),
        (None, PRACTITIONER),
        ("urn:uuid:9c1d3a52-1c11-4d62-9b8f-6c3b1f0a0003", coverage),
        ("urn:uuid:9c1d3a52-1c11-4d62-9b8f-6c3b1f0a0004", PAYER),
    )
    assert_parties(read_one(data))


def test_urn_uuid_full_url_references():
    ids = {
        k: f"urn:uuid:5f0a3c4e-7b1d-4e8a-9a51-00000000000{n}"
        for n, k in enumerate(["patient", "payer", "cov", "pra"])
    }
    coverage = {
        **COVERAGE,
        "beneficiary": {"reference": ids["patient"]},
        "payor": [{"reference": ids["payer"]}],
    }
    data = bundle(
        claim({"reference": ids["patient"]}, {"reference": ids["pra"]}, {"reference": ids["cov"]}),
        (ids["patient"], {k: v for k, v in PATIENT.items() if k != "id"}),  # no id: only the fullUrl finds it
        (ids["pra"], {k: v for k, v in PRACTITIONER.items() if k != "id"}),
        (ids["cov"], {k: v for k, v in coverage.items() if k != "id"}),
        (ids["payer"], {k: v for k, v in PAYER.items() if k != "id"}),
    )
    assert_parties(read_one(data))


def test_contained_references_including_one_contained_resource_naming_a_sibling():
    coverage = {**COVERAGE, "beneficiary": {"reference": "#pat1"}, "payor": [{"reference": "#org1"}]}
    the_claim = claim(
        {"reference": "#pat1"},
        {"reference": "#pra1"},
        {"reference": "#cov1"},
        contained=[PATIENT, PRACTITIONER, coverage, PAYER],
    )
    assert_parties(read_one(the_claim))  # a single Claim resource, no Bundle


def test_logical_references_resolve_by_identifier_against_the_bundle():
    """US Core / CARIN BB style: identifier only, matched on system and value in the Bundle."""
    coverage = {**COVERAGE, "payor": [{"identifier": {"system": PAYER_SYSTEM, "value": "PAYER-9"}}]}
    data = bundle(
        claim(
            {"identifier": {"system": MEMBER_SYSTEM, "value": "M-77"}},
            {"identifier": {"system": NPI_SYSTEM, "value": NPI}},
            {"reference": "Coverage/cov1"},
        ),
        (None, PATIENT),
        (None, PRACTITIONER),
        (None, coverage),
        (None, PAYER),
    )
    assert_parties(read_one(data))


def test_logical_references_with_nothing_in_the_file_use_the_identifier_itself():
    """An NPI is the provider's NPI, a payer identifier the payer id, a member id the member id."""
    the_claim = claim(
        {"identifier": {"system": MEMBER_SYSTEM, "value": "M-77"}},
        {"identifier": {"system": NPI_SYSTEM, "value": NPI}, "display": "Ana Reyes MD"},
        {"identifier": {"system": MEMBER_SYSTEM, "value": "M-77"}},
        insurer={"identifier": {"system": PAYER_SYSTEM, "value": "PAYER-9"}},
    )
    c = read_one(the_claim)
    assert_parties(c, names=False)
    assert c.patient.id == "M-77"
    assert c.billing_provider.name == "Ana Reyes MD"


def test_a_practitioner_role_gives_its_practitioners_npi():
    role = {
        "resourceType": "PractitionerRole",
        "id": "role1",
        "practitioner": {"reference": "Practitioner/pra1"},
        "organization": {"reference": "Organization/org1"},
    }
    data = bundle(
        claim(
            {"reference": "Patient/pat1"},
            {"reference": "PractitionerRole/role1"},
            {"reference": "Coverage/cov1"},
        ),
        (None, PATIENT),
        (None, PRACTITIONER),
        (None, role),
        (None, COVERAGE),
        (None, PAYER),
    )
    assert_parties(read_one(data))


def test_a_diagnosis_reference_to_a_condition_is_read_and_a_non_icd10_one_located():
    condition = {
        "resourceType": "Condition",
        "id": "cond1",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9"}]},
    }
    the_claim = claim(
        {"reference": "Patient/pat1"}, {"reference": "Practitioner/pra1"}, {"reference": "Coverage/cov1"}
    )
    the_claim["diagnosis"] = [{"sequence": 1, "diagnosisReference": {"reference": "Condition/cond1"}}]
    parties = [(None, PATIENT), (None, PRACTITIONER), (None, COVERAGE), (None, PAYER)]
    assert read_one(bundle(the_claim, *parties, (None, condition))).diagnoses[0].code == "E119"
    snomed = {**condition, "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]}}
    [error] = read_text(json.dumps(bundle(the_claim, *parties, (None, snomed))), "dx.json")
    assert isinstance(error, InputError)
    assert "coded in http://snomed.info/sct; expected an ICD-10-CM" in str(error)
    assert str(error).endswith("@ $.diagnosis[0].diagnosisReference")


def test_a_claim_naming_no_payer_is_read_with_none_and_judged_as_the_runs_payer(tmp_path, monkeypatch):
    """A Da Vinci PAS-style Coverage whose payor reference resolves to nothing in the file."""
    coverage = {**COVERAGE, "payor": [{"reference": "Organization/not-in-the-file"}]}
    data = bundle(
        claim(
            {"reference": "Patient/pat1"}, {"reference": "Practitioner/pra1"}, {"reference": "Coverage/cov1"}
        ),
        (None, PATIENT),
        (None, PRACTITIONER),
        (None, coverage),
    )
    assert read_one(data).coverage.payer_id == ""
    path = tmp_path / "no-payer.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "medicare")
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(cli, ["adjudicate", str(path), "--payer", "medicare", "--format", "json"])
    assert result.exit_code == 0, result.output
    [judged] = json.loads(result.output)
    assert judged["status"] != "error"
    [standin] = [f for f in judged["findings"] if f["code"] == "ENG019"]
    assert standin["severity"] == "warn" and standin["line"] is None
    assert "judged as medicare" in standin["message"]
    # a claim that names its payer gets no such warning
    named = bundle(
        data["entry"][0]["resource"], (None, PATIENT), (None, PRACTITIONER), (None, COVERAGE), (None, PAYER)
    )
    path.write_text(json.dumps(named), encoding="utf-8")
    result = CliRunner().invoke(cli, ["adjudicate", str(path), "--payer", "medicare", "--format", "json"])
    assert "ENG019" not in result.output
    explained = CliRunner().invoke(cli, ["explain", "ENG019"])
    assert explained.exit_code == 0 and "payer-from-run" in explained.output


def _beside_a_good_claim(change: Callable[[dict[str, Any]], None]) -> tuple[Any, Any]:
    """A good Claim, then Claim ``c2`` (the same, changed by ``change``) in one Bundle, read."""
    refs = {"reference": "Patient/pat1"}, {"reference": "Practitioner/pra1"}, {"reference": "Coverage/cov1"}
    other = {**claim(*refs), "id": "c2"}
    change(other)
    data = bundle(claim(*refs), (None, PATIENT), (None, PRACTITIONER), (None, COVERAGE), (None, PAYER))
    data["entry"].append({"resource": other})
    first, second = read_text(json.dumps(data), "kinds.json")
    return first, second


@pytest.mark.parametrize(
    ("code", "system", "named"),
    [
        ("pharmacy", "http://terminology.hl7.org/CodeSystem/claim-type", "pharmacy claim"),
        ("vision", "http://terminology.hl7.org/CodeSystem/claim-type", "vision claim"),
        ("SC", "http://example.org/UM_REQUEST_CATEGORY_CODE", "claim type 'SC'"),
    ],
)
def test_a_claim_type_not_modelled_is_a_located_result_for_that_claim_only(code, system, named):
    first, second = _beside_a_good_claim(
        lambda other: other.update(type={"coding": [{"system": system, "code": code}]})
    )
    assert isinstance(first, Claim)
    assert isinstance(second, InputError) and second.claim_id == "c2"
    assert second.location == "kinds.json: entry[5] Claim/c2"
    assert named in second.message and "is not modelled" in second.message
    assert second.message.endswith("@ $.type")


@pytest.mark.parametrize(
    ("claim_type", "said"),
    [
        (None, "Claim.type is required and missing"),
        ({"text": "professional"}, "Claim.type has no code (text 'professional')"),
        (
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type"}]},
            "Claim.type has no code",
        ),
        (
            "professional",
            "Claim.type must be a CodeableConcept (coding with system and code), got 'professional'",
        ),
    ],
    ids=["absent", "text-only", "coding-without-code", "a-string"],
)
def test_a_claim_without_a_type_code_is_a_located_error_saying_what_is_missing(claim_type, said):
    def change(other: dict[str, Any]) -> None:
        if claim_type is None:
            del other["type"]
        else:
            other["type"] = claim_type

    first, second = _beside_a_good_claim(change)
    assert isinstance(first, Claim)
    assert isinstance(second, InputError) and second.claim_id == "c2"
    assert second.location == "kinds.json: entry[5] Claim/c2"
    assert second.message.startswith(said), second.message
    assert (
        "; expected a coding from http://terminology.hl7.org/CodeSystem/claim-type: professional "
        "(837P / CMS-1500), institutional (837I / UB-04) or oral (dental, answered per line)"
    ) in second.message
    assert "None" not in second.message and "not modelled" not in second.message
    assert second.message.endswith("@ $.type")


def test_an_oral_claim_is_a_dental_claim_each_payer_answers_per_line_naming_what_would_price_it(
    tmp_path, monkeypatch
):
    """FHIR ``oral`` is read as a dental claim; no installed payer prices dental, so every line
    pends (ENG005) naming the dental fee schedule, and the other Claim of the file is judged."""
    oral = claim(
        {"reference": "Patient/pat1"}, {"reference": "Practitioner/pra1"}, {"reference": "Coverage/cov1"}
    )
    oral["id"] = "dental-1"
    oral["type"] = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "oral"}]
    }
    oral["item"] = [
        {**oral["item"][0], "productOrService": {"coding": [{"code": "D0120"}]}},
        {**oral["item"][0], "sequence": 2, "productOrService": {"coding": [{"code": "D1110"}]}},
    ]
    data = bundle(
        claim(
            {"reference": "Patient/pat1"}, {"reference": "Practitioner/pra1"}, {"reference": "Coverage/cov1"}
        ),
        (None, PATIENT),
        (None, PRACTITIONER),
        (None, COVERAGE),
        (None, PAYER),
    )
    data["entry"].append({"resource": oral})
    path = tmp_path / "oral.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    first, second = read_text(path.read_text(encoding="utf-8"), str(path))
    assert isinstance(first, Claim) and isinstance(second, Claim), (first, second)
    assert str(second.claim_type) == "dental"
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        cli,
        [
            "adjudicate",
            str(path),
            "--payer",
            "medicare",
            "--payer",
            "bluepeak",
            "--format",
            "json",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    results = {(r["claim_id"], r["payer"]): r for r in json.loads(out.read_text(encoding="utf-8"))}
    for payer in ("medicare", "bluepeak"):
        dental = results[("dental-1", payer)]
        assert dental["status"] == "pended" and dental["paid"] == "0.00"
        pends = [f for f in dental["findings"] if f["code"] == "ENG005"]
        assert [f["line"] for f in pends] == [1, 2]
        assert all(f["message"].startswith(f"line {f['line']}: dental claim is paid under") for f in pends)
        assert all("dental" in f["message"].split("What would price it:")[1] for f in pends)
    # each payer's own word on dental: Medicare's exclusion, the commercial plan's usual method
    assert "excluded from coverage" in results[("dental-1", "medicare")]["findings"][0]["message"]
    assert "a dental fee schedule" in results[("dental-1", "bluepeak")]["findings"][0]["message"]
    assert all(results[("c1", payer)]["status"] != "error" for payer in ("medicare", "bluepeak"))
    # written back as FHIR, the dental claim is oral again
    fhir_out = tmp_path / "out.fhir.json"
    CliRunner().invoke(
        cli, ["adjudicate", str(path), "--payer", "medicare", "--format", "fhir", "-o", str(fhir_out)]
    )
    responses = [e["resource"] for e in json.loads(fhir_out.read_text(encoding="utf-8"))["entry"]]
    dental_types = {r["type"]["coding"][0]["code"] for r in responses if r["id"].endswith("dental-1")}
    assert dental_types == {"oral"}


FHIR_FILES = sorted((SHARED_DATA / "fhir").rglob("*.json")) + sorted((EXAMPLES / "fhir").rglob("*.json"))


def _claim_labels(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return []
    if data.get("resourceType") == "Claim":
        return ["Claim"]
    return [
        f"entry[{n}] Claim/{e['resource'].get('id', '?')}"
        for n, e in enumerate(data.get("entry") or [])
        if isinstance(e, dict)
        and isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") == "Claim"
    ]


@pytest.mark.skipif(
    not (SHARED_DATA / "fhir" / "davinci-pas-ri").is_dir()
    or not (SHARED_DATA / "fhir" / "bluebutton2").is_dir(),
    reason=f"shared FHIR samples (bluebutton2, davinci-pas-ri) not found under {SHARED_DATA / 'fhir'}",
)
def test_every_shared_and_example_claim_is_judged_or_located(tmp_path, monkeypatch):
    """Each Claim resource gives a claim or an error located at that claim, never a whole-file
    refusal; a file with no Claim at all gives one error naming what it holds."""
    expected = 0
    for path in FHIR_FILES:
        labels = _claim_labels(json.loads(path.read_text(encoding="utf-8")))
        items = list(read_text(path.read_text(encoding="utf-8"), str(path)))
        if not labels:
            [only] = items
            assert isinstance(only, InputError)
            assert "not a claim" in str(only) or "no Claim" in str(only)
            expected += 1
            continue
        assert len(items) == len(labels), path
        for item, label in zip(items, labels, strict=True):
            if isinstance(item, InputError):
                assert item.location == f"{path}: {label}", str(item)
                assert " @ $." in item.message, str(item)  # names the element at fault
        expected += len(labels)
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "medicare")
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "results.json"
    result = CliRunner().invoke(
        cli, ["adjudicate", *map(str, FHIR_FILES), "--payer", "medicare", "--format", "json", "-o", str(out)]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    judged = json.loads(out.read_text(encoding="utf-8"))
    assert len(judged) == expected
    assert any(r["status"] != "error" for r in judged)


def test_example_fhir_claims_are_all_read():
    path: Path = EXAMPLES / "fhir" / "claims.json"
    items = list(read_text(path.read_text(encoding="utf-8"), str(path)))
    assert items and all(isinstance(i, Claim) for i in items)


def test_a_logical_reference_finds_the_resource_type_the_element_means():
    """A member id carried by both the Coverage and the Patient: the patient element finds the
    Patient, the coverage element the Coverage (the Coverage comes first in the Bundle)."""
    member = {"system": MEMBER_SYSTEM, "value": "M-77"}
    coverage = {**COVERAGE, "identifier": [member], "subscriberId": "SUB-1"}
    data = bundle(
        claim({"identifier": member}, {"reference": "Practitioner/pra1"}, {"identifier": member}),
        (None, coverage),
        (None, PATIENT),
        (None, PRACTITIONER),
        (None, PAYER),
    )
    c = read_one(data)
    assert c.patient.last_name == "Doe"
    assert c.coverage.member_id == "SUB-1"  # the Coverage's subscriberId: the Coverage was found
