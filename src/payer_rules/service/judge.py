"""``POST /v1/adjudicate`` and ``POST /v1/check``: claims in, results out, over plain ASGI.

These two endpoints are the service's hot path, and a single-claim request is most of their
traffic. A claim costs about a quarter of a millisecond to judge; Starlette's routing, its
``Request`` and ``Response`` objects and its middleware cost as much again per request. So the
judge endpoints are ASGI apps of their own (:class:`JudgeEndpoint`): the app
(:class:`payer_rules.service.app.Service`) hands a ``POST`` to either path straight to them,
before Starlette's middleware and router; anything else on those paths (a ``GET``: 405) goes
through Starlette as before, and so do the other endpoints. What a client sees is the same
either way, byte for byte: status, headers and their order, bodies, problem documents, limits,
the request id and the log lines (``tests/test_service_fast.py`` holds them to it).

What a request's parameters mean (its query string, its ``Accept`` header) is worked out once
per distinct value and kept in the worker's :class:`ServiceState` (payer lookups included):
requests repeat them, and the engine does not change under a running worker.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import time
import types
from collections.abc import Awaitable, Generator, MutableMapping, Sequence
from itertools import islice
from typing import Any, Final

import anyio
import anyio.to_thread
import orjson
from attrs import frozen
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope, Send

from payer_rules.batch.collector import collection_paused
from payer_rules.context import Session
from payer_rules.engine import RUNNER_CHUNK_SIZE, Engine, Stages
from payer_rules.errors import InputError, UsageError, echo
from payer_rules.io import writers as _writers
from payer_rules.io.json_results import result_to_dict
from payer_rules.io.readers import read_text
from payer_rules.io.writers import WRITERS
from payer_rules.models import MAX_DATE, MIN_DATE, Claim
from payer_rules.results import ClaimResult
from payer_rules.service.config import LOGGER_NAME, Limits
from payer_rules.service.core import (
    FHIR,
    INLINE_BODY_BYTES,
    JSON,
    MEDIA_TYPES,
    NDJSON,
    PROBLEM,
    X12,
    Problem,
    ServiceState,
    body_too_large,
    body_too_slow,
    dumps,
    log_request,
    negotiate,
    request_id,
    unexpected,
)

__all__ = ["JUDGE_PARAMS", "JudgeEndpoint", "receive_body"]

log = logging.getLogger(LOGGER_NAME)

#: ``Content-Type`` in -> the name :func:`read_text` sees. The name's suffix picks NDJSON and
#: appears in located errors (``request.json:14:3: invalid JSON``). Any other type (``text/plain``,
#: ``application/octet-stream``, none) is a 415 naming these: a body is only read as what its
#: sender says it is (issue 19).
_INPUT_NAMES: Final = {
    JSON: "request.json",
    "text/json": "request.json",
    NDJSON: "request.ndjson",
    "application/ndjson": "request.ndjson",
    "application/jsonl": "request.ndjson",
    X12: "request.x12",
    "application/x12": "request.x12",
    FHIR: "request.fhir.json",
}

JUDGE_PARAMS: Final = ("payer", "then", "as_of", "received_date")

#: Distinct query strings and ``Accept`` headers remembered per worker; past this the memo is
#: emptied, so a client sending ever new ones costs parsing, never memory.
MEMO_SIZE: Final = 512

_RAW_MEDIA: Final = {media: media.encode("latin-1") for media in (*MEDIA_TYPES, PROBLEM)}
_HELD_BACK: Final = b"payer-rules-held-back"


@frozen
class _Query:
    """What a judge request's query string asks for."""

    payers: list[str]
    chain: bool
    as_of: dt.date | None
    received_date: dt.date | None


def _date(params: QueryParams, name: str) -> dt.date | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise Problem(
            400, "Bad parameter", f"{name}: expected a date as YYYY-MM-DD, got {echo(raw)}"
        ) from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise Problem(
            400,
            "Bad parameter",
            f"{name}: {raw} is out of range; expected a date from {MIN_DATE} to {MAX_DATE}",
        )
    return day


def _ids(params: QueryParams, name: str) -> list[str]:
    ids: list[str] = []
    for raw in params.getlist(name):
        for part in raw.split(","):
            if part.strip() and part.strip().lower() not in ids:
                ids.append(part.strip().lower())
    return ids


