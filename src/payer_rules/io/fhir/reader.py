"""FHIR R4 ``Claim`` resources in: a Claim, or a Bundle holding Claims and what they reference.

References are resolved inside the file in every form FHIR R4 allows (see :class:`_Index`):
relative ``Patient/1``, absolute URLs, ``urn:uuid:`` full URLs, ``#contained`` and logical
(``identifier`` only). A logical reference nothing in the file answers is used as it is: an NPI
as the provider's NPI, a payer identifier as the payer id. A Claim naming no payer reads with an
empty ``Coverage.payer_id``; the engine judges it as the run's payer and says so (ENG019,
:mod:`payer_rules.payer_standin`). Each
Claim yields a :class:`~payer_rules.models.Claim` or an :class:`~payer_rules.errors.InputError`
located as ``file: entry[3] Claim/abc: what is wrong @ $.item[0].servicedDate``.

Plain dicts are read here rather than ``fhir.resources`` models: it is a heavy import (pydantic)
for a reader that needs a dozen paths, and validating a Bundle costs about 6 times reading it.
With ``PAYER_RULES_FHIR_VALIDATE=1`` a file is validated structurally first
(:mod:`payer_rules.io.fhir.validate`, errors in FHIR's terms, located per Claim); the tests
validate what the writer produces with ``fhir.resources``.

Institutional claims (``type`` institutional) carry the UB-04 data as CARIN Blue Button (C4BB)
and HL7 terminology spell it:

* ``supportingInfo`` by category (``C4BBSupportingInfoType``): ``typeofbill`` (type of bill),
  ``admtype`` (admission type), ``pointoforigin`` (admission source), ``discharge-status``
  (patient status; R4's own ``discharge`` category too) and ``admissionperiod``
  (``timingPeriod.start`` is the admission date); the value is the ``code``.
* ``supportingInfo`` by the ``code``'s system: condition codes (HL7 v2 table 0043), occurrence
  codes with ``timingDate`` (0350), occurrence spans with ``timingPeriod`` (0351) and value codes
  with ``valueQuantity.value`` (0153).
* ``diagnosis.type`` ``principal`` / ``admitting``, ``diagnosis.onAdmission`` (POA);
  ``procedure`` ICD-10-PCS with ``date``, principal (``type`` primary / principal) first.
* ``careTeam.role`` ``attending`` / ``operating`` (C4BB claim care team roles).
* ``item.revenue`` (NUBC revenue code); an item whose ``productOrService`` has no code, or the
  data-absent-reason ``not-applicable``, is a revenue-code-only line.
* The facility's CCN: an ``identifier`` of the billing provider whose ``system`` is the CMS
  Certification Number OID (``urn:oid:2.16.840.1.113883.4.336``, HL7 NamingSystem ``CCN``),
  Blue Button's ``prvdr_num``, or whose ``type`` is HL7 v2-0203 ``PRN`` (provider number).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from payer_rules.errors import InputError, echo
from payer_rules.io.fhir.validate import StructuralError, structural_errors, validation_wanted
from payer_rules.io.json_claims import decode_json_value
from payer_rules.models import (
    Address,
    Claim,
    ClaimType,
    CodeSystem,
    Coverage,
    Diagnosis,
    OccurrenceCode,
    OccurrenceSpan,
    Person,
    Procedure,
    Provider,
    Relationship,
    ServiceLine,
    Sex,
    ValueCode,
)

__all__ = [
    "CCN_SYSTEM",
    "CONDITION_SYSTEM",
    "INFO_CATEGORY",
    "MEMBER_KEYS",
    "NPI_SYSTEM",
    "OCCURRENCE_SPAN_SYSTEM",
    "OCCURRENCE_SYSTEM",
    "REQUESTED_SERVICE",
    "VALUE_SYSTEM",
    "X12_SERVICE_TYPE",
    "FhirProblem",
    "NoItemCoded",
    "PendingClaim",
    "ReferenceIndex",
    "RequestItems",
    "fhir_items",
    "literal_keys",
    "member_id_of",
    "read_claim_resource",
    "read_fhir_data",
    "read_fhir_text",
]

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
#: CMS Certification Number (HL7 NamingSystem CCN, OID 2.16.840.1.113883.4.336)
CCN_SYSTEM = "urn:oid:2.16.840.1.113883.4.336"
_CCN_SYSTEMS = frozenset(
    {CCN_SYSTEM, "http://hl7.org/fhir/sid/ccn", "https://bluebutton.cms.gov/resources/variables/prvdr_num"}
)
INFO_CATEGORY = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSupportingInfoType"
CONDITION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0043"
OCCURRENCE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0350"
OCCURRENCE_SPAN_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0351"
VALUE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0153"
#: supportingInfo category -> Claim field it carries (the value is the info's ``code``)
_INFO_FIELDS = {
    "typeofbill": "bill_type",
    "admtype": "admission_type",
    "pointoforigin": "admission_source",
    "discharge-status": "discharge_status",
    "discharge": "discharge_status",
}
_UB04_SYSTEMS = frozenset({CONDITION_SYSTEM, OCCURRENCE_SYSTEM, OCCURRENCE_SPAN_SYSTEM, VALUE_SYSTEM})
_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
_CLAIM_FIELDS = attrs.fields_dict(Claim)
_SEX = {"male": Sex.MALE, "female": Sex.FEMALE}
_RELATIONSHIP = {"self": Relationship.SELF, "spouse": Relationship.SPOUSE, "child": Relationship.CHILD}


class _Problem(ValueError):
    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(message)


def read_fhir_text(text: str, name: str) -> Iterator[Claim | InputError]:
    return read_fhir_data(None, text, name)


def read_fhir_data(data: Any, text: str, name: str) -> Iterator[Claim | InputError]:
    """The Claims of FHIR ``text``, decoded as ``data`` (``None``: decoded here)."""
    if data is None:
        try:
            data = decode_json_value(text)
        except json.JSONDecodeError as exc:
            yield InputError(f"{name}:{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}")
            return
    for item in fhir_items(data, name):
        yield item if isinstance(item, InputError) else item.read()


class PendingClaim:
    """A Claim resource found in a file, not yet read: whose it is can be asked first.

    A ``--jobs`` worker that shares a Bundle with the others reads only its own members' Claims
    (:mod:`payer_rules.batch.units`).
    """

    __slots__ = ("index", "label", "name", "res")

    def __init__(self, res: Mapping[str, Any], index: _Index, name: str, label: str) -> None:
        self.res = res
        self.index = index
        self.name = name
        self.label = label

    def member_id(self) -> str | None:
        """The member id the Claim will read with, ``None`` when it cannot be read."""
        return member_id_of(self.res, self.index)

    def read(self) -> Claim | InputError:
        return _read_claim(self.res, self.index, self.name, self.label)


def fhir_items(data: Any, name: str) -> Iterator[PendingClaim | InputError]:
    """A decoded FHIR file's Claims, in file order, and its located errors, in their places."""
    kind = data.get("resourceType")
    errors = _structure(data) if kind in ("Claim", "Bundle") and validation_wanted() else {}
    if kind == "Claim":
        if errors:
            yield _invalid(errors[None], name, "Claim", 0, data)
            return
        yield PendingClaim(data, _Index([], []), name, "Claim")
        return
    if kind != "Bundle":
        yield InputError(name, f"a FHIR {echo(kind)} is not a claim; expected a Claim or a Bundle of Claims")
        return
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        yield InputError(name, f"Bundle.entry must be a list of entries, got {echo(entries)} @ $.entry")
        return
    index = _Index.of_entries(entries)
    found: dict[str, int] = {}
    claims = 0
    for n, entry in enumerate(entries):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            if n in errors:  # an entry that is no resource: reported, stands for no claim
                yield _invalid(errors[n], name, f"entry[{n}]", 0, None)
            continue
        found[str(res.get("resourceType"))] = found.get(str(res.get("resourceType")), 0) + 1
        label = f"entry[{n}] {res.get('resourceType')}/{res.get('id', '?')}"
        if res.get("resourceType") == "Claim":
            claims += 1
            if n in errors:
                yield _invalid(errors[n], name, label, 3, res)
                continue
            yield PendingClaim(res, index, name, label)
        elif n in errors:
            # a referenced resource that breaks FHIR's structure: reported, and the Claims that
            # point at it are read as the reader reads them (it stands for no claim of its own)
            yield _invalid(errors[n], name, label, 3, None)
    if None in errors:
        yield _invalid(errors[None], name, "Bundle", 0, None)
    if not claims:
        held = ", ".join(f"{v} {k}" for k, v in sorted(found.items())) or "no resources"
        yield InputError(name, f"the Bundle holds no Claim resources ({held}); expected Claim entries")


