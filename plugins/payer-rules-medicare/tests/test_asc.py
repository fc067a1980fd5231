"""Medicare ASC facility claims priced from CMS's CY2026 ASC addenda (issue 20, item 3).

The addenda for January, April and July 2026 live in ``../shared/data/asc/<YYYYMMDD>/``; those
tests skip, saying so, without them. Every expected amount is worked here from the AA / BB / FF
rows, read from those CSVs by this file's own reader, by the published formula:
``device portion + (rate - device portion) x (0.5 x wage index + 0.5)``, the highest procedure
of a date at 100% and every other discounted procedure at 50% of its service portion.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from functools import partial
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from payer_rules.claim_kinds import ClaimKind
from payer_rules.cli import cli
from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine
from payer_rules.money import money
from payer_rules.store import ImportOptions
from payer_rules_medicare.asc.importer import import_asc
from payer_rules_medicare.asc.wage_index import import_wage_index

from .builders import service_line

SHARED_ASC = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "asc"
QUARTERS = ("20260101", "20260401", "20260701")
needs_addenda = pytest.mark.skipif(
    not all((SHARED_ASC / q / "AA.csv").exists() for q in QUARTERS),
    reason=f"CMS CY2026 ASC addenda not found under {SHARED_ASC}",
)

ASC_NPI = "1234567893"
WAGE_INDEX = Decimal("1.2345")
ASC = Provider(npi=ASC_NPI, taxonomy="261QA1903X", address=Address(zip="94110"))
WAGE_TOML = f"""
[[asc]]
npi = "{ASC_NPI}"
name = "Test surgery center"
cbsa = "41884"
wage_index = "{WAGE_INDEX}"
effective_from = 2026-01-01
effective_to = 2026-12-31
source = "test record"
"""


# -- the addenda, read independently of the importer ---------------------------------------------


def _rows(path: Path) -> dict[str, dict[str, str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    records = list(csv.reader(text.splitlines()))
    head = next(i for i, r in enumerate(records) if r and r[0].startswith("HCPCS"))
    names = [" ".join(c.split()) for c in records[head]]
    width = len(names)
    return {
        r[0].strip(): dict(zip(names, r + [""] * (width - len(r)), strict=False))
        for r in records[head + 1 :]
        if r and len(r[0].strip()) == 5
    }


def _col(row: dict[str, str], *words: str) -> str:
    name = next(n for n in row if all(w in n for w in words) and "OPPS" not in n and "APC" not in n)
    return row[name]


def _dollars(text: str) -> Decimal:
    value = text.replace("$", "").replace(",", "").strip()
    return money(Decimal(value or "0"))


def published(quarter: str, code: str) -> tuple[str, Decimal, Decimal, bool]:
    """(payment indicator, rate, device portion, subject to discounting) from AA / BB and FF."""
    aa = _rows(SHARED_ASC / quarter / "AA.csv")
    if code in aa:
        row = aa[code]
        ff = _rows(SHARED_ASC / quarter / "FF.csv")[code]
        pi = _col(row, "Payment Indicator")
        device = _dollars(_col(ff, "Device Portion")) if pi == "J8" else Decimal(0)
        return pi, _dollars(_col(row, "Payment Rate")), device, _col(row, "Multiple Procedure") == "Y"
    row = _rows(SHARED_ASC / quarter / "BB.csv")[code]
    return _col(row, "Payment Indicator"), _dollars(_col(row, "Payment Rate")), Decimal(0), False


def adjusted(rate: Decimal, device: Decimal, index: Decimal = WAGE_INDEX) -> Decimal:
    """The wage-adjusted service portion: labor-related share 50% (Pub. 100-04 Ch. 14 §40.2)."""
    return money((rate - device) * (Decimal("0.5") * index + Decimal("0.5")))


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def asc_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not all((SHARED_ASC / q / "AA.csv").exists() for q in QUARTERS):
        pytest.skip(f"CMS CY2026 ASC addenda not found under {SHARED_ASC}")
    directory = tmp_path_factory.mktemp("asc-data")
    import_asc([SHARED_ASC], ImportOptions(data_dir=directory))
    toml = directory / "wage.toml"
    toml.write_text(WAGE_TOML)
    import_wage_index([toml], ImportOptions(data_dir=directory))
    return directory


@pytest.fixture
def engine(asc_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(asc_dir))
    return Engine.from_installed()


def asc_claim(*lines: ServiceLine, **changes: object) -> Claim:
    base = Claim(
        id="ASC-1",
        patient=Person(id="P-1"),
        coverage=Coverage(payer_id="medicare", member_id="1EG4TE5MK73"),
        billing_provider=ASC,
        place_of_service="24",
        received_date=dt.date(2026, 9, 1),
        diagnoses=(Diagnosis(code="M17.11"),),
        lines=lines,
    )
    return attrs.evolve(base, **changes)  # type: ignore[arg-type]


line = partial(service_line, day=dt.date(2026, 7, 15), charge=Decimal("99999.00"))


def judge(engine: Engine, claim: Claim):  # type: ignore[no-untyped-def]
    return engine.adjudicate(claim, payer="medicare", session=Session())


# -- the importer ---------------------------------------------------------------------------------


@needs_addenda
def test_import_reads_every_code_of_every_addendum_and_quarter(tmp_path: Path) -> None:
    report = import_asc([SHARED_ASC], ImportOptions(data_dir=tmp_path))
    expected = sum(
        len(_rows(SHARED_ASC / q / f"{a}.csv")) for q in QUARTERS for a in ("AA", "BB", "EE", "FF")
    )
    assert report.rows == expected
    assert report.effective_from == dt.date(2026, 1, 1)
    assert report.effective_to == dt.date(2026, 12, 31)


@needs_addenda
def test_import_one_quarter_folder_and_cli_catalogue(tmp_path: Path) -> None:
    env = {"PAYER_RULES_DATA_DIR": str(tmp_path)}
    out = CliRunner().invoke(cli, ["data", "import", "asc", str(SHARED_ASC / "20260401")], env=env)
    assert out.exit_code == 0, out.output
    assert "imported asc CY2026 2026-04" in out.output
    listed = json.loads(CliRunner().invoke(cli, ["data", "list", "--json"], env=env).output)
    [asc] = [d for d in listed["datasets"] if d["kind"] == "asc"]
    assert asc["effective_from"] == "2026-04-01"
    assert {s["file"] for s in asc["sources"]} == {"AA.csv", "BB.csv", "EE.csv", "FF.csv"}


@needs_addenda
def test_import_effective_overrides_the_quarter(tmp_path: Path) -> None:
    report = import_asc(
        [SHARED_ASC / "20260101" / "EE.csv"],
        ImportOptions(data_dir=tmp_path, effective=dt.date(2026, 10, 1)),
    )
    assert report.effective_from == dt.date(2026, 10, 1)


def test_import_refuses_a_file_that_is_not_an_addendum(tmp_path: Path) -> None:
    bad = tmp_path / "rates.csv"
    bad.write_text("HCPCS Code,Short Descriptor\n10121,x\n")
    with pytest.raises(InputError, match="not a CMS ASC addendum"):
        import_asc([bad], ImportOptions(data_dir=tmp_path))


def test_import_locates_a_bad_payment_indicator(tmp_path: Path) -> None:
    folder = tmp_path / "20260101"
    folder.mkdir()
    (folder / "AA.csv").write_text(
        '"Addendum AA -- ASC Covered Surgical Procedures for CY 2026",,,,,,\n'
        "HCPCS Code,,Short Descriptor,Subject to Multiple Procedure Discounting,"
        "January 2026 Payment Indicator,January 2026 Payment Weight,January 2026 Payment Rate\n"
        '10121,,x,Y,A2,13.1750,"$742.04 "\n'
        "10180,,x,Y,??,22.1647,$1.00\n"
    )
    with pytest.raises(InputError) as err:
        import_asc([folder], ImportOptions(data_dir=tmp_path))
    assert str(err.value).startswith(f"{folder / 'AA.csv'}:4:")
    assert "payment indicator" in str(err.value)


def test_import_asks_for_effective_when_no_quarter_can_be_told(tmp_path: Path) -> None:
    ee = tmp_path / "EE.csv"
    ee.write_text(
        "Addendum EE -- Surgical Procedures to be Excluded from Payment in ASCs for CY 2026\n"
        "HCPCS Code,Short Descriptor\n00176,x\n"
    )
    with pytest.raises(InputError, match="--effective"):
        import_asc([ee], ImportOptions(data_dir=tmp_path))


def test_wage_index_record_errors_are_located(tmp_path: Path) -> None:
    toml = tmp_path / "wi.toml"
    toml.write_text(
        '[[asc]]\nnpi = "1234567893"\ncbsa = "41884"\nwage_index = 1.2\n'
        'effective_from = 2026-01-01\nsource = "x"\n'
    )
    with pytest.raises(InputError, match=r"asc\[0\]: wage_index: expected a non-empty string"):
        import_wage_index([toml], ImportOptions(data_dir=tmp_path))


# -- pricing --------------------------------------------------------------------------------------


@needs_addenda
def test_device_intensive_and_discounted_procedures_to_the_cent(engine: Engine) -> None:
    """J8 device portion unadjusted and undiscounted; A2 second at 50%; P3 not discounted (N)."""
    j8 = published("20260701", "0200T")
    a2 = published("20260701", "10121")
    p3 = published("20260701", "0447T")
    assert (j8[0], a2[0], p3[0]) == ("J8", "A2", "P3") and j8[3] and a2[3] and not p3[3]
    result = judge(engine, asc_claim(line("10121"), line("0200T"), line("0447T")))
    allowed = {ln.procedure: ln.allowed for ln in result.lines}
    first = j8[2] + adjusted(j8[1], j8[2])
    assert first > adjusted(a2[1], a2[2])  # 0200T ranks first
    assert allowed["0200T"] == first
    assert allowed["10121"] == money(adjusted(a2[1], Decimal(0)) * Decimal("0.5"))
    assert allowed["0447T"] == adjusted(p3[1], Decimal(0))
    assert result.status == "paid"


@needs_addenda
def test_device_portion_is_not_discounted_when_a_j8_procedure_ranks_second(engine: Engine) -> None:
    j8 = published("20260701", "0200T")
    top = published("20260701", "0202T")  # J8, higher paying
    result = judge(engine, asc_claim(line("0200T"), line("0202T")))
    allowed = {ln.procedure: ln.allowed for ln in result.lines}
    assert allowed["0202T"] == top[2] + adjusted(top[1], top[2])
    assert allowed["0200T"] == j8[2] + money(adjusted(j8[1], j8[2]) * Decimal("0.5"))
    assert "multiple procedure" in result.lines[0].basis


@needs_addenda
@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (dt.date(2026, 2, 10), "20260101"),
        (dt.date(2026, 5, 10), "20260401"),
        (dt.date(2026, 8, 10), "20260701"),
    ],
)
def test_each_quarter_prices_from_its_own_addenda(engine: Engine, day: dt.date, quarter: str) -> None:
    """A9513 (K2, a drug at its OPPS-based rate, not wage-adjusted) changes every quarter."""
    rates = {published(q, "A9513")[1] for q in QUARTERS}
    assert len(rates) == 3
    pi, rate, _, _ = published(quarter, "A9513")
    result = judge(engine, asc_claim(line("10121", day=day), line("A9513", day=day)))
    assert pi == "K2"
    assert result.lines[1].allowed == rate
    assert "not wage-adjusted" in result.lines[1].basis


@needs_addenda
def test_a_code_added_in_april_pends_before_and_is_paid_after(engine: Engine) -> None:
    assert "0941T" not in _rows(SHARED_ASC / "20260101" / "AA.csv")
    january = judge(engine, asc_claim(line("0941T", day=dt.date(2026, 3, 31))))
    assert [f.code for f in january.findings] == ["MCR854"]
    assert january.status == "pended"
    _, rate, device, _ = published("20260401", "0941T")
    april = judge(engine, asc_claim(line("0941T", day=dt.date(2026, 4, 1))))
    assert april.lines[0].allowed == device + adjusted(rate, device)
    assert "from 2026-04-01" in april.lines[0].basis


@needs_addenda
def test_bilateral_modifier_50(engine: Engine) -> None:
    _, rate, _, discounted = published("20260701", "10121")
    _, p3_rate, _, p3_discounted = published("20260701", "0447T")
    assert discounted and not p3_discounted
    result = judge(engine, asc_claim(line("10121", "50"), line("0447T", "50")))
    full = adjusted(rate, Decimal(0))
    assert result.lines[0].allowed == full + money(full * Decimal("0.5"))  # 150%
    assert result.lines[1].allowed == 2 * adjusted(p3_rate, Decimal(0))  # 200%


@needs_addenda
def test_discontinued_procedures_73_74_52(engine: Engine) -> None:
    _, rate, device, _ = published("20260701", "0200T")
    _, a2_rate, _, _ = published("20260701", "10121")
    result = judge(engine, asc_claim(line("0200T", "73"), line("10121", "74")))
    # 73: device portion removed, 50% of the service portion, not discounted further (§40.4, §40.10)
    assert result.lines[0].allowed == money(adjusted(rate, device) * Decimal("0.5"))
    # 74: 100%, and the only discounted procedure left, so first
    assert result.lines[1].allowed == adjusted(a2_rate, Decimal(0))
    reduced = judge(engine, asc_claim(line("10121", "52")))
    assert reduced.lines[0].allowed == money(adjusted(a2_rate, Decimal(0)) * Decimal("0.5"))


@needs_addenda
def test_excluded_packaged_and_unknown_lines(engine: Engine) -> None:
    assert "00176" in _rows(SHARED_ASC / "20260701" / "EE.csv")
    assert published("20260701", "0599T")[0] == "N1"
    result = judge(engine, asc_claim(line("10121"), line("00176"), line("0599T"), line("99213")))
    by_code = {f.line: f for f in result.findings}
    assert (by_code[2].code, by_code[2].group, by_code[2].carc) == ("MCR852", "CO", "58")
    assert (by_code[3].code, by_code[3].group, by_code[3].carc) == ("MCR853", "CO", "97")
    assert by_code[4].code == "MCR854"
    assert [ln.status for ln in result.lines] == ["paid", "denied", "denied", "pended"]
    assert result.lines[1].paid == result.lines[2].paid == Decimal("0.00")


@needs_addenda
def test_contractor_priced_indicator_pends_naming_why(engine: Engine) -> None:
    assert published("20260701", "C9399")[0] == "K7"
    result = judge(engine, asc_claim(line("10121"), line("C9399")))
    [f] = result.findings
    assert f.code == "MCR855" and "contractor-priced" in f.message


@needs_addenda
def test_no_wage_index_pends_naming_what_to_supply(engine: Engine) -> None:
    other = Provider(npi="1497758544", taxonomy="261QA1903X")
    result = judge(engine, asc_claim(line("10121"), line("A9513"), billing_provider=other))
    assert result.lines[0].status == "pended"
    [f] = result.findings
    assert f.code == "MCR851" and "asc-wage-index" in f.message and "1497758544" in f.message
    assert result.lines[1].status == "paid"  # a K2 drug is not wage-adjusted


@needs_addenda
def test_cbsa_record_gives_the_wage_index(
    asc_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_asc([SHARED_ASC / "20260701"], ImportOptions(data_dir=tmp_path))
    toml = tmp_path / "wi.toml"
    toml.write_text(
        '[[asc]]\nccn = "05C0001234"\ncbsa = "12345"\neffective_from = 2026-01-01\nsource = "own"\n'
        '[[cbsa]]\ncbsa = "12345"\nwage_index = "0.8765"\neffective_from = 2026-01-01\nsource = "table"\n'
    )
    import_wage_index([toml], ImportOptions(data_dir=tmp_path))
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    claim = asc_claim(
        line("10121"),
        provider_ccn="05C0001234",
        billing_provider=Provider(npi="1497758544", taxonomy="261QA1903X"),
    )
    result = judge(Engine.from_installed(), claim)
    _, rate, _, _ = published("20260701", "10121")
    assert result.lines[0].allowed == adjusted(rate, Decimal(0), Decimal("0.8765"))


def test_nothing_imported_pends_naming_the_import() -> None:
    result = Engine.from_installed().adjudicate(asc_claim(line("10121")), payer="medicare", session=Session())
    [f] = result.findings
    assert f.code == "MCR850" and "payer-rules data import asc" in f.message and "2026 Q3" in f.message
    assert result.status == "pended"


@needs_addenda
def test_part_b_deductible_and_coinsurance_apply(engine: Engine) -> None:
    _, rate, _, _ = published("20260701", "10121")
    result = judge(engine, asc_claim(line("10121")))
    [ln] = result.lines
    allowed = adjusted(rate, Decimal(0))
    deductible = Decimal("283.00")  # CY2026 Part B deductible
    coinsurance = money((allowed - deductible) * Decimal("0.2"))
    groups = {(a.group, a.carc): a.amount for a in ln.adjustments}
    assert groups[("PR", "1")] == deductible
    assert groups[("PR", "2")] == coinsurance


def test_medicare_registers_asc_claims() -> None:
    kinds = Engine.from_installed().payer("medicare").claim_kinds
    assert {ClaimKind.PROFESSIONAL, ClaimKind.ASC} <= kinds


@pytest.mark.parametrize("code", ["MCR850", "MCR851", "MCR852", "MCR853", "MCR854", "MCR855", "MCR856"])
def test_asc_rules_are_explained(code: str) -> None:
    out = CliRunner().invoke(cli, ["explain", code])
    assert out.exit_code == 0, out.output
    assert "Ch. 14" in out.output


EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "x12" / "asc.837"


def test_example_asc_837_pends_naming_the_import_when_nothing_is_imported() -> None:
    out = CliRunner().invoke(cli, ["adjudicate", str(EXAMPLE), "--payer", "medicare", "--format", "json"])
    assert out.exit_code == 0, out.output
    [result] = json.loads(out.output)
    assert result["status"] == "pended"
    assert [f["code"] for f in result["findings"]] == ["MCR850", "MCR850"]


@needs_addenda
def test_example_asc_837_is_priced_once_the_addenda_and_wage_index_are_imported(
    asc_dir: Path, tmp_path: Path
) -> None:
    toml = tmp_path / "bayview.toml"
    toml.write_text(WAGE_TOML.replace(ASC_NPI, "1497758544"))
    env = {"PAYER_RULES_DATA_DIR": str(asc_dir)}
    assert CliRunner().invoke(cli, ["data", "import", "asc-wage-index", str(toml)], env=env).exit_code == 0
    out = CliRunner().invoke(
        cli, ["adjudicate", str(EXAMPLE), "--payer", "medicare", "--format", "json"], env=env
    )
    [result] = json.loads(out.output)
    cataract, capsulotomy = published("20260701", "66984"), published("20260701", "66821")
    assert [ln["allowed"] for ln in result["lines"]] == [
        str(adjusted(cataract[1], Decimal(0))),
        str(money(adjusted(capsulotomy[1], Decimal(0)) * Decimal("0.5"))),
    ]


MPFS = SHARED_ASC.parent / "mpfs"


@pytest.mark.skipif(
    not (MPFS / "PPRRVU2025_Oct.csv").exists(), reason=f"CMS RVU25D bundle not found under {MPFS}"
)
def test_an_asc_facility_claim_is_no_surgeons_global_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The professional claim's global surgery edit (MCR622) flags the same two claims billed by
    a physician; the ASC's facility claims are not in anyone's package."""
    from payer_rules_medicare.mpfs.importer import import_mpfs

    import_mpfs([MPFS], ImportOptions(data_dir=tmp_path))
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    engine = Engine.from_installed()
    surgeon = Provider(npi="1987654328", taxonomy="207X00000X", tax_id="941234567")
    claim = asc_claim(
        line("27447", day=dt.date(2025, 6, 2)),
        line("29881", day=dt.date(2025, 6, 20)),
        rendering_provider=surgeon,
        received_date=dt.date(2025, 7, 1),
    )
    physician = attrs.evolve(
        claim, billing_provider=Provider(npi=ASC_NPI, taxonomy="207X00000X", tax_id="941234567")
    )
    codes = {
        kind: [f.code for f in engine.adjudicate(c, "medicare", session=Session()).findings]
        for kind, c in {"asc": claim, "professional": physician}.items()
    }
    assert "MCR622" in codes["professional"]
    assert not [c for c in codes["asc"] if c.startswith("MCR62")]


