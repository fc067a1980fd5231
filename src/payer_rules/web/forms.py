"""Form posts read within the service's limits: body size, body time, fields and files."""

from __future__ import annotations

from typing import Final

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message

from payer_rules.errors import echo
from payer_rules.service.app import Problem, read_body, service_state

__all__ = ["FORM_TYPES", "read_form", "upload_text"]

FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")

#: A form on these pages has a few dozen fields (a claim built line by line); no more are read.
MAX_FIELDS: Final = 400


async def read_form(request: Request) -> FormData:
    """The posted form, read whole first so the API's size and time limits hold (413, 408).

    Anything other than a form post is a 415; a form that cannot be parsed is a 400.
    """
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media not in FORM_TYPES:
        raise Problem(
            415,
            "Unsupported media type",
            f"these pages read HTML forms, not {echo(media or 'no Content-Type')}; send one of "
            f"{', '.join(FORM_TYPES)} (the JSON API is /v1/adjudicate)",
        )
    limits = service_state(request).limits
    body = await read_body(request, limits.max_body_bytes, limits.body_seconds)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        return await Request(request.scope, replay).form(
            max_files=1, max_fields=MAX_FIELDS, max_part_size=limits.max_body_bytes
        )
    except MultiPartException as exc:
        raise Problem(400, "Unreadable form", f"the form could not be read: {exc.message}") from None


async def upload_text(upload: UploadFile) -> str:
    """An uploaded file's text: UTF-8, or a 400 naming the file and the byte."""
    data = await upload.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(
            400,
            "Unreadable upload",
            f"{echo(upload.filename or 'upload')}: not UTF-8 text (byte {exc.start}); "
            "expected claim JSON, an X12 837 or FHIR",
        ) from None