def _query(query_string: bytes, engine: Engine) -> _Query:
    """The payers asked for, in order, whether they form a chain (``?then=``), and the dates."""
    params = QueryParams(query_string)
    unknown = sorted(set(params) - set(JUDGE_PARAMS))
    if unknown:
        raise Problem(
            400,
            "Bad parameter",
            f"unknown query parameter {', '.join(unknown)}; known: {', '.join(JUDGE_PARAMS)}",
        )
    payers = _ids(params, "payer")
    then = _ids(params, "then")
    if not payers:
        raise Problem(
            400,
            "Bad parameter",
            f"name at least one payer: ?payer=ID (known: {', '.join(engine.payers) or 'none installed'})",
        )
    if then:
        if len(payers) != 1:
            raise Problem(
                400,
                "Bad parameter",
                "then follows one payer (the primary): ?payer=PRIMARY&then=SECONDARY[&then=TERTIARY]",
            )
        if set(then) & set(payers):
            raise Problem(
                400, "Bad parameter", f"a payer may appear once in a chain: {payers[0]}, {', '.join(then)}"
            )
        payers += then
    for payer in payers:
        try:
            engine.payer(payer)
        except UsageError as exc:
            raise Problem(422, "Unknown payer", str(exc)) from None
    return _Query(payers, bool(then), _date(params, "as_of"), _date(params, "received_date"))


def _remember(memo: MutableMapping[object, object], key: object, value: object) -> None:
    if len(memo) >= MEMO_SIZE:
        memo.clear()
    memo[key] = value


def _input_name(content_type: str | None) -> str:
    if content_type in _INPUT_NAMES:  # as nearly every client sends it
        return _INPUT_NAMES[content_type]
    media = (content_type or "").split(";")[0].strip().lower()
    if media in _INPUT_NAMES:
        return _INPUT_NAMES[media]
    raise Problem(
        415,
        "Unsupported media type",
        f"cannot read claims sent as {echo(media or 'no Content-Type')}; "
        f"send one of {', '.join(_INPUT_NAMES)}",
    )


async def receive_body(receive: Receive, declared: str, limit: int, seconds: float) -> bytes:
    """The whole request body from ASGI ``receive``, within the size and time limits (413, 408).

    :param declared: the ``Content-Length`` header ("" without one): a body declared too large
        is refused before a byte of it is read.
    :raises ClientDisconnect: the client went away before the body was complete.
    """
    if declared.isdigit() and int(declared) > limit:
        raise body_too_large(limit)
    # A body that trickles in (slowloris) would hold the connection and its worker for ever:
    # one deadline for the whole body. But a small body has nearly always arrived with the
    # request's head, and then uvicorn's receive() answers without waiting: it is asked once
    # by hand, and only a body that has to be waited for is waited for under the deadline
    # (arming and cancelling a timer cost more than the rest of reading a one-claim body).
    first = receive().__await__()
    rest: Awaitable[Message] | None = None
    try:
        waiting = first.send(None)
    except StopIteration as ready:
        message: Message = ready.value
    else:
        rest = _resumed(first, waiting)
    if rest is None and message["type"] == "http.request" and not message.get("more_body", False):
        body: bytes = message.get("body", b"")
        if len(body) > limit:
            raise body_too_large(limit)
        return body
    chunks: list[bytes] = []
    size = 0
    # asyncio's own timeout, as uvicorn runs the app on asyncio: an anyio cancel scope costs
    # twice as much.
    try:
        async with asyncio.timeout(seconds):
            if rest is not None:
                message = await rest
            while True:
                kind = message["type"]
                if kind == "http.request":
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise body_too_large(limit)
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
                elif kind == "http.disconnect":
                    raise ClientDisconnect()
                message = await receive()
    except TimeoutError:
        raise body_too_slow(seconds, size) from None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


@types.coroutine
def _resumed(started: Generator[Any, None, Message], waiting: Any) -> Generator[Any, None, Message]:
    """The rest of an awaitable whose first step was taken by hand and is ``waiting`` (on a
    future): it goes on as ``await`` would have gone on with it (PEP 380's ``yield from``),
    a cancellation (the deadline) thrown into it where it waits."""
    while True:
        try:
            try:
                sent = yield waiting
            except GeneratorExit:
                started.close()
                raise
            except BaseException as exc:  # thrown in by the event loop (a cancellation): handed on
                waiting = started.throw(exc)
            else:
                waiting = started.send(sent)
        except StopIteration as done:
            answer: Message = done.value
            return answer


