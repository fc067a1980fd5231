"""A reviewed request out: a Da Vinci PAS response Bundle holding one PASClaimResponse (STU 2).

Per item (``ClaimResponse.item``, ``itemSequence`` echoing the request): one adjudication of
category ``submitted`` (the profile fixes it) carrying the ``reviewAction`` extension -- its
``code`` sub-extension (``extension-reviewActionCode``) an X12 HCR01 code
(``https://codesystem.x12.org/005010/306``: A1, A3, A4, NA) and, when certified, ``number`` --
and ``reason`` coded with the payer-rules rule that decided (``https://payer-rules.dev/fhir/
CodeSystem/rule``, the message as its text); ``noteNumber`` points at every finding on the item,
each a ``processNote``. Certified items carry ``itemPreAuthIssueDate`` and ``itemPreAuthPeriod``;
the response carries the number as ``preAuthRef`` and the span of certified dates as
``preAuthPeriod``. The Patient, insurer and requestor the response references are copied from
the request with their ``fullUrl``, so the references resolve inside the response.

An unreadable request gets no Bundle: :func:`operation_outcome` says where it broke.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Mapping
from typing import Any

from payer_rules.errors import InputError
from payer_rules.pas.review import Action, PasReview
from payer_rules.results import Finding

__all__ = [
    "PAS",
    "REVIEW_ACTION",
    "REVIEW_ACTION_CODE",
    "RULE_SYSTEM",
    "X12_ACTION_CODES",
    "operation_outcome",
    "response_bundle",
]

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
REVIEW_ACTION = PAS + "extension-reviewAction"
REVIEW_ACTION_CODE = PAS + "extension-reviewActionCode"
ITEM_PREAUTH_ISSUE_DATE = PAS + "extension-itemPreAuthIssueDate"
ITEM_PREAUTH_PERIOD = PAS + "extension-itemPreAuthPeriod"
X12_ACTION_CODES = "https://codesystem.x12.org/005010/306"
RULE_SYSTEM = "https://payer-rules.dev/fhir/CodeSystem/rule"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
_ID = re.compile(r"[^A-Za-z0-9.\-]")


def _now() -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def response_bundle(review: PasReview, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The PAS response Bundle for ``review``."""
    moment = now or _now()
    request = review.request
    resource = request.resource
    notes: list[dict[str, Any]] = []
    numbers: dict[int, int] = {}  # id(finding) -> processNote number

    def note(f: Finding) -> int:
        key = id(f)
        if key not in numbers:
            numbers[key] = len(notes) + 1
            notes.append(
                {"number": numbers[key], "type": "display", "text": f"{f.code} ({f.severity}): {f.message}"}
            )
        return numbers[key]

    for f in review.notes:
        note(f)
    items = []
    for item in review.items:
        action_ext: list[dict[str, Any]] = [
            {
                "url": REVIEW_ACTION_CODE,
                "valueCodeableConcept": {
                    "coding": [
                        {"system": X12_ACTION_CODES, "code": str(item.action), "display": item.action.display}
                    ]
                },
            }
        ]
        if item.number:
            action_ext.append({"url": "number", "valueString": item.number})
        entry: dict[str, Any] = {"itemSequence": item.sequence}
        if item.action is Action.CERTIFIED and item.start and item.end:
            entry["extension"] = [
                {"url": ITEM_PREAUTH_ISSUE_DATE, "valueDate": review.issued.isoformat()},
                {
                    "url": ITEM_PREAUTH_PERIOD,
                    "valuePeriod": {"start": item.start.isoformat(), "end": item.end.isoformat()},
                },
            ]
        entry["noteNumber"] = [note(f) for f in item.findings]
        entry["adjudication"] = [
            {
                "extension": [{"url": REVIEW_ACTION, "extension": action_ext}],
                "category": {"coding": [{"system": ADJUDICATION, "code": "submitted"}]},
                "reason": {
                    "coding": [{"system": RULE_SYSTEM, "code": item.decided_by.code}],
                    "text": item.decided_by.message,
                },
            }
        ]
        items.append(entry)
    counts: dict[Action, int] = {}
    for item in review.items:
        counts[item.action] = counts.get(item.action, 0) + 1
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": _ID.sub("-", f"{review.payer}-{request.claim_id}")[:64] or "response",
        "meta": {"profile": [PAS + "profile-claimresponse"]},
    }
    identifiers = [i for i in resource.get("identifier") or [] if isinstance(i, dict)]
    if identifiers:
        response["identifier"] = identifiers
    certified = [i for i in review.items if i.action is Action.CERTIFIED and i.start and i.end]
    response |= {
        "status": "active",
        "type": resource.get("type")
        if isinstance(resource.get("type"), dict)
        else {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]
        },
        "use": "preauthorization",
        "patient": _reference(
            resource.get("patient"), request.claim.patient.id if request.claim else "unknown"
        ),
        "created": moment.isoformat(),
        "insurer": _reference(resource.get("insurer"), review.payer),
        **({"requestor": resource["provider"]} if isinstance(resource.get("provider"), dict) else {}),
        "request": _request_reference(request.full_url, identifiers, request.claim_id),
        "outcome": "partial" if Action.PENDED in counts else "complete",
        "disposition": ", ".join(
            f"{n} {a.display.lower()} ({a})" for a, n in sorted(counts.items(), key=lambda kv: str(kv[0]))
        ),
    }
    if review.number and certified:
        response["preAuthRef"] = review.number
        response["preAuthPeriod"] = {
            "start": min(i.start for i in certified if i.start).isoformat(),
            "end": max(i.end for i in certified if i.end).isoformat(),
        }
    response["item"] = items
    if notes:
        response["processNote"] = notes
    entries: list[dict[str, Any]] = [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": response}]
    entries += _referenced(review, resource)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [PAS + "profile-pas-response-bundle"]},
    }
    if request.bundle is not None and isinstance(request.bundle.get("identifier"), dict):
        bundle["identifier"] = request.bundle["identifier"]
    bundle |= {"type": "collection", "timestamp": moment.isoformat(), "entry": entries}
    return bundle


