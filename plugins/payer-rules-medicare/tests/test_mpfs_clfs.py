"""Physician and clinical-lab fee schedules from CMS's own files: importers and pricing.

The real CY2025 RVU bundle (RVU25D, October release), the ZIP5 file and CMS's published
PFREV25C payment amounts live in ``../shared/data/mpfs``; those tests skip, saying so, without
them. The CY2026-style bundle (PRICING IND column inserted) and the CLFS file are small hand-made
files in the official layouts.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from functools import partial
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.cli.state import reset_engine
from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.models import Address, Claim, Diagnosis, Provider
from payer_rules.store import ImportOptions
from payer_rules_medicare.clfs import import_clfs
from payer_rules_medicare.mpfs.importer import import_mpfs

from .builders import BILLING, physician_claim, service_line
from .mpfs_files import fee, gpci

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
MPFS = SHARED / "mpfs"
needs_bundle = pytest.mark.skipif(
    not (MPFS / "PPRRVU2025_Oct.csv").exists(), reason=f"CMS RVU25D bundle not found under {MPFS}"
)

RENDERING = Provider(npi="1987654328", taxonomy="207Q00000X")


make_claim = partial(physician_claim, rendering_provider=RENDERING)
line = partial(service_line, day=dt.date(2025, 6, 2), charge=Decimal("5000.00"))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def allowed(engine: Engine, claim: Claim) -> list[Decimal]:
    return [ln.allowed for ln in engine.adjudicate(claim, "medicare").lines]


def findings(engine: Engine, claim: Claim) -> list[str]:
    return [f.code for f in engine.adjudicate(claim, "medicare").findings]


# -- the importer on the real bundle ----------------------------------------------------------


@needs_bundle
def test_cli_imports_every_recognised_file_of_the_bundle(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    reset_engine()
    out = CliRunner().invoke(cli, ["data", "import", "mpfs", str(MPFS)])
    reset_engine()
    assert out.exit_code == 0, out.output
    assert "imported mpfs PPRRVU2025_Oct (released 09/11/2025)" in out.output
    # GPCI2026.csv (RVU26C) sits beside the CY2025 bundle: its year is imported too, and the
    # report says that CY2026 has no RVU file, so CY2026 is not a fee schedule of its own.
    assert "effective 2025-01-01 .. 2026-12-31" in out.output
    for part in (
        "PPRRVU2025_Oct.csv: CY2025 19090 RVU rows, conversion factor 32.3465",
        "GPCI2025.csv: CY2025 109 localities",
        "GPCI2026.csv: CY2026 109 localities",
        "ZIP5 2025 Q4: 42956",
        "CY2026: GPCIs only, no CY2026 RVU file (PPRRVU2026*.csv) imported",
    ):
        assert part in out.output


@pytest.mark.skipif(not (MPFS / "GPCI2026.csv").exists(), reason=f"GPCI2026.csv not found under {MPFS}")
@needs_bundle
def test_a_2026_line_is_never_priced_from_2025_rvus(engine, with_bundle):
    """CY2026 GPCIs imported without a CY2026 RVU file: the starter's CY2026 codes price with the
    imported GPCIs; any other code pends, naming the missing file, rather than take CY2025 RVUs."""
    phoenix = {"service_facility_zip": "85004"}  # ZIP5_OCT2025: 03102, locality 00 (Arizona)
    knee = engine.adjudicate(
        make_claim(line("27447", place_of_service="22", day=dt.date(2026, 2, 2)), **phoenix), "medicare"
    )
    (pend,) = [f for f in knee.findings if f.code == "MCR201"]
    assert knee.status == "pended" and knee.lines[0].allowed == 0
    assert "no CY2026 RVU file (PPRRVU2026*.csv" in pend.message
    # 99213 in CY2026: RVU26A work 1.30, non-facility PE 1.46, MP 0.09 (the starter pack's CMS
    # values), CF 33.4009 (CY2026 non-QP), with Arizona's GPCIs from GPCI2026.csv (RVU26C).
    work, pe, mp = gpci("GPCI2026.csv", "03102", "00")
    expected = (
        (Decimal("1.30") * work + Decimal("1.46") * pe + Decimal("0.09") * mp) * Decimal("33.4009")
    ).quantize(Decimal("0.01"))
    visit = make_claim(line("99213", day=dt.date(2026, 2, 2), charge=Decimal("150.00")), **phoenix)
    assert allowed(engine, visit) == [expected]
    # and CY2025 in the same place still prices from the CY2025 files
    expected_2025 = fee("99213", locality=("03102", "00"))
    earlier = make_claim(line("99213", charge=Decimal("150.00")), **phoenix)
    assert allowed(engine, earlier) == [expected_2025]


@needs_bundle
def test_every_pfrev25c_row_is_reproduced_to_the_cent(engine, with_bundle):
    """CMS's own 2025 payment amounts (PFREV25C), every locality, facility and non-facility."""
    import sqlite3

    conn = sqlite3.connect(with_bundle / "medicare-mpfs.sqlite")
    zip_of = {
        (m, loc): z for z, m, loc in conn.execute("SELECT zip, mac, locality FROM zip ORDER BY zip DESC")
    }
    conn.close()
    checked = 0
    with (MPFS / "PFREV25C_excerpt.txt").open() as fh:
        for row in csv.reader(fh):
            if not row or row[0].startswith("TRL"):
                continue
            year, mac, locality, code, modifier, nonfacility, facility = (c.strip() for c in row[:7])
            assert year == "2025"
            zip5 = zip_of[(mac, locality)]
            for pos, expected in (("11", nonfacility), ("22", facility)):
                claim = make_claim(
                    line(code, *([modifier] if modifier else [])),
                    service_facility_zip=zip5,
                    place_of_service=pos,
                )
                assert allowed(engine, claim) == [Decimal(expected)], (mac, locality, pos)
            checked += 1
    assert checked == 109


