"""Payer-scale batches on Apache Spark: a DataFrame of claims in, a DataFrame of results out.

Install with the extra, ``pip install 'payer-rules[spark]'`` (on Databricks, where Spark is
provided, install ``payer-rules`` and the payer plugins only)::

    from payer_rules.spark import adjudicate_dataframe

    claims = spark.read.text("s3://bucket/claims/*.ndjson").withColumnRenamed("value", "claim")
    results = adjudicate_dataframe(claims, ["medicare"])
    results.write.parquet("s3://bucket/results/")

The input has a ``claim`` column: one claim as JSON per row, or any text the readers know (an
X12 837 interchange, a FHIR Bundle), which may hold several claims. Optional columns: ``seq``
(a long giving the input order; by default ``monotonically_increasing_id()``) and ``origin``
(where the row came from, for located errors; by default ``row <seq>``).

The result has the result JSON's fields as columns (``claim_id``, ``payer``, ``status``,
``as_of``, money as ``decimal(18,2)``, ``findings``, ``lines``, ``versions``, ``origin``), the
result JSON itself as ``result``, and ``seq``, ``claim_index`` (within the row) and
``payer_index`` to restore input order: ``orderBy("seq", "claim_index", "payer_index")``.
``decimal(18,2)`` holds 16 digits before the point, as an X12 835 amount does: the engine
answers a claim whose result would carry more (a fee schedule without the lesser-of-charge cap
times a line's units, say) with an error result (ENG027, naming the amount and the limit), as
in every runner, so every row fits the columns.

How it runs, in two passes over the data:

1. each row is read just enough to know whose claims it holds (JSON rows are not fully read;
   an 837 interchange is cut into its claims, each carried on as its segments with the
   envelope and loops above it, read in pass 2 exactly as the serial reader reads it in its
   file, :mod:`payer_rules.io.x12.reader_837.units`; other texts, and an 837 whose envelope
   has errors of its own, are read here and their claims carried on as claim JSON);
2. rows are repartitioned by member key and sorted by ``seq`` within each partition, so every
   partition judges a member's claims in input order with one session, exactly as the serial
   runner does (:mod:`payer_rules.batch.partition` explains why that is enough for identical
   results, accumulators included). The engine is built once per Python worker, not per row.

Many payers go in one pass: each claim gets one result row per payer. ``chain=True`` judges
them as a payer chain (``adjudicate_dataframe(claims, ["medicare", "medicaid-ny"], chain=True)``):
the secondary's row is judged with the primary's result as its COB input.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from payer_rules.batch.partition import (
    RunOptions,
    TextUnit,
    Unit,
    judge,
    normal_route,
    read_row,
    route_of,
    routing_key,
)
from payer_rules.engine import Engine, Stages
from payer_rules.errors import InputError
from payer_rules.io.converters import claim_converter
from payer_rules.io.fhir.units import ClaimEntries, split_bundle
from payer_rules.io.json_results import dumps, result_to_dict
from payer_rules.io.x12.reader_837.units import ClaimSegments, Envelope, split_837
from payer_rules.models import Claim
from payer_rules.results import ClaimResult

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["RESULT_SCHEMA", "adjudicate_dataframe", "local_session"]

_MONEY = "decimal(18,2)"

#: The result DataFrame's schema (Spark DDL): the result JSON's fields, plus order and ``result``.
RESULT_SCHEMA = (
    "seq long, claim_index int, payer_index int, claim_id string, payer string, status string, "
    f"as_of date, billed {_MONEY}, allowed {_MONEY}, paid {_MONEY}, patient_responsibility {_MONEY}, "
    "findings array<struct<code:string, severity:string, line:int, carc:string, rarcs:array<string>, "
    "`group`:string, message:string, source:string, citation:string>>, "
    "lines array<struct<line:int, procedure:string, modifiers:array<string>, units:string, "
    f"status:string, billed:{_MONEY}, allowed:{_MONEY}, paid:{_MONEY}, "
    f"adjustments:array<struct<`group`:string, carc:string, amount:{_MONEY}>>, rarcs:array<string>>>, "
    "versions map<string,string>, origin string, result string"
)

_UNITS_SCHEMA = (
    "seq long, claim_index int, member_key string, route string, origin string, text string, "
    "segments string, entries string, error_location string, error_message string, error_claim_id string"
)

_BATCH_ROWS = 1024


def local_session(master: str = "local[2]", *, app_name: str = "payer-rules") -> SparkSession:
    """A local Spark session for tests and benchmarks, its Python workers on this interpreter."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    cores = master.removeprefix("local[").removesuffix("]")
    partitions = cores if cores.isdigit() else "4"
    spark = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", partitions)
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def adjudicate_dataframe(
    claims: DataFrame,
    payers: Sequence[str],
    *,
    claim_column: str = "claim",
    partitions: int | None = None,
    as_of: dt.date | None = None,
    received_date: dt.date | None = None,
    stages: Stages = Stages.ADJUDICATE,
    engine_factory: Callable[[], Engine] = Engine.from_installed,
    chain: bool = False,
) -> DataFrame:
    """Judge every claim in ``claims`` against each payer; one result row per claim and payer.

    :param claim_column: the column holding each row's claim text.
    :param partitions: partitions to judge in; by default ``spark.sql.shuffle.partitions``.
    :param engine_factory: builds the engine in each Python worker (once per worker, then
        cached); it must be picklable and the plugins installed on the executors.
    :param chain: judge ``payers`` as a chain, in order (coordination of benefits, as
        ``adjudicate --then``): each later payer sees the earlier payers' results as other
        coverage; a claim's chain runs within its member's partition, so the results are the
        serial runner's.
    """
    from pyspark.sql import functions as F

    options = RunOptions(
        payers=tuple(payers), as_of=as_of, received_date=received_date, stages=stages, chain=chain
    )
    for payer in options.payers:  # an unknown payer fails here, on the driver, not in an executor
        _engine(engine_factory).payer(payer)
    seq = F.col("seq").cast("long") if "seq" in claims.columns else F.monotonically_increasing_id()
    rows = claims.select(seq.alias("seq"), *[c for c in ("origin",) if c in claims.columns], claim_column)
    origin = (
        F.col("origin").cast("string")
        if "origin" in claims.columns
        else F.concat(F.lit("row "), F.col("seq").cast("string"))
    )
    rows = rows.select("seq", origin.alias("origin"), F.col(claim_column).cast("string").alias("claim"))
    units = rows.mapInArrow(_units, _UNITS_SCHEMA)
    routed = units.repartition(partitions, "route") if partitions else units.repartition("route")
    ordered = routed.sortWithinPartitions("seq", "claim_index")

    def judge_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return _judge_batches(batches, options, engine_factory)

    return ordered.mapInArrow(judge_partition, RESULT_SCHEMA)


