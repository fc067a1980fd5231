"""``POST /fhir/Claim/$submit``: a Da Vinci PAS prior-authorization request over HTTP.

The body is a PAS request Bundle sent as ``application/fhir+json`` (any other ``Content-Type`` is
a 415); ``?payer=ID`` names the payer reviewing it. The answer is the PAS response Bundle
(``application/fhir+json``), exactly what ``payer-rules pas submit`` writes; certified items'
authorization number is saved in the worker's data directory, so a claim quoting it on
``/v1/adjudicate`` passes the authorization edit. A body that is no readable request is a 400
whose body is a FHIR OperationOutcome (the operation's other answer in the PAS IG), located as
the CLI locates it. Nothing from the request is logged but the claim id and the actions.
"""

from __future__ import annotations

import json
import logging

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from payer_rules.errors import InputError, UsageError, echo
from payer_rules.pas.request import read_request
from payer_rules.pas.response import operation_outcome, response_bundle
from payer_rules.pas.review import review_request
from payer_rules.service.config import LOGGER_NAME

__all__ = ["SUBMIT_PATH", "submit_endpoint"]

log = logging.getLogger(LOGGER_NAME)

SUBMIT_PATH = "/fhir/Claim/$submit"
_FHIR = "application/fhir+json"
_PARAMS = ("payer",)


async def submit_endpoint(request: Request) -> Response:
    from payer_rules.service.app import (
        INLINE_BODY_BYTES,
        Problem,
        negotiate,
        read_body,
        ready_engine,
        service_state,
    )

    state = service_state(request)
    engine = ready_engine(request)
    if negotiate(request.headers.get("accept"), (_FHIR,)) is None:
        raise Problem(
            406, "Not acceptable", f"a PAS response comes as {_FHIR}, not {request.headers.get('accept')!r}"
        )
    unknown = sorted(set(request.query_params) - set(_PARAMS))
    if unknown:
        raise Problem(400, "Bad parameter", f"unknown query parameter {', '.join(unknown)}; known: payer")
    payers = request.query_params.getlist("payer")
    if len(payers) != 1 or not payers[0].strip():
        raise Problem(
            400,
            "Bad parameter",
            f"name the one payer reviewing the request: ?payer=ID (known: {', '.join(engine.payers)})",
        )
    try:
        payer = engine.payer(payers[0]).id
    except UsageError as exc:
        raise Problem(422, "Unknown payer", str(exc)) from None
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != _FHIR:
        raise Problem(
            415,
            "Unsupported media type",
            f"a PAS request is a FHIR Bundle sent as {_FHIR}, not {echo(media or 'no Content-Type')}",
        )
    body = await read_body(request, state.limits.max_body_bytes, state.limits.body_seconds)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = ""
        error: InputError | None = InputError("request.fhir.json", f"not UTF-8 text (byte {exc.start})")
    else:
        error = None

    def work() -> tuple[int, dict[str, object], str]:
        if error is not None:
            return 400, operation_outcome(error), "-"
        read = read_request(text, "request.fhir.json")
        if isinstance(read, InputError):
            return 400, operation_outcome(read), read.claim_id or "-"
        review = review_request(engine, read, payer)
        actions = ",".join(f"{i.sequence}:{i.action}" for i in review.items)
        return 200, response_bundle(review), f"{read.claim_id} actions={actions}"

    if len(body) <= INLINE_BODY_BYTES:
        status, answer, said = work()
    else:
        status, answer, said = await anyio.to_thread.run_sync(work, limiter=state.limiter)
    request.state.claims = 1 if status == 200 else 0
    log.info("request=%s pas payer=%s claim=%s", request.state.request_id, payer, said)
    return Response(json.dumps(answer).encode("utf-8"), status_code=status, media_type=_FHIR)