@needs_bundle
def test_imported_year_prices_and_the_starter_answers_other_years(engine, with_bundle):
    visit = make_claim(line("99213", charge=Decimal("150.00")))
    # CY2025 San Francisco (01112-05), imported bundle:
    # (1.30x1.088 + 1.35x1.419 + 0.10x0.445) x 32.3465
    assert allowed(engine, visit) == [Decimal("109.15")]
    later = make_claim(line("99213", day=dt.date(2026, 2, 3), charge=Decimal("150.00")))
    assert allowed(engine, later) == [Decimal("117.58")]  # CY2026 from the starter pack


@needs_bundle
def test_zip_of_the_billing_provider_when_no_service_facility(engine, with_bundle):
    claim = make_claim(
        line("99213", charge=Decimal("150.00")),
        service_facility_zip=None,
        billing_provider=attrs.evolve(BILLING, address=Address(zip="35203")),
    )
    # Alabama (10112-00): (1.30x1 + 1.35x0.869 + 0.10x0.575) x 32.3465 = 81.86
    assert allowed(engine, claim) == [Decimal("81.86")]


@needs_bundle
def test_professional_and_technical_components_price_from_their_own_rows(engine, with_bundle):
    rows = allowed(engine, make_claim(line("71046"), line("71046", "26"), line("71046", "TC")))
    pc, tc = rows[1], rows[2]
    # 71046-26: (0.22x1.088 + 0.08x1.419 + 0.01x0.445) x CF; TC: (0.69x1.419 + 0.01x0.445) x CF
    assert pc == Decimal("11.56") and tc == Decimal("31.81")
    assert rows[0] == Decimal("43.37")  # the global row


@needs_bundle
def test_only_status_a_r_t_codes_are_paid(engine, with_bundle):
    result = engine.adjudicate(make_claim(line("0001F")), "medicare")
    (invalid,) = [f for f in result.findings if f.code == "MCR206"]  # test_mpfs_policy.py: each status
    assert "status I" in invalid.message and result.status == "denied"


@needs_bundle
def test_bilateral_and_multiple_procedure_reductions(engine, with_bundle):
    one = allowed(engine, make_claim(line("64721", place_of_service="22")))[0]
    both = allowed(engine, make_claim(line("64721", "50", place_of_service="22")))[0]
    assert both == (one * Decimal("1.5")).quantize(Decimal("0.01"))  # BILAT SURG 1: 150%
    knee = allowed(engine, make_claim(line("27447", place_of_service="22")))[0]
    # 27447 (higher fee) 100%, 64721 (MULT PROC 2) at 50%, whatever the line order
    paired = allowed(
        engine, make_claim(line("64721", place_of_service="22"), line("27447", place_of_service="22"))
    )
    assert paired == [(one / 2).quantize(Decimal("0.01")), knee]
    # another date of service is not reduced (79: unrelated to the 64721 whose global period it is in)
    apart = make_claim(
        line("64721", place_of_service="22"),
        line("27447", "79", place_of_service="22", day=dt.date(2025, 6, 3)),
    )
    assert allowed(engine, apart) == [one, knee]


