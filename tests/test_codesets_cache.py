"""Code tables cached on disk: read back exactly, rebuilt when a source changes, never stale."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from payer_rules.codesets.cache import SUFFIX, cached_table, dump_table, load_table
from payer_rules.codesets.icd10cm import Icd10cmNotes
from payer_rules.codesets.registry import CodeTable


def icd_table() -> CodeTable:
    notes = Icd10cmNotes(
        excludes1={"E11": (("E10", "E10"), ("O24", "O24"))},
        manifestations=frozenset({"G63"}),
        laterality={"S93401A": "S93411A", "S93401": "S934"},
        sex={"N40": "M"},
        age={"P00": "newborn"},
    )
    return CodeTable.build(
        ["E119", "E11A", "S93401A", "S93401D", "G35"],
        descriptions={"E119": "Type 2 diabetes mellitus without complications", "E11": "Type 2 diabetes"},
        notes=notes,
        seventh_character=True,
    )


def hcpcs_table() -> CodeTable:
    return CodeTable.build(
        ["G0438", "J9999", "A0021"],
        headers=[],
        descriptions={"G0438": "Ppps, initial visit"},
        dates={"J9999": (dt.date(2020, 1, 1), dt.date(2024, 12, 31)), "A0021": (None, dt.date(2026, 6, 30))},
    )


@pytest.mark.parametrize("make", [icd_table, hcpcs_table, lambda: CodeTable.build([])])
def test_a_table_reads_back_equal_to_what_was_written(make):
    table = make()
    payload = dump_table(table)
    assert payload is not None
    again = load_table(payload)
    assert again == table
    assert dict(again.descriptions) == dict(table.descriptions)
    assert again.stems == table.stems and again.headers == table.headers


def test_titles_read_back_with_accents_and_empty_ones_decoded_only_when_read():
    table = CodeTable.build(
        ["H8101", "A00", "B99"], descriptions={"H8101": "Ménière's disease, right ear", "A00": "", "B99": "x"}
    )
    payload = dump_table(table)
    assert payload is not None
    again = load_table(payload)
    assert again.billable == table.billable
    assert again.descriptions._encoded is not None  # not decoded yet
    assert dict(again.descriptions) == {"H8101": "Ménière's disease, right ear", "A00": "", "B99": "x"}
    assert load_table(dump_table(CodeTable.build(["A00"])) or b"").descriptions == {}


def test_cached_codes_answer_as_the_set_they_were_before_and_after_it_is_made(monkeypatch):
    from payer_rules.codesets import cache

    codes = frozenset({"A00", "A000", "E119", "E11A", "S93401A", "Z23"})
    again = load_table(dump_table(CodeTable.build(codes, headers=["E11"])) or b"")
    monkeypatch.setattr(cache, "LOOKUPS_BEFORE_SET", 3)
    asked = ["E119", "E11", "A0", 7, "S93401A", "E119", "E11", "Z23", "Z24", None]
    assert [code in again.billable for code in asked] == [code in codes for code in asked]
    assert again.billable._set is not None  # made after the third lookup
    assert len(again.billable) == 6 and sorted(again.billable) == sorted(codes)
    assert again.billable == codes and codes == again.billable and hash(again.billable) == hash(codes)
    assert again.billable - {"Z23"} == codes - {"Z23"} and isinstance(again.billable - {"Z23"}, frozenset)
    assert again.billable | {"B00"} == codes | {"B00"} and again.billable & {"Z23", "Q"} == {"Z23"}
    assert "E11" in again.headers and "E119" not in again.headers and again.headers == {"E11"}


def test_tables_the_joined_form_cannot_hold_are_not_cached():
    assert dump_table(CodeTable.build(["A00"], descriptions={"A00": "two\nlines"})) is None
    assert dump_table(CodeTable.build(["A00"], notes=object())) is None
    assert dump_table(CodeTable.build([""])) is None


def test_built_once_then_read_from_the_cache(tmp_path):
    source = tmp_path / "codes.txt"
    source.write_text("E119\n")
    calls = []

    def build():
        calls.append(1)
        return icd_table()

    first = cached_table("ICD-10-CM FY2099", [source], build, directory=tmp_path / "cache")
    second = cached_table("ICD-10-CM FY2099", [source], build, directory=tmp_path / "cache")
    assert calls == [1]
    assert first == second == icd_table()
    assert [p.name.startswith("icd-10-cm-fy2099-") for p in (tmp_path / "cache").iterdir()] == [True]


def test_a_changed_source_rebuilds_and_replaces_the_old_file(tmp_path):
    source = tmp_path / "codes.txt"
    source.write_text("E119\n")
    cache = tmp_path / "cache"
    cached_table("X", [source], icd_table, directory=cache)
    (old,) = cache.glob(f"*{SUFFIX}")
    source.write_text("E119\nE11A\n")
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 1_000_000))
    table = cached_table("X", [source], hcpcs_table, directory=cache)
    assert table == hcpcs_table()
    (new,) = cache.glob(f"*{SUFFIX}")
    assert new != old
    assert cached_table("X", [source], icd_table, directory=cache) == hcpcs_table()


def test_a_damaged_file_is_rebuilt(tmp_path):
    source = tmp_path / "codes.txt"
    source.write_text("E119\n")
    cache = tmp_path / "cache"
    cached_table("X", [source], icd_table, directory=cache)
    (path,) = cache.glob(f"*{SUFFIX}")
    path.write_bytes(path.read_bytes()[:100])
    assert cached_table("X", [source], hcpcs_table, directory=cache) == hcpcs_table()
    path.write_bytes(b"something else entirely")
    assert cached_table("X", [source], icd_table, directory=cache) == icd_table()


def test_a_cache_directory_that_cannot_be_written_works_from_memory(tmp_path):
    source = tmp_path / "codes.txt"
    source.write_text("E119\n")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    assert cached_table("X", [source], icd_table, directory=blocked / "cache") == icd_table()


def _leftovers(cache) -> dict[str, object]:
    """What an older version and other releases left: the SQLite FY2026 table of the cache
    before the marshal tables, an ICD-10-CM release no longer installed, and files of others."""
    cache.mkdir(parents=True, exist_ok=True)
    names = {
        "retired": "icd10cm-fy2026-f161f8182aff3ce3.sqlite",
        "old_release": "icd-10-cm-fy2024-0123456789abcdef.codes",
        "other_code_set": "hcpcs-2026-0123456789abcdef.codes",
        "pack": "pack-0004d2aba79a-df4b967c94fabf782ba7e96a.pack",
        "authorizations": "authorizations.sqlite",
    }
    for name in names.values():
        (cache / name).write_bytes(b"left behind")
    return {k: cache / v for k, v in names.items()}


def test_writing_a_release_removes_what_no_current_release_uses(tmp_path):
    from payer_rules.codesets.cache import Releases

    source = tmp_path / "codes.txt"
    source.write_text("E119\n")
    cache = tmp_path / "cache"
    left = _leftovers(cache)
    releases = Releases("ICD-10-CM", ("ICD-10-CM FY2098", "ICD-10-CM FY2099"), retired=("icd10cm-*.sqlite",))
    cached_table("ICD-10-CM FY2099", [source], icd_table, directory=cache, releases=releases)
    cached_table("ICD-10-CM FY2098", [source], hcpcs_table, directory=cache, releases=releases)
    assert not left["retired"].exists() and not left["old_release"].exists()
    # other code sets, parsed packs and anything else are not the ICD-10-CM cache's to remove
    assert left["other_code_set"].exists() and left["pack"].exists() and left["authorizations"].exists()
    kept = sorted(p.name.rpartition("-")[0] for p in cache.glob(f"icd-10-cm-*{SUFFIX}"))
    assert kept == ["icd-10-cm-fy2098", "icd-10-cm-fy2099"]  # both current releases stay


def test_reading_a_release_clears_leftovers_when_it_refreshes_its_time(tmp_path):
    """A cache written before the leftovers were cleared (an upgrade keeps its tables): reading a
    table whose time is over an hour old refreshes it, and then removes them."""
    from payer_rules.cache_files import TOUCH_AFTER
    from payer_rules.codesets.cache import Releases

    source = tmp_path / "codes.txt"
    source.write_text("E119\n")
    cache = tmp_path / "cache"
    releases = Releases("ICD-10-CM", ("ICD-10-CM FY2099",), retired=("icd10cm-*.sqlite",))
    cached_table("ICD-10-CM FY2099", [source], icd_table, directory=cache, releases=releases)
    left = _leftovers(cache)
    (table,) = cache.glob(f"icd-10-cm-fy2099-*{SUFFIX}")
    assert (
        cached_table("ICD-10-CM FY2099", [source], hcpcs_table, directory=cache, releases=releases)
        == icd_table()
    )
    assert left["retired"].exists()  # read within the hour: no listing of the directory
    old = table.stat().st_mtime - TOUCH_AFTER - 60
    os.utime(table, (old, old))
    assert (
        cached_table("ICD-10-CM FY2099", [source], hcpcs_table, directory=cache, releases=releases)
        == icd_table()
    )
    assert not left["retired"].exists() and not left["old_release"].exists()
    assert table.exists() and left["other_code_set"].exists()


def test_the_installed_icd10cm_cache_names_its_releases_and_the_sqlite_tables():
    from payer_rules_codesets import releases

    assert set(releases.CACHED.names) == {releases.FY2025, releases.FY2026}
    assert releases.CACHED.code_set == "ICD-10-CM"
    assert "icd10cm-*.sqlite" in releases.CACHED.retired


def test_two_installations_sharing_a_data_directory_keep_their_own_tables(tmp_path):
    """Two checkouts (or virtual environments) with one data directory: each reads its own table
    back instead of removing the other's and rebuilding at every run."""
    cache = tmp_path / "cache"
    sources = []
    for place in ("one", "two"):
        source = tmp_path / place / "codes.txt"
        source.parent.mkdir()
        source.write_text("E119\n")
        sources.append(source)
    calls: list[str] = []

    def build(place: str):
        def made():
            calls.append(place)
            return icd_table()

        return made

    for _ in range(2):
        for place, source in zip(("one", "two"), sources, strict=True):
            assert cached_table("ICD-10-CM FY2099", [source], build(place), directory=cache) == icd_table()
    assert calls == ["one", "two"]
    assert len(list(cache.glob(f"*{SUFFIX}"))) == 2


def test_tables_of_places_no_one_reads_are_bounded(tmp_path):
    from payer_rules.codesets.cache import KEPT_PER_RELEASE

    cache = tmp_path / "cache"
    for n in range(KEPT_PER_RELEASE + 3):
        source = tmp_path / f"place{n}" / "codes.txt"
        source.parent.mkdir()
        source.write_text("E119\n")
        cached_table("ICD-10-CM FY2099", [source], icd_table, directory=cache)
        for entry in cache.glob(f"*{SUFFIX}"):  # the older ones last used earlier
            os.utime(entry, (entry.stat().st_atime - 60, entry.stat().st_mtime - 60))
    assert len(list(cache.glob(f"*{SUFFIX}"))) == KEPT_PER_RELEASE
