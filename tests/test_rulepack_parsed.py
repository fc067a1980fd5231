"""Parsed pack files cached on disk (``payer_rules.rulepack.parsed``): the same document as
``tomllib`` gives, never a stale one."""

from __future__ import annotations

import datetime as dt
import os
import time
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from payer_rules.cache_files import Budget, prune
from payer_rules.rulepack import parsed

TEXT = """
[pack]
name = "p"
effective_from = 2026-01-01
ratio = 12.50
flags = [true, false, 3]

[[rules]]
code = "ABC101"
effective_to = 2026-12-31
amounts = [1.5, 0.10, 2026-07-01]
nested = { at = 2025-10-01, rate = -0.0 }
"""


def _exact(value: object) -> object:
    """A value with every leaf tagged by its type (so 1 == True or 1.5 == 1.50 cannot hide)."""
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return (type(value).__name__, str(value))


def test_the_cached_document_is_tomllibs(tmp_path, monkeypatch):
    expected = tomllib.loads(TEXT, parse_float=Decimal)
    first = parsed.parse(TEXT, str(tmp_path / "p.toml"), directory=tmp_path / "cache")
    assert _exact(first) == _exact(expected)
    (entry,) = (tmp_path / "cache").glob("pack-*.pack")

    def no_parsing(*args: object, **kwargs: object) -> object:
        raise AssertionError("parsed again instead of read from the cache")

    monkeypatch.setattr(parsed.tomllib, "loads", no_parsing)
    again = parsed.parse(TEXT, str(tmp_path / "p.toml"), directory=tmp_path / "cache")
    assert _exact(again) == _exact(expected)
    assert again["rules"][0]["amounts"][1] == Decimal("0.10") and str(again["pack"]["ratio"]) == "12.50"
    assert again["rules"][0]["nested"]["at"] == dt.date(2025, 10, 1)
    again["pack"]["name"] = "changed"  # each caller gets its own document
    assert parsed.parse(TEXT, str(tmp_path / "p.toml"), directory=tmp_path / "cache")["pack"]["name"] == "p"
    assert entry.exists()


def test_a_changed_pack_replaces_its_entry(tmp_path):
    cache = tmp_path / "cache"
    origin = str(tmp_path / "p.toml")
    parsed.parse(TEXT, origin, directory=cache)
    (old,) = cache.glob("pack-*.pack")
    changed = TEXT.replace("12.50", "12.75")
    assert parsed.parse(changed, origin, directory=cache)["pack"]["ratio"] == Decimal("12.75")
    (new,) = cache.glob("pack-*.pack")
    assert new != old
    assert parsed.parse(changed, origin, directory=cache)["pack"]["ratio"] == Decimal("12.75")


def test_damaged_or_foreign_files_are_parsed_again(tmp_path):
    cache = tmp_path / "cache"
    origin = str(tmp_path / "p.toml")
    parsed.parse(TEXT, origin, directory=cache)
    (entry,) = cache.glob("pack-*.pack")
    for damaged in (entry.read_bytes()[:-7], b"something else", parsed.FORMAT + b"\x00garbage"):
        entry.write_bytes(damaged)
        assert parsed.parse(TEXT, origin, directory=cache)["pack"]["ratio"] == Decimal("12.50")