@needs_bundle
def test_assistant_at_surgery_and_non_physician_practitioners(engine, with_bundle):
    knee = allowed(engine, make_claim(line("27447", place_of_service="22")))[0]
    assert allowed(engine, make_claim(line("27447", "80", place_of_service="22"))) == [
        (knee * Decimal("0.16")).quantize(Decimal("0.01"))
    ]
    assert allowed(engine, make_claim(line("27447", "AS", place_of_service="22"))) == [
        (knee * Decimal("0.136")).quantize(Decimal("0.01"))
    ]
    denied = engine.adjudicate(make_claim(line("99213", "80")), "medicare")
    (assistant,) = [f for f in denied.findings if f.code == "MCR202"]
    assert denied.status == "denied" and (assistant.group, assistant.carc) == ("CO", "54")
    visit = allowed(engine, make_claim(line("99213")))[0]
    np = make_claim(line("99213"), rendering_provider=Provider(npi="1987654328", taxonomy="363LF0000X"))
    assert allowed(engine, np) == [(visit * Decimal("0.85")).quantize(Decimal("0.01"))]


# -- a CY2026-style bundle: columns read by header, not position -------------------------------

PPRRVU_2026 = """\
,,2026 National Physician Fee Schedule Relative Value File January Release,,,,,,,,,,,,,,,,,,,,,,,
,,RELEASED 11/05/2025,,,,,,,,,,,,,,,,,,,,,,,
,,,,NOT USED,,,,,,,,,,,,,,,,,,,,,
,,,,FOR,,,NON-FAC,,FACILITY ,,,,,,,,,,,,,,,,
,,,STATUS,MEDICARE ,PRICING,WORK,NON-FAC,NA,FACILITY,NA,MP,PCTC,GLOB,MULT,BILAT,ASST,CO-,TEAM,CONV
HCPCS,MOD,DESCRIPTION,CODE,PAYMENT,IND,RVU,PE RVU,INDICATOR,PE RVU,INDICATOR,RVU,IND,DAYS,PROC,SURG,SURG,SURG,SURG,FACTOR
99213,,Office visit,A,,0,1.30,1.46,,0.33,,0.09,0,XXX,0,0,0,0,0,33.4009
"""  # noqa: E501

GPCI_2026 = """\
ADDENDUM E. FINAL CY 2026 GEOGRAPHIC PRACTICE COST INDICES (GPCIs) BY STATE AND MEDICARE LOCALITY,,,,,,
,,,,,,
Medicare Administrative Contractor (MAC),State,Locality Number,Locality Name,2026 PW GPCI (with 1.0 Floor),2026 PE GPCI,2026 MP GPCI
01112,CA,05,SAN FRANCISCO,1.095,1.410,0.425
"""  # noqa: E501


def test_2026_layout_with_a_pricing_indicator_column(engine, tmp_path, monkeypatch):
    bundle = tmp_path / "rvu26a"
    bundle.mkdir()
    (bundle / "PPRRVU2026_Jan.csv").write_text(PPRRVU_2026)
    (bundle / "GPCI2026.csv").write_text(GPCI_2026)
    (bundle / "RVU26A.pdf").write_bytes(b"%PDF")  # not a data file: ignored
    data = tmp_path / "data"
    report = import_mpfs([bundle], ImportOptions(data_dir=data))
    assert (report.effective_from, report.rows) == (dt.date(2026, 1, 1), 2)
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(data))
    claim = make_claim(line("99213", day=dt.date(2026, 2, 3), charge=Decimal("150.00")))
    result = engine.adjudicate(claim, "medicare")
    # CMS's published CY2026 San Francisco non-facility amount for 99213
    assert result.lines[0].allowed == Decimal("117.58")


