"""``adjudicate_many(chunk_size=...)``: judging claims a chunk at a time changes nothing but speed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from payer_rules.context import Session
from payer_rules.engine import RUNNER_CHUNK_SIZE, Engine
from payer_rules.errors import InputError, UsageError
from payer_rules.io.json_claims import read_ndjson_lines
from payer_rules.io.json_results import result_to_json
from payer_rules.models import Claim

from .batch_claims import write_ndjson

PAYERS = ["medicare", "medicaid-ny", "bluepeak"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def _results(engine: Engine, lines: list[str], chunk_size: int) -> list[str]:
    claims = read_ndjson_lines(iter(lines), "batch.ndjson")
    return [
        result_to_json(r)
        for r in engine.adjudicate_many(claims, PAYERS, session=Session(), chunk_size=chunk_size)
    ]


@pytest.mark.parametrize("chunk_size", [2, 7, RUNNER_CHUNK_SIZE, 1000])
def test_chunked_results_are_the_one_at_a_time_results(engine, tmp_path, chunk_size):
    # unreadable lines among claims whose accumulators and history carry from one to the next
    lines = write_ndjson(tmp_path / "batch.ndjson", 150, members=5).read_text().splitlines(keepends=True)
    one_at_a_time = _results(engine, lines, 1)
    assert len(one_at_a_time) == len([ln for ln in lines if ln.strip()]) * len(PAYERS)
    assert any('"status":"error"' in r for r in one_at_a_time)
    assert _results(engine, lines, chunk_size) == one_at_a_time


def _counting(claims: list[Claim | InputError], taken: list[int]) -> Iterator[Claim | InputError]:
    for claim in claims:
        taken[0] += 1
        yield claim


@pytest.mark.parametrize(("chunk_size", "read_ahead"), [(1, 1), (5, 5)])
def test_a_chunk_is_read_before_its_first_result_and_no_more(engine, tmp_path, chunk_size, read_ahead):
    lines = write_ndjson(tmp_path / "batch.ndjson", 20, bad={}).read_text().splitlines(keepends=True)
    claims = list(read_ndjson_lines(iter(lines), "batch.ndjson"))
    taken = [0]
    results = engine.adjudicate_many(_counting(claims, taken), ["medicare"], chunk_size=chunk_size)
    next(results)
    assert taken[0] == read_ahead
    assert len(list(results)) == len(claims) - 1


def test_a_chunk_size_below_one_is_a_usage_error(engine):
    with pytest.raises(UsageError, match="chunk_size must be at least 1, got 0"):
        list(engine.adjudicate_many([], ["medicare"], chunk_size=0))
