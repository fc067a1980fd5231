"""Part B drugs by ASP + 6%: CMS's quarterly ASP pricing file imported, lines priced by HCPCS units.

The fixture is an excerpt of CMS's "section 508 version of Jan 2025 ASP Pricing File updated
030725.csv" (the January 2025 quarterly ZIP): its caption rows and header as published and ten
of its rows, byte for byte (the A9606 note spans two lines, as in the file). Expected amounts are
worked here from those rows (units x Payment Limit, rounded to the cent), never from the engine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import attrs
import pytest

from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.io.readers import read_claims
from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine
from payer_rules.store import ImportOptions
from payer_rules_medicare.drugs import import_asp, is_drug_code

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "claims" / "19-drug-asp-2025.json"
NAME = "section 508 version of Jan 2025 ASP Pricing File updated 030725.csv"
EXCERPT = """\
Payment Allowance Limits for Medicare Part B Drugs,,,,,,,,,,,
,,,,,,,,,,,
"Effective January 1, 2025 through March 31, 2025",,,,,,,,,,,
,,,,,,,,,,,
Note 1: Payment allowance limits subject to the ASP methodology are based on 3Q24 ASP data.,,,,,,,,,,,
Note 2: The absence or presence of a HCPCS code and the payment allowance limits in this table \
does not indicate whether Medicare covers a drug.  These determinations shall be made by the local \
Medicare contractor processing the claim.,,,,,,,,,,,
,,,,,,,,,,,
,,,,,,,,,,,
HCPCS Code,Short Description,HCPCS Code Dosage,Payment Limit,Co-insurance Percentage,Vaccine AWP%,\
Vaccine Limit,Blood AWP%,Blood limit,Clotting Factor,Notes,
90662,Iiv no prsv increased ag im,0.5 ML,83.492,0.000,95,83.492,,,,see the Seasonal Influenza \
Vaccines Pricing webpage for current payment limits and effective dates,
90732,Ppsv23 vacc 2 yrs+ subq/im,0.5 ML,133.472,0.000,95,133.472,,,,,
90739,Hepb vacc 2 dose adult im,1 DOSE,168.298,0.000,95,168.298,,,,,
91320,SARSCV2 VAC 30MCG TRS-SUC IM,0.3 ML,155.895,0.000,95,155.895,,,,See COVID-19 vaccine \
pricing webpage for payment effective dates,
A9606,Radium ra223 dichloride ther,1 microCurie,N/A,20.000,,,,,,"microCurie 100% AWP = $196.92
microCurie 100% WAC = $164.10",
J0178,Aflibercept injection,1 MG,801.065,20.000,,,,,,,
J0283,"Inj, amiodarone (nexterone)",30 MG,2.524,11.891,,,,,,Inflation-adjusted coinsurance,
J0558,Peng benzathine/procaine inj,"100,000 UNITS",17.368,16.673,,,,,,Inflation-adjusted coinsurance,
J1100,Dexamethasone sodium phos,1 MG,0.108,20.000,,,,,,,
Q5101,"Injection, zarxio",1 MCG,0.357,20.000,,,,,,8% of reference add-on applied,
"""


def limits() -> dict[str, str]:
    """Payment Limit by HCPCS code, read from the excerpt with the csv module."""
    rows = list(csv.reader(io.StringIO(EXCERPT)))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "HCPCS Code")
    column = rows[head].index("Payment Limit")
    return {r[0]: r[column] for r in rows[head + 1 :] if r and r[0]}


def cms_amount(units: str, code: str) -> Decimal:
    return (Decimal(units) * Decimal(limits()[code])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


@pytest.fixture
def asp_dir(tmp_path, monkeypatch) -> Path:
    (tmp_path / NAME).write_text(EXCERPT)
    report = import_asp([tmp_path / NAME], ImportOptions(data_dir=tmp_path))
    assert (report.version, report.rows) == ("2025 Q1", 10)
    assert (report.effective_from, report.effective_to) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    return tmp_path


def claim(*lines: ServiceLine, participating: bool = True) -> Claim:
    return Claim(
        id="D-1",
        patient=Person(id="P-1"),
        coverage=Coverage(payer_id="medicare", member_id="M1"),
        billing_provider=Provider(
            npi="1234567893", address=Address(zip="94110"), participating=participating
        ),
        rendering_provider=Provider(npi="1987654328", taxonomy="207W00000X"),
        service_facility_zip="94110",
        received_date=dt.date(2025, 6, 1),
        diagnoses=(Diagnosis(code="H35.3211"),),
        lines=lines,
    )


def drug(code: str, units: str, day: dt.date = dt.date(2025, 2, 12), **kw: object) -> ServiceLine:
    values: dict[str, object] = {"charge": Decimal("9999.00"), "service_date": day}
    values.update(kw)
    return ServiceLine(procedure=code, units=Decimal(units), **values)  # type: ignore[arg-type]


def judged(engine: Engine, c: Claim):  # type: ignore[no-untyped-def]
    return engine.adjudicate(c, "medicare", session=Session())


@pytest.mark.parametrize(
    ("code", "units"),
    [
        ("J1100", "10"),  # dexamethasone 10 mg: 10 billing units of 1 MG
        ("J0178", "2"),  # aflibercept 2 mg
        ("J0558", "12"),  # 1,200,000 units of penicillin G benzathine/procaine
        ("Q5101", "480"),  # filgrastim-sndz 480 mcg (biosimilar)
        ("90662", "1"),  # influenza vaccine: 95% of AWP, in the same file
        ("90732", "1"),  # pneumococcal vaccine
        ("90739", "1"),  # hepatitis B vaccine
        ("91320", "1"),  # COVID-19 vaccine
    ],
)
def test_units_times_the_payment_limit(engine, asp_dir, code, units) -> None:
    result = judged(engine, claim(drug(code, units, ndc="61755000502")))
    assert result.lines[0].allowed == cms_amount(units, code), result.lines[0].basis
    assert "ASP 2025 Q1" in result.lines[0].basis


def test_non_participating_does_not_reduce_a_drug(engine, asp_dir) -> None:
    result = judged(engine, claim(drug("J0178", "2"), participating=False))
    assert result.lines[0].allowed == cms_amount("2", "J0178")


def test_not_available_and_absent_codes_pend_for_the_contractor(engine, asp_dir) -> None:
    result = judged(engine, claim(drug("A9606", "30"), drug("J9999", "1")))
    assert [(f.code, f.line) for f in result.findings if f.code.startswith("MCR71")] == [
        ("MCR711", 1),
        ("MCR711", 2),
    ]
    assert {line.status for line in result.lines} == {"pended"}


def test_a_quarter_without_a_file_pends_naming_it(engine, asp_dir) -> None:
    result = judged(engine, claim(drug("J1100", "10", day=dt.date(2025, 4, 2))))
    [found] = [f for f in result.findings if f.code == "MCR710"]
    assert "2025 Q2" in found.message and "data import asp" in found.message
    assert result.lines[0].status == "pended"


def test_inflation_adjusted_coinsurance_is_reported(engine, asp_dir) -> None:
    result = judged(engine, claim(drug("J0283", "5")))
    assert result.lines[0].allowed == cms_amount("5", "J0283")
    [found] = [f for f in result.findings if f.code == "MCR712"]
    assert "11.891" in found.message


def test_starter_rows_are_cms_values_and_price_the_example(engine) -> None:
    [example] = [c for c in read_claims([str(EXAMPLE)]) if isinstance(c, Claim)]
    result = judged(engine, example)
    by_code = {example.lines[ln.line - 1].procedure: ln for ln in result.lines}
    for code in ("J0178", "J1100"):
        units = str(next(line.units for line in example.lines if line.procedure == code))
        assert by_code[code].allowed == cms_amount(units, code)
        assert "January 2025" in by_code[code].basis


def test_a_drug_is_never_priced_from_the_fee_schedule(engine) -> None:
    """No ASP file for 2026 Q1 and no starter row: the line pends, it is not MCR201's status E."""
    late = attrs.evolve(
        claim(drug("J0178", "2", day=dt.date(2026, 1, 15))), received_date=dt.date(2026, 2, 1)
    )
    result = judged(engine, late)
    assert [f.code for f in result.findings if f.code.startswith("MCR")] == ["MCR710"]


