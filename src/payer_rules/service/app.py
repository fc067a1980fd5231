"""The ASGI app: judge claims over HTTP with an engine built once per worker.

Starlette, not a bigger framework: the request and response shapes are already attrs models
with cattrs converters and a generated JSON Schema, so a framework that derives schemas from
its own (pydantic) models would give us a second, drifting contract. Starlette is routing,
requests and responses over ASGI, with few dependencies, kept by the encode team beside
uvicorn (the server ``serve`` runs it on).

Endpoints (the shipped ``openapi.json`` is the reference):

* ``POST /v1/adjudicate``, ``POST /v1/check`` — claims in (claim JSON, NDJSON, X12 837 or
  FHIR, told by ``Content-Type`` and content), ``?payer=`` one or more (or one ``?payer=`` and
  ``?then=`` for a payer chain: each later payer judges the claim with the earlier payers'
  results as other coverage); results out as JSON, NDJSON, X12 835 or FHIR by ``Accept``.
* ``POST /fhir/Claim/$submit`` — a Da Vinci PAS prior-authorization request (``?payer=``), the
  PAS response Bundle out (:mod:`payer_rules.service.pas`).
* ``GET /v1/payers``, ``/v1/plugins``, ``/v1/rules``, ``/v1/rules/{code}`` — what is installed.
* ``GET /health`` (alive), ``/ready`` (engine built), ``/openapi.json``, ``/schema/*.json``.
* ``/ui/`` — the Claim Check pages (:mod:`payer_rules.web`), only with ``serve --ui``.

Errors are RFC 9457 problem documents (``application/problem+json``), which Spring and
ASP.NET Core read natively. Nothing from a claim is logged: request lines carry the request
id, status, counts and time; result lines the claim id, payer, status and rule codes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from itertools import islice
from typing import Any, Final

import anyio
import anyio.to_thread
import cattrs
import orjson
from attrs import define, field
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from payer_rules import __version__
from payer_rules.context import Session
from payer_rules.engine import RUNNER_CHUNK_SIZE, Engine, Stages
from payer_rules.errors import InputError, UsageError, echo
from payer_rules.io import writers as _writers
from payer_rules.io.json_results import result_to_dict
from payer_rules.io.readers import read_text
from payer_rules.io.schema import CLAIM_SCHEMA, RESULT_SCHEMA
from payer_rules.io.writers import WRITERS
from payer_rules.models import MAX_DATE, MIN_DATE, Claim
from payer_rules.results import ClaimResult
from payer_rules.service.config import ENV_UI, LOGGER_NAME, Limits
from payer_rules.service.openapi import OPENAPI
from payer_rules.service.pas import SUBMIT_PATH, submit_endpoint

__all__ = [
    "MEDIA_TYPES",
    "Problem",
    "ServiceState",
    "app_from_environment",
    "create_app",
    "guarded",
    "negotiate",
    "read_body",
    "ready_engine",
    "service_state",
]

log = logging.getLogger(LOGGER_NAME)

JSON: Final = "application/json"
NDJSON: Final = "application/x-ndjson"
X12: Final = "application/edi-x12"
FHIR: Final = "application/fhir+json"
PROBLEM: Final = "application/problem+json"

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

#: ``Accept`` media type -> writer name in :data:`payer_rules.io.writers.WRITERS`; offered only
#: when that writer is installed, JSON first (the default for ``*/*`` or no ``Accept``).
MEDIA_TYPES: Final = {JSON: "json", NDJSON: "ndjson", X12: "x12-835", FHIR: "fhir"}

#: Writers whose format reports money, so not offered for ``check`` (absent on older builds).
MONEY_ONLY_FORMATS: Final[frozenset[str]] = getattr(_writers, "MONEY_ONLY_FORMATS", frozenset({"x12-835"}))

#: Bodies up to this size (a handful of claims, a millisecond or two of work) are judged on the
#: event loop: handing them to a thread costs more than the work, in GIL hand-offs. Larger
#: ones go to the worker's single judging thread so the loop keeps serving health checks.
INLINE_BODY_BYTES: Final = 16 * 1024

_JUDGE_PARAMS: Final = ("payer", "then", "as_of", "received_date")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

_catalog = cattrs.Converter()
_catalog.register_unstructure_hook(dt.date, lambda d: d.isoformat())
# sets (PayerInfo.claim_kinds) as sorted lists: JSON has no set, and the order must not vary
_catalog.register_unstructure_hook_func(
    lambda t: t is frozenset or getattr(t, "__origin__", None) is frozenset,
    lambda values: sorted(str(v) for v in values),
)


#: Response header of an 835: how many pended results were held back from it.
HELD_BACK_HEADER = "Payer-Rules-Held-Back"


class Problem(Exception):
    """An RFC 9457 problem: the response for a request the service will not judge."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.extra = extra

    def response(self, request_id: str) -> Response:
        body = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "request_id": request_id,
            **self.extra,
        }
        return Response(_dumps(body), status_code=self.status, media_type=PROBLEM)


