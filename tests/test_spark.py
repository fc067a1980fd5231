"""Spark in local mode gives exactly the serial runner's results, accumulators included.

Needs ``pyspark`` (the dev group and the ``spark`` extra install it) and a Java runtime
(Spark 4 wants Java 17 or 21); without either the tests skip, saying which is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from decimal import Decimal

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli

from .batch_claims import BAD_LINES, write_ndjson
from .conftest import EXAMPLES
from .test_result_limits import BIG_PACK, _claim

if importlib.util.find_spec("pyspark") is None:
    pytest.skip("pyspark is not installed (pip install 'payer-rules[spark]')", allow_module_level=True)
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("no Java runtime for Spark (install openjdk-17-jre-headless)", allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    from payer_rules.spark import local_session

    session = local_session("local[2]", app_name="payer-rules-tests")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    # A DataFrame row holding a JSON list is a list of claims, not one bad NDJSON line: leave it out.
    bad = {n: line for n, line in BAD_LINES.items() if line.lstrip()[:1] in ("{", "")}
    return write_ndjson(tmp_path_factory.mktemp("spark") / "claims.ndjson", 300, bad=bad)


def serial_lines(*args: str) -> list[str]:
    out = CliRunner().invoke(cli, ["adjudicate", *args, "--format", "ndjson"], catch_exceptions=False)
    return out.stdout.splitlines()


def rows_of(path):
    """The file's lines as DataFrame rows, each with its position and located name."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(n, f"{path}:{n}", line) for n, line in enumerate(lines, 1) if line.strip()]


def spark_lines(spark, rows, payers, **kwargs):
    from payer_rules.spark import adjudicate_dataframe

    claims = spark.createDataFrame(rows, "seq long, origin string, claim string")
    results = adjudicate_dataframe(claims, payers, **kwargs)
    ordered = results.orderBy("seq", "claim_index", "payer_index")
    return ordered, [row.result for row in ordered.select("result").collect()]


def test_spark_local_mode_gives_exactly_the_serial_results(spark, batch):
    serial = serial_lines(str(batch), "--payer", "medicare")
    _results, lines = spark_lines(spark, rows_of(batch), ["medicare"], partitions=3)
    assert lines == serial
    assert sorted(lines) == sorted(serial)  # byte-identical JSON, after sorting, as the issue asks
    assert any(json.loads(line)["status"] == "error" for line in lines)


def test_many_payers_in_one_pass_keep_the_serial_order(spark, batch):
    serial = serial_lines(str(batch), "--payer", "medicare", "--payer", "medicare")
    _results, lines = spark_lines(spark, rows_of(batch), ["medicare", "medicare"], partitions=2)
    assert lines == serial


def test_result_columns_are_the_result_json_fields(spark, batch):
    results, _lines = spark_lines(spark, rows_of(batch)[:40], ["medicare"])
    row = next(r for r in results.collect() if r.status == "paid")
    data = json.loads(row.result)
    assert row.claim_id == data["claim_id"] and row.payer == "medicare"
    assert row.paid == Decimal(data["paid"]) and row.as_of.isoformat() == data["as_of"]
    assert row.lines[0].billed == Decimal(data["lines"][0]["billed"])
    assert [a.amount for a in row.lines[0].adjustments] == [
        Decimal(a["amount"]) for a in data["lines"][0]["adjustments"]
    ]
    assert row.versions == data["versions"]
    assert [f.code for f in row.findings] == [f["code"] for f in data["findings"]]


def test_x12_interchange_rows_are_split_into_their_claims(spark):
    path = EXAMPLES / "x12" / "professional.837"
    serial = serial_lines(str(path), "--payer", "medicare")
    rows = [(1, str(path), path.read_text(encoding="utf-8"))]
    _results, lines = spark_lines(spark, rows, ["medicare"])
    assert lines == serial
    assert len(lines) > 1


def test_x12_rows_are_cut_into_claims_not_read_and_damaged_envelopes_are_read_whole(spark, tmp_path):
    """A clean 837 travels claim by claim as segments (a bad claim among them keeps its located
    error); one whose envelope has errors is read whole in pass 1: both as serial."""
    from payer_rules.io.x12.reader_837.units import split_837

    text = (EXAMPLES / "x12" / "professional.837").read_text(encoding="utf-8")
    bad_claim = text.replace("DTP*472*D8*20260203~", "DTP*472*D8*20260231~", 1)
    bad_envelope = text.replace("GE*1*1~", "GE*3*1~", 1)
    assert split_837(bad_claim, "a.837") is not None and split_837(bad_envelope, "b.837") is None
    rows = []
    for n, (name, body) in enumerate([("a.837", bad_claim), ("b.837", bad_envelope)], 1):
        (tmp_path / name).write_text(body, encoding="utf-8")
        rows.append((n, str(tmp_path / name), body))
    serial = serial_lines(*(origin for _n, origin, _text in rows), "--payer", "medicare")
    _results, lines = spark_lines(spark, rows, ["medicare"], partitions=2)
    assert lines == serial
    messages = [f["message"] for line in lines for f in json.loads(line)["findings"]]
    assert any("20260231" in message for message in messages)