def test_drug_codes() -> None:
    assert all(is_drug_code(c) for c in ("J1100", "Q5101", "90662", "91320", "90371"))
    assert not any(is_drug_code(c) for c in ("99213", "Q0091", "G0008", "00840", "A0428"))


def test_bad_rows_are_located(tmp_path) -> None:
    bad = tmp_path / NAME
    bad.write_text(
        EXCERPT.replace("J1100,Dexamethasone sodium phos,1 MG,0.108", "J1100,Dexamethasone,1 MG,abc")
    )
    with pytest.raises(InputError, match=rf"{NAME}:\d+: Payment Limit"):
        import_asp([bad], ImportOptions(data_dir=tmp_path))


def test_quarter_from_the_file_name_or_effective(tmp_path) -> None:
    headless = EXCERPT.replace('"Effective January 1, 2025 through March 31, 2025"', "")
    path = tmp_path / "Apr 2025 ASP Pricing File.csv"
    path.write_text(headless)
    assert import_asp([path], ImportOptions(data_dir=tmp_path)).version == "2025 Q2"
    report = import_asp([path], ImportOptions(data_dir=tmp_path, effective=dt.date(2025, 8, 1)))
    assert report.version == "2025 Q3"
    nameless = tmp_path / "limits.csv"
    nameless.write_text(headless)
    with pytest.raises(InputError, match="quarter"):
        import_asp([nameless], ImportOptions(data_dir=tmp_path))


@pytest.mark.parametrize("code", ["G0008", "G0009", "G0010"])
def test_vaccine_administration_pends_naming_its_rate(engine, asp_dir, code) -> None:
    """The vaccine is priced from the ASP file; its administration (status X) pends, MCR713."""
    result = judged(engine, claim(drug("90662", "1"), drug(code, "1")))
    assert result.lines[0].allowed == cms_amount("1", "90662")
    assert [f.code for f in result.findings if f.line == 2] == ["MCR713"]
    assert result.lines[1].status == "pended"