@define
class ServiceState:
    """One worker's service: its engine (built once, at start-up), limits and output formats."""

    limits: Limits
    build: Callable[[], Engine]
    engine: Engine | None = None
    versions: dict[str, str] = field(factory=dict)
    built_at: str | None = None
    build_seconds: float | None = None
    offers: tuple[str, ...] = ()
    limiter: anyio.CapacityLimiter | None = None
    #: ``Payer-Rules-Versions``: the same on every response, so made once
    versions_header: str = ""

    def ready(self, engine: Engine, seconds: float | None) -> None:
        self.engine = engine
        self.versions = {"payer-rules": __version__}
        self.versions.update({p.distribution: p.version for p in engine.plugins})
        self.built_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.build_seconds = round(seconds, 3) if seconds is not None else None
        self.versions_header = ", ".join(f"{name}={version}" for name, version in self.versions.items())
        self.offers = tuple(media for media, writer in MEDIA_TYPES.items() if _writer_works(writer))
        # Judging is CPU work under the GIL: threads beyond one add switching, not speed, and
        # push up tail latency. One judging thread per worker, large requests queued in order,
        # keeps the event loop free for I/O and health checks; scale out with --workers.
        self.limiter = anyio.CapacityLimiter(1)

    def offers_for(self, stage: Stages) -> tuple[str, ...]:
        """Result formats for a stage: an 835 reports money, so scrubbing (check) has none."""
        if stage is Stages.ADJUDICATE:
            return self.offers
        return tuple(m for m in self.offers if MEDIA_TYPES[m] not in MONEY_ONLY_FORMATS)


def _writer_works(name: str) -> bool:
    """Whether this build has the writer: X12 and FHIR writers load their modules lazily."""
    if name not in WRITERS:
        return False
    try:
        WRITERS[name](io.StringIO())
    except ImportError:
        return False
    return True


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json(value: Any, status: int = 200) -> Response:
    return Response(_dumps(value), status_code=status, media_type=JSON)