def test_effective_overrides_the_year_and_a_missing_column_is_located(tmp_path):
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "PPRRVU_custom.csv").write_text(PPRRVU_2026.replace("2026 National", "National"))
    (bundle / "GPCI_custom.csv").write_text(GPCI_2026.replace("2026 ", "").replace("CY 2026", "CY"))
    with pytest.raises(InputError, match="cannot tell the calendar year"):
        import_mpfs([bundle], ImportOptions(data_dir=tmp_path / "d"))
    report = import_mpfs([bundle], ImportOptions(data_dir=tmp_path / "d", effective=dt.date(2027, 1, 1)))
    assert report.effective_from == dt.date(2027, 1, 1)
    broken = tmp_path / "PPRRVU2026.csv"
    broken.write_text(PPRRVU_2026.replace("MULT", "MULTI-").replace("PROC", "X"))
    with pytest.raises(InputError, match=r"PPRRVU2026.csv:6: no column headed 'MULT PROC'"):
        import_mpfs([broken], ImportOptions(data_dir=tmp_path / "d"))


# -- clinical lab fee schedule -----------------------------------------------------------------

CLFS = """\
"CPT codes, descriptions and other data only are copyright 2024 American Medical Association.",,,,,,,
,,,,,,,
YEAR,HCPCS,MOD,EFF_DATE,INDICATOR,RATE,SHORTDESC,LONGDESC
2025,80053,,20250101,N,10.56,Comprehen metabolic panel,
2025,82947,,20250101,N,4.10,Assay glucose blood quant,
2025,36415,,20250101,N,3.00,Routine venipuncture,
2025,0001U,,20250101,N,,Rbc dna hea 35 ag 11 bld grp,
"""


def test_clfs_import_prices_lab_tests_without_cost_sharing(engine, tmp_path, monkeypatch):
    source = tmp_path / "CLFS 2025 Q2V1.csv"
    source.write_text(CLFS)
    data = tmp_path / "data"
    report = import_clfs([source], ImportOptions(data_dir=data))
    assert (report.rows, report.effective_from) == (3, dt.date(2025, 4, 1))  # 0001U has no national limit
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(data))
    claim = make_claim(
        line("80053", charge=Decimal("40.00"), day=dt.date(2025, 5, 1)),
        line("36415", charge=Decimal("10.00"), day=dt.date(2025, 5, 1)),
        diagnoses=(Diagnosis(code="E11.9"),),
    )
    result = engine.adjudicate(claim, "medicare", session=Session())
    assert [ln.allowed for ln in result.lines] == [Decimal("10.56"), Decimal("3.00")]
    assert result.patient_responsibility == 0  # no deductible or coinsurance on CLFS services
    # before the imported release is in force, the starter pack's rates answer
    early = make_claim(
        line("82947", charge=Decimal("25.00"), day=dt.date(2025, 2, 1)),
        diagnoses=(Diagnosis(code="E11.9"),),
        received_date=dt.date(2025, 6, 1),
    )
    assert allowed(engine, early) == [Decimal("3.93")]
    later = attrs.evolve(early, lines=(attrs.evolve(early.lines[0], service_date=dt.date(2025, 5, 1)),))
    assert allowed(engine, later) == [Decimal("4.10")]


def test_clfs_bad_rate_is_a_located_error(tmp_path):
    source = tmp_path / "CLFS 2025 Q1V1.csv"
    source.write_text(CLFS.replace("10.56", "ten"))
    with pytest.raises(InputError, match=r"CLFS 2025 Q1V1.csv:4: RATE: expected an amount"):
        import_clfs([source], ImportOptions(data_dir=tmp_path / "d"))


def test_status_x_lab_code_without_a_lab_fee_is_pended(engine):
    result = engine.adjudicate(make_claim(line("80053", day=dt.date(2025, 5, 1))), "medicare")
    assert result.status == "pended" and "MCR201" in [f.code for f in result.findings]


# -- the teaching example with the real bundle imported ----------------------------------------


@needs_bundle
def test_teaching_example_end_to_end_with_imported_data(engine, with_bundle):
    from payer_rules.io.json_claims import read_json_text

    examples = Path(__file__).resolve().parents[3] / "examples" / "claims"

    def judge(name):
        (claim,) = read_json_text((examples / name).read_text(), name)
        return engine.adjudicate(claim, "medicare")

    paid = judge("02-glucose-type2-diabetes.json")
    assert paid.status == "paid" and paid.lines[0].allowed == Decimal("3.93")
    assert paid.patient_responsibility == 0
    denied = judge("03-glucose-ankle-sprain.json")
    assert denied.status == "denied" and denied.findings[0].carc == "50"
    abn = judge("04-glucose-ankle-sprain-abn.json")
    assert abn.lines[0].adjustments[0].group == "PR" and abn.patient_responsibility == Decimal("25.00")
