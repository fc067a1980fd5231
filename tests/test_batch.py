"""``--jobs N``: the same output as the serial runner, to the byte, for any N and every format."""

from __future__ import annotations

import io
import json
import multiprocessing
import sys
import time
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from payer_rules.batch.parallel import iter_units, judge_parallel, write_parallel
from payer_rules.batch.partition import RunOptions, TextUnit, bucket_of, read_line, routing_key
from payer_rules.batch.render import FRAGMENTS
from payer_rules.cli import cli
from payer_rules.engine import Engine
from payer_rules.errors import ConfigurationError, InputError
from payer_rules.io.json_claims import read_ndjson_lines
from payer_rules.io.readers import read_claims
from payer_rules.io.writers import WRITERS
from payer_rules.models import Claim

from .batch_claims import make_claims, write_ndjson
from .conftest import EXAMPLES


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    return write_ndjson(tmp_path_factory.mktemp("batch") / "claims.ndjson", 400)


@pytest.mark.parametrize("fmt", sorted(FRAGMENTS))
def test_jobs_output_is_the_serial_output_for_every_format(batch, fmt, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # the 835's envelope dates the run
    inputs = [str(batch), str(EXAMPLES / "claims"), str(EXAMPLES / "x12" / "professional.837")]
    serial = run("adjudicate", *inputs, "--payer", "medicare", "--format", fmt)
    assert serial.exit_code == 1  # the bad lines
    for jobs in ("2", "3"):
        parallel = run("adjudicate", *inputs, "--payer", "medicare", "--format", fmt, "--jobs", jobs)
        assert parallel.exit_code == serial.exit_code
        assert parallel.stdout == serial.stdout
        assert parallel.stderr == serial.stderr


def test_jobs_check_mode_and_options_match_serial(batch):
    args = ["check", str(batch), "--payer", "medicare", "--format", "ndjson", "--as-of", "2026-06-01"]
    assert run(*args, "--jobs", "2").stdout == run(*args).stdout


def test_the_batch_depends_on_order_so_the_parity_test_means_something(batch):
    """Judged member by member in another order, the batch pays differently."""
    claims = make_claims(400)
    engine = Engine.from_installed()
    in_order = list(engine.adjudicate_many(_read(claims), ["medicare"]))
    reversed_order = list(engine.adjudicate_many(_read(claims[::-1]), ["medicare"]))
    paid = {r.claim_id: r.paid for r in in_order}
    assert any(paid[r.claim_id] != r.paid for r in reversed_order)


def _read(raw):
    return read_ndjson_lines(iter(json.dumps(c) for c in raw), "t.ndjson")


class _EchoWriter:
    """A writer that needs the claim beside each result, as the 835 and FHIR writers do."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, result, claim=None):
        kind = type(claim).__name__
        self._stream.write(f"{result.claim_id} {result.payer} {result.status} {result.paid} {kind}\n")

    def close(self):
        self._stream.write("end\n")


def test_formats_without_fragments_get_results_and_claims_back_whole(batch, monkeypatch):
    monkeypatch.setitem(WRITERS, "echo", _EchoWriter)
    assert "echo" not in FRAGMENTS
    inputs = [str(batch), str(EXAMPLES / "x12" / "professional.837")]
    serial = io.StringIO()
    writer = _EchoWriter(serial)
    engine = Engine.from_installed()
    for item, result in engine.adjudicate_pairs(read_claims(inputs), ["medicare"]):
        writer.write(result, item)
    writer.close()
    parallel = io.StringIO()
    errors = write_parallel(
        inputs,
        RunOptions(payers=("medicare",)),
        fmt="echo",
        stream=parallel,
        jobs=2,
        engine_factory=Engine.from_installed,
    )
    assert parallel.getvalue() == serial.getvalue()
    assert "InputError" in serial.getvalue() and "Claim" in serial.getvalue()
    assert [str(e) for e in errors] == [str(i) for i in read_claims(inputs) if isinstance(i, InputError)]


def test_routing_key_of_text_is_the_member_id_of_the_claim():
    """Claims route by member id: every claim of a member key shares it, in every format."""
    numeric_member = {**make_claims(1)[0], "coverage": {"payer_id": "medicare", "member_id": 42}}
    for raw in [*make_claims(50), numeric_member]:
        text = json.dumps(raw)
        claim = read_line(text, "x:1")
        assert isinstance(claim, Claim)
        assert routing_key(TextUnit("x:1", text)) == claim.coverage.member_id == routing_key(claim)
        assert claim.member_key.split(":")[1] == claim.coverage.member_id


def test_unreadable_claims_have_no_routing_key_and_route_by_position():
    assert routing_key(TextUnit("x:1", "{not json")) is None
    assert routing_key(TextUnit("x:1", '{"id": "X"}')) is None
    assert routing_key(InputError("x:1", "bad")) is None
    assert bucket_of(None, 7, 3) == 1


def test_buckets_are_stable_across_processes():
    """CRC-32, not Python's salted hash(): the same member lands in the same bucket every run; of
    the member id trimmed and in upper case, as the authorization edit compares it."""
    assert bucket_of("medicare:M001:P001", 0, 8) == zlib.crc32(b"MEDICARE:M001:P001") % 8 == 1
    assert bucket_of(" Medicare:m001:p001 ", 0, 8) == 1


def test_ndjson_units_split_lines_as_the_serial_reader_does(tmp_path):
    claim = json.dumps(make_claims(1)[0])
    text = f"{claim}\r\n\r\n{claim}\r{claim}\n{{bad\x0c{claim}\n  \n{claim}"
    path = tmp_path / "mixed.ndjson"
    path.write_text(text, encoding="utf-8", newline="")
    serial = list(read_ndjson_lines(iter(text.splitlines()), str(path)))
    units = [read_line(u.text, u.origin) if isinstance(u, TextUnit) else u for u in iter_units([str(path)])]
    assert [str(u) if isinstance(u, InputError) else u for u in units] == [
        str(s) if isinstance(s, InputError) else s for s in serial
    ]


def test_non_utf8_ndjson_gives_the_serial_error(tmp_path):
    path = tmp_path / "latin1.ndjson"
    path.write_bytes(json.dumps(make_claims(1)[0]).encode() + b"\n\xe9\n")
    (unit,) = iter_units([str(path)])
    assert isinstance(unit, InputError) and "not UTF-8" in str(unit)


def _failing_engine() -> Engine:
    msg = "no engine for you"
    raise ConfigurationError(msg)


def test_a_failing_worker_stops_the_run_with_its_error(batch):
    units = iter_units([str(batch)])
    with pytest.raises(ConfigurationError, match="no engine for you"):
        list(judge_parallel(units, RunOptions(payers=("medicare",)), jobs=2, engine_factory=_failing_engine))


_BUILT = multiprocessing.get_context("fork").Value("i", 0) if sys.platform == "linux" else None


def _slow_second_engine() -> Engine:
    """The second engine built takes longer than the parent's one-second wait for output."""
    assert _BUILT is not None
    with _BUILT.get_lock():
        _BUILT.value += 1
        built = _BUILT.value
    if built == 2:
        time.sleep(2.5)
    return Engine.from_installed()


@pytest.mark.skipif(sys.platform != "linux", reason="needs fork-started workers")
def test_a_worker_that_finished_early_is_not_taken_for_lost(batch):
    """One worker done and exited 0 while the other still works: the run waits, it does not fail."""
    units = iter_units([str(batch)])
    judged = list(
        judge_parallel(units, RunOptions(payers=("medicare",)), jobs=2, engine_factory=_slow_second_engine)
    )
    serial = list(iter_units([str(batch)]))
    assert len(judged) == len(serial)


def test_jobs_must_be_positive():
    out = CliRunner().invoke(cli, ["adjudicate", "x.json", "--payer", "medicare", "--jobs", "0"])
    assert out.exit_code == 2
