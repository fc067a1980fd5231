"""Parsed pack files cached on disk (``payer_rules.rulepack.parsed``): the same document as
``tomllib`` gives, never a stale one."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal

import pytest

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
