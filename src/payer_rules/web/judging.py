"""What the claim and what-if pages share: payers, dates and claims read from a form, judged.

Judging follows the API (``payer_rules.service.app``): the same reader, the same claim limit,
small inputs on the event loop and larger ones on the worker's single judging thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from itertools import islice
from pathlib import PurePath
from typing import Final, TypeVar

import anyio.to_thread
from starlette.datastructures import FormData
from starlette.requests import Request

from payer_rules.engine import Engine
from payer_rules.errors import InputError, UsageError, echo
from payer_rules.io.readers import read_text
from payer_rules.models import Claim
from payer_rules.service.app import INLINE_BODY_BYTES, Problem, service_state
from payer_rules.web.views import parse_date

__all__ = ["MAX_PAGE_CLAIMS", "chosen_payers", "form_date", "input_name", "read_items", "run"]

#: A result page shows this many claims at most; more belong in the batch view.
MAX_PAGE_CLAIMS: Final = 25

T = TypeVar("T")


def chosen_payers(form: FormData, engine: Engine, errors: list[str]) -> list[str]:
    """The payers ticked (``payer``), as engine ids; unknown or none are added to ``errors``."""
    payers: list[str] = []
    for raw in form.getlist("payer"):
        if not isinstance(raw, str) or not raw.strip():
            continue
        try:
            payer = engine.payer(raw.strip()).id
        except UsageError as exc:
            errors.append(str(exc))
            continue
        if payer not in payers:
            payers.append(payer)
    if not payers and not errors:
        errors.append("pick at least one payer")
    return payers


def form_date(form: FormData, name: str, label: str, errors: list[str]) -> dt.date | None:
    raw = form.get(name)
    try:
        return parse_date(raw if isinstance(raw, str) else "")
    except ValueError as exc:
        errors.append(f"{label}: {exc}")
        return None


def input_name(filename: str | None, default: str) -> str:
    """The name located errors use: the upload's base name (bounded), or ``default``."""
    name = PurePath((filename or "").replace("\\", "/")).name.strip()
    return echo(name, 80).strip("'\"") if name else default


def read_items(text: str, name: str, limit: int) -> list[Claim | InputError]:
    """Every claim (or its located error) in ``text``; more than ``limit`` is a 422."""
    items = list(islice(read_text(text, name), limit + 1))
    if len(items) > limit:
        raise Problem(
            422,
            "Too many claims",
            f"{name} holds more than {limit} claims; a page shows {limit} at most: "
            "use the batch view for a whole file",
        )
    return items


async def run(request: Request, size: int, work: Callable[[], T]) -> T:
    """``work()`` inline for small inputs, else on the worker's judging thread (as the API does)."""
    state = service_state(request)
    if size <= INLINE_BODY_BYTES or state.limiter is None:
        return work()
    return await anyio.to_thread.run_sync(work, limiter=state.limiter)


def claim_limit(request: Request) -> int:
    return min(MAX_PAGE_CLAIMS, service_state(request).limits.max_claims)


def first_claim(items: Sequence[Claim | InputError]) -> Claim | None:
    return next((item for item in items if isinstance(item, Claim)), None)
