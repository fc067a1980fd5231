"""Test a claim: paste, upload or build one; pick payers; read each payer's answer line by line."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from payer_rules.context import Session
from payer_rules.engine import RUNNER_CHUNK_SIZE, Engine
from payer_rules.errors import InputError
from payer_rules.models import Claim
from payer_rules.service.app import ready_engine
from payer_rules.web.builder import DEFAULTS, MAX_LINES, FormLine, blank_lines, claim_from_form, form_lines
from payer_rules.web.forms import read_form, upload_text
from payer_rules.web.judging import chosen_payers, claim_limit, form_date, input_name, read_items, run
from payer_rules.web.render import page
from payer_rules.web.views import claim_views

__all__ = ["ROUTES"]


def form_page(
    request: Request,
    engine: Engine,
    *,
    values: dict[str, str] | None = None,
    lines: list[FormLine] | None = None,
    chosen: list[str] | None = None,
    pasted: str = "",
    as_of: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "claim/form.html.j2",
        status=status,
        active="claim",
        payers=list(engine.payers.values()),
        chosen=set(chosen if chosen is not None else engine.payers),
        values={**DEFAULTS, **(values or {})},
        lines=lines or blank_lines(),
        max_lines=MAX_LINES,
        pasted=pasted,
        as_of=as_of,
        errors=errors or [],
    )


async def form_endpoint(request: Request) -> Response:
    return form_page(request, ready_engine(request))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def check_endpoint(request: Request) -> Response:
    engine = ready_engine(request)
    form = await read_form(request)
    errors: list[str] = []
    payers = chosen_payers(form, engine, errors)
    as_of = form_date(form, "as_of", "Rules as of", errors)
    pasted = _text(form, "claim_text")
    upload = form.get("upload")
    values = {name: _text(form, name) for name in DEFAULTS}
    lines = form_lines(form) or blank_lines()

    def again(messages: list[str]) -> Response:
        return form_page(
            request,
            engine,
            values=values,
            lines=lines,
            chosen=payers,
            pasted=pasted,
            as_of=_text(form, "as_of"),
            errors=messages,
            status=400,
        )

    if errors:
        return again(errors)
    items: list[Claim | InputError]
    size = 0
    if isinstance(upload, UploadFile) and upload.filename:
        text = await upload_text(upload)
        size = len(text)
        items = read_items(text, input_name(upload.filename, "upload"), claim_limit(request))
    elif pasted.strip():
        size = len(pasted)
        items = read_items(pasted, "pasted claim", claim_limit(request))
    else:
        items = [claim_from_form(form, payers[0])]
    if not any(isinstance(item, Claim) for item in items):
        return again([str(item) for item in items] or ["no claims in the input"])

    def work() -> list[Any]:
        pairs = engine.adjudicate_pairs(
            items, payers, session=Session(), as_of=as_of, chunk_size=RUNNER_CHUNK_SIZE
        )
        return claim_views(engine, pairs, payers)

    views = await run(request, size, work)
    request.state.claims = len(views)
    return page(
        request,
        "claim/result.html.j2",
        active="claim",
        views=views,
        payers=payers,
        as_of=as_of,
        whatif=None,
    )


ROUTES = (
    ("/", form_endpoint, ("GET",), "claim"),
    ("/check", check_endpoint, ("POST",), "check"),
)
