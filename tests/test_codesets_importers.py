"""Importers on the real CDC / CMS files in ../shared/data (skipped, saying so, where absent)."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.codesets import Outcome
from payer_rules.codesets.icd10cm import IssueKind, check_conventions
from payer_rules.codesets.importers.hcpcs import parse_hcpcs
from payer_rules.codesets.importers.icd10cm import parse_icd10cm
from payer_rules.codesets.store import read_table, write_version
from payer_rules.engine import Engine

from .conftest import SHARED_DATA

ICD = SHARED_DATA / "icd10cm"
HCPCS = SHARED_DATA / "hcpcs"
XML = ICD / "icd10cm_tabular_April-1-2026.xml"
FY2025_CSV = ICD / "icd10cm_FY2025_codes_descriptions.csv"
FY2026_TXT = ICD / "icd10cm_codes_2026_codes-only.txt"
ORDER = ICD / "icd10cm_order_2026.excerpt.txt"
HCPCS_2020 = HCPCS / "HCPC2020_ANWEB_w_disclaimer.txt"


def need(*paths):
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"real files not here ({', '.join(missing)} under {SHARED_DATA})")


@cache
def tabular():
    return parse_icd10cm(XML)


def test_fy2025_to_fy2026_is_487_added_and_28_deleted():
    need(FY2025_CSV, FY2026_TXT)
    fy2025 = parse_icd10cm(FY2025_CSV)
    fy2026 = parse_icd10cm(FY2026_TXT)
    assert (fy2025.name, fy2025.effective_from, fy2025.effective_to) == (
        "ICD-10-CM FY2025",
        dt.date(2024, 10, 1),
        dt.date(2025, 9, 30),
    )
    assert fy2026.name == "ICD-10-CM FY2026"
    assert len(fy2026.billable - fy2025.billable) == 487
    assert len(fy2025.billable - fy2026.billable) == 28
    assert "E11A" in fy2026.billable - fy2025.billable and "G35" in fy2025.billable - fy2026.billable


def test_tabular_xml_billable_codes_are_exactly_the_cdc_codes_file():
    need(XML, FY2026_TXT)
    codes = {line.strip() for line in FY2026_TXT.read_text().split()}
    data = tabular()
    assert data.billable == codes and len(codes) == 74_719
    # the S06 exception note: 7th characters D and S do not apply with 6th character 7 or 8
    assert "S06307D" not in data.billable and "S06307A" in data.billable
    assert data.headers is not None and "E11" in data.headers and "S93401" in data.headers


def test_order_file_layout():
    need(ORDER)
    data = parse_icd10cm(ORDER)
    assert data.name == "ICD-10-CM FY2026" and "A000" in data.billable and "A00" in (data.headers or ())
    assert data.descriptions["A000"] == "Cholera due to Vibrio cholerae 01, biovar cholerae"


def test_conventions_from_the_tabular_notes():
    need(XML)
    notes = tabular().notes
    assert notes is not None
    kinds = lambda codes, **kw: {i.kind for i in check_conventions(notes, codes, version="FY2026", **kw)}  # noqa: E731
    assert IssueKind.EXCLUDES1 in kinds(["E119", "E089"])  # E11 Excludes1: E08.-
    assert IssueKind.MANIFESTATION_FIRST in kinds(["G63", "E1142"])  # G63: in diseases classified elsewhere
    assert IssueKind.MANIFESTATION_FIRST not in kinds(["E1142", "G63"])
    assert IssueKind.UNSPECIFIED_LATERALITY in kinds(["S93409A"])
    assert IssueKind.UNSPECIFIED_LATERALITY not in kinds(["S93401A"])
    assert IssueKind.SEX_CONFLICT in kinds(["N400"], sex="F") and not kinds(["N400"], sex="M")
    assert IssueKind.SEX_CONFLICT in kinds(["C539"], sex="M")
    old = dict(birth_date=dt.date(1950, 1, 1), day=dt.date(2026, 1, 5))
    assert IssueKind.AGE_CONFLICT in kinds(["O80"], sex="F", **old)
    assert IssueKind.AGE_CONFLICT in kinds(["Z3800"], **old)


def test_a_version_round_trips_through_sqlite(tmp_path):
    need(XML)
    data = tabular()
    write_version(data, tmp_path / "fy2026.sqlite")
    table = read_table(tmp_path / "fy2026.sqlite")
    assert table.billable == data.billable and table.headers == data.headers
    assert table.notes == data.notes


def test_hcpcs_annual_file():
    need(HCPCS_2020)
    data = parse_hcpcs(HCPCS_2020)
    assert data.name == "HCPCS 2020" and data.effective_from == dt.date(2020, 1, 1)
    assert len(data.billable) == 6_710 + 369  # codes and modifiers
    assert data.dates["G0008"] == (dt.date(1994, 1, 1), None)
    assert data.dates["CP"][1] == dt.date(2017, 12, 31)  # terminated, still listed


def test_import_one_command_then_list_and_use(tmp_path, monkeypatch):
    need(FY2026_TXT, HCPCS_2020)
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "")  # only what is imported
    runner = CliRunner()
    out = runner.invoke(cli, ["data", "import", "icd10cm", str(FY2026_TXT)])
    assert out.exit_code == 0, out.output
    assert "imported icd10cm ICD-10-CM FY2026: 74719 rows, effective 2025-10-01 .. 2026-09-30" in out.output
    out = runner.invoke(cli, ["data", "import", "hcpcs", str(HCPCS_2020)])
    assert out.exit_code == 0, out.output
    listing = json.loads(runner.invoke(cli, ["data", "list", "--json"]).output)
    listed = {r["version"]: r for r in listing["datasets"]}
    assert any(c["name"] == "ICD-10-CM FY2026" for c in listing["code_sets"])
    assert listed["ICD-10-CM FY2026"]["rows"] == 74_719
    assert listed["HCPCS 2020"]["sources"][0]["file"] == HCPCS_2020.name
    engine = Engine.from_installed()
    assert engine.code_sets.lookup("icd-10-cm", "E11.A", dt.date(2025, 10, 1)).valid
    assert engine.code_sets.lookup("hcpcs", "G0008", dt.date(2020, 5, 1)).valid
    assert engine.code_sets.lookup("hcpcs", "A1", dt.date(2020, 5, 1)).valid  # a modifier
    status = engine.code_sets.lookup("icd-10-cm", "E11", dt.date(2025, 10, 1))
    assert status.outcome is Outcome.HEADER  # headers derived from a bare codes list


def test_import_an_april_update_with_effective(tmp_path, monkeypatch):
    need(ORDER)
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    out = CliRunner().invoke(cli, ["data", "import", "icd10cm", str(ORDER), "--effective", "2026-04-01"])
    assert out.exit_code == 0, out.output
    assert "ICD-10-CM FY2026 (2026-04-01 update)" in out.output and "2026-04-01 .. 2026-09-30" in out.output


def test_bad_file_is_a_located_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path / "data"))
    bad = tmp_path / "icd10cm_codes_2027.txt"
    bad.write_text("A000\n12.34 not a code\n")
    out = CliRunner().invoke(cli, ["data", "import", "icd10cm", str(bad)])
    assert out.exit_code == 1 and f"{bad}:2: expected an ICD-10-CM code" in out.stderr


def test_a_version_imported_again_replaces_the_old_database_only_when_recorded(tmp_path, monkeypatch):
    """Each import writes a database named by its source's content; the catalogue entry is the
    commit point. A failed recording leaves the version in force as it was; a recorded one
    replaces it and its old database goes."""
    import payer_rules.store as store

    data = tmp_path / "data"
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(data))
    first = tmp_path / "a" / "icd10cm_codes_2027.txt"
    first.parent.mkdir()
    first.write_text("A000 Cholera due to Vibrio cholerae 01, biovar cholerae\n")
    second = tmp_path / "b" / "icd10cm_codes_2027.txt"
    second.parent.mkdir()
    second.write_text(first.read_text() + "A001 Cholera due to Vibrio cholerae 01, biovar eltor\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["data", "import", "icd10cm", str(first)]).exit_code == 0

    def listed() -> tuple[str, int]:
        (entry,) = json.loads(runner.invoke(cli, ["data", "list", "--json"]).output)["datasets"]
        return entry["database"], entry["rows"]

    database, rows = listed()
    assert rows == 1 and (data / database).is_file()

    def refuse(*args: object, **kwargs: object) -> None:
        raise store.InputError("catalog.sqlite", "refused")

    monkeypatch.setattr(store, "record_import", refuse)
    assert runner.invoke(cli, ["data", "import", "icd10cm", str(second)]).exit_code == 1
    monkeypatch.undo()
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(data))
    assert listed() == (database, 1)  # the version in force, and its database, as they were
    assert (data / database).is_file()
    assert runner.invoke(cli, ["data", "import", "icd10cm", str(second)]).exit_code == 0
    new_database, rows = listed()
    assert rows == 2 and new_database != database
    assert (data / new_database).is_file() and not (data / database).exists()
