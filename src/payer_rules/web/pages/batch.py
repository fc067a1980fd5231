"""Batch view: upload a file of claims, get the comparison report ``compare --format html`` writes.

The report is the same page, from the same writer (:class:`~payer_rules.compare.html.HtmlComparison`),
shown in the browser or downloaded as a file. Nothing is kept on the server: a download is the
same post answered as an attachment.
"""

from __future__ import annotations

import io
from itertools import islice
from typing import Final

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from payer_rules.compare.html import HtmlComparison, ReportContext
from payer_rules.compare.run import run_comparison
from payer_rules.context import Session
from payer_rules.engine import RUNNER_CHUNK_SIZE
from payer_rules.errors import InputError
from payer_rules.io.readers import read_text
from payer_rules.models import Claim
from payer_rules.service.app import Problem, ready_engine, service_state
from payer_rules.web.forms import read_form, upload_text
from payer_rules.web.judging import chosen_payers, form_date, input_name, run
from payer_rules.web.render import HEADERS, page

__all__ = ["REPORT_HEADERS", "ROUTES"]

#: The report carries its CSS and script inline (it is one self-contained file), so its page
#: allows inline ones and nothing else; every value in it is escaped by its templates.
REPORT_HEADERS: Final = {
    **HEADERS,
    "content-security-policy": (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}
REPORT_NAME: Final = "comparison-report.html"


async def batch_endpoint(request: Request) -> Response:
    engine = ready_engine(request)
    return page(
        request,
        "batch/form.html.j2",
        active="batch",
        payers=list(engine.payers.values()),
        chosen=set(engine.payers),
        errors=[],
        max_claims=service_state(request).limits.max_claims,
        max_bytes=service_state(request).limits.max_body_bytes,
    )


async def report_endpoint(request: Request) -> Response:
    engine = ready_engine(request)
    state = service_state(request)
    form = await read_form(request)
    errors: list[str] = []
    payers = chosen_payers(form, engine, errors)
    as_of = form_date(form, "as_of", "Rules as of", errors)
    upload = form.get("upload")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.append("choose a file of claims to upload")
    if errors or not isinstance(upload, UploadFile):
        return page(
            request,
            "batch/form.html.j2",
            status=400,
            active="batch",
            payers=list(engine.payers.values()),
            chosen=set(payers),
            errors=errors,
            max_claims=state.limits.max_claims,
            max_bytes=state.limits.max_body_bytes,
        )
    text = await upload_text(upload)
    name = input_name(upload.filename, "upload")
    limit = state.limits.max_claims
    items: list[Claim | InputError] = list(islice(read_text(text, name), limit + 1))
    if len(items) > limit:
        raise Problem(
            422,
            "Too many claims",
            f"{name} holds more than {limit} claims (max_claims); split it, or run payer-rules compare on it",
            limit={"name": "max_claims", "value": limit},
        )
    if not any(isinstance(item, Claim) for item in items):
        raise Problem(400, "Unreadable claims", "; ".join(str(e) for e in items[:5]) or f"{name}: no claims")

    def work() -> str:
        stream = io.StringIO()
        writer = HtmlComparison(stream, payers, ReportContext.of(engine, payers, as_of=as_of))
        pairs = engine.adjudicate_pairs(
            items, payers, session=Session(), as_of=as_of, chunk_size=RUNNER_CHUNK_SIZE
        )
        run_comparison(pairs, payers, writer, {code: rule.name for code, rule in engine.rules.items()})
        return stream.getvalue()

    report = await run(request, len(text), work)
    request.state.claims = len(items)
    download = form.get("action") == "download"
    disposition = "attachment" if download else "inline"
    return Response(
        report,
        media_type="text/html; charset=utf-8",
        headers={**REPORT_HEADERS, "content-disposition": f'{disposition}; filename="{REPORT_NAME}"'},
    )


ROUTES = (
    ("/batch", batch_endpoint, ("GET",), "batch"),
    ("/batch/report", report_endpoint, ("POST",), "report"),
)
