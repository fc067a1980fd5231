"""One ordering for every batch runner: route by member, judge each member's claims in input order.

A run's :class:`~payer_rules.context.Session` carries a member's deductible, out-of-pocket and
service history from one claim to the next, keyed by payer and :attr:`Claim.member_key
<payer_rules.models.Claim.member_key>`. Nothing in it crosses members. So a batch may be split
across processes or Spark executors as long as

1. every claim of one member lands in the same partition (:func:`routing_key`), and
2. a partition judges its claims in input order (the order of ``seq``), with one session.

Claims route by their member id (``coverage.member_id``): a member's claims share it, whatever
format each came in, and every format yields it before its claims are read (an NDJSON line's
JSON, an 837 subscriber loop's NM1*IL, a FHIR Claim's Coverage), so the process that splits a
batch routes it without reading it (:mod:`payer_rules.batch.units`).

Then each member sees exactly the claims, in exactly the order, that the serial run shows it,
and the results are the same to the byte. Input order (not date of service) is the order kept:
it is what the serial runner uses, it needs no buffering, and a payer judges claims in the
order it receives them. Give a member's claims in date-of-service order, as for a serial run.

Claims that cannot be read touch no session; they route by their position.

What travels to a partition is a work unit: an NDJSON line or a JSON list's element as text
(:class:`TextUnit`), one 837 claim as its segments
(:class:`~payer_rules.io.x12.reader_837.units.ClaimSegments`), a FHIR Claim with what it
references (:class:`~payer_rules.io.fhir.units.ClaimEntries`), read where it is judged; or,
for input only read whole, the claim itself.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from attrs import frozen

from payer_rules.context import Session
from payer_rules.engine import RUNNER_CHUNK_SIZE, Engine, Stages
from payer_rules.errors import InputError
from payer_rules.io.fhir.units import ClaimEntries, read_claim_entries
from payer_rules.io.json_claims import MAX_LINE_CHARS, decode_json_value, structure_claim
from payer_rules.io.readers import read_text
from payer_rules.io.x12.reader_837.units import ClaimSegments, read_claim_segments
from payer_rules.models import Claim
from payer_rules.pas.usage import AuthorizationLedger, normal_member
from payer_rules.results import ClaimResult

__all__ = [
    "KeyedTextUnit",
    "RunOptions",
    "TextUnit",
    "Unit",
    "bucket_of",
    "judge",
    "member_id_of",
    "new_session",
    "normal_route",
    "read_line",
    "read_row",
    "route_of",
    "routing_key",
]

K = TypeVar("K")


@frozen
class TextUnit:
    """One claim as text, not yet read: an NDJSON line or a DataFrame row.

    Args:
        origin: where it came from, as the serial reader names it (``claims.ndjson:14``).
        text: one claim object as JSON.
    """

    origin: str
    text: str


@frozen
class KeyedTextUnit(TextUnit):
    """A claim as text whose routing key the splitter already has (a JSON list's element).

    Args:
        key: what :func:`routing_key` would find in ``text``.
    """

    key: str | None


#: What a batch runner routes: a claim as text, segments or entries, a claim already read, or
#: one that could not be.
Unit = TextUnit | ClaimSegments | ClaimEntries | Claim | InputError


@frozen(kw_only=True)
class RunOptions:
    """What every partition of one run is judged with (picklable, so workers get it as is)."""

    payers: tuple[str, ...]
    as_of: dt.date | None = None
    received_date: dt.date | None = None
    stages: Stages = Stages.ADJUDICATE
    #: The payers form a chain (coordination of benefits), see :mod:`payer_rules.chains`.
    chain: bool = False
    #: Record the units of authorizations the claims use, for later runs
    #: (:class:`~payer_rules.pas.usage.AuthorizationLedger`); ``payer-rules adjudicate`` does.
    record_authorizations: bool = False


def member_id_of(data: Any) -> str | None:
    """The member id of a claim still in JSON form, without reading the whole claim.

    For every claim that reads successfully this equals its :func:`route_of`: the member id is
    a string (or an integer, which the reader turns into its decimal text). ``None`` when the
    member key's fields (payer, member and patient id) are missing or of another type, which
    makes the claim unreadable anyway.
    """
    try:
        coverage, patient = data["coverage"], data["patient"]
        parts = (coverage["payer_id"], coverage["member_id"], patient["id"])
    except (TypeError, KeyError, IndexError):
        return None
    if not all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in parts):
        return None
    return str(parts[1])


def new_session(options: RunOptions) -> Session:
    """The session one partition of a run judges its claims with."""
    return Session(authorizations=AuthorizationLedger(record=options.record_authorizations))


def route_of(claim: Claim) -> str:
    """What a claim routes by: its member id, shared by every claim of its member key."""
    return claim.coverage.member_id


def routing_key(unit: Unit) -> str | None:
    """The key that keeps a member's claims together; ``None`` for claims that cannot be read."""
    if isinstance(unit, Claim):
        return route_of(unit)
    if isinstance(unit, (KeyedTextUnit, ClaimSegments, ClaimEntries)):
        return unit.key
    if isinstance(unit, TextUnit):
        try:
            data = decode_json_value(unit.text)
        except ValueError:
            return None
        return member_id_of(data)
    return None


def bucket_of(key: str | None, seq: int, buckets: int) -> int:
    """The partition for a unit: CRC-32 of the member id (see :func:`normal_route`), stable
    across processes and runs.

    Python's own ``hash()`` of a string is salted per process, so it cannot route.
    """
    if key is None:
        return seq % buckets
    return zlib.crc32(normal_route(key).encode("utf-8")) % buckets


#: The member id as the authorization edit compares it: every claim that can use one
#: authorization's units lands in one partition (:func:`payer_rules.pas.usage.normal_member`).
normal_route = normal_member


def read_line(text: str, origin: str) -> Claim | InputError:
    """One NDJSON line, exactly as :func:`payer_rules.io.json_claims.read_ndjson_lines` reads it.

    ``origin`` is ``name:line``; errors are located the same way, column included.
    """
    if len(text) > MAX_LINE_CHARS:
        return InputError(origin, f"the line is longer than {MAX_LINE_CHARS:,} characters")
    try:
        data = decode_json_value(text)
    except json.JSONDecodeError as exc:
        return InputError(f"{origin}:{exc.colno}", f"invalid JSON: {exc.msg}")
    return structure_claim(data, origin)


def read_row(text: str | None, origin: str) -> list[Claim | InputError]:
    """A DataFrame cell: one claim object (read as an NDJSON line), or any text the readers know.

    A JSON list of claims or an interchange holding several claims yields several items.
    """
    if text is None:
        return [InputError(origin, "empty input; expected claims as JSON, X12 837 or FHIR")]
    stripped = text.lstrip()
    if stripped[:1] == "{" and '"resourceType"' not in stripped[:4096]:  # not FHIR: a claim object
        return [read_line(text, origin)]
    return list(read_text(text, origin))


def judge(
    engine: Engine,
    units: Iterable[tuple[K, Unit, str | None]],
    options: RunOptions,
    *,
    session: Session | None = None,
) -> Iterator[tuple[K, Claim | InputError, list[tuple[Claim | InputError, ClaimResult]]]]:
    """Judge one partition's units in the order given, with one session for the partition.

    Yields each unit's claim with its results, each beside the claim its payer judged: in a
    chain a later payer judges the claim with the earlier payers' payments on it, and the 835
    writes CLP02 (processed as secondary) from those.

    Each unit comes with the routing key it was partitioned by; a claim whose member id
    differs would mean its member's claims are split across partitions, so that stops the
    run instead of giving wrong accumulators.
    """
    session = session if session is not None else new_session(options)
    try:
        yield from _judge_chunks(engine, units, options, session)
    finally:
        # the end of a --jobs worker's chunk or a Spark partition: what its claims used of
        # authorizations is recorded (with record_authorizations) in one transaction
        session.authorizations.flush()


def _judge_chunks(
    engine: Engine, units: Iterable[tuple[K, Unit, str | None]], options: RunOptions, session: Session
) -> Iterator[tuple[K, Claim | InputError, list[tuple[Claim | InputError, ClaimResult]]]]:
    remaining = iter(units)
    # Read a chunk, then judge it: each step runs through many claims at a time (see
    # ``Engine.adjudicate_many``'s ``chunk_size``), with the same results in the same order.
    while chunk := list(islice(remaining, RUNNER_CHUNK_SIZE)):
        items = [(seq, _read_unit(unit), key) for seq, unit, key in chunk]
        for seq, item, key in items:
            if isinstance(item, Claim) and route_of(item) != key:
                msg = (
                    f"claim {item.id}: routed as member {key!r} but its member id is "
                    f"{route_of(item)!r}; this is a bug in payer_rules.batch"
                )
                raise RuntimeError(msg)
            pairs = list(
                engine.adjudicate_pairs(
                    (item,),
                    options.payers,
                    session=session,
                    as_of=options.as_of,
                    received_date=options.received_date,
                    stages=options.stages,
                    chain=options.chain,
                )
            )
            yield seq, item, pairs


def _read_unit(unit: Unit) -> Claim | InputError:
    if isinstance(unit, TextUnit):
        return read_line(unit.text, unit.origin)
    if isinstance(unit, ClaimSegments):
        return read_claim_segments(unit)
    if isinstance(unit, ClaimEntries):
        return read_claim_entries(unit)
    return unit