def _read_claims(text: str, name: str, limits: Limits) -> list[Claim | InputError]:
    items = list(islice(read_text(text, name), limits.max_claims + 1))
    if len(items) > limits.max_claims:
        raise Problem(
            422,
            "Too many claims",
            f"the request holds more than {limits.max_claims} claims (max_claims); "
            "split the batch into several requests",
            limit={"name": "max_claims", "value": limits.max_claims},
        )
    if items and not any(isinstance(item, Claim) for item in items):
        # Nothing in the body can be read: the request is malformed, not a batch with a bad claim.
        errors = [item for item in items if isinstance(item, InputError)]
        raise Problem(
            400,
            "Unreadable claims",
            "; ".join(str(e) for e in errors[:5])
            + (f"; and {len(errors) - 5} more" if len(errors) > 5 else ""),
            errors=_located(errors),
        )
    envelope = [item for item in items if isinstance(item, InputError) and item.envelope]
    if envelope:
        # An X12 trailer count or control number that does not match stands for no claim, so no
        # result can carry it, and a 200 would drop it unsaid. An X12 front end rejects such a
        # transaction set (999 IK5*R) rather than adjudicate it; so does the service, naming
        # every envelope error, and judges nothing: no claim gets a result it would not get
        # from the corrected file (issue 19).
        raise Problem(
            400,
            "Broken X12 envelope",
            "; ".join(str(e) for e in envelope[:5])
            + (f"; and {len(envelope) - 5} more" if len(envelope) > 5 else "")
            + "; no claim was judged: correct the envelope and send the file again",
            errors=_located(envelope),
        )
    return items


def _located(errors: Sequence[InputError]) -> list[dict[str, str | None]]:
    return [{"location": e.location, "message": e.message, "claim_id": e.claim_id} for e in errors]


def _render(
    media: str,
    pairs: list[tuple[Claim | InputError, ClaimResult]],
    state: ServiceState,
    stage: Stages,
) -> tuple[bytes, int]:
    """The response body, and how many results its writer held back (pended ones on an 835)."""
    if media == JSON:
        document = {
            "stage": stage.value,
            "versions": state.versions,
            "results": [result_to_dict(result) for _, result in pairs],
        }
        # orjson, as the CLI's JSON and NDJSON writers: the same bytes as dumps() gives for these
        # documents (strings, whole numbers, lists and objects; tests/test_service_codec.py), in
        # a fraction of the time. Anything it cannot encode goes the stdlib's way, as before.
        try:
            return orjson.dumps(document), 0
        except TypeError:
            return dumps(document), 0
    stream = io.StringIO()
    writer = WRITERS[MEDIA_TYPES[media]](stream)
    for item, result in pairs:
        writer.write(result, item)
    writer.close()
    return stream.getvalue().encode("utf-8"), _writers.held_back(writer)


def _log_results(request_id: str, pairs: list[tuple[Claim | InputError, ClaimResult]]) -> None:
    """One INFO line per result: claim id, payer, status and rule codes; nothing of the claim."""
    for _, result in pairs:
        codes = ",".join(f.code for f in result.findings) or "-"
        log.info(
            "request=%s claim=%s payer=%s status=%s codes=%s",
            request_id,
            result.claim_id or "-",
            result.payer,
            result.status,
            codes,
            extra={
                "request_id": request_id,
                "claim_id": result.claim_id,
                "payer": result.payer,
                "status": str(result.status),
                "codes": codes.split(",") if codes != "-" else [],
            },
        )