def _structure(data: Mapping[str, Any]) -> dict[int | None, list[StructuralError]]:
    """The structural errors of a Claim or Bundle by Bundle entry (``None``: the rest)."""
    found: dict[int | None, list[StructuralError]] = {}
    bundle = data.get("resourceType") == "Bundle"
    for error in structural_errors(data):
        at = error.path[1] if bundle and len(error.path) > 1 and error.path[0] == "entry" else None
        found.setdefault(at if isinstance(at, int) else None, []).append(error)
    return found


def _invalid(
    errors: list[StructuralError], name: str, label: str, start: int, claim: Mapping[str, Any] | None
) -> InputError:
    """One located error for an entry's structural errors: the first, and how many more."""
    first = errors[0]
    more = f" (and {len(errors) - 1} more structural errors)" if len(errors) > 1 else ""
    raw = claim.get("id") if claim is not None else None
    return InputError(
        f"{name}: {label}",
        f"not valid FHIR R4: {first.message}{more} @ {first.json_path(start)}",
        claim_id=str(raw) if isinstance(raw, (str, int)) else None,
        envelope=claim is None,
    )


def _read_claim(res: Mapping[str, Any], index: _Index, name: str, label: str) -> Claim | InputError:
    try:
        raw_id = res.get("id") or _first_identifier(res) or ""
    except (AttributeError, TypeError):
        raw_id = ""
    claim_id = str(raw_id) if isinstance(raw_id, (str, int)) else echo(raw_id)
    try:
        return _claim(res, index, claim_id)
    except _Problem as exc:
        return InputError(
            f"{name}: {label}", f"{exc} @ $.{exc.path}" if exc.path else str(exc), claim_id=claim_id or None
        )
    except (ValueError, TypeError) as exc:
        return InputError(f"{name}: {label}", str(exc), claim_id=claim_id or None)
    except (AttributeError, KeyError, IndexError):
        # An element of the wrong JSON type where the paths above expect an object or a list:
        # a located error for this Claim, never the end of the batch (issue 19).
        return InputError(
            f"{name}: {label}",
            "an element has the wrong JSON type (an object or a list where the other, or a value, "
            "was expected); expected a FHIR R4 Claim",
            claim_id=claim_id or None,
        )


#: FHIR claim-type codes (http://terminology.hl7.org/CodeSystem/claim-type) payer-rules does not
#: read, with what they are, for the per-claim message.
_UNMODELLED_TYPES = {
    "pharmacy": "a pharmacy claim, NCPDP",
    "vision": "a vision claim",
}
#: FHIR claim-type codes that are read. An ``oral`` claim is a dental claim (ADA / 837D): it is
#: read so that each payer answers it per line (ENG005, the dental fee schedule that would price
#: it) rather than the file refusing it.
_READ_TYPES = {
    "professional": ClaimType.PROFESSIONAL,
    "institutional": ClaimType.INSTITUTIONAL,
    "oral": ClaimType.DENTAL,
}