@needs_addenda
def test_an_ancillary_service_alone_pends(engine: Engine) -> None:
    """A9513 (BB) is paid with 10121 (AA) the same day, and held without a surgical procedure."""
    _, rate, _, _ = published("20260701", "A9513")
    alone = judge(engine, asc_claim(line("A9513"), line("10121", day=dt.date(2026, 7, 16))))
    assert [(f.code, f.line) for f in alone.findings] == [("MCR856", 1)]
    with_surgery = judge(engine, asc_claim(line("A9513"), line("10121")))
    assert with_surgery.findings == () and with_surgery.lines[0].allowed == rate


@needs_addenda
def test_what_if_and_compare_on_the_example(asc_dir: Path, tmp_path: Path) -> None:
    """what-if: 73 on the cataract line halves it and lifts the second procedure to 100%;
    compare: Medicare prices the ASC claim, a payer that prices no ASC claims pends it."""
    toml = tmp_path / "bayview.toml"
    toml.write_text(WAGE_TOML.replace(ASC_NPI, "1497758544"))
    env = {"PAYER_RULES_DATA_DIR": str(asc_dir)}
    assert CliRunner().invoke(cli, ["data", "import", "asc-wage-index", str(toml)], env=env).exit_code == 0
    out = CliRunner().invoke(
        cli,
        [
            "what-if",
            str(EXAMPLE),
            "--payer",
            "medicare",
            "--change",
            "line1.modifiers+=73",
            "--format",
            "json",
        ],
        env=env,
    )
    assert out.exit_code == 0, out.output
    [change] = json.loads(out.output)
    cataract, capsulotomy = published("20260701", "66984"), published("20260701", "66821")
    full = adjusted(cataract[1], Decimal(0))
    second = adjusted(capsulotomy[1], Decimal(0))
    assert [ln["allowed"] for ln in change["before"]["lines"]] == [
        str(full),
        str(money(second * Decimal("0.5"))),
    ]
    assert [ln["allowed"] for ln in change["after"]["lines"]] == [
        str(money(full * Decimal("0.5"))),
        str(second),
    ]
    out = CliRunner().invoke(
        cli,
        ["compare", str(EXAMPLE), "--payer", "medicare", "--payer", "bluepeak", "--format", "json"],
        env=env,
    )
    assert out.exit_code == 0, out.output
    [claim] = json.loads(out.output)["claims"]
    payers = claim["lines"][0]["payers"]
    assert (payers["medicare"]["status"], payers["medicare"]["allowed"]) == ("paid", str(full))
    # BluePeak's contract prices professional claims only: an ASC claim pends, saying so.
    assert (payers["bluepeak"]["status"], payers["bluepeak"]["rule_codes"]) == ("pended", ["ENG005"])


@needs_addenda
def test_a_drug_with_inflation_adjusted_coinsurance_pends(engine: Engine) -> None:
    """BB's IRA-adjusted copayment column: the patient's share is not 20%, so the line says so."""
    row = _rows(SHARED_ASC / "20260701" / "BB.csv")["J0121"]
    copay = _dollars(_col(row, "Copayment"))
    assert copay > 0
    result = judge(engine, asc_claim(line("10121"), line("J0121")))
    [f] = result.findings
    assert (f.code, f.line) == ("MCR855", 2) and str(copay) in f.message