class JudgeEndpoint:
    """One judge endpoint (``adjudicate`` or ``check``) as an ASGI app.

    Its answers are those of a Starlette endpoint wrapped in
    :func:`payer_rules.service.app.guarded`: the same request id, ``Payer-Rules-Versions``
    header, problem documents and log lines, and the same header order.
    """

    def __init__(self, stage: Stages, state: ServiceState) -> None:
        self.stage = stage
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        accept = content_type = declared = given = None
        # the first of each header counts, as in Starlette's Headers.get
        for key, value in scope["headers"]:
            if key == b"content-type":
                if content_type is None:
                    content_type = value.decode("latin-1")
            elif key == b"content-length":
                if declared is None:
                    declared = value.decode("latin-1")
            elif key == b"accept":
                if accept is None:
                    accept = value.decode("latin-1")
            elif key == b"x-request-id" and given is None:
                given = value.decode("latin-1")
        rid = request_id(given or "")
        claims = 0
        headers: list[tuple[bytes, bytes]]
        try:
            body, media, held, claims = await self._judge(scope, receive, accept, content_type, declared, rid)
        except Problem as problem:
            status, body, headers = problem.status, problem.document(rid), []
            media = PROBLEM
        except ClientDisconnect:
            # the client went away mid-request: nothing to answer, nothing wrong here
            log.info("request=%s client disconnected", rid)
            gone = Problem(400, "Client disconnected", "the client closed the connection")
            status, body, headers, media = 400, gone.document(rid), [], PROBLEM
        except Exception as exc:
            failed = unexpected(exc, rid)
            status, body, headers, media = 500, failed.document(rid), [], PROBLEM
        else:
            status = 200
            # pended results are not adjudications: an 835 holds them back and says how many here
            headers = [(_HELD_BACK, str(held).encode("latin-1"))] if held else []
        headers += [
            (b"content-length", b"%d" % len(body)),
            (b"content-type", _RAW_MEDIA[media]),
            (b"x-request-id", rid.encode("latin-1")),
        ]
        if self.state.versions:
            headers.append((b"payer-rules-versions", self.state.versions_header_raw))
        if log.isEnabledFor(logging.INFO):
            log_request(rid, scope["method"], scope["path"], status, claims, started)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _judge(
        self,
        scope: Scope,
        receive: Receive,
        accept: str | None,
        content_type: str | None,
        declared: str | None,
        rid: str,
    ) -> tuple[bytes, str, int, int]:
        """The body, its media type, how many results were held back, and how many claims."""
        state, stage = self.state, self.stage
        engine = state.engine
        if engine is None:
            raise Problem(503, "Not ready", "the engine is still being built; retry shortly")
        memo = state.memo
        key: tuple[Any, ...] = (stage.value, accept)  # str keys: an Enum hashes in Python
        media = memo.get(key, key)
        if media is key:
            media = negotiate(accept, state.offers_for(stage))
            _remember(memo, key, media)
        if media is None:
            raise Problem(
                406,
                "Not acceptable",
                f"cannot answer {stage.value} in {accept!r}; "
                f"results come as one of {', '.join(state.offers_for(stage))}",
            )
        assert isinstance(media, str)
        query_string: bytes = scope["query_string"]
        query = memo.get(query_string)
        if query is None:
            try:
                query = _query(query_string, engine)
            except Problem as problem:
                query = problem
            _remember(memo, query_string, query)
        if isinstance(query, Problem):
            raise Problem(query.status, query.title, query.detail, **query.extra)
        assert isinstance(query, _Query)
        name = _input_name(content_type)
        limits = state.limits
        body = await receive_body(receive, declared or "", limits.max_body_bytes, limits.body_seconds)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Problem(
                400,
                "Unreadable claims",
                f"{name}: not UTF-8 text (byte {exc.start}); expected JSON, X12 or FHIR",
            ) from None
        payers = query.payers

        def work() -> tuple[bytes, int, int]:
            # No cyclic collection while the request is judged, as in the batch runners
            # (payer_rules.batch.collector): its claims, history and results form no cycles and
            # are freed by reference counting before the collector is back, so it never scans
            # them (a 100-claim request made it scan them dozens of times over). The pause is
            # counted and covers the judging only, not a wait for the judging thread: the
            # collector is back whenever no request is being judged.
            with collection_paused():
                items = _read_claims(text, name, limits)
                pairs = list(
                    engine.adjudicate_pairs(
                        items,
                        payers,
                        # one claim: nothing after it reads the history it would leave
                        session=Session(keeps_history=len(items) > 1),
                        as_of=query.as_of,
                        received_date=query.received_date,
                        stages=stage,
                        chunk_size=RUNNER_CHUNK_SIZE,
                        chain=query.chain,
                    )
                )
                content, held = _render(media, pairs, state, stage)
                if log.isEnabledFor(logging.INFO):
                    _log_results(rid, pairs)
                return content, held, len(pairs) // len(payers)

        if len(body) <= INLINE_BODY_BYTES:
            content, held, claims = work()
        else:
            content, held, claims = await anyio.to_thread.run_sync(work, limiter=state.limiter)
        return content, media, held, claims
