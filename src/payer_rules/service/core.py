"""What every endpoint of the service shares: problems, the worker's state, media types, request ids
and the request log line.

Kept apart from :mod:`payer_rules.service.app` (the Starlette app and its catalogue endpoints) so
that the judge endpoints (:mod:`payer_rules.service.judge`), which answer over plain ASGI, use the
same pieces without importing the app that routes to them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

import anyio
from attrs import define, field
from starlette.responses import Response

from payer_rules import __version__
from payer_rules.engine import Engine, Stages
from payer_rules.io import writers as _writers
from payer_rules.io.writers import WRITERS
from payer_rules.service.config import LOGGER_NAME, Limits

__all__ = [
    "FHIR",
    "HELD_BACK_HEADER",
    "INLINE_BODY_BYTES",
    "JSON",
    "MEDIA_TYPES",
    "MONEY_ONLY_FORMATS",
    "NDJSON",
    "PROBLEM",
    "X12",
    "Problem",
    "ServiceState",
    "body_too_large",
    "body_too_slow",
    "dumps",
    "log_request",
    "negotiate",
    "new_request_id",
    "request_id",
    "unexpected",
]

log = logging.getLogger(LOGGER_NAME)

JSON: Final = "application/json"
NDJSON: Final = "application/x-ndjson"
X12: Final = "application/edi-x12"
FHIR: Final = "application/fhir+json"
PROBLEM: Final = "application/problem+json"

#: ``Accept`` media type -> writer name in :data:`payer_rules.io.writers.WRITERS`; offered only
#: when that writer is installed, JSON first (the default for ``*/*`` or no ``Accept``).
MEDIA_TYPES: Final = {JSON: "json", NDJSON: "ndjson", X12: "x12-835", FHIR: "fhir"}

#: Writers whose format reports money, so not offered for ``check`` (absent on older builds).
MONEY_ONLY_FORMATS: Final[frozenset[str]] = getattr(_writers, "MONEY_ONLY_FORMATS", frozenset({"x12-835"}))

#: Bodies up to this size (a handful of claims, a millisecond or two of work) are judged on the
#: event loop: handing them to a thread costs more than the work, in GIL hand-offs. Larger
#: ones go to the worker's single judging thread so the loop keeps serving health checks.
INLINE_BODY_BYTES: Final = 16 * 1024

#: Response header of an 835: how many pended results were held back from it.
HELD_BACK_HEADER = "Payer-Rules-Held-Back"

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_random_bits = random.getrandbits


def dumps(value: Any) -> bytes:
    """The stdlib's compact JSON, UTF-8: what problem documents and catalogue answers are written with."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Problem(Exception):
    """An RFC 9457 problem: the response for a request the service will not judge."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.extra = extra

    def document(self, request_id: str) -> bytes:
        """The ``application/problem+json`` body."""
        return dumps(
            {
                "type": "about:blank",
                "title": self.title,
                "status": self.status,
                "detail": self.detail,
                "request_id": request_id,
                **self.extra,
            }
        )

    def response(self, request_id: str) -> Response:
        return Response(self.document(request_id), status_code=self.status, media_type=PROBLEM)


def body_too_large(limit: int) -> Problem:
    return Problem(
        413,
        "Request body too large",
        f"the request body exceeds the limit of {limit} bytes (max_body_bytes); "
        "send fewer claims per request",
        limit={"name": "max_body_bytes", "value": limit},
    )


def body_too_slow(seconds: float, size: int) -> Problem:
    return Problem(
        408,
        "Request timeout",
        f"the request body did not arrive within {seconds:g} seconds (body_seconds); {size} bytes came",
        limit={"name": "body_seconds", "value": seconds},
    )


def unexpected(exc: Exception, request_id: str) -> Problem:
    """A 500 for an exception no endpoint expected, logged by type only: its message may quote a claim."""
    log.error("request=%s unexpected %s (details withheld from the log)", request_id, type(exc).__name__)
    return Problem(500, "Internal error", f"{type(exc).__name__}: {exc}")


def new_request_id() -> str:
    """16 hex digits laid out as the first half of a random UUID (version 4), without building one.

    From the ``random`` module's generator, not the system's: a request id ties a response to
    its log lines and is no secret, and asking the kernel for bytes cost a system call on
    every request. (``random`` reseeds itself in a forked worker.)
    """
    return f"{_random_bits(64) & ~0xF000 | 0x4000:016x}"  # the version nibble, as uuid.uuid4() sets it


def request_id(given: str) -> str:
    """The client's ``X-Request-ID`` when it is a plain token, else a fresh one."""
    return given if given and _REQUEST_ID.match(given) else new_request_id()


def log_request(request_id: str, method: str, path: str, status: int, claims: int, started: float) -> None:
    """The one request line (INFO): id, method, path, status, claims, milliseconds; nothing of a claim."""
    ms = (time.perf_counter() - started) * 1000
    log.info(
        "request=%s %s %s %d claims=%d ms=%.1f",
        request_id,
        method,
        path,
        status,
        claims,
        ms,
        extra={
            "request_id": request_id,
            "method": method,
            "path": path,
            "http_status": status,
            "claims": claims,
            "ms": round(ms, 1),
        },
    )


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
    #: ``Payer-Rules-Versions``: the same on every response, so made once (and as bytes, for
    #: the judge endpoints' raw ASGI headers)
    versions_header: str = ""
    versions_header_raw: bytes = b""
    #: what the judge endpoints made of a query string or an ``Accept`` header, kept so that
    #: the same request parameters are not parsed and looked up again on every request
    #: (:mod:`payer_rules.service.judge`); emptied with a new engine
    memo: dict[object, object] = field(factory=dict)

    def ready(self, engine: Engine, seconds: float | None) -> None:
        self.engine = engine
        self.versions = {"payer-rules": __version__}
        self.versions.update({p.distribution: p.version for p in engine.plugins})
        self.built_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.build_seconds = round(seconds, 3) if seconds is not None else None
        self.versions_header = ", ".join(f"{name}={version}" for name, version in self.versions.items())
        self.versions_header_raw = self.versions_header.encode("latin-1")
        self.offers = tuple(media for media, writer in MEDIA_TYPES.items() if _writer_works(writer))
        self.memo.clear()
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
