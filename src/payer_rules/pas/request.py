"""A Da Vinci PAS ``Claim/$submit`` request in: one Bundle, one Claim with ``use = preauthorization``.

The Claim is read by the FHIR claim reader (every Reference form, the run's payer standing in
where none is named) with two differences a request needs: charges are optional, and an item
that names its service only by an X12 service type (``https://codesystem.x12.org/005010/1365``,
"Consultation") is set aside for its own answer (ENG023, pended) unless its requested-service
resource (``extension-requestedService``: a ServiceRequest, DeviceRequest ...) carries a CPT /
HCPCS code. Anything else wrong is one located error, ``file: entry[0] Claim/id: what @ $.path``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from payer_rules.errors import InputError, echo
from payer_rules.io.fhir.reader import (
    FhirProblem,
    NoItemCoded,
    ReferenceIndex,
    RequestItems,
    read_claim_resource,
)
from payer_rules.io.fhir.validate import available, structural_errors
from payer_rules.io.json_claims import decode_json_value
from payer_rules.models import Claim

__all__ = ["PasItem", "PasRequest", "RequestError", "read_request"]


@frozen(kw_only=True)
class PasItem:
    """One ``Claim.item`` of the request.

    Args:
        sequence: ``Claim.item.sequence`` (echoed as ``ClaimResponse.item.itemSequence``).
        line: the line of :attr:`PasRequest.claim` it became (1-based), or ``None``.
        uncoded: why it became no line (no CPT / HCPCS code).
    """

    sequence: int
    line: int | None
    uncoded: str = ""


@frozen(kw_only=True)
class PasRequest:
    """A prior-authorization request as read.

    Args:
        claim: the items with a procedure code as the lines of a claim; ``None`` when no item has one.
        claim_id: the Claim's id.
        resource: the Claim resource as sent (references and identifiers are echoed from it).
        full_url: its Bundle entry's ``fullUrl``.
        items: every item, in request order.
        bundle: the request Bundle (``None`` for a bare Claim).
        resolve: finds the resource a Reference of the request points at inside it.
    """

    claim: Claim | None
    claim_id: str
    resource: Mapping[str, Any]
    full_url: str | None
    items: tuple[PasItem, ...]
    bundle: Mapping[str, Any] | None
    index: ReferenceIndex

    def resolve(self, ref: Any, *kinds: str) -> Mapping[str, Any] | None:
        return self.index.resolve(ref, self.resource, kinds=kinds)


class RequestError(InputError):
    """A request that breaks FHIR R4's structure: located at its first error, carrying them all
    (``issues``: FHIRPath-like expression and message) for the OperationOutcome."""

    def __init__(
        self, location: str, message: str, *, claim_id: str | None, issues: list[tuple[str, str]]
    ) -> None:
        super().__init__(location, message, claim_id=claim_id)
        self.issues = issues


def _structural(data: Mapping[str, Any], name: str) -> RequestError | None:
    """The request's structural errors (``fhir.resources``), when it is installed."""
    if not available():
        return None
    errors = structural_errors(data)
    if not errors:
        return None
    kind = str(data.get("resourceType"))
    issues = [(kind + e.json_path()[1:], e.message) for e in errors]
    first = errors[0]
    more = f" (and {len(errors) - 1} more structural errors)" if len(errors) > 1 else ""
    return RequestError(
        name, f"not valid FHIR R4: {first.message}{more} @ {first.json_path()}", claim_id=None, issues=issues
    )


def read_request(text: str, name: str) -> PasRequest | InputError:
    """The request in ``text`` (a PAS request Bundle, or a bare Claim), or a located error.

    The request is validated structurally first (:mod:`payer_rules.io.fhir.validate`) when
    ``fhir.resources`` is installed: a request that breaks FHIR R4's structure is refused whole,
    every error listed, as a payer's PAS endpoint would.
    """
    try:
        data = decode_json_value(text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        return InputError(f"{name}:{line}:{col}", f"invalid JSON: {getattr(exc, 'msg', exc)}")
    if not isinstance(data, dict):
        return InputError(name, f"expected a FHIR Bundle (a JSON object), got {echo(data)}")
    kind = data.get("resourceType")
    if kind in ("Claim", "Bundle"):
        invalid = _structural(data, name)
        if invalid is not None:
            return invalid
    if kind == "Claim":
        return _read(data, None, None, ReferenceIndex([data], []), name, "Claim")
    if kind != "Bundle":
        return InputError(
            name,
            f"a FHIR {echo(kind)} is not a prior-authorization request; expected a Bundle holding a Claim",
        )
    entries = data.get("entry")
    if not isinstance(entries, list):
        return InputError(name, f"Bundle.entry must be a list of entries, got {echo(entries)} @ $.entry")
    claims = [
        (n, e)
        for n, e in enumerate(entries)
        if isinstance(e, dict)
        and isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") == "Claim"
    ]
    if len(claims) != 1:
        return InputError(
            name,
            f"the Bundle holds {len(claims)} Claim resources; a PAS request holds exactly one "
            "(Da Vinci PAS PASRequestBundle) @ $.entry",
        )
    [(n, entry)] = claims
    resource = entry["resource"]
    index = ReferenceIndex.of_entries(entries)
    label = f"entry[{n}] Claim/{resource.get('id', '?')}"
    full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
    return _read(resource, data, full_url, index, name, label)


def _read(
    resource: Mapping[str, Any],
    bundle: Mapping[str, Any] | None,
    full_url: str | None,
    index: ReferenceIndex,
    name: str,
    label: str,
) -> PasRequest | InputError:
    raw_id = resource.get("id") or next(
        (i.get("value") for i in resource.get("identifier") or [] if isinstance(i, dict) and i.get("value")),
        "",
    )
    claim_id = str(raw_id) if isinstance(raw_id, (str, int)) else echo(raw_id)
    found = RequestItems()
    claim: Claim | None
    try:
        claim = read_claim_resource(resource, index, claim_id, found)
    except NoItemCoded:
        claim = None
    except FhirProblem as exc:
        where = f" @ $.{exc.path}" if exc.path else ""
        return InputError(f"{name}: {label}", f"{exc}{where}", claim_id=claim_id or None)
    except (ValueError, TypeError) as exc:
        return InputError(f"{name}: {label}", str(exc), claim_id=claim_id or None)
    except (AttributeError, KeyError, IndexError):
        return InputError(
            f"{name}: {label}",
            "an element has the wrong JSON type (an object or a list where the other, or a value, was "
            "expected); expected a Da Vinci PAS Claim",
            claim_id=claim_id or None,
        )
    lines = {index_: line for line, (index_, _seq) in enumerate(found.lines, 1)}
    sequences = dict(found.lines) | {i: seq for i, seq, _why in found.uncoded}
    why = {i: reason for i, _seq, reason in found.uncoded}
    items = tuple(
        PasItem(sequence=sequences[i], line=lines.get(i), uncoded=why.get(i, "")) for i in sorted(sequences)
    )
    return PasRequest(
        claim=claim,
        claim_id=claim_id,
        resource=resource,
        full_url=full_url,
        items=items,
        bundle=bundle,
        index=index,
    )