def test_fhir_bundle_rows_are_cut_into_claims_as_serial(spark, tmp_path):
    """A Bundle row travels Claim by Claim with the entries each references (a bad Claim keeps
    its located error, entry index and path); a row that cannot be cut is read whole: both as
    serial (a Bundle row was once read as one claim object and refused)."""
    from payer_rules.io.fhir.units import split_bundle

    from .test_batch_fhir_units import bundle_text

    cut = bundle_text("shared patient and coverage", "malformed entries", "reversed")
    whole = "\ufeff" + bundle_text()  # a byte-order mark: shared whole, and refused as serially
    assert split_bundle(cut, "a.json") is not None and split_bundle(whole, "b.json") is None
    rows = []
    for n, (name, body) in enumerate([("a.json", cut), ("b.json", whole), ("c.json", bundle_text())], 1):
        (tmp_path / name).write_text(body, encoding="utf-8")
        rows.append((n, str(tmp_path / name), body))
    serial = serial_lines(*(origin for _n, origin, _text in rows), "--payer", "medicare")
    _results, lines = spark_lines(spark, rows, ["medicare"], partitions=2)
    assert lines == serial
    assert any("entry[" in line for line in lines) and len(lines) > 40


def test_default_order_and_origin_columns(spark, batch):
    from payer_rules.spark import adjudicate_dataframe

    texts = [(line,) for _n, _origin, line in rows_of(batch)][:30]
    claims = spark.createDataFrame(texts, "claim string").coalesce(1)
    results = adjudicate_dataframe(claims, ["medicare"]).orderBy("seq", "claim_index", "payer_index")
    errors = [r.origin for r in results.collect() if r.status == "error"]
    assert errors and all(origin.startswith("row ") for origin in errors)


def test_engine_is_built_once_per_worker_process():
    from payer_rules.engine import Engine
    from payer_rules.spark import _engine

    built = []

    def factory() -> Engine:
        built.append(1)
        return Engine.from_installed()

    assert _engine(factory) is _engine(factory)
    assert len(built) == 1


def test_a_payer_chain_gives_the_serial_chain(spark, batch):
    """chain=True: the secondary judged with the primary's result, as `adjudicate --then`."""
    serial = serial_lines(str(batch), "--payer", "medicare", "--then", "medicaid-ca")
    _results, lines = spark_lines(
        spark, rows_of(batch), ["medicare", "medicaid-ca"], partitions=3, chain=True
    )
    assert lines == serial
    unchained = serial_lines(str(batch), "--payer", "medicare", "--payer", "medicaid-ca")
    assert lines != unchained  # the chain changed what Medi-Cal did
    medicaid = [json.loads(line) for line in lines if json.loads(line)["payer"] == "medicaid-ca"]
    assert any(f["code"] == "MCD801" for r in medicaid for f in r["findings"])


DAY = "2026-05-04"


def test_an_amount_beyond_the_money_columns_is_a_located_error_for_that_claim(spark, tmp_path):
    """The money columns are decimal(18,2): 16 digits before the point, the most an X12 835
    amount holds too. The engine answers a claim whose result would carry more with an error
    result (ENG027, naming the amount and the limit), in Spark as serially: never a null, an
    overflow or a failed job; the other claims are judged as serially."""
    import functools

    from payer_rules.engine import Engine

    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "bigpay.toml").write_text(BIG_PACK, encoding="utf-8")
    factory = functools.partial(Engine.from_installed, rulepack_dirs=[packs])
    claims = tmp_path / "claims.ndjson"
    claims.write_text(_claim("HUGE", 99999999, "M1", DAY) + "\n" + _claim("SMALL", 2, "M2", DAY) + "\n")
    # the uncapped answer, worked here: 999,999,999.99 x 99,999,999 allowed and paid
    allowed = Decimal("999999999.99") * 99999999
    assert allowed == Decimal("99999998999000000.01") and allowed > Decimal("9999999999999999.99")
    results, lines = spark_lines(spark, rows_of(claims), ["bigpay"], engine_factory=factory)
    assert lines == serial_lines(str(claims), "--payer", "bigpay", "--rulepacks", str(packs))
    huge, small = results.collect()
    assert (huge.claim_id, huge.status, huge.billed, huge.paid) == ("HUGE", "error", 0, 0)
    [finding] = huge.findings
    assert finding.code == "ENG027" and finding.severity == "reject"
    assert finding.message.startswith("claim HUGE: bigpay's line 1 allowed 99999998999000000.01 is beyond")
    assert "at most 9,999,999,999,999,999.99" in finding.message
    assert huge.origin == "claim HUGE"
    # 2 units at 999,999,999.99 fit: paid as the fee schedule says
    assert (small.claim_id, small.status, small.paid) == ("SMALL", "paid", Decimal("1999999999.98"))