# -- in the executors ---------------------------------------------------------------------------

_ENGINES: dict[Any, Engine] = {}
_CLAIM_JSON = claim_converter()


def _engine(factory: Callable[[], Engine]) -> Engine:
    """The engine for ``factory`` in this Python process: built on first use, then reused."""
    try:
        return _ENGINES[factory]
    except KeyError:
        engine = _ENGINES[factory] = factory()
        return engine


def _units(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Pass 1: each row to its claims' units, with the member key each routes by."""
    import pyarrow as pa

    schema = _arrow_units_schema()
    for batch in batches:
        out: list[dict[str, Any]] = []
        for seq, origin, text in zip(
            batch.column("seq").to_pylist(),
            batch.column("origin").to_pylist(),
            batch.column("claim").to_pylist(),
            strict=True,
        ):
            stripped = text.lstrip() if text is not None else ""
            fhir = stripped[:1] == "{" and '"resourceType"' in stripped[:4096]
            if stripped[:1] == "{" and not fhir:
                unit = TextUnit(origin, text)
                out.append(_unit_row(seq, 0, unit, routing_key(unit), origin))
                continue
            cut: Iterable[ClaimSegments | ClaimEntries | Claim | InputError] | None = None
            if text is not None and stripped.startswith("ISA"):
                cut = split_837(text, origin)
            elif text is not None and fhir:
                cut = split_bundle(text, origin)
            # a clean 837 or Bundle: cut, not read (pass 2 reads each claim); else read here, and
            # an envelope error (an X12 trailer count) stands for no claim: no row (issue 19)
            units = (
                list(cut)
                if cut is not None
                else [i for i in read_row(text, origin) if not (isinstance(i, InputError) and i.envelope)]
            )
            for index, item in enumerate(units):
                if isinstance(item, (ClaimSegments, ClaimEntries)):
                    out.append(_unit_row(seq, index, item, item.key, origin))
                    continue
                if isinstance(item, Claim):
                    claim_json = json.dumps(_CLAIM_JSON.unstructure(item), ensure_ascii=False)
                    out.append(_unit_row(seq, index, TextUnit(origin, claim_json), route_of(item), origin))
                else:
                    out.append(_unit_row(seq, index, item, None, origin))
        yield pa.RecordBatch.from_pylist(out, schema=schema)


def _unit_row(
    seq: int,
    index: int,
    unit: TextUnit | ClaimSegments | ClaimEntries | InputError,
    key: str | None,
    origin: str,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "seq": seq,
        "claim_index": index,
        "member_key": key,
        # Unreadable claims touch no session: spread them by position.
        "route": normal_route(key) if key is not None else f"#{seq}",
        "origin": origin,
    }
    if isinstance(unit, TextUnit):
        row["text"] = unit.text
    elif isinstance(unit, ClaimSegments):  # an 837 claim: its delimiters and numbered segments
        envelope = unit.envelope
        row["segments"] = json.dumps(
            [
                [envelope.element, envelope.terminator, envelope.isa, envelope.gs, envelope.header],
                unit.levels,
                unit.number,
                unit.text,
            ],
            ensure_ascii=False,
        )
    elif isinstance(unit, ClaimEntries):  # a FHIR Claim: its place and the entries it references
        row["entries"] = json.dumps([unit.claim, unit.entries], ensure_ascii=False)
    else:
        row.update(error_location=unit.location, error_message=unit.message, error_claim_id=unit.claim_id)
    return row


def _read_units(batches: Iterator[pa.RecordBatch]) -> Iterator[tuple[tuple[int, int], Unit, str | None]]:
    for batch in batches:
        columns = [
            batch.column(name).to_pylist()
            for name in ("seq", "claim_index", "member_key", "origin", "text", "error_location")
        ]
        messages = batch.column("error_message").to_pylist()
        claim_ids = batch.column("error_claim_id").to_pylist()
        segments = batch.column("segments").to_pylist()
        fhir_entries = batch.column("entries").to_pylist()
        for n, (seq, index, key, origin, text, location) in enumerate(zip(*columns, strict=True)):
            unit: Unit
            if segments[n] is not None:
                (element, terminator, isa, gs, header), levels, number, claim = json.loads(segments[n])
                envelope = Envelope(origin, element, terminator, tuple(isa), tuple(gs), tuple(header))
                unit = ClaimSegments(
                    envelope, tuple((place, block) for place, block in levels), number, claim, key
                )
            elif fhir_entries[n] is not None:
                claim, held = json.loads(fhir_entries[n])
                unit = ClaimEntries(origin, claim, tuple((place, entry) for place, entry in held), key)
            elif text is not None:
                unit = TextUnit(origin, text)
            else:
                unit = InputError(location, messages[n], claim_id=claim_ids[n])
            yield (seq, index), unit, key


def _judge_batches(
    batches: Iterator[pa.RecordBatch], options: RunOptions, factory: Callable[[], Engine]
) -> Iterator[pa.RecordBatch]:
    """Pass 2: one partition, in ``seq`` order, with one session."""
    import pyarrow as pa

    schema = _arrow_result_schema()
    engine = _engine(factory)
    out: list[dict[str, Any]] = []
    for (seq, index), _item, pairs in judge(engine, _read_units(batches), options):
        out.extend(_result_row(seq, index, n, result) for n, (_judged, result) in enumerate(pairs))
        if len(out) >= _BATCH_ROWS:
            yield pa.RecordBatch.from_pylist(out, schema=schema)
            out = []
    if out:
        yield pa.RecordBatch.from_pylist(out, schema=schema)


def _result_row(seq: int, index: int, payer_index: int, result: ClaimResult) -> dict[str, Any]:
    """The result JSON as a row: its own fields, money as decimals, and the JSON text itself."""
    data = result_to_dict(result)
    text = dumps(data)  # what result_to_json writes
    lines = [
        {
            **line,
            "billed": Decimal(line["billed"]),
            "allowed": Decimal(line["allowed"]),
            "paid": Decimal(line["paid"]),
            "adjustments": [{**a, "amount": Decimal(a["amount"])} for a in line["adjustments"]],
        }
        for line in data["lines"]
    ]
    return {
        "seq": seq,
        "claim_index": index,
        "payer_index": payer_index,
        **data,
        "as_of": result.as_of,
        "billed": result.billed,
        "allowed": result.allowed,
        "paid": result.paid,
        "patient_responsibility": result.patient_responsibility,
        "lines": lines,
        "origin": data.get("origin"),
        "result": text,
    }


def _arrow_units_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            ("seq", pa.int64()),
            ("claim_index", pa.int32()),
            ("member_key", pa.string()),
            ("route", pa.string()),
            ("origin", pa.string()),
            ("text", pa.string()),
            ("segments", pa.string()),
            ("entries", pa.string()),
            ("error_location", pa.string()),
            ("error_message", pa.string()),
            ("error_claim_id", pa.string()),
        ]
    )


