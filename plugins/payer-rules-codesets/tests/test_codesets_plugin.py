"""payer-rules-codesets: ICD-10-CM FY2025 / FY2026 with no import step, judged through Medicare."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import pytest

from payer_rules.engine import Engine
from payer_rules.io.json_claims import read_json_text
from payer_rules.models import Diagnosis, Person, Sex
from payer_rules_codesets.releases import FY2025, FY2026, addenda, load_fy2025, load_fy2026

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "claims"
ICD = ROOT.parent / "shared" / "data" / "icd10cm"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def example(name: str):
    (claim,) = list(read_json_text((EXAMPLES / name).read_text(), name))
    return claim


def codes(result):
    return [f.code for f in result.findings]


def test_plugin_is_installed_and_registers_both_years(engine):
    assert any(p.name == "codesets" and "register_code_sets" in p.hooks for p in engine.plugins)
    names = [v.name for v in engine.code_sets.versions("icd-10-cm")]
    assert FY2025 in names and FY2026 in names


def test_addenda_are_the_official_counts():
    added, deleted = addenda()
    assert (len(added), len(deleted)) == (487, 28)


def test_derived_fy2025_is_exactly_the_cdc_fy2025_file():
    path = ICD / "icd10cm_FY2025_codes_descriptions.csv"
    if not path.is_file():
        pytest.skip(f"{path} not here")
    official = {line.split(",", 1)[0] for line in path.read_text().splitlines() if line}
    assert load_fy2025().billable == official


def test_fy2026_is_exactly_the_cdc_fy2026_codes_file():
    path = ICD / "icd10cm_codes_2026_codes-only.txt"
    if not path.is_file():
        pytest.skip(f"{path} not here")
    assert load_fy2026().billable == set(path.read_text().split())


def test_fy2025_headers_include_the_categories_of_deleted_codes():
    fy2025, fy2026 = load_fy2025(), load_fy2026()
    assert "G35" in fy2025.billable and "G35" in fy2026.headers
    assert "T7807" in fy2025.headers and "T7807X" not in fy2025.headers  # a stem, not its placeholder
    assert "E11A" not in fy2025.billable


@pytest.mark.parametrize(
    ("day", "expected"), [(dt.date(2025, 9, 30), ["MCR001"]), (dt.date(2025, 10, 1), [])]
)
def test_fy2026_code_across_the_boundary(engine, day, expected):
    claim = example("05-diabetes-in-remission-before-fy2026.json")
    claim = attrs.evolve(claim, lines=(attrs.evolve(claim.lines[0], service_date=day),))
    result = engine.adjudicate(claim, "medicare")
    assert [c for c in codes(result) if c.startswith("MCR00")] == expected
    if expected:
        f = result.findings[0]
        assert result.status == "rejected" and (f.carc, f.rarcs, f.group) == ("16", ("M76",), "CO")
        assert "valid in ICD-10-CM FY2026" in f.message


@pytest.mark.parametrize(
    ("day", "expected"), [(dt.date(2025, 9, 30), []), (dt.date(2025, 10, 1), ["MCR001"])]
)
def test_deleted_code_across_the_boundary(engine, day, expected):
    claim = example("01-office-visit-2026.json")
    line = attrs.evolve(claim.lines[0], service_date=day)
    claim = attrs.evolve(claim, diagnoses=(Diagnosis(code="S30.1XXA"),), lines=(line,))
    result = engine.adjudicate(claim, "medicare")
    assert [c for c in codes(result) if c.startswith("MCR00")] == expected
    if expected:
        assert "valid in ICD-10-CM FY2025" in result.findings[0].message


def test_missing_seventh_character_and_header_are_rejected(engine):
    claim = example("03-glucose-ankle-sprain.json")
    result = engine.adjudicate(attrs.evolve(claim, diagnoses=(Diagnosis(code="S93.401"),)), "medicare")
    assert codes(result) == ["MCR002"] and "needs a 7th character" in result.findings[0].message
    result = engine.adjudicate(attrs.evolve(claim, diagnoses=(Diagnosis(code="E11"),)), "medicare")
    assert codes(result) == ["MCR002"] and "category (header)" in result.findings[0].message


def test_conventions_reach_the_claim(engine):
    claim = example("01-office-visit-2026.json")
    manifestation = (Diagnosis(code="G63"), Diagnosis(code="E11.42"))
    man = engine.adjudicate(attrs.evolve(claim, diagnoses=manifestation), "medicare")
    assert "MCR005" in codes(man) and man.status == "rejected"
    male = attrs.evolve(claim.patient, sex=Sex.MALE)
    cervix = (Diagnosis(code="C53.9"),)
    sex = engine.adjudicate(attrs.evolve(claim, patient=male, diagnoses=cervix), "medicare")
    assert "MCR008" in codes(sex) and sex.status == "denied"
    kx = attrs.evolve(claim.lines[0], modifiers=("KX",))
    sex_kx = engine.adjudicate(
        attrs.evolve(claim, patient=male, diagnoses=(Diagnosis(code="C53.9"),), lines=(kx,)), "medicare"
    )
    assert "MCR008" not in codes(sex_kx)
    side = engine.adjudicate(attrs.evolve(claim, diagnoses=(Diagnosis(code="S93.409A"),)), "medicare")
    assert "MCR006" in codes(side) and side.status == "paid"
    excludes1 = (Diagnosis(code="E11.9"), Diagnosis(code="E08.9"))
    pair = engine.adjudicate(attrs.evolve(claim, diagnoses=excludes1), "medicare")
    assert "MCR004" in codes(pair) and pair.status == "paid"
    old = attrs.evolve(
        claim,
        patient=Person(id="P", birth_date=dt.date(1950, 1, 1), sex=Sex.FEMALE),
        diagnoses=(Diagnosis(code="Z38.00"),),
    )
    assert "MCR007" in codes(engine.adjudicate(old, "medicare"))


def test_cached_years_equal_the_years_built_afresh():
    from payer_rules_codesets.releases import build_fy2025, build_fy2026, tabular_xml

    fy2026 = build_fy2026(tabular_xml())
    assert load_fy2026() == fy2026
    assert dict(load_fy2026().descriptions) == dict(fy2026.descriptions)
    assert load_fy2025() == build_fy2025(fy2026)
