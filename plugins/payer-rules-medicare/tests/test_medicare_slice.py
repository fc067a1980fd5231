"""The Medicare slice: required data, ICD-10-CM by date of service, NCD 190.20, pricing, cost sharing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.io.json_claims import read_json_text
from payer_rules.models import Diagnosis, Provider, ServiceLine
from payer_rules_medicare.edits import npi_is_valid

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "claims"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def example(name: str):
    (claim,) = list(read_json_text((EXAMPLES / name).read_text(), name))
    return claim


def codes(result):
    return [f.code for f in result.findings]


@pytest.mark.parametrize(
    ("npi", "valid"),
    [("1234567893", True), ("1234567890", False), ("123456789", False), ("12345678AB", False)],
)
def test_npi_check_digit(npi, valid):
    assert npi_is_valid(npi) is valid


def test_99213_in_san_francisco_2026_matches_cms_published_amount(engine):
    # CMS CY2026 payment file: 99213, MAC 01112 locality 05, non-facility $117.58.
    result = engine.adjudicate(example("01-office-visit-2026.json"), "medicare")
    line = result.lines[0]
    assert line.allowed == Decimal("117.58")
    # deductible already met: 20% coinsurance, then 2% sequestration of the Medicare share
    assert [(a.group, a.carc, a.amount) for a in line.adjustments] == [
        ("CO", "45", Decimal("32.42")),
        ("PR", "2", Decimal("23.52")),
        ("CO", "253", Decimal("1.88")),
    ]
    assert line.paid == Decimal("92.18")


def test_facility_place_of_service_uses_the_facility_pe(engine):
    claim = example("01-office-visit-2026.json")
    import attrs

    result = engine.adjudicate(attrs.evolve(claim, place_of_service="22"), "medicare")
    # CMS CY2026: 99213 facility, San Francisco: $64.37
    assert result.lines[0].allowed == Decimal("64.37")


def test_glucose_with_type_2_diabetes_is_paid_from_the_lab_fee_schedule(engine):
    result = engine.adjudicate(example("02-glucose-type2-diabetes.json"), "medicare")
    assert result.status == "paid" and result.lines[0].allowed == Decimal("3.93")
    assert result.patient_responsibility == 0  # no deductible or coinsurance on CLFS services


def test_glucose_with_an_ankle_sprain_is_not_medically_necessary(engine):
    result = engine.adjudicate(example("03-glucose-ankle-sprain.json"), "medicare")
    assert result.status == "denied" and codes(result) == ["MCR101"]
    f = result.findings[0]
    assert (f.group, f.carc, f.rarcs) == ("CO", "50", ("N386",))
    assert "NCD 190.20" in (f.source.citation or "")
    assert result.patient_responsibility == 0


def test_with_an_abn_ga_the_patient_is_liable(engine):
    result = engine.adjudicate(example("04-glucose-ankle-sprain-abn.json"), "medicare")
    assert result.status == "denied"
    assert result.lines[0].adjustments[0].group == "PR"
    assert result.patient_responsibility == Decimal("25.00")


def test_fy2026_code_before_october_is_rejected_naming_the_valid_release(engine):
    result = engine.adjudicate(example("05-diabetes-in-remission-before-fy2026.json"), "medicare")
    assert result.status == "rejected" and codes(result) == ["MCR001"]
    assert "valid in ICD-10-CM FY2026" in result.findings[0].message
    assert (result.findings[0].carc, result.findings[0].rarcs) == ("16", ("M76",))


def test_fy2026_code_from_october_is_accepted(engine):
    import attrs

    claim = example("05-diabetes-in-remission-before-fy2026.json")
    line = attrs.evolve(claim.lines[0], service_date=dt.date(2025, 10, 1))
    result = engine.adjudicate(attrs.evolve(claim, lines=(line,)), "medicare")
    assert "MCR001" not in codes(result)


def test_deleted_code_is_valid_before_and_rejected_after_the_boundary(engine):
    import attrs

    claim = attrs.evolve(example("02-glucose-type2-diabetes.json"), diagnoses=(Diagnosis(code="G35"),))
    lines = {
        day: attrs.evolve(claim.lines[0], procedure="99213", service_date=day)
        for day in (dt.date(2025, 9, 30), dt.date(2025, 10, 1))
    }
    before = engine.adjudicate(attrs.evolve(claim, lines=(lines[dt.date(2025, 9, 30)],)), "medicare")
    after = engine.adjudicate(attrs.evolve(claim, lines=(lines[dt.date(2025, 10, 1)],)), "medicare")
    assert "MCR001" not in codes(before) and "MCR002" not in codes(before)
    assert "MCR002" in codes(after)  # G35 became a header in FY2026


def test_header_and_missing_seventh_character_are_rejected(engine):
    import attrs

    claim = example("03-glucose-ankle-sprain.json")
    result = engine.adjudicate(attrs.evolve(claim, diagnoses=(Diagnosis(code="S93.401"),)), "medicare")
    assert codes(result) == ["MCR002"] and result.status == "rejected"


def test_required_data_edits(engine):
    import attrs

    claim = example("01-office-visit-2026.json")
    bad = attrs.evolve(
        claim,
        billing_provider=attrs.evolve(claim.billing_provider, npi="1234567890"),
        lines=(
            ServiceLine(
                procedure="99213",
                units=Decimal(0),
                charge=Decimal(0),
                service_date=dt.date(2026, 2, 3),
                diagnosis_pointers=(3,),
            ),
        ),
    )
    result = engine.adjudicate(bad, "medicare")
    assert result.status == "rejected"
    assert sorted(codes(result)) == ["MCR010", "MCR011", "MCR012", "MCR013"]


def test_unknown_diagnosis_is_a_warning_not_a_rejection(monkeypatch, tmp_path):
    import attrs

    # No ICD-10-CM code set loaded at all: the codes plugin is blocked, the data directory empty.
    monkeypatch.setenv("PAYER_RULES_DISABLE_PLUGINS", "codesets")
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    engine = Engine.from_installed()
    claim = attrs.evolve(example("01-office-visit-2026.json"), diagnoses=(Diagnosis(code="K21.9"),))
    result = engine.adjudicate(claim, "medicare")
    assert codes(result) == ["MCR003"] and result.status == "paid"


def test_batch_consumes_the_2026_part_b_deductible_in_order(engine):
    claims = list(read_json_text((EXAMPLES / "06-member-batch-2026.json").read_text(), "batch"))
    results = list(engine.adjudicate_many(claims, ["medicare"], session=Session()))
    deductible = [
        sum((a.amount for ln in r.lines for a in ln.adjustments if a.carc == "1"), Decimal(0))
        for r in results
    ]
    assert deductible == [Decimal("166.40"), Decimal("116.60"), Decimal("0")]
    assert sum(deductible) == Decimal("283.00")


def test_non_participating_provider_gets_95_percent(engine):
    import attrs

    claim = example("01-office-visit-2026.json")
    claim = attrs.evolve(claim, billing_provider=attrs.evolve(claim.billing_provider, participating=False))
    assert engine.adjudicate(claim, "medicare").lines[0].allowed == Decimal("111.70")


def test_unpriced_code_is_pended_with_the_reason(engine):
    import attrs

    claim = example("01-office-visit-2026.json")
    claim = attrs.evolve(claim, lines=(attrs.evolve(claim.lines[0], procedure="27447"),))
    result = engine.adjudicate(claim, "medicare")
    assert result.status == "pended" and "MCR201" in codes(result)


def test_provider_model_defaults_to_participating():
    assert Provider(npi="1234567893").participating is True


def test_examples_are_valid_json():
    for path in EXAMPLES.glob("*.json"):
        json.loads(path.read_text())