def _arrow_result_schema() -> pa.Schema:
    import pyarrow as pa

    money = pa.decimal128(18, 2)
    strings = pa.list_(pa.string())
    finding = pa.struct(
        [
            ("code", pa.string()),
            ("severity", pa.string()),
            ("line", pa.int32()),
            ("carc", pa.string()),
            ("rarcs", strings),
            ("group", pa.string()),
            ("message", pa.string()),
            ("source", pa.string()),
            ("citation", pa.string()),
        ]
    )
    adjustment = pa.struct([("group", pa.string()), ("carc", pa.string()), ("amount", money)])
    line = pa.struct(
        [
            ("line", pa.int32()),
            ("procedure", pa.string()),
            ("modifiers", strings),
            ("units", pa.string()),
            ("status", pa.string()),
            ("billed", money),
            ("allowed", money),
            ("paid", money),
            ("adjustments", pa.list_(adjustment)),
            ("rarcs", strings),
        ]
    )
    return pa.schema(
        [
            ("seq", pa.int64()),
            ("claim_index", pa.int32()),
            ("payer_index", pa.int32()),
            ("claim_id", pa.string()),
            ("payer", pa.string()),
            ("status", pa.string()),
            ("as_of", pa.date32()),
            ("billed", money),
            ("allowed", money),
            ("paid", money),
            ("patient_responsibility", money),
            ("findings", pa.list_(finding)),
            ("lines", pa.list_(line)),
            ("versions", pa.map_(pa.string(), pa.string())),
            ("origin", pa.string()),
            ("result", pa.string()),
        ]
    )