def _claim_type(res: Mapping[str, Any]) -> ClaimType:
    """The Claim's type; one not read (pharmacy, vision, another system's) is a problem naming it,
    and one missing (no ``type``, or no code in it) a problem saying so."""
    concept = res.get("type")
    kind = _code(concept)
    if kind in _READ_TYPES:
        return _READ_TYPES[kind]
    if kind is None:
        if concept is None:
            missing = "Claim.type is required and missing"
        elif not isinstance(concept, dict):
            missing = (
                f"Claim.type must be a CodeableConcept (coding with system and code), got {echo(concept)}"
            )
        else:
            text = concept.get("text")
            missing = "Claim.type has no code" + (f" (text {echo(text)})" if text else "")
        raise _Problem("type", f"{missing}; {_EXPECTED_TYPE}")
    what = _UNMODELLED_TYPES.get(kind)
    if what is None:
        codings = (
            [c for c in (concept or {}).get("coding") or [] if isinstance(c, dict)]
            if isinstance(concept, dict)
            else []
        )
        shown = codings[0].get("display") if codings else None
        what = f"claim type {kind!r}" + (f" ({shown})" if shown else "")
        if codings and codings[0].get("system") not in (None, _CLAIM_TYPE_SYSTEM):
            what += f" from {codings[0].get('system')}, not the FHIR claim-type code system"
    raise _Problem("type", f"{what} is not modelled; {_EXPECTED_TYPE}")


_CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"
_EXPECTED_TYPE = (
    f"expected a coding from {_CLAIM_TYPE_SYSTEM}: professional (837P / CMS-1500), institutional "
    "(837I / UB-04) or oral (dental, answered per line)"
)


def _ident_value(
    ref: Any, index: _Index, *containers: Mapping[str, Any], kinds: tuple[str, ...], named: bool = False
) -> str | None:
    """The identifier a Reference stands for: the first identifier of the resource it resolves to,
    else the logical reference's own identifier value; ``named``: else its ``display`` or the
    resource's ``name`` (a payer known only by name)."""
    target = index.resolve(ref, *containers, kinds=kinds)
    found = _first_identifier(target) if target is not None else None
    logical = _logical(ref)
    found = found or (str(logical["value"]) if logical is not None else None)
    if named and not found:
        found = (ref.get("display") if isinstance(ref, dict) else None) or (
            (target or {}).get("name") if isinstance((target or {}).get("name"), str) else None
        )
    return str(found) if found else None


ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"


def _condition_code(ref: Any, claim: Mapping[str, Any], index: _Index, path: str) -> str | None:
    """The ICD-10-CM code of the Condition a ``diagnosisReference`` points at (Da Vinci PAS)."""
    if ref is None:
        return None
    condition = index.resolve(ref, claim, kinds=("Condition",))
    if condition is None:
        raise _Problem(path, f"{_shown(ref)} does not resolve inside the file; expected a Condition entry")
    codings = [c for c in (condition.get("code") or {}).get("coding") or [] if isinstance(c, dict)]
    for coding in codings:
        if coding.get("system") == ICD10CM_SYSTEM and coding.get("code"):
            return str(coding["code"]).replace(".", "")
    systems = ", ".join(sorted({str(c.get("system")) for c in codings})) or "no coding"
    raise _Problem(
        path,
        f"the Condition {_shown(ref)} is coded in {systems}; expected an ICD-10-CM ({ICD10CM_SYSTEM}) coding",
    )


def _shown(ref: Any) -> str:
    """A Reference as a person reads it: its reference, else its identifier, else its display."""
    if not isinstance(ref, dict):
        return repr(ref)
    ident = _logical(ref)
    return str(
        ref.get("reference")
        or (f"identifier {ident.get('system') or ''}|{ident['value']}" if ident else None)
        or ref.get("display")
        or "an empty Reference"
    )


def _first_identifier(res: Mapping[str, Any]) -> str | None:
    for ident in res.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("value"):
            return str(ident["value"])
    return None


class _Index:
    """Every resource of a file, found by the ways a FHIR Reference points at one.

    Literal references: a Bundle entry's ``fullUrl`` (absolute URL or ``urn:uuid:``), a relative
    ``Type/id`` (resolved against the entries as the Bundle rules in FHIR R4 ss 3.1.3.4 do: the
    same type and id under any base), an absolute URL whose tail is ``Type/id`` when no entry has
    that exact ``fullUrl``, a version-specific ``.../_history/n`` (the version is not checked) and
    ``#id`` for a resource contained in the referring one. Logical references (``identifier``
    only, or a literal one that resolves to nothing) are matched against the identifiers
    (system and value) of the resources in the file.
    """

    def __init__(self, resources: list[Any], entries: list[Any]) -> None:
        urls: dict[str, Mapping[str, Any]] = {}
        identified: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        self._urls: Mapping[str, Mapping[str, Any]] = urls
        self._identifiers: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]] = identified
        for entry in entries:
            res = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(res, dict) and isinstance(entry.get("fullUrl"), str):
                urls.setdefault(entry["fullUrl"], res)
        for res in resources:
            if not isinstance(res, dict):
                continue
            if res.get("id"):
                urls.setdefault(f"{res.get('resourceType')}/{res['id']}", res)
            identifiers = res.get("identifier")
            # the index is built for the whole Bundle: one resource of the wrong shape must not
            # end the file (its Claim, if any, is refused on its own, issue 19)
            if isinstance(identifiers, list):
                for ident in identifiers:
                    if isinstance(ident, dict) and ident.get("value"):
                        key = (str(ident.get("system") or ""), str(ident["value"]))
                        identified.setdefault(key, []).append(res)

    @classmethod
    def of_entries(cls, entries: list[Any]) -> _Index:
        """The index of a Bundle's ``entry`` list (or a work unit's entries), each entry's
        resource among them."""
        return cls([e.get("resource") for e in entries if isinstance(e, dict)], entries)

    @classmethod
    def of(
        cls,
        urls: Mapping[str, Mapping[str, Any]],
        identifiers: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]],
    ) -> _Index:
        """An index over lookups kept elsewhere (a Bundle cut into work units keeps places):
        ``urls`` answers each key :meth:`resolve` tries for a literal reference as this index
        built from the file would; ``identifiers`` each (system, value) with the resources, in
        file order, a logical reference may resolve to."""
        index = cls([], [])
        index._urls, index._identifiers = urls, identifiers
        return index

    def resolve(
        self, ref: Any, *containers: Mapping[str, Any], kinds: tuple[str, ...] = ()
    ) -> Mapping[str, Any] | None:
        """The resource ``ref`` points at inside the file, or ``None``.

        ``containers``: the referring resource and, for a resource itself contained in a Claim,
        that Claim (``#id`` inside a contained resource names a sibling, FHIR R4 ss 2.36.0.1).
        ``kinds``: the resource types the element may point at; a logical reference matches only
        those (or its own ``Reference.type``), so a member id shared by a Patient and its
        Coverage finds the one the element means.
        """
        if not isinstance(ref, dict):
            return None
        target = ref.get("reference")
        if isinstance(target, str) and target:
            found = self._literal(target, containers)
            if found is not None:
                return found
        ident = _logical(ref)
        if ident is None:
            return None
        key = (str(ident.get("system") or ""), str(ident["value"]))
        wanted = (ref["type"],) if isinstance(ref.get("type"), str) else kinds
        candidates = [
            c
            for container in containers
            for c in container.get("contained") or []
            if isinstance(c, dict) and key in _identifier_keys(c)
        ] + list(self._identifiers.get(key, ()))
        return next((c for c in candidates if not wanted or c.get("resourceType") in wanted), None)

    def _literal(self, target: str, containers: tuple[Mapping[str, Any], ...]) -> Mapping[str, Any] | None:
        if target.startswith("#"):
            for container in containers:
                for contained in container.get("contained") or []:
                    if isinstance(contained, dict) and contained.get("id") == target[1:]:
                        return contained
            return None
        for key in literal_keys(target):
            if key in self._urls:
                return self._urls[key]
        return None


