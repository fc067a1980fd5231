"""The code-set registry: outcomes by date of service, on small hand-made tables."""

from __future__ import annotations

import datetime as dt

import pytest

from payer_rules import hookimpl
from payer_rules.codesets import CodeSetRegistry, CodeSetVersion, CodeTable, Outcome
from payer_rules.engine import Engine
from payer_rules.errors import PluginError
from payer_rules.plugins import get_plugin_manager

FY25 = CodeTable.build({"E119", "G35", "S93401A", "S93401D", "S93401S", "T7807XA"}, seventh_character=True)
FY26 = CodeTable.build({"E119", "E11A", "G35A", "S93401A", "S93401D", "S93401S"}, seventh_character=True)


def version(name, table, start, end, **kw):
    return CodeSetVersion.from_table(
        table, system="icd-10-cm", name=name, effective_from=start, effective_to=end, **kw
    )


@pytest.fixture
def registry():
    return CodeSetRegistry(
        [
            version("ICD-10-CM FY2025", FY25, dt.date(2024, 10, 1), dt.date(2025, 9, 30)),
            version("ICD-10-CM FY2026", FY26, dt.date(2025, 10, 1), dt.date(2026, 9, 30)),
        ]
    )


BEFORE, AFTER = dt.date(2025, 9, 30), dt.date(2025, 10, 1)


def test_added_code_is_invalid_before_the_boundary_and_valid_from_it(registry):
    before = registry.lookup("icd-10-cm", "E11.A", BEFORE)
    assert before.outcome is Outcome.NOT_IN_VERSION and before.valid_in == ("ICD-10-CM FY2026",)
    assert "valid in ICD-10-CM FY2026" in before.message
    assert registry.lookup("icd-10-cm", "E11.A", AFTER).valid


def test_deleted_code_is_valid_before_and_a_header_after(registry):
    assert registry.lookup("icd-10-cm", "G35", BEFORE).valid
    after = registry.lookup("icd-10-cm", "G35", AFTER)
    assert after.outcome is Outcome.HEADER and after.outcome.known_invalid


def test_deleted_code_names_the_version_where_it_was_valid(registry):
    status = registry.lookup("icd-10-cm", "T78.07XA", AFTER)
    assert status.outcome is Outcome.NOT_IN_VERSION and status.valid_in == ("ICD-10-CM FY2025",)


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("E11", Outcome.HEADER),
        ("S93.401", Outcome.MISSING_7TH),
        ("S93.40", Outcome.HEADER),
        ("T7807A", Outcome.PLACEHOLDER_X),
        ("11.9", Outcome.MALFORMED),
        ("K21.9", Outcome.NOT_IN_VERSION),
    ],
)
def test_outcomes(registry, code, outcome):
    status = registry.lookup("icd-10-cm", code, BEFORE)
    assert status.outcome is outcome, status.message


def test_missing_seventh_character_names_the_characters(registry):
    status = registry.lookup("icd-10-cm", "S93.401", AFTER)
    assert status.suggestions == ("S93401A", "S93401D", "S93401S")
    assert "(A, D, S)" in status.message


def test_no_version_on_the_date_is_unknown_not_invalid(registry):
    status = registry.lookup("icd-10-cm", "E11.9", dt.date(2023, 1, 1))
    assert status.outcome is Outcome.UNKNOWN_SYSTEM_ON_DATE and not status.outcome.known_invalid
    assert "no ICD-10-CM code set covering 2023-01-01" in status.message
    assert registry.lookup("cpt", "99213", AFTER).outcome is Outcome.UNKNOWN_SYSTEM_ON_DATE


def test_a_partial_list_makes_missing_codes_unknown():
    partial = CodeSetVersion.from_table(
        CodeTable.build({"99213"}),
        system="cpt",
        name="CPT codes in MPFS 2026",
        effective_from=dt.date(2026, 1, 1),
        effective_to=dt.date(2026, 12, 31),
        complete=False,
    )
    registry = CodeSetRegistry([partial])
    assert registry.lookup("cpt", "99213", dt.date(2026, 2, 1)).valid
    assert registry.lookup("cpt", "27447", dt.date(2026, 2, 1)).outcome is Outcome.UNKNOWN_CODE


def test_per_code_dates_judge_hcpcs():
    table = CodeTable.build(
        {"G0008", "G9987"},
        headers=(),
        dates={"G9987": (dt.date(2018, 10, 1), dt.date(2020, 6, 30)), "G0008": (dt.date(1994, 1, 1), None)},
    )
    registry = CodeSetRegistry(
        [
            CodeSetVersion.from_table(
                table,
                system="hcpcs",
                name="HCPCS 2020",
                effective_from=dt.date(2020, 1, 1),
                effective_to=dt.date(2020, 12, 31),
            )
        ]
    )
    assert registry.lookup("hcpcs", "G9987", dt.date(2020, 3, 1)).valid
    late = registry.lookup("hcpcs", "G9987", dt.date(2020, 7, 1))
    assert late.outcome is Outcome.NOT_IN_VERSION and "terminated 2020-06-30" in late.message


def test_an_import_overrides_what_a_plugin_ships_for_its_dates(registry):
    registry.add(version("ICD-10-CM FY2026", CodeTable.build({"E119", "K219"}), AFTER, None, priority=1))
    assert registry.lookup("icd-10-cm", "K21.9", AFTER).valid
    assert registry.version_on("icd-10-cm", BEFORE).name == "ICD-10-CM FY2025"


def test_codes_load_lazily_once():
    calls = []

    def loader():
        calls.append(1)
        return FY26

    v = CodeSetVersion(system="icd-10-cm", name="X", effective_from=AFTER, effective_to=None, loader=loader)
    registry = CodeSetRegistry([v])
    assert not v.loaded
    registry.lookup("icd-10-cm", "E119", AFTER)
    registry.lookup("icd-10-cm", "E11A", AFTER)
    assert calls == [1]


class CodesPlugin:
    @hookimpl
    def register_code_sets(self, register):
        register(version("ICD-10-CM FY2026", FY26, AFTER, dt.date(2026, 9, 30)))


def test_hook_register_code_sets_reaches_the_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    engine = Engine(get_plugin_manager(plugins=[CodesPlugin()], load_entrypoints=False))
    (only,) = engine.code_sets.versions("icd-10-cm")
    assert only.name == "ICD-10-CM FY2026" and only.provider == "CodesPlugin@0+local"


def test_hook_register_code_sets_twice_names_both(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))

    class Again(CodesPlugin):
        pass

    with pytest.raises(PluginError, match="registered twice"):
        Engine(get_plugin_manager(plugins=[CodesPlugin(), Again()], load_entrypoints=False))