# -- content negotiation ---------------------------------------------------------------------


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the ``Accept`` header prefers (RFC 9110 §12.5.1), or ``None`` if none is acceptable.

    The most specific matching range sets an offer's quality; ties go to the earlier offer.
    No header, or an empty one, takes the first offer.
    """
    if not accept or not accept.strip():
        return offers[0] if offers else None
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    best, best_q = None, 0.0
    for offer in offers:
        kind = offer.split("/")[0]
        specificity, quality = -1, 0.0
        for media, q in ranges:
            rank = 2 if media == offer else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
            if rank > specificity:
                specificity, quality = rank, q
        if quality > best_q:
            best, best_q = offer, quality
    return best


# -- request pieces --------------------------------------------------------------------------


def service_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.payer_rules
    return state


def ready_engine(request: Request) -> Engine:
    engine = service_state(request).engine
    if engine is None:
        raise Problem(503, "Not ready", "the engine is still being built; retry shortly")
    return engine


async def read_body(request: Request, limit: int, seconds: float) -> bytes:
    too_large = Problem(
        413,
        "Request body too large",
        f"the request body exceeds the limit of {limit} bytes (max_body_bytes); "
        "send fewer claims per request",
        limit={"name": "max_body_bytes", "value": limit},
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    # A body that trickles in (slowloris) would hold the connection and its worker for ever.
    with anyio.move_on_after(seconds) as scope:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
    if scope.cancelled_caught:
        raise Problem(
            408,
            "Request timeout",
            f"the request body did not arrive within {seconds:g} seconds (body_seconds); {size} bytes came",
            limit={"name": "body_seconds", "value": seconds},
        )
    return b"".join(chunks)


def _input_name(content_type: str | None) -> str:
    media = (content_type or "").split(";")[0].strip().lower()
    if media in _INPUT_NAMES:
        return _INPUT_NAMES[media]
    raise Problem(
        415,
        "Unsupported media type",
        f"cannot read claims sent as {echo(media or 'no Content-Type')}; "
        f"send one of {', '.join(_INPUT_NAMES)}",
    )


def _date(request: Request, name: str) -> dt.date | None:
    raw = request.query_params.get(name)
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


def _ids(request: Request, name: str) -> list[str]:
    ids: list[str] = []
    for raw in request.query_params.getlist(name):
        for part in raw.split(","):
            if part.strip() and part.strip().lower() not in ids:
                ids.append(part.strip().lower())
    return ids


def _payers(request: Request, engine: Engine) -> tuple[list[str], bool]:
    """The payers asked for, in order, and whether they form a chain (``?then=``)."""
    unknown = sorted(set(request.query_params) - set(_JUDGE_PARAMS))
    if unknown:
        raise Problem(
            400,
            "Bad parameter",
            f"unknown query parameter {', '.join(unknown)}; known: {', '.join(_JUDGE_PARAMS)}",
        )
    payers = _ids(request, "payer")
    then = _ids(request, "then")
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
    return payers, bool(then)


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
        # orjson, as the CLI's JSON and NDJSON writers: the same bytes as _dumps gives for these
        # documents (strings, whole numbers, lists and objects; tests/test_service_codec.py), in
        # a fraction of the time. Anything it cannot encode goes the stdlib's way, as before.
        try:
            return orjson.dumps(document), 0
        except TypeError:
            return _dumps(document), 0
    stream = io.StringIO()
    writer = WRITERS[MEDIA_TYPES[media]](stream)
    for item, result in pairs:
        writer.write(result, item)
    writer.close()
    return stream.getvalue().encode("utf-8"), _writers.held_back(writer)


# -- endpoints -------------------------------------------------------------------------------


def _judge(stage: Stages) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state = service_state(request)
        engine = ready_engine(request)
        offers = state.offers_for(stage)
        media = negotiate(request.headers.get("accept"), offers)
        if media is None:
            raise Problem(
                406,
                "Not acceptable",
                f"cannot answer {stage.value} in {request.headers.get('accept')!r}; "
                f"results come as one of {', '.join(offers)}",
            )
        payers, chain = _payers(request, engine)
        as_of = _date(request, "as_of")
        received_date = _date(request, "received_date")
        name = _input_name(request.headers.get("content-type"))
        body = await read_body(request, state.limits.max_body_bytes, state.limits.body_seconds)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Problem(
                400,
                "Unreadable claims",
                f"{name}: not UTF-8 text (byte {exc.start}); expected JSON, X12 or FHIR",
            ) from None

        def work() -> tuple[tuple[bytes, int], list[tuple[Claim | InputError, ClaimResult]]]:
            items = _read_claims(text, name, state.limits)
            pairs = list(
                engine.adjudicate_pairs(
                    items,
                    payers,
                    session=Session(),
                    as_of=as_of,
                    received_date=received_date,
                    stages=stage,
                    chunk_size=RUNNER_CHUNK_SIZE,
                    chain=chain,
                )
            )
            return _render(media, pairs, state, stage), pairs

        if len(body) <= INLINE_BODY_BYTES:
            (content, held), pairs = work()
        else:
            (content, held), pairs = await anyio.to_thread.run_sync(work, limiter=state.limiter)
        request.state.claims = len(pairs) // len(payers)
        request_id = request.state.request_id
        for _, result in pairs if log.isEnabledFor(logging.INFO) else ():
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
        # pended results are not adjudications: an 835 holds them back and says how many here
        headers = {HELD_BACK_HEADER: str(held)} if held else None
        return Response(content, media_type=media, headers=headers)

    return endpoint


async def payers_endpoint(request: Request) -> Response:
    engine = ready_engine(request)
    return _json({"payers": [_catalog.unstructure(p) for p in engine.payers.values()]})


async def plugins_endpoint(request: Request) -> Response:
    engine = ready_engine(request)
    return _json(
        {
            "versions": service_state(request).versions,
            "plugins": [_catalog.unstructure(p) for p in engine.plugins],
        }
    )


async def rules_endpoint(request: Request) -> Response:
    engine = ready_engine(request)
    return _json({"rules": [_catalog.unstructure(r) for r in engine.rules.values()]})


async def rule_endpoint(request: Request) -> Response:
    engine = ready_engine(request)
    try:
        rule = engine.rule(request.path_params["code"])
    except UsageError as exc:
        raise Problem(404, "Unknown rule", str(exc)) from None
    return _json(_catalog.unstructure(rule))


async def health_endpoint(request: Request) -> Response:
    return _json({"status": "ok"})


async def ready_endpoint(request: Request) -> Response:
    state = service_state(request)
    if state.engine is None:
        return _json({"status": "starting"}, status=503)
    return _json(
        {
            "status": "ready",
            "pid": os.getpid(),
            "built_at": state.built_at,
            "build_seconds": state.build_seconds,
            "versions": state.versions,
            "payers": list(state.engine.payers),
            "formats": list(state.offers),
            "limits": {"max_body_bytes": state.limits.max_body_bytes, "max_claims": state.limits.max_claims},
        }
    )


def _file(path: os.PathLike[str]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        with open(path, "rb") as handle:
            return Response(handle.read(), media_type=JSON)

    return endpoint


# -- wiring ----------------------------------------------------------------------------------


def guarded(
    endpoint: Callable[[Request], Awaitable[Response]],
    render: Callable[[Request, Problem, str], Response] | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """Request id, versions header, problem responses and one PHI-free log line per request.

    Unexpected exceptions are logged by type only: their messages may quote claim content.

    :param render: how a :class:`Problem` becomes a response; the default is an RFC 9457
        problem document, the web pages (``payer_rules.web``) render an HTML page instead.
    """

    def answer(request: Request, problem: Problem, request_id: str) -> Response:
        return render(request, problem, request_id) if render else problem.response(request_id)

    async def wrapper(request: Request) -> Response:
        started = time.perf_counter()
        given = request.headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        request.state.request_id = request_id
        request.state.claims = 0
        try:
            response = await endpoint(request)
        except Problem as problem:
            response = answer(request, problem, request_id)
        except ClientDisconnect:
            # the client went away mid-request: nothing to answer, nothing wrong here
            log.info("request=%s client disconnected", request_id)
            response = answer(
                request, Problem(400, "Client disconnected", "the client closed the connection"), request_id
            )
        except Exception as exc:
            log.error(
                "request=%s unexpected %s (details withheld from the log)", request_id, type(exc).__name__
            )
            response = answer(
                request, Problem(500, "Internal error", f"{type(exc).__name__}: {exc}"), request_id
            )
        response.headers["x-request-id"] = request_id
        state = service_state(request)
        if state.versions:
            response.headers["payer-rules-versions"] = state.versions_header
        if not log.isEnabledFor(logging.INFO):
            return response
        ms = (time.perf_counter() - started) * 1000
        log.info(
            "request=%s %s %s %d claims=%d ms=%.1f",
            request_id,
            request.method,
            request.url.path,
            response.status_code,
            request.state.claims,
            ms,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.url.path,
                "http_status": response.status_code,
                "claims": request.state.claims,
                "ms": round(ms, 1),
            },
        )
        return response

    return wrapper


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods as problem documents too."""
    assert isinstance(exc, HTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    response = Problem(exc.status_code, title, f"{request.method} {request.url.path}: {exc.detail}").response(
        uuid.uuid4().hex[:16]
    )
    response.headers.update(exc.headers or {})
    return response


def create_app(
    engine: Engine | None = None,
    *,
    limits: Limits | None = None,
    build: Callable[[], Engine] = Engine.from_installed,
    build_seconds: float | None = None,
    ui: bool = False,
) -> Starlette:
    """The service as an ASGI app.

    :param engine: judge with this engine; without one, ``build()`` makes it at start-up (in
        the ASGI lifespan, so a worker takes no request before it has its engine). Either way
        the engine is built once and shared by every request; requests never rebuild it.
    :param limits: body size and claim count limits (defaults: :class:`Limits`).
    :param build: how to build the engine when none is given.
    :param build_seconds: how long the given ``engine`` took to build (``/ready`` reports it).
    :param ui: also serve the Claim Check pages (:mod:`payer_rules.web`) under ``/ui/``, with
        the same engine and limits.
    """
    state = ServiceState(limits=limits or Limits(), build=build)
    if engine is not None:
        state.ready(engine, build_seconds)  # built by the caller, who timed it

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if state.engine is None:
            started = time.perf_counter()
            built = await run_in_threadpool(state.build)
            state.ready(built, time.perf_counter() - started)
        log.info(
            "engine ready (built in %ss): %s; payers %s",
            state.build_seconds if state.build_seconds is not None else "?",
            state.versions_header,
            ", ".join(state.engine.payers) if state.engine else "-",
        )
        yield

    routes: list[BaseRoute] = [
        Route("/v1/adjudicate", guarded(_judge(Stages.ADJUDICATE)), methods=["POST"]),
        Route("/v1/check", guarded(_judge(Stages.CHECK)), methods=["POST"]),
        Route(SUBMIT_PATH, guarded(submit_endpoint), methods=["POST"]),
        Route("/v1/payers", guarded(payers_endpoint), methods=["GET"]),
        Route("/v1/plugins", guarded(plugins_endpoint), methods=["GET"]),
        Route("/v1/rules", guarded(rules_endpoint), methods=["GET"]),
        Route("/v1/rules/{code}", guarded(rule_endpoint), methods=["GET"]),
        Route("/health", guarded(health_endpoint), methods=["GET"]),
        Route("/ready", guarded(ready_endpoint), methods=["GET"]),
        Route("/openapi.json", guarded(_file(OPENAPI)), methods=["GET"]),
        Route("/schema/claim.schema.json", guarded(_file(CLAIM_SCHEMA)), methods=["GET"]),
        Route("/schema/result.schema.json", guarded(_file(RESULT_SCHEMA)), methods=["GET"]),
    ]
    if ui:
        from payer_rules.web import mount

        routes.append(mount())
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error})
    app.state.payer_rules = state
    return app


def app_from_environment() -> Starlette:
    """The app factory each ``serve --workers N`` worker calls: limits (and ``--ui``) from the environment."""
    return create_app(limits=Limits.from_environment(), ui=os.environ.get(ENV_UI) == "1")