def _reference(ref: Any, fallback: str) -> dict[str, Any]:
    if isinstance(ref, dict) and (ref.get("reference") or ref.get("identifier") or ref.get("display")):
        return dict(ref)
    return {"display": fallback}


def _request_reference(
    full_url: str | None, identifiers: list[dict[str, Any]], claim_id: str
) -> dict[str, Any]:
    if full_url:
        return {"reference": full_url}
    if identifiers:
        return {"identifier": identifiers[0]}
    return {"reference": f"Claim/{claim_id}"}


def _referenced(review: PasReview, resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The request's entries for the Patient, insurer and requestor the response points at."""
    bundle = review.request.bundle
    if bundle is None:
        return []
    wanted = [
        review.request.resolve(resource.get("patient"), "Patient"),
        review.request.resolve(resource.get("insurer"), "Organization"),
        review.request.resolve(resource.get("provider"), "Practitioner", "PractitionerRole", "Organization"),
    ]
    found: list[dict[str, Any]] = []
    for entry in bundle.get("entry") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("fullUrl"), str):
            continue
        if any(entry.get("resource") is w for w in wanted if w is not None) and entry not in found:
            found.append({"fullUrl": entry["fullUrl"], "resource": entry["resource"]})
    return found


def operation_outcome(error: InputError) -> dict[str, Any]:
    """An OperationOutcome for a request that could not be read (the $submit operation's other
    answer): one issue per structural error, else one for the located error."""
    issues: list[tuple[str, str]] = getattr(error, "issues", [])
    if issues:
        return {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": "structure",
                    "diagnostics": f"{error.location}: {text}",
                    "expression": [where],
                }
                for where, text in issues
            ],
        }
    issue: dict[str, Any] = {
        "severity": "error",
        "code": "structure" if "invalid JSON" in error.message else "invalid",
        "diagnostics": str(error),
    }
    if " @ $." in error.message:
        issue["expression"] = ["Claim." + error.message.rsplit(" @ $.", 1)[1]]
    return {"resourceType": "OperationOutcome", "issue": [issue]}