def literal_keys(target: str) -> list[str]:
    """The keys a literal reference is looked up by, in order: itself, without a version
    (``.../_history/n``), and its ``Type/id`` tail (the same resource under any base)."""
    if target.count("/") == 1 and not target.endswith("/"):
        return [target]  # Type/id: its own tail (the usual reference, the fast way)
    keys = [target]
    parts = target.rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
        keys.append("/".join(parts))
    if len(parts) >= 2:
        keys.append("/".join(parts[-2:]))
    return keys


#: the reference index, for readers of other FHIR transactions (prior authorization requests)
ReferenceIndex = _Index
FhirProblem = _Problem


def _identifier_keys(res: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {
        (str(i.get("system") or ""), str(i["value"]))
        for i in res.get("identifier") or []
        if isinstance(i, dict) and i.get("value")
    }


#: what a Claim's provider / careTeam.provider, and a Coverage's subscriber / beneficiary, may be
_PROVIDERS = ("Practitioner", "PractitionerRole", "Organization")
_PERSONS = ("Patient", "RelatedPerson")


def _logical(ref: Any) -> Mapping[str, Any] | None:
    """The ``identifier`` of a Reference (a logical reference), when it has a value."""
    ident = ref.get("identifier") if isinstance(ref, dict) else None
    return ident if isinstance(ident, dict) and ident.get("value") else None


def _code(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and coding.get("code"):
            return str(coding["code"])
    return None


def _date(value: Any, path: str) -> dt.date:
    if not isinstance(value, str):
        raise _Problem(path, f"expected a date as YYYY-MM-DD, got {echo(value)}")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise _Problem(path, f"expected a date as YYYY-MM-DD, got {echo(value)}") from None


def _money(value: Any, path: str) -> Decimal:
    raw = value.get("value") if isinstance(value, dict) else None
    return _number(raw, path, "an amount (Money.value)")


def _number(raw: Any, path: str, what: str) -> Decimal:
    """A finite decimal, or a located problem naming ``what`` was expected."""
    try:
        number = Decimal(str(raw)) if raw is not None and not isinstance(raw, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _Problem(path, f"expected {what}, got {echo(raw)}")
    return number


#: FHIR positiveInt's upper bound (a signed 32-bit integer).
_POSITIVE_INT_MAX = 2_147_483_647


def _positive_int(raw: Any, path: str) -> int:
    """A FHIR ``positiveInt`` (a JSON integer from 1 up), or a located problem.

    Sequences were once taken with ``int()``, which took ``1.5`` as 1 and failed outside the
    reader's error handling on ``Infinity`` (found by the long fuzz run, issue 19).
    """
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= _POSITIVE_INT_MAX:
        return raw
    raise _Problem(path, f"expected a positive integer (FHIR positiveInt), got {echo(raw)}")


def _check_sequences(entries: Any, path: str) -> None:
    """Each entry's ``sequence``, checked before the entries are sorted and indexed by it."""
    if not isinstance(entries, list):
        return  # iterating it fails as an element of the wrong JSON type, for this claim
    for n, entry in enumerate(entries):
        if isinstance(entry, dict) and "sequence" in entry:
            _positive_int(entry["sequence"], f"{path}[{n}].sequence")


def _address(res: Mapping[str, Any] | None) -> Address | None:
    if not res:
        return None
    addresses = res.get("address")
    a = addresses[0] if isinstance(addresses, list) and addresses else addresses
    if not isinstance(a, dict):
        return None
    lines = a.get("line") or []
    return Address(
        line1=_string(lines[0] if isinstance(lines, list) and lines else None, "address.line"),
        city=_string(a.get("city"), "address.city"),
        state=_string(a.get("state"), "address.state"),
        zip=_string(a.get("postalCode"), "address.postalCode"),
    )


def _string(value: Any, what: str) -> str | None:
    """A FHIR string element, or ``None``; anything else is refused by name (a list where a
    string belongs reached the payers and failed there, issue 19)."""
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{what}: expected a string, got {echo(value)}")


def _provider(ref: Any, claim: Mapping[str, Any], index: _Index) -> Provider | None:
    """The provider a Reference points at: a Practitioner, Organization or PractitionerRole in the
    file, or, for a logical reference, its identifier (an NPI system's value is the NPI)."""
    res = index.resolve(ref, claim, kinds=_PROVIDERS)
    if res is None:
        ident = _logical(ref)
        if ident is None:
            return None
        npi = str(ident["value"]) if ident.get("system") == NPI_SYSTEM else ""
        display = _string(ref.get("display"), "display") if isinstance(ref, dict) else None
        return Provider(npi=npi, name=display or None)
    npi = _npi(res)
    if res.get("resourceType") == "PractitionerRole":
        # the role's own NPI, else its practitioner's, else its organization's; the name and
        # address are the practitioner's
        held = [
            (index.resolve(res.get(p), res, claim, kinds=(k,)), res.get(p))
            for p, k in (("practitioner", "Practitioner"), ("organization", "Organization"))
        ]
        for target, ref_ in held:
            logical = _logical(ref_)
            npi = (
                npi
                or (_npi(target) if target is not None else "")
                or (str(logical["value"]) if logical and logical.get("system") == NPI_SYSTEM else "")
            )
        res = held[0][0] or res
    name = res.get("name")
    text: str | None
    if isinstance(name, list) and name:
        n = name[0]
        given = [_string(g, "name.given") or "" for g in n.get("given") or []]
        family = _string(n.get("family"), "name.family") or ""
        text = _string(n.get("text"), "name.text") or " ".join([*given, family]).strip()
    else:
        text = name if isinstance(name, str) else None
    return Provider(npi=npi, name=text or None, address=_address(res))


def _npi(res: Mapping[str, Any]) -> str:
    return next(
        (
            str(i.get("value"))
            for i in res.get("identifier") or []
            if isinstance(i, dict) and i.get("system") == NPI_SYSTEM and i.get("value")
        ),
        "",
    )


def _person(res: Mapping[str, Any] | None, person_id: str) -> Person:
    if res is None:
        return Person(id=person_id)
    names = res.get("name") or [{}]
    n = names[0] if isinstance(names[0], dict) else {}
    birth = res.get("birthDate")
    return Person(
        id=person_id,
        last_name=_string(n.get("family"), "name.family"),
        first_name=_string((n.get("given") or [None])[0], "name.given"),
        birth_date=_date(birth, "birthDate") if birth else None,
        sex=_SEX.get(str(res.get("gender")), Sex.UNKNOWN),
        address=_address(res),
    )


#: ``Claim.item.extension`` (Da Vinci PAS): the ServiceRequest, DeviceRequest ... the item asks for
REQUESTED_SERVICE = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-requestedService"
#: X12 service type codes (element 1365): a category of service, not a procedure
X12_SERVICE_TYPE = "https://codesystem.x12.org/005010/1365"
_REQUESTS = ("ServiceRequest", "DeviceRequest", "MedicationRequest", "NutritionOrder")


@attrs.define
class RequestItems:
    """What a prior-authorization read found per ``Claim.item``: the items read as lines, in line
    order, and the items no line could be made of (with why)."""

    #: ``(item index, Claim.item.sequence)`` of each line of the Claim read
    lines: list[tuple[int, int]] = attrs.Factory(list)
    #: ``(item index, Claim.item.sequence, why)`` of items with no CPT / HCPCS code
    uncoded: list[tuple[int, int, str]] = attrs.Factory(list)


class NoItemCoded(ValueError):
    """A prior-authorization Claim none of whose items names a CPT / HCPCS code."""


def read_claim_resource(
    res: Mapping[str, Any], index: _Index, claim_id: str, request: RequestItems | None = None
) -> Claim:
    """A Claim resource as a :class:`Claim`; with ``request``, as a prior-authorization request
    (``use = preauthorization``: charges optional, items without a procedure code set aside)."""
    return _claim(res, index, claim_id, request)


def _use(res: Mapping[str, Any], request: RequestItems | None) -> None:
    use = res.get("use")
    if request is not None:
        if use != "preauthorization":
            raise _Problem(
                "use", f"expected use preauthorization in a prior-authorization request, got {echo(use)}"
            )
        return
    if use == "preauthorization":
        raise _Problem(
            "use",
            "a prior-authorization request (use preauthorization) is not a claim for payment; expected "
            "use claim (submit a request with `payer-rules pas submit` or POST /fhir/Claim/$submit)",
        )
    if use not in (None, "claim"):
        raise _Problem(
            "use", f"a {echo(use)} is not a claim for payment and is not modelled; expected use claim"
        )


def _item_code(
    item: Mapping[str, Any], res: Mapping[str, Any], index: _Index, request: RequestItems | None
) -> tuple[str | None, str]:
    """The item's CPT / HCPCS code; in a request, else its requested service's (and why none)."""
    concept = item.get("productOrService")
    if request is None:
        return _product_code(concept), ""
    if isinstance(concept, dict):
        for coding in concept.get("coding") or []:
            if (
                isinstance(coding, dict)
                and coding.get("code")
                and coding.get("system") not in (_ABSENT, X12_SERVICE_TYPE)
            ):
                return str(coding["code"]), ""
    for ext in item.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == REQUESTED_SERVICE:
            asked = index.resolve(ext.get("valueReference"), res, kinds=_REQUESTS)
            if asked is not None:
                code = _product_code(asked.get("code") or asked.get("codeCodeableConcept"))
                if code and X12_SERVICE_TYPE not in _systems(
                    asked.get("code") or asked.get("codeCodeableConcept")
                ):
                    return code, ""
    named = ", ".join(sorted(_codes(concept))) if isinstance(concept, dict) else ""
    return None, (
        f"productOrService names no CPT / HCPCS code (only {X12_SERVICE_TYPE} service type {named})"
        if named
        else "productOrService names no CPT / HCPCS code"
    )


def _member(
    res: Mapping[str, Any], index: _Index, *, whole: bool = True
) -> tuple[list[Any], tuple[Mapping[str, Any] | None, str, str | None, Relationship, str]]:
    """Whose claim it is: the insurance list, and the patient resource, member id, payer id,
    relationship and patient id, read from the Claim's focal Coverage and patient.

    The one place a Claim's member is found, so the split of a Bundle into work units
    (:func:`member_id_of`) routes each Claim by the member id it is read with. Not ``whole``:
    the member id only (the patient, payer and relationship left out), the same for every Claim
    that reads.
    """
    patient_ref = res.get("patient")
    patient_res = index.resolve(patient_ref, res, kinds=("Patient",)) if whole else None
    insurance = res.get("insurance") or []
    if not isinstance(insurance, list):
        raise _Problem("insurance", f"expected a list of insurance entries, got {echo(insurance)}")
    for n, entry in enumerate(insurance):
        if not isinstance(entry, dict):
            raise _Problem(f"insurance[{n}]", f"expected an insurance object, got {echo(entry)}")
    focal = next((i for i in insurance if i.get("focal")), insurance[0] if insurance else None)
    if focal is None:
        raise _Problem("insurance", "the Claim has no insurance; expected one with a Coverage")
    coverage_ref = focal.get("coverage")
    coverage_res = index.resolve(coverage_ref, res, kinds=("Coverage",))
    # where a reference inside the Coverage may point: its own contained, or the Claim's
    around = (coverage_res, res) if coverage_res is not None else (res,)
    member_id = None
    payer_id = None
    relationship = Relationship.SELF
    if coverage_res is not None:
        member_id = coverage_res.get("subscriberId") or _first_identifier(coverage_res)
        if not member_id:  # Da Vinci PAS: the member id is the subscriber Patient's identifier
            for part in ("subscriber", "beneficiary"):
                member_id = member_id or _ident_value(coverage_res.get(part), index, *around, kinds=_PERSONS)
        payors = (coverage_res.get("payor") or []) if whole else []
        if payors:
            payer_id = _ident_value(payors[0], index, *around, kinds=("Organization", *_PERSONS), named=True)
        if whole:
            relationship = _RELATIONSHIP.get(
                _code(coverage_res.get("relationship")) or "self", Relationship.OTHER
            )
    else:
        member_id = _ident_value(coverage_ref, index, res, kinds=("Coverage",))
    member_id = member_id or _ident_value(patient_ref, index, res, kinds=("Patient",))
    if whole:
        payer_id = payer_id or _ident_value(
            res.get("insurer"), index, res, kinds=("Organization",), named=True
        )
    if not member_id:
        raise _Problem(
            "insurance[0].coverage",
            "no member id: expected Coverage.subscriberId or an identifier (of the Coverage, its "
            "subscriber or beneficiary, or the patient)",
        )
    patient_id = (patient_res or {}).get("id") or member_id
    return insurance, (patient_res, str(member_id), payer_id, relationship, str(patient_id))


#: What :func:`_member` reads of the Claim resource itself (besides what indexes it: its type,
#: id and identifiers); a Claim cut down to these is routed as the whole one
#: (:mod:`payer_rules.io.fhir.units`). A change to :func:`_member` must keep this true.
MEMBER_KEYS = ("patient", "insurance", "insurer", "contained")


def member_id_of(res: Mapping[str, Any], index: _Index) -> str | None:
    """The member id a Claim resource reads with (``Coverage.member_id``), ``None`` if it cannot."""
    try:
        return _member(res, index, whole=False)[1][1]
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        return None


def _claim(
    res: Mapping[str, Any], index: _Index, claim_id: str, request: RequestItems | None = None
) -> Claim:
    if not claim_id:
        raise _Problem("id", "the Claim has no id or identifier; expected one to name it in results")
    _use(res, request)
    claim_type = _claim_type(res)
    insurance, member = _member(res, index)
    patient_res, member_id, payer_id, relationship, patient_id = member
    billing = _provider(res.get("provider"), res, index)
    if billing is None:
        raise _Problem(
            "provider",
            "the billing provider reference does not resolve inside the file; expected a reference to "
            "a Practitioner, Organization or PractitionerRole entry, or an identifier (NPI)",
        )
    billing_res = index.resolve(res.get("provider"), res, kinds=_PROVIDERS)
    if billing_res is not None and billing_res.get("resourceType") == "PractitionerRole":
        organization = index.resolve(
            billing_res.get("organization"), billing_res, res, kinds=("Organization",)
        )
        billing_res = organization or billing_res
    rendering = None
    institutional_roles: dict[str, Provider | None] = {}
    for member in res.get("careTeam") or []:
        role = _code(member.get("role"))
        if role in ("attending", "operating"):
            institutional_roles[role] = _provider(member.get("provider"), res, index)
            continue
        if role in ("primary", "rendering", "performing") or rendering is None:
            rendering = _provider(member.get("provider"), res, index) or rendering
    diagnoses: list[Diagnosis] = []
    admitting: Diagnosis | None = None
    position: dict[int, int] = {}
    _check_sequences(res.get("diagnosis"), "diagnosis")
    _check_sequences(res.get("procedure"), "procedure")
    for n, d in enumerate(sorted(res.get("diagnosis") or [], key=lambda d: d.get("sequence", 0))):
        code = _code(d.get("diagnosisCodeableConcept")) or _condition_code(
            d.get("diagnosisReference"), res, index, f"diagnosis[{n}].diagnosisReference"
        )
        if not code:
            raise _Problem(
                f"diagnosis[{n}]",
                "expected diagnosisCodeableConcept with an ICD-10-CM coding, or a diagnosisReference to "
                "a Condition in the file coded in ICD-10-CM",
            )
        types = {_code(t) for t in d.get("type") or []}
        try:
            dx = Diagnosis(code=code, present_on_admission=_code(d.get("onAdmission")))
        except ValueError as exc:
            raise _Problem(f"diagnosis[{n}].onAdmission", str(exc)) from None
        if "admitting" in types and claim_type is ClaimType.INSTITUTIONAL:
            admitting = dx
            continue
        if "principal" in types:
            diagnoses.insert(0, dx)
            position = {k: v + 1 for k, v in position.items()}
            position[int(d.get("sequence", n + 1))] = 1
            continue
        diagnoses.append(dx)
        position[int(d.get("sequence", n + 1))] = len(diagnoses)
    procedures: list[Procedure] = []
    for n, p in enumerate(sorted(res.get("procedure") or [], key=lambda p: p.get("sequence", 0))):
        code = _code(p.get("procedureCodeableConcept"))
        if code:
            proc = Procedure(
                code=code, date=_date(p["date"], f"procedure[{n}].date") if p.get("date") else None
            )
            if {_code(t) for t in p.get("type") or []} & {"primary", "principal"}:
                procedures.insert(0, proc)
            else:
                procedures.append(proc)
    period = res.get("billablePeriod") or {}
    ub04 = _ub04(res) if claim_type is ClaimType.INSTITUTIONAL else {}
    lines = []
    for n, item in enumerate(res.get("item") or []):
        path = f"item[{n}]"
        code, uncoded = _item_code(item, res, index, request)
        revenue = _code(item.get("revenue"))
        code_system = None
        if not code and revenue and claim_type is ClaimType.INSTITUTIONAL:
            code, code_system = revenue, CodeSystem.REVENUE  # a revenue-code-only line
        if not code and request is not None:
            request.uncoded.append((n, _sequence(item, n), uncoded))
            continue
        if not code:
            raise _Problem(f"{path}.productOrService", "expected a CPT / HCPCS coding")
        if item.get("servicedDate"):
            start, end = _date(item["servicedDate"], f"{path}.servicedDate"), None
        elif item.get("servicedPeriod"):
            sp = item["servicedPeriod"]
            start = _date(sp.get("start"), f"{path}.servicedPeriod.start")
            end = _date(sp["end"], f"{path}.servicedPeriod.end") if sp.get("end") else None
        elif period.get("start"):
            start, end = _date(period["start"], "billablePeriod.start"), None
        else:
            raise _Problem(
                f"{path}.servicedDate", "no date of service; expected servicedDate or servicedPeriod"
            )
        raw_quantity = (item.get("quantity") or {}).get("value", 1)
        quantity = _number(raw_quantity, f"{path}.quantity.value", "a quantity")
        # A Quantity in UCUM minutes ("min") is anesthesia time, as 837P SV103 MJ says it.
        quantity_unit = (item.get("quantity") or {}).get("code") or (item.get("quantity") or {}).get("unit")
        unit_basis = "MJ" if quantity_unit == "min" else None
        if item.get("net"):
            charge = _money(item["net"], f"{path}.net")
        elif item.get("unitPrice"):
            charge = _money(item["unitPrice"], f"{path}.unitPrice") * quantity
        elif request is not None:
            charge = Decimal(0)  # a request asks for services; what they cost is optional there
        else:
            raise _Problem(f"{path}.net", "no charge; expected net or unitPrice")
        sequences = [
            _positive_int(s, f"{path}.diagnosisSequence[{k}]")
            for k, s in enumerate(item.get("diagnosisSequence") or [])
        ]
        pointers = tuple(position.get(s, s) for s in sequences) or (1,)
        try:
            lines.append(
                ServiceLine(
                    procedure=code,
                    code_system=code_system or (CodeSystem.CPT if code[:4].isdigit() else CodeSystem.HCPCS),
                    modifiers=tuple(c for c in (_code(m) for m in item.get("modifier") or []) if c),
                    units=quantity,
                    unit_basis=unit_basis,
                    charge=charge,
                    service_date=start,
                    service_date_end=end if end != start else None,
                    diagnosis_pointers=pointers,
                    place_of_service=_code(item.get("locationCodeableConcept")),
                    revenue_code=revenue,
                )
            )
        except ValueError as exc:
            raise _Problem(path, str(exc)) from None
        if request is not None:
            request.lines.append((n, _sequence(item, n)))
    if not lines and request is not None and request.uncoded:
        raise NoItemCoded("no item names a CPT / HCPCS code")
    if not lines:
        raise _Problem("item", "the Claim has no items; expected at least one service line")
    facility = index.resolve(res.get("facility"), res, kinds=("Location",))
    facility_address = _address(facility)
    created = res.get("created")
    auths = [str(a) for i in insurance if isinstance(i, dict) for a in i.get("preAuthRef") or []]
    accept_assignment, benefits_assigned = _assignment(res)
    return Claim(
        id=claim_id,
        claim_type=claim_type,
        patient=_person(patient_res, patient_id),
        # no payer named: empty, and the run's payer stands in (ENG019, payer_rules.payer_standin)
        coverage=Coverage(payer_id=str(payer_id or ""), member_id=member_id, relationship=relationship),
        billing_provider=billing,
        rendering_provider=rendering,
        service_facility_zip=facility_address.zip if facility_address else None,
        received_date=_date(created, "created") if created else None,
        accept_assignment=accept_assignment,
        benefits_assigned=benefits_assigned,
        prior_authorizations=tuple(auths),
        diagnoses=tuple(diagnoses),
        lines=tuple(lines),
        procedures=tuple(procedures),
        statement_from=_date(period["start"], "billablePeriod.start")
        if claim_type is ClaimType.INSTITUTIONAL and period.get("start")
        else None,
        statement_to=_date(period["end"], "billablePeriod.end")
        if claim_type is ClaimType.INSTITUTIONAL and period.get("end")
        else None,
        admitting_diagnosis=admitting,
        attending_provider=institutional_roles.get("attending"),
        operating_provider=institutional_roles.get("operating"),
        provider_ccn=_ccn(billing_res) if claim_type is ClaimType.INSTITUTIONAL else None,
        **ub04,
    )


#: The provider's acceptance of assignment (837 CLM07), which FHIR R4 Claim has no element for:
#: a payer-rules extension on the Claim, ``valueBoolean`` (absent: assigned).
ACCEPT_ASSIGNMENT = "https://payer-rules.dev/fhir/StructureDefinition/accept-assignment"
_PAYEE_TYPES = {"provider": True, "subscriber": False, "other": False}


def _assignment(res: Mapping[str, Any]) -> tuple[bool, bool]:
    """(accept assignment, benefits assigned) of a FHIR Claim.

    Benefits assigned (837 CLM08) is ``Claim.payee.type``: ``provider`` ("any benefit payable will
    be paid to the provider (Assignment of Benefit)", payeetype code system) or ``subscriber`` /
    ``other``; absent, assigned. Acceptance of assignment is the :data:`ACCEPT_ASSIGNMENT` extension.
    """
    accept, benefits = True, True
    for n, ext in enumerate(res.get("extension") or []):
        if isinstance(ext, dict) and ext.get("url") == ACCEPT_ASSIGNMENT:
            value = ext.get("valueBoolean")
            if not isinstance(value, bool):
                raise _Problem(f"extension[{n}].valueBoolean", f"expected true or false, got {value!r}")
            accept = value
    payee = res.get("payee")
    if isinstance(payee, dict) and payee.get("type") is not None:
        code = _code(payee.get("type"))
        if code not in _PAYEE_TYPES:
            raise _Problem(
                "payee.type", f"expected a payeetype code (provider, subscriber or other), got {code!r}"
            )
        benefits = _PAYEE_TYPES[code]
    return accept, benefits


def _sequence(item: Mapping[str, Any], n: int) -> int:
    seq = item.get("sequence")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else n + 1


def _checked(name: str, value: Any, path: str) -> Any:
    """``value`` for the Claim field ``name``; a problem located at ``path`` if its validator refuses it."""
    field = _CLAIM_FIELDS[name]
    if field.validator is not None:
        try:
            field.validator(None, field, value)
        except ValueError as exc:
            raise _Problem(path, str(exc)) from None
    return value


def _systems(concept: Any) -> set[str]:
    if not isinstance(concept, dict):
        return set()
    return {str(c.get("system")) for c in concept.get("coding") or [] if isinstance(c, dict)}


def _codes(concept: Any) -> set[str]:
    if not isinstance(concept, dict):
        return set()
    return {str(c.get("code")) for c in concept.get("coding") or [] if isinstance(c, dict)}


def _product_code(concept: Any) -> str | None:
    """The CPT / HCPCS code of ``productOrService``; ``None`` when absent or data-absent-reason."""
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and coding.get("code") and coding.get("system") != _ABSENT:
            return str(coding["code"])
    return None


def _ccn(res: Mapping[str, Any] | None) -> str | None:
    for ident in (res or {}).get("identifier") or []:
        if not isinstance(ident, dict) or not ident.get("value"):
            continue
        if ident.get("system") in _CCN_SYSTEMS or "PRN" in _codes(ident.get("type")):
            return str(_checked("provider_ccn", str(ident["value"]).strip().upper(), "provider.identifier"))
    return None


def _ub04(res: Mapping[str, Any]) -> dict[str, Any]:
    """The UB-04 fields an institutional Claim carries in ``supportingInfo`` (module docstring)."""
    found: dict[str, Any] = {}
    conditions: list[str] = []
    occurrences: list[OccurrenceCode] = []
    spans: list[OccurrenceSpan] = []
    values: list[ValueCode] = []
    for n, info in enumerate(res.get("supportingInfo") or []):
        if not isinstance(info, dict):
            continue
        path = f"supportingInfo[{n}]"
        categories = _codes(info.get("category"))
        systems = _systems(info.get("code"))
        code = _code(info.get("code"))
        timing = info.get("timingPeriod") or {}
        if "admissionperiod" in categories:
            if timing.get("start"):
                found["admission_date"] = _date(timing["start"], f"{path}.timingPeriod.start")
            continue
        name = next((_INFO_FIELDS[c] for c in sorted(categories) if c in _INFO_FIELDS), None)
        if name is None and not systems & _UB04_SYSTEMS:
            continue  # other supporting information: nothing judged on it
        if not code:
            raise _Problem(f"{path}.code", "expected a code (supportingInfo.code.coding[0].code)")
        if name is not None:
            found[name] = _checked(name, code, f"{path}.code")
        elif CONDITION_SYSTEM in systems:
            conditions.append(code)
        elif OCCURRENCE_SYSTEM in systems:
            if not info.get("timingDate"):
                raise _Problem(
                    f"{path}.timingDate", f"occurrence code {code} has no date; expected timingDate"
                )
            occurrences.append(
                OccurrenceCode(code=code, date=_date(info["timingDate"], f"{path}.timingDate"))
            )
        elif OCCURRENCE_SPAN_SYSTEM in systems:
            if not (timing.get("start") and timing.get("end")):
                raise _Problem(
                    f"{path}.timingPeriod", f"occurrence span {code} needs timingPeriod.start and .end"
                )
            try:
                spans.append(
                    OccurrenceSpan(
                        code=code,
                        start=_date(timing["start"], f"{path}.timingPeriod.start"),
                        end=_date(timing["end"], f"{path}.timingPeriod.end"),
                    )
                )
            except ValueError as exc:
                if isinstance(exc, _Problem):
                    raise
                raise _Problem(f"{path}.timingPeriod", str(exc)) from None
        else:
            raw = (info.get("valueQuantity") or {}).get("value")
            amount = _number(raw, f"{path}.valueQuantity.value", f"an amount for value code {code}")
            values.append(ValueCode(code=code, amount=amount))
    return {
        **found,
        "condition_codes": tuple(conditions),
        "occurrence_codes": tuple(occurrences),
        "occurrence_spans": tuple(spans),
        "value_codes": tuple(values),
    }
