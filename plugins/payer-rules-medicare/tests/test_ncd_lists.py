"""Lab NCD ICD-10-CM code lists: the importer for the NCD coding policy manual, and coverage by it.

No copy of CMS's "Medicare National Coverage Determinations (NCD) Coding Policy Manual and Change
Report (ICD-10-CM)" is at hand, so the fixture is a few rows in its text layout (running header,
NCD title, HCPCS list, then the ICD-10-CM lists under their headings), with the codes issue 18
says NCD 190.20 covers (E11.22, E11.42, E13.9, E10.65) described as in CMS's FY2025 ICD-10-CM
file, and a wrapped description and page break as the PDF's text has them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine
from payer_rules.store import ImportOptions
from payer_rules_medicare.imported import imported
from payer_rules_medicare.ncd_lists import import_ncd_lab, ncd_list

MANUAL = """\
Medicare National Coverage Determinations (NCD) Coding Policy Manual and Change Report (ICD-10-CM)
*January 2025 Changes
ICD-10-CM Version

190.20 - Blood Glucose Testing
Description
This policy is intended to apply to blood samples used to determine glucose levels.
HCPCS Codes (Alphanumeric, CPT AMA)
Code        Description
82947       Glucose; quantitative, blood (except reagent strip)
ICD-10-CM Codes Covered by Medicare Program
Code        Description
E10.65      Type 1 diabetes mellitus with hyperglycemia
E11.22      Type 2 diabetes mellitus with diabetic chronic kidney
            disease
Medicare National Coverage Determinations (NCD) Coding Policy Manual and Change Report (ICD-10-CM)
January 2025                                                                              212
NCD 190.20
E11.42      Type 2 diabetes mellitus with diabetic polyneuropathy
E11.9       Type 2 diabetes mellitus without complications
E13.9       Other specified diabetes mellitus without complications
ICD-10-CM Codes That Do Not Support Medical Necessity
Any ICD-10-CM code not listed in either of the ICD-10-CM covered or non-covered sections.

190.22 - Thyroid Testing
ICD-10-CM Codes Covered by Medicare Program
Code        Description
E03.9       Hypothyroidism, unspecified
ICD-10-CM Codes Denied
Code        Description
Z00.00      Encounter for general adult medical examination without abnormal findings
"""


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


@pytest.fixture
def lists_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "NCD coding policy manual January 2025.txt"
    path.write_text(MANUAL)
    report = import_ncd_lab([path], ImportOptions(data_dir=tmp_path))
    assert report.effective_from == dt.date(2025, 1, 1)
    assert report.rows == 7
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    return tmp_path


def claim(procedure: str, *diagnoses: str, day: dt.date = dt.date(2025, 2, 3)) -> Claim:
    return Claim(
        id="N-1",
        patient=Person(id="P-1"),
        coverage=Coverage(payer_id="medicare", member_id="M1"),
        billing_provider=Provider(npi="1234567893", address=Address(zip="94110")),
        rendering_provider=Provider(npi="1987654328", taxonomy="207Q00000X"),
        service_facility_zip="94110",
        received_date=dt.date(2025, 6, 1),
        diagnoses=tuple(Diagnosis(code=d) for d in diagnoses),
        lines=(
            ServiceLine(
                procedure=procedure,
                charge=Decimal("25.00"),
                service_date=day,
                diagnosis_pointers=tuple(range(1, len(diagnoses) + 1)),
            ),
        ),
    )


def codes(engine: Engine, c: Claim) -> list[str]:
    return [f.code for f in engine.adjudicate(c, "medicare", session=Session()).findings]


def test_the_manual_is_read_by_its_headings(lists_dir) -> None:
    glucose = ncd_list("190.20", dt.date(2025, 2, 3), imported())
    assert glucose is not None
    assert glucose.covered == {"E1065", "E1122", "E1142", "E119", "E139"}  # 82947 is not a diagnosis
    thyroid = ncd_list("190.22", dt.date(2025, 2, 3), imported())
    assert thyroid is not None and thyroid.denied == {"Z0000"}
    assert ncd_list("190.20", dt.date(2024, 12, 31), imported()) is None  # before the release


@pytest.mark.parametrize("dx", ["E11.22", "E11.42", "E13.9", "E10.65"])
def test_issue_18_diagnoses_are_covered_by_the_imported_list(engine, lists_dir, dx) -> None:
    assert "MCR101" not in codes(engine, claim("82947", dx))


def test_coverage_follows_the_imported_list_not_the_pack(engine, lists_dir) -> None:
    """R73.9 is on the pack's own list but not on this (partial) imported release."""
    assert "MCR101" in codes(engine, claim("82947", "R73.9"))
    # before the release's quarter, the pack's list answers again
    assert "MCR101" not in codes(engine, claim("82947", "R73.9", day=dt.date(2024, 12, 2)))
    # diabetes screening is covered beside the NCD whatever the list says
    assert "MCR101" not in codes(engine, claim("82947", "Z13.1"))


def test_denied_list_and_other_ncds(engine, lists_dir) -> None:
    assert "MCR102" not in codes(engine, claim("84443", "E03.9"))
    assert "MCR102" in codes(engine, claim("84443", "Z00.00"))
    # 190.23 has no imported list in this release: the pack answers
    assert "MCR103" not in codes(engine, claim("80061", "E78.5"))


@pytest.mark.parametrize("dx", ["E11.22", "E11.42", "E13.9", "E10.65"])
def test_the_shipped_pack_covers_them_with_nothing_imported(engine, dx) -> None:
    assert "MCR101" not in codes(engine, claim("82947", dx))
    assert "MCR104" not in codes(engine, claim("83036", dx))


def test_import_errors_are_located(tmp_path) -> None:
    empty = tmp_path / "manual.txt"
    empty.write_text("Medicare NCD Coding Policy Manual\n*April 2025 Changes\nnothing here\n")
    with pytest.raises(InputError, match="no ICD-10-CM code rows"):
        import_ncd_lab([empty], ImportOptions(data_dir=tmp_path))
    backwards = tmp_path / "backwards.txt"
    backwards.write_text(
        "*April 2025 Changes\n190.20 - Blood Glucose Testing\nICD-10-CM Codes Covered by Medicare Program\n"
        "E13.9-E08.00 Diabetes\n"
    )
    with pytest.raises(InputError, match=r"backwards.txt:4: range"):
        import_ncd_lab([backwards], ImportOptions(data_dir=tmp_path))
    undated = tmp_path / "undated.txt"
    undated.write_text(MANUAL.replace("*January 2025 Changes", ""))
    with pytest.raises(InputError, match="--effective"):
        import_ncd_lab([undated], ImportOptions(data_dir=tmp_path))
    report = import_ncd_lab([undated], ImportOptions(data_dir=tmp_path, effective=dt.date(2025, 4, 1)))
    assert report.effective_from == dt.date(2025, 4, 1)


def test_ranges_cover_their_subcodes(tmp_path, monkeypatch) -> None:
    path = tmp_path / "ranges.txt"
    path.write_text(
        "*July 2025 Changes\n190.21 - Glycated Hemoglobin/Glycated Protein\n"
        "ICD-10-CM Codes Covered by Medicare Program\nE08.00-E13.9 Diabetes mellitus\n"
    )
    import_ncd_lab([path], ImportOptions(data_dir=tmp_path))
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    found = ncd_list("190.21", dt.date(2025, 8, 1), imported())
    assert found is not None
    assert all(found.supports(c) for c in ("E0800", "E1122", "E139", "E11A"))
    assert not any(found.supports(c) for c in ("E1400", "E079", "R739"))
