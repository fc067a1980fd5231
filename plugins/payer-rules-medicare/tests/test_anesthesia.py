"""Anesthesia: (base units + time units) x the locality's anesthesia CF, with the payment modifiers.

Expected amounts are worked here by CMS's formula (Pub. 100-04 Ch. 12 §50) from the real
ANES2025.csv of the RVU25D bundle in ``../shared/data/mpfs`` (those tests skip without it) and
from base units in a small file in the importer's layout written by the test, never from the
engine's output.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import attrs
import pytest

from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.io.fhir.reader import read_fhir_text
from payer_rules.io.readers import read_claims
from payer_rules.io.x12.reader_837 import read_837_text
from payer_rules.io.x12.writer_837 import claims_to_837
from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine
from payer_rules.store import ImportOptions
from payer_rules_medicare.anesthesia import import_base_units, time_units
from payer_rules_medicare.mpfs.importer import import_mpfs
from payer_rules_medicare.starter import load_starter

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
ANES = SHARED / "mpfs" / "ANES2025.csv"
needs_anes = pytest.mark.skipif(not ANES.exists(), reason=f"CMS ANES2025.csv not found under {ANES.parent}")
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
EXAMPLE = EXAMPLES / "claims" / "18-anesthesia-medically-directed-2025.json"

#: The base units file the tests import, in the importer's layout (caption, then code + base unit).
BASE_UNITS = {"00840": Decimal(6), "01402": Decimal(7), "00142": Decimal(4)}


def anes_cf(mac: str, locality: str) -> Decimal:
    """The anesthesia CF of a locality, read straight from CMS's ANES2025.csv."""
    with ANES.open(newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if len(row) >= 4 and row[0].strip() == mac and row[1].strip() == locality:
                return Decimal(row[3].strip())
    raise AssertionError(f"{mac}-{locality} not in {ANES}")


def cms_amount(base: Decimal, minutes: Decimal, cf: Decimal, share: Decimal) -> Decimal:
    """Pub. 100-04 Ch. 12 §50: time units = minutes / 15 to one decimal; (base + time) x CF."""
    time = (minutes / 15).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return ((base + time) * cf * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def claim(*lines: ServiceLine, zip_: str = "94110", participating: bool = True) -> Claim:
    return Claim(
        id="A-1",
        patient=Person(id="P-1"),
        coverage=Coverage(payer_id="medicare", member_id="M1"),
        billing_provider=Provider(npi="1679543219", address=Address(zip=zip_), participating=participating),
        rendering_provider=Provider(npi="1456789019", taxonomy="207L00000X"),
        service_facility_zip=zip_,
        place_of_service="22",
        received_date=dt.date(2026, 3, 1),
        diagnoses=(Diagnosis(code="K40.90"),),
        lines=lines,
    )


def anes(
    code: str, *modifiers: str, minutes: str = "95", day: dt.date = dt.date(2025, 3, 10), **kw: object
) -> ServiceLine:
    values: dict[str, object] = {"charge": Decimal("5000.00"), "service_date": day, "unit_basis": "MJ"}
    values.update(kw)
    return ServiceLine(procedure=code, modifiers=modifiers, units=Decimal(minutes), **values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


@pytest.fixture(scope="module")
def anes_dir(tmp_path_factory) -> Path:
    if not ANES.exists():
        pytest.skip(f"CMS ANES2025.csv not found under {ANES.parent}")
    directory = tmp_path_factory.mktemp("anes-2025")
    import_mpfs([SHARED / "mpfs"], ImportOptions(data_dir=directory))
    units = directory / "CY2025 Anesthesia Base Units by CPT code.csv"
    rows = "\n".join(f"{code},{value}" for code, value in BASE_UNITS.items())
    units.write_text(f"CY 2025 Anesthesia Base Units by CPT Code\n\nCPT Code,Base Unit\n{rows}\n")
    import_base_units([units], ImportOptions(data_dir=directory))
    return directory


def result_of(engine: Engine, c: Claim):  # type: ignore[no-untyped-def]
    return engine.adjudicate(c, "medicare", session=Session())


def test_time_units_round_to_one_decimal() -> None:
    assert time_units(Decimal(37)) == Decimal("2.5")  # 2.466...
    assert time_units(Decimal(52)) == Decimal("3.5")  # 3.466...
    assert time_units(Decimal(95)) == Decimal("6.3")  # 6.333...
    assert time_units(Decimal(8)) == Decimal("0.5")  # 0.533...
    assert time_units(Decimal(60)) == Decimal("4.0")


@needs_anes
@pytest.mark.parametrize(
    ("modifiers", "share"),
    [
        (("AA",), Decimal(1)),  # personally performed
        (("QZ",), Decimal(1)),  # CRNA without medical direction
        (("QK",), Decimal("0.5")),  # medical direction of 2-4 concurrent procedures
        (("QY",), Decimal("0.5")),  # medical direction of one CRNA
        (("QX",), Decimal("0.5")),  # CRNA, medically directed
        (("AA", "GC"), Decimal(1)),  # teaching anesthesiologist: paid as AA
    ],
)
def test_payment_modifiers_from_the_anes_file(engine, anes_dir, monkeypatch, modifiers, share) -> None:
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(anes_dir))
    result = result_of(engine, claim(anes("01402", *modifiers, minutes="128")))
    expected = cms_amount(BASE_UNITS["01402"], Decimal(128), anes_cf("01112", "05"), share)
    assert result.lines[0].allowed == expected, result.lines[0].basis


@needs_anes
def test_medical_supervision_pays_three_base_units(engine, anes_dir, monkeypatch) -> None:
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(anes_dir))
    result = result_of(engine, claim(anes("01402", "AD", minutes="128")))
    assert result.lines[0].allowed == (Decimal(3) * anes_cf("01112", "05")).quantize(Decimal("0.01"))


@needs_anes
def test_locality_and_non_participating(engine, anes_dir, monkeypatch) -> None:
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(anes_dir))
    result = result_of(engine, claim(anes("00142", "AA", minutes="37"), zip_="35203", participating=False))
    full = cms_amount(BASE_UNITS["00142"], Decimal(37), anes_cf("10112", "00"), Decimal(1))
    non_par = (full * Decimal("0.95")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert result.lines[0].allowed == non_par


@needs_anes
def test_starter_pack_prices_the_example_with_nothing_imported(engine) -> None:
    """The starter's CF for San Francisco is ANES2025's; its base units are named as unverified."""
    [example] = list(read_claims([str(EXAMPLE)]))
    assert isinstance(example, Claim)
    result = result_of(engine, example)
    base = load_starter().anesthesia[2025].base_units["00840"]
    expected = cms_amount(base, Decimal(95), anes_cf("01112", "05"), Decimal("0.5"))
    assert [line.allowed for line in result.lines] == [expected]
    assert "unverified" in result.lines[0].basis or "not checked" in result.lines[0].basis


def test_2026_without_an_anesthesia_cf_pends(engine, tmp_path, monkeypatch) -> None:
    """No ANES2026 file is published in ../shared/data, and none ships: CY2026 lines pend."""
    units = tmp_path / "base units.csv"
    units.write_text("CPT Code,Base Unit\n00840,6\n")
    import_base_units([units], ImportOptions(data_dir=tmp_path, effective=dt.date(2026, 1, 1)))
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    result = result_of(engine, claim(anes("00840", "AA", day=dt.date(2026, 2, 3))))
    [found] = [f for f in result.findings if f.code == "MCR701"]
    assert "ANES2026" in found.message
    assert result.lines[0].status == "pended"


def test_missing_base_units_pend(engine) -> None:
    result = result_of(engine, claim(anes("01402", "AA")))
    assert [f.code for f in result.findings if f.code.startswith("MCR7")] == ["MCR700"]
    assert result.lines[0].status == "pended"


@pytest.mark.parametrize("modifiers", [(), ("GC",), ("AA", "QK")])
def test_payment_modifier_missing_or_conflicting_is_denied(engine, modifiers) -> None:
    result = result_of(engine, claim(anes("00840", *modifiers)))
    [found] = [f for f in result.findings if f.code == "MCR702"]
    assert found.carc == "4"
    assert result.lines[0].status == "denied"


def test_units_instead_of_minutes_are_denied(engine) -> None:
    result = result_of(engine, claim(anes("00840", "AA", minutes="1", unit_basis="UN")))
    assert [f.code for f in result.findings if f.code.startswith("MCR7")] == ["MCR703"]


def test_unit_basis_survives_837_and_fhir() -> None:
    line = anes("00840", "QK")
    [read] = list(read_837_text(claims_to_837([claim(line)]), "anesthesia.837"))
    assert isinstance(read, Claim)
    assert (read.lines[0].unit_basis, read.lines[0].units) == ("MJ", Decimal(95))
    with pytest.raises(ValueError, match=r"UN \(units\) or MJ"):
        attrs.evolve(line, unit_basis="F2")
    bundle = json.loads((EXAMPLES / "fhir" / "claims.json").read_text())
    claims = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim"]
    claims[0]["item"][0]["quantity"] = {"value": 95, "system": "http://unitsofmeasure.org", "code": "min"}
    first = next(iter(read_fhir_text(json.dumps(bundle), "claims.json")))
    assert isinstance(first, Claim)
    assert first.lines[0].unit_basis == "MJ"


def test_base_units_file_errors_are_located(tmp_path) -> None:
    bad = tmp_path / "base2025.csv"
    bad.write_text("CPT Code,Base Unit\n00840,six\n")
    with pytest.raises(InputError, match=r"base2025.csv:2"):
        import_base_units([bad], ImportOptions(data_dir=tmp_path))
    headless = tmp_path / "other2025.csv"
    headless.write_text("code,value\n00840,6\n")
    with pytest.raises(InputError, match="Base Unit"):
        import_base_units([headless], ImportOptions(data_dir=tmp_path))
