"""What-if in place: change a modifier, a diagnosis, a date or units on the result page and see
what moves for every payer, as ``payer-rules what-if`` prints it.

The form posts the claim back (as claim JSON) with the edited fields; each edit becomes a
``what-if`` change (``line1.modifiers=GA``, ``diagnoses=S93.401A``) and goes through
:mod:`payer_rules.compare.whatif`, the machinery the command uses.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from attrs import frozen
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from payer_rules.codesets.registry import normalize
from payer_rules.compare.whatif import Movement, apply_changes, movements, parse_change, write_movements
from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.errors import UsageError
from payer_rules.models import Claim
from payer_rules.service.app import Problem, ready_engine
from payer_rules.web.forms import read_form
from payer_rules.web.judging import chosen_payers, first_claim, form_date, read_items, run
from payer_rules.web.render import page
from payer_rules.web.views import Answer, ClaimView, answer

__all__ = ["ROUTES", "WhatIf", "changes_from_form"]


@frozen
class WhatIf:
    """The changes asked for and what moved, payer by payer."""

    changes: tuple[str, ...]
    movements: tuple[Movement, ...]
    text: str  #: as ``what-if --format table`` prints it
    after: tuple[Answer, ...]
    error: str = ""


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def changes_from_form(form: FormData, claim: Claim) -> list[str]:
    """The edits as ``what-if`` changes: only fields whose value differs from the claim's."""
    changes: list[str] = []
    diagnoses = _text(form, "diagnoses")
    if diagnoses is not None:
        codes = [normalize(code) for code in _split(diagnoses)]
        if codes != [d.code for d in claim.diagnoses]:
            changes.append(f"diagnoses={','.join(codes)}")
    for n, line in enumerate(claim.lines, start=1):
        modifiers = _text(form, f"line{n}.modifiers")
        if modifiers is not None:
            mods = [m.upper() for m in _split(modifiers)]
            if mods != list(line.modifiers):
                changes.append(f"line{n}.modifiers={','.join(mods)}")
        units = _text(form, f"line{n}.units")
        if units is not None and units.strip():
            try:
                different = Decimal(units.strip()) != line.units
            except InvalidOperation:
                raise UsageError(f"line {n} units: expected a number, got {units.strip()[:20]!r}") from None
            if different:
                changes.append(f"line{n}.units={units.strip()}")
        date = _text(form, f"line{n}.service_date")
        if date is not None and date.strip() and date.strip() != line.service_date.isoformat():
            changes.append(f"line{n}.service_date={date.strip()}")
    more = _text(form, "changes") or ""
    changes += [text.strip() for text in more.splitlines() if text.strip()]
    return changes


async def whatif_endpoint(request: Request) -> Response:
    engine = ready_engine(request)
    form = await read_form(request)
    errors: list[str] = []
    payers = chosen_payers(form, engine, errors)
    as_of = form_date(form, "as_of", "Rules as of", errors)
    text = _text(form, "claim") or ""
    claim = first_claim(read_items(text, "the claim posted back", 1)) if text.strip() else None
    if claim is None:
        raise Problem(400, "No claim", "the what-if form posts the claim back; test a claim first")
    if errors:
        raise Problem(400, "Bad form", "; ".join(errors))

    def work() -> WhatIf:
        try:
            changes = changes_from_form(form, claim)
            if not changes:
                return WhatIf((), (), "", (), error="nothing changed: edit a field, then ask again")
            changed = apply_changes(claim, [parse_change(c) for c in changes])
            moved = movements(engine, claim, changed, payers, as_of=as_of)
        except UsageError as exc:
            return WhatIf((), (), "", (), error=str(exc))
        stream = io.StringIO()
        write_movements(stream, changes, moved)
        return WhatIf(
            tuple(changes),
            tuple(moved),
            stream.getvalue(),
            tuple(answer(engine, m.after) for m in moved),
        )

    result = await run(request, len(text), work)
    before = (
        tuple(answer(engine, m.before) for m in result.movements)
        if result.movements
        else await run(request, len(text), lambda: _judge(engine, claim, payers, as_of))
    )
    request.state.claims = 1
    view = ClaimView(claim=claim, error=None, answers=before)
    return page(
        request,
        "claim/result.html.j2",
        status=400 if result.error else 200,
        active="claim",
        views=[view],
        payers=payers,
        as_of=as_of,
        whatif=result,
    )


def _judge(engine: Engine, claim: Claim, payers: list[str], as_of: dt.date | None) -> tuple[Answer, ...]:
    """Each payer's answer to the claim as it is (shown when the what-if could not run)."""
    return tuple(answer(engine, engine.adjudicate(claim, p, session=Session(), as_of=as_of)) for p in payers)


ROUTES = (("/what-if", whatif_endpoint, ("POST",), "whatif"),)