def test_syntax_errors_and_date_times_are_not_cached(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(tomllib.TOMLDecodeError):
        parsed.parse("[pack\n", str(tmp_path / "bad.toml"), directory=cache)
    when = parsed.parse("at = 2026-01-01T10:00:00Z\n", str(tmp_path / "t.toml"), directory=cache)
    assert when["at"] == dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
    assert not cache.exists() or not list(cache.glob("pack-*.pack"))


def test_a_cache_that_cannot_be_written_works_from_memory(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    doc = parsed.parse(TEXT, str(tmp_path / "p.toml"), directory=blocked / "cache")
    assert doc["pack"]["effective_from"] == dt.date(2026, 1, 1)


def test_reading_makes_one_object_per_distinct_string_date_and_decimal(tmp_path):
    text = "".join(
        f'[[rules]]\ncode = "ABC{n}"\nkind = "unit-limit"\nfrom = 2026-01-01\nrate = 1.50\n' for n in range(3)
    )
    origin = str(tmp_path / "p.toml")
    parsed.parse(text, origin, directory=tmp_path / "cache")
    rules = parsed.parse(text, origin, directory=tmp_path / "cache")["rules"]  # read back
    assert [r["code"] for r in rules] == ["ABC0", "ABC1", "ABC2"]
    for key in ("kind", "from", "rate"):
        assert len({id(r[key]) for r in rules}) == 1, key
    assert len({id(k) for r in rules for k in r if k == "kind"}) == 1
    assert str(rules[2]["rate"]) == "1.50"


# -- what the cache keeps -----------------------------------------------------------------------

DAY = 86400.0


def _entries(cache: Path, count: int, *, size: int = 10, age_days: float = 0.0) -> list[Path]:
    """``count`` parsed-pack entries, the first the least recently used, ``age_days`` old."""
    cache.mkdir(parents=True, exist_ok=True)
    made = []
    now = time.time()
    for i in range(count):
        path = cache / f"pack-{i:012x}-{'0' * 24}{parsed.SUFFIX}"
        path.write_bytes(b"x" * size)
        used = now - age_days * DAY - (count - i) * 60
        os.utime(path, (used, used))
        made.append(path)
    return made


def test_entries_unused_for_the_budgets_age_go_when_an_entry_is_written(tmp_path):
    cache = tmp_path / "cache"
    stale = _entries(cache, 3, age_days=parsed.BUDGET.max_age_days + 1)
    (cache / "icd-10-cm-fy2026-0123456789abcdef.codes").write_bytes(b"another kind")
    os.utime(cache / "icd-10-cm-fy2026-0123456789abcdef.codes", (0, 0))
    parsed.parse(TEXT, str(tmp_path / "p.toml"), directory=cache)
    assert not any(p.exists() for p in stale)
    assert len(list(cache.glob("pack-*.pack"))) == 1
    assert (cache / "icd-10-cm-fy2026-0123456789abcdef.codes").exists()  # not this budget's kind


def test_beyond_the_count_or_size_the_least_recently_used_go(tmp_path):
    cache = tmp_path / "cache"
    entries = _entries(cache, 6, size=100)
    budget = Budget(pattern="pack-*.pack", max_age_days=30, max_entries=4, max_bytes=10_000)
    assert sorted(prune(cache, budget)) == entries[:2]
    assert [p.exists() for p in entries] == [False, False, True, True, True, True]
    by_size = Budget(pattern="pack-*.pack", max_age_days=30, max_entries=100, max_bytes=250)
    assert sorted(prune(cache, by_size, keep=entries[2])) == entries[3:5]
    assert [p.exists() for p in entries] == [False, False, True, False, False, True]


def test_reading_an_entry_marks_it_used(tmp_path):
    cache = tmp_path / "cache"
    origin = str(tmp_path / "p.toml")
    parsed.parse(TEXT, origin, directory=cache)
    (entry,) = cache.glob("pack-*.pack")
    old = time.time() - (parsed.BUDGET.max_age_days - 1) * DAY
    os.utime(entry, (old, old))
    assert parsed.parse(TEXT, origin, directory=cache)["pack"]["name"] == "p"
    assert entry.stat().st_mtime > old + DAY
    _entries(cache, 1, age_days=0)  # another entry, then a write: the one read stays
    parsed.parse(TEXT, str(tmp_path / "q.toml"), directory=cache)
    assert entry.exists()


def test_a_pack_in_a_new_temporary_directory_each_run_does_not_pile_up(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setattr(
        parsed, "BUDGET", Budget(pattern="pack-*.pack", max_age_days=30, max_entries=5, max_bytes=1 << 20)
    )
    for run in range(12):
        parsed.parse(TEXT, str(tmp_path / f"run-{run}" / "p.toml"), directory=cache)
    assert len(list(cache.glob("pack-*.pack"))) == 5
