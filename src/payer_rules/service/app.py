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
import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Final

import cattrs
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Receive, Scope, Send

from payer_rules.engine import Engine, Stages
from payer_rules.errors import UsageError
from payer_rules.io.schema import CLAIM_SCHEMA, RESULT_SCHEMA
from payer_rules.service.config import ENV_UI, Limits
from payer_rules.service.core import (
    HELD_BACK_HEADER,
    INLINE_BODY_BYTES,
    JSON,
    MEDIA_TYPES,
    Problem,
    ServiceState,
    dumps,
    log,
    log_request,
    negotiate,
    request_id,
    unexpected,
)
from payer_rules.service.judge import JudgeEndpoint, receive_body
from payer_rules.service.openapi import OPENAPI
from payer_rules.service.pas import SUBMIT_PATH, submit_endpoint

__all__ = [
    "HELD_BACK_HEADER",
    "INLINE_BODY_BYTES",
    "MEDIA_TYPES",
    "Problem",
    "Service",
    "ServiceState",
    "app_from_environment",
    "create_app",
    "guarded",
    "negotiate",
    "read_body",
    "ready_engine",
    "service_state",
]

_catalog = cattrs.Converter()
_catalog.register_unstructure_hook(dt.date, lambda d: d.isoformat())
# sets (PayerInfo.claim_kinds) as sorted lists: JSON has no set, and the order must not vary
_catalog.register_unstructure_hook_func(
    lambda t: t is frozenset or getattr(t, "__origin__", None) is frozenset,
    lambda values: sorted(str(v) for v in values),
)


def _json(value: Any, status: int = 200) -> Response:
    return Response(dumps(value), status_code=status, media_type=JSON)


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
    """The request's whole body within the size and time limits (413, 408), as the judge
    endpoints read theirs (:func:`~payer_rules.service.judge.receive_body`)."""
    return await receive_body(request.receive, request.headers.get("content-length", ""), limit, seconds)


# -- endpoints -------------------------------------------------------------------------------


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

#: The judge endpoints, answered by :class:`payer_rules.service.judge.JudgeEndpoint`.
JUDGE_PATHS: Final = {"/v1/adjudicate": Stages.ADJUDICATE, "/v1/check": Stages.CHECK}


class Service(Starlette):
    """The Starlette app, with ``POST`` to a judge endpoint handed straight to it.

    Such a request skips Starlette's middleware and router, whose work costs as much as judging
    a claim (see :mod:`payer_rules.service.judge`); its answer is the one the routed endpoint
    gives. Everything else (other methods on those paths, a ``root_path``, the other
    endpoints, the lifespan) takes Starlette's way, where every response gets the request id
    and ``Payer-Rules-Versions`` headers its endpoint did not set (Starlette's own 404, 405,
    redirects and 500s included).
    """

    def __init__(self, judges: dict[str, JudgeEndpoint], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.judges = judges

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] == "POST" and not scope.get("root_path"):
                judge = self.judges.get(scope["path"])
                if judge is not None:
                    await judge(scope, receive, send)
                    return
            send = self._identified(scope, send)
        await super().__call__(scope, receive, send)

    def _identified(self, scope: Scope, send: Send) -> Send:
        """``send`` adding ``x-request-id`` and ``payer-rules-versions`` where a response lacks them.

        The request id is chosen here, once, and kept in the request's state, so that the
        endpoints (:func:`guarded`) and the 404 / 405 handler put the same one in their bodies.
        """
        given = next((value for key, value in scope["headers"] if key == b"x-request-id"), b"")
        rid = request_id(given.decode("latin-1"))
        scope.setdefault("state", {})[REQUEST_ID_STATE] = rid
        state: ServiceState = self.state.payer_rules

        async def identified(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                if b"x-request-id" not in names:
                    headers.append((b"x-request-id", rid.encode("latin-1")))
                if state.versions and b"payer-rules-versions" not in names:
                    headers.append((b"payer-rules-versions", state.versions_header_raw))
                message = {**message, "headers": headers}
            await send(message)

        return identified


#: Where :class:`Service` keeps the request id in a request's state (``request.state.request_id``).
REQUEST_ID_STATE: Final = "request_id"


def _request_id(request: Request) -> str:
    """The id :class:`Service` chose for this request (one from the client's header otherwise)."""
    rid = request.scope.get("state", {}).get(REQUEST_ID_STATE)
    return rid if isinstance(rid, str) else request_id(request.headers.get("x-request-id", ""))


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
        rid = _request_id(request)
        request.state.request_id = rid
        request.state.claims = 0
        try:
            response = await endpoint(request)
        except Problem as problem:
            response = answer(request, problem, rid)
        except ClientDisconnect:
            # the client went away mid-request: nothing to answer, nothing wrong here
            log.info("request=%s client disconnected", rid)
            response = answer(
                request, Problem(400, "Client disconnected", "the client closed the connection"), rid
            )
        except Exception as exc:
            response = answer(request, unexpected(exc, rid), rid)
        response.headers["x-request-id"] = rid
        state = service_state(request)
        if state.versions:
            response.headers["payer-rules-versions"] = state.versions_header
        if log.isEnabledFor(logging.INFO):
            log_request(
                rid, request.method, request.url.path, response.status_code, request.state.claims, started
            )
        return response

    return wrapper


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods as problem documents too."""
    assert isinstance(exc, HTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    response = Problem(exc.status_code, title, f"{request.method} {request.url.path}: {exc.detail}").response(
        _request_id(request)
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
    freeze: bool = False,
) -> Service:
    """The service as an ASGI app.

    :param engine: judge with this engine; without one, ``build()`` makes it at start-up (in
        the ASGI lifespan, so a worker takes no request before it has its engine). Either way
        the engine is built once and shared by every request; requests never rebuild it.
    :param limits: body size and claim count limits (defaults: :class:`Limits`).
    :param build: how to build the engine when none is given.
    :param build_seconds: how long the given ``engine`` took to build (``/ready`` reports it).
    :param ui: also serve the Claim Check pages (:mod:`payer_rules.web`) under ``/ui/``, with
        the same engine and limits.
    :param freeze: at start-up, once the engine is built, move everything alive out of the
        cyclic garbage collector's sight (:func:`gc.freeze`, as the batch runners do): the
        engine, its code sets and fee tables live as long as the worker, and each full
        collection would scan them all again for nothing. For a server process (``serve``);
        a process that makes apps in passing (tests) has no need of it.
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
        if freeze:
            gc.collect()
            gc.freeze()
        yield

    judges = {path: JudgeEndpoint(stage, state) for path, stage in JUDGE_PATHS.items()}
    routes: list[BaseRoute] = [Route(path, endpoint, methods=["POST"]) for path, endpoint in judges.items()]
    routes += [
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
    app = Service(judges, routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error})
    app.state.payer_rules = state
    return app


def app_from_environment() -> Service:
    """The app factory each ``serve --workers N`` worker calls: limits (and ``--ui``) from the environment."""
    return create_app(limits=Limits.from_environment(), ui=os.environ.get(ENV_UI) == "1", freeze=True)
