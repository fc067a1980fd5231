"""FHIR R4 in (Claim, Bundle) and out (ClaimResponse + ExplanationOfBenefit), checked with fhir.resources."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.io.fhir.writer import FhirWriter, claim_bundle, dumps
from payer_rules.io.readers import read_claims, read_text
from payer_rules.models import Claim

from .conftest import EXAMPLES, SHARED_DATA

FHIR_SAMPLES = SHARED_DATA / "fhir"


def example_claims() -> list[Claim]:
    return [c for c in read_claims([str(EXAMPLES / "claims")]) if isinstance(c, Claim)]


def test_claim_bundle_round_trip():
    from fhir.resources.R4B.bundle import Bundle

    claims = example_claims()
    bundle = claim_bundle(claims)
    Bundle.model_validate(bundle)
    back = list(read_text(dumps(bundle), "claims.fhir.json"))
    assert [c.id for c in back if isinstance(c, Claim)] == [c.id for c in claims]
    for original, read_back in zip(claims, back, strict=True):
        assert isinstance(read_back, Claim)
        assert read_back.lines == original.lines
        assert read_back.diagnoses == original.diagnoses
        assert read_back.patient == original.patient
        assert read_back.billing_provider.npi == original.billing_provider.npi
        assert read_back.service_facility_zip == original.service_facility_zip
        assert read_back.coverage.member_id == original.coverage.member_id


def test_a_single_claim_resource_is_read():
    bundle = claim_bundle(example_claims()[:1])
    claim = bundle["entry"][0]["resource"]
    claim["contained"] += [e["resource"] for e in bundle["entry"][1:]]
    for key in ("patient", "provider"):
        claim[key]["reference"] = "#" + claim[key]["reference"].split("/")[1]
    claim["insurance"][0]["coverage"]["reference"] = "#" + claim["insurance"][0]["coverage"]["reference"][9:]
    [read_back] = read_text(dumps(claim), "one.json")
    assert isinstance(read_back, Claim) and read_back.id == "CLM-1001"


def test_bad_fhir_claim_is_located():
    bundle = claim_bundle(example_claims()[:2])
    bundle["entry"][0]["resource"]["item"][0]["servicedDate"] = "2026-02-30"
    items = list(read_text(dumps(bundle), "b.json"))
    assert isinstance(items[0], InputError)
    assert str(items[0]) == (
        "b.json: entry[0] Claim/CLM-1001: expected a date as YYYY-MM-DD, got '2026-02-30'"
        " @ $.item[0].servicedDate"
    )
    assert isinstance(items[1], Claim)  # the rest are still read


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "net",
            {"value": "NaN", "currency": "USD"},
            "expected an amount (Money.value), got 'NaN' @ $.item[0].net",
        ),
        ("net", {"value": "Infinity"}, "expected an amount (Money.value), got 'Infinity' @ $.item[0].net"),
        ("quantity", {"value": "abc"}, "expected a quantity, got 'abc' @ $.item[0].quantity.value"),
    ],
)
def test_an_amount_or_quantity_that_is_not_a_finite_number_is_located(field, value, expected):
    bundle = claim_bundle(example_claims()[:1])
    bundle["entry"][0]["resource"]["item"][0][field] = value
    [item] = read_text(dumps(bundle), "b.json")
    assert str(item) == f"b.json: entry[0] Claim/CLM-1001: {expected}"


def test_writer_output_validates_as_r4():
    from fhir.resources.R4B.bundle import Bundle

    engine = Engine.from_installed()
    out = io.StringIO()
    writer = FhirWriter(out)
    claims: list[Claim | InputError] = [*example_claims(), InputError("x.json:1", "broken", claim_id="BAD")]
    for item, result in engine.adjudicate_pairs(claims, ["medicare"]):
        writer.write(result, item)
    writer.close()
    data = json.loads(out.getvalue())
    Bundle.model_validate(data)
    kinds = [e["resource"]["resourceType"] for e in data["entry"]]
    assert kinds.count("ClaimResponse") == len(claims)
    assert kinds.count("ExplanationOfBenefit") == len(claims) - 1
    response = next(e["resource"] for e in data["entry"] if e["resource"]["id"] == "medicare-CLM-1001")
    categories = {a["category"]["coding"][0]["code"] for a in response["item"][0]["adjudication"]}
    assert {"submitted", "eligible", "benefit"} <= categories
    reasons = [a["reason"]["coding"][0] for a in response["item"][0]["adjudication"] if "reason" in a]
    assert reasons and all(r["system"].endswith("claim-adjustment-reason-codes") for r in reasons)
    error = next(e["resource"] for e in data["entry"] if e["resource"]["id"] == "medicare-BAD")
    assert error["outcome"] == "error"


def test_cli_fhir_format(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "medicare")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        cli,
        [
            "adjudicate",
            str(EXAMPLES / "x12" / "professional.837"),
            "--payer",
            "medicare",
            "--format",
            "fhir",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["resourceType"] == "Bundle"


@pytest.mark.skipif(not FHIR_SAMPLES.is_dir(), reason=f"shared FHIR samples not found at {FHIR_SAMPLES}")
def test_shared_fhir_samples_give_claims_or_located_errors():
    for path in sorted(FHIR_SAMPLES.rglob("*.json")):
        for item in read_text(path.read_text(encoding="utf-8"), str(path)):
            if isinstance(item, InputError):
                assert str(item).startswith(f"{path}"), str(item)


def test_assignment_maps_to_payee_type_and_the_accept_assignment_extension():
    from attrs import evolve

    from payer_rules.io.fhir.reader import ACCEPT_ASSIGNMENT

    claim = evolve(example_claims()[0], accept_assignment=False, benefits_assigned=False)
    bundle = claim_bundle([claim])
    resource = bundle["entry"][0]["resource"]
    assert resource["payee"]["type"]["coding"][0]["code"] == "subscriber"
    assert resource["extension"] == [{"url": ACCEPT_ASSIGNMENT, "valueBoolean": False}]
    [back] = read_text(dumps(bundle), "b.json")
    assert isinstance(back, Claim) and (back.accept_assignment, back.benefits_assigned) == (False, False)
    resource["payee"]["type"]["coding"][0]["code"] = "somebody"
    [bad] = read_text(dumps(bundle), "b.json")
    assert isinstance(bad, InputError) and "@ $.payee.type" in str(bad)
