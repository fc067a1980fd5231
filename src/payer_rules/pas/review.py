"""Each item of a prior-authorization request decided by the payer's installed rules.

The engine runs the payer's ``validate`` and ``authorize`` rules on the request as if it were a
claim without an authorization number (:meth:`Engine.review <payer_rules.engine.Engine.review>`).
Per item, by the findings on its line and on the whole request:

* an authorization finding (CARC 197 / 15) says the payer requires authorization for it; then
  a ``reject`` or ``deny`` of another rule makes it **A3** (not certified), else a ``pend`` makes
  it **A4** (pended), else it is **A1** (certified in total, ENG024) and gets the request's
  authorization number for its dates and units as requested;
* no authorization finding: **NA** (no action required, ENG025), whatever else was found;
* an item with no CPT / HCPCS code: **A4** (ENG023).

The HCR01 codes are X12's (element 1371, code list 306), as the PAS ``reviewAction`` extension
carries them. Certified services are saved (:mod:`payer_rules.pas.store`) under one number per
request, which a later claim quotes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import frozen

from payer_rules.pas.honour import is_authorization_finding
from payer_rules.pas.request import PasRequest
from payer_rules.pas.rules import AUTH_APPROVED, AUTH_NOT_REQUIRED, AUTH_ONLY_RULES, SERVICE_NOT_CODED
from payer_rules.pas.store import AuthorizedService, issue_number, save
from payer_rules.results import Finding, Severity

if TYPE_CHECKING:
    from payer_rules.engine import Engine

__all__ = ["Action", "ItemReview", "PasReview", "review_request"]


class Action(StrEnum):
    """X12 HCR01 action codes (code list 306) a review answers an item with."""

    CERTIFIED = "A1"
    NOT_CERTIFIED = "A3"
    PENDED = "A4"
    NOT_REQUIRED = "NA"

    @property
    def display(self) -> str:
        return _DISPLAY[self]


_DISPLAY = {
    Action.CERTIFIED: "Certified in total",
    Action.NOT_CERTIFIED: "Not Certified",
    Action.PENDED: "Pended",
    Action.NOT_REQUIRED: "No Action Required",
}
_REFUSING = frozenset({Severity.REJECT, Severity.DENY})


@frozen(kw_only=True)
class ItemReview:
    """The answer for one item.

    Args:
        sequence: the request's ``Claim.item.sequence``.
        line: its line in the request as read (``None``: it had no procedure code).
        procedure: its CPT / HCPCS code.
        action: the HCR01 action.
        decided_by: the finding that decided it (the rule and its reason).
        findings: every finding on the item and on the whole request, strongest first.
        number: the authorization number (certified items only).
        start, end: the dates certified; units: the units certified.
    """

    sequence: int
    line: int | None
    procedure: str | None
    action: Action
    decided_by: Finding
    findings: tuple[Finding, ...]
    number: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    units: Decimal | None = None


@frozen(kw_only=True)
class PasReview:
    """A reviewed request: per item the action, and the number issued if any item was certified."""

    request: PasRequest
    payer: str
    items: tuple[ItemReview, ...]
    number: str | None
    issued: dt.date
    notes: tuple[Finding, ...] = ()


def review_request(
    engine: Engine,
    request: PasRequest,
    payer: str,
    *,
    today: dt.date | None = None,
    persist: bool = True,
    directory: Path | None = None,
) -> PasReview:
    """Decide every item of ``request`` for ``payer``; save the certified ones unless ``persist`` is false."""
    payer_id = engine.payer(payer).id
    issued = today or dt.date.today()
    claim = request.claim
    findings: list[Finding] = []
    notes: list[Finding] = []
    if claim is not None:
        # judged as if billed right after its last service: a request for services to come is
        # neither late (timely filing) nor ahead of its dates (a service after the received date)
        billed = max(line.last_service_date for line in claim.lines)
        findings, validated = engine.review(claim, payer_id, received_date=billed)
        if not validated:
            notes.append(
                AUTH_ONLY_RULES.finding(
                    f"request {request.claim_id}: the installed plugins price no claims of this kind for "
                    f"{payer_id}, so only its authorization rules judged the items"
                )
            )
    number = None
    decided: list[ItemReview] = []
    whole = [f for f in findings if f.line is None]
    for item in request.items:
        if item.line is None or claim is None:
            why = SERVICE_NOT_CODED.finding(
                f"item {item.sequence}: {item.uncoded}; nothing installed can say whether {payer_id} "
                "requires authorization for it (send the CPT / HCPCS code in productOrService or in the "
                "requested ServiceRequest / DeviceRequest)"
            )
            decided.append(
                ItemReview(
                    sequence=item.sequence,
                    line=None,
                    procedure=None,
                    action=Action.PENDED,
                    decided_by=why,
                    findings=(why,),
                )
            )
            continue
        n = item.line
        line = claim.lines[n - 1]
        mine = sorted(
            [f for f in findings if f.line == n] + whole, key=lambda f: (f.severity.rank, f.line or 0, f.code)
        )
        required = [f for f in mine if is_authorization_finding(f)]
        others = [f for f in mine if not is_authorization_finding(f)]
        refusing = [f for f in others if f.severity in _REFUSING]
        pending = [f for f in others if f.severity is Severity.PEND]
        if not required:
            why = AUTH_NOT_REQUIRED.finding(
                f"line {n}: no installed rule of {payer_id} requires authorization for {line.procedure} "
                f"on {line.service_date}; no number is issued",
                line=n,
            )
            decided.append(_item(item.sequence, n, line.procedure, Action.NOT_REQUIRED, why, mine))
        elif refusing:
            decided.append(_item(item.sequence, n, line.procedure, Action.NOT_CERTIFIED, refusing[0], mine))
        elif pending:
            decided.append(_item(item.sequence, n, line.procedure, Action.PENDED, pending[0], mine))
        else:
            number = number or issue_number()
            why = AUTH_APPROVED.finding(
                f"line {n}: {payer_id} requires authorization for {line.procedure} ({required[0].code}) and "
                f"no other installed rule refuses or pends it: certified as requested, {line.units} unit(s) "
                f"from {line.service_date} to {line.last_service_date}, authorization {number}",
                line=n,
            )
            decided.append(
                ItemReview(
                    sequence=item.sequence,
                    line=n,
                    procedure=line.procedure,
                    action=Action.CERTIFIED,
                    decided_by=why,
                    findings=(why, *mine),
                    number=number,
                    start=line.service_date,
                    end=line.last_service_date,
                    units=line.units,
                )
            )
    result = PasReview(
        request=request,
        payer=payer_id,
        items=tuple(decided),
        number=number,
        issued=issued,
        notes=tuple(notes),
    )
    if persist and number is not None and claim is not None:
        save(certified(result), directory)
    return result


def certified(review: PasReview) -> list[AuthorizedService]:
    """The services ``review`` certified, as the store keeps them."""
    claim = review.request.claim
    if claim is None:
        return []
    npis = tuple(
        sorted({p.npi for p in (claim.billing_provider, claim.rendering_provider) if p is not None and p.npi})
    )
    return [
        AuthorizedService(
            number=i.number,
            payer=review.payer,
            member_id=claim.coverage.member_id,
            npis=npis,
            procedure=i.procedure,
            start=i.start,
            end=i.end,
            units=i.units,
            item=i.sequence,
            request=review.request.claim_id,
            issued=review.issued,
            patient_last=claim.patient.last_name or "",
            patient_first=claim.patient.first_name or "",
            patient_birth=claim.patient.birth_date,
        )
        for i in review.items
        if i.action is Action.CERTIFIED
        and i.number is not None
        and i.procedure is not None
        and i.start is not None
        and i.end is not None
        and i.units is not None
    ]


def _item(
    sequence: int, line: int, procedure: str, action: Action, decided_by: Finding, findings: list[Finding]
) -> ItemReview:
    shown = findings if decided_by in findings else [decided_by, *findings]
    return ItemReview(
        sequence=sequence,
        line=line,
        procedure=procedure,
        action=action,
        decided_by=decided_by,
        findings=tuple(shown),
    )
