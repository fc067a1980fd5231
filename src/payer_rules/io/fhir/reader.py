"""FHIR R4 ``Claim`` resources in: a Claim, or a Bundle holding Claims and what they reference.

References (``Patient/1``, ``urn:uuid:...``, ``#contained``) are resolved inside the file: the
Bundle's entries (by ``fullUrl`` and by ``Type/id``) and each Claim's contained resources. Each
Claim yields a :class:`~payer_rules.models.Claim` or an :class:`~payer_rules.errors.InputError`
located as ``file: entry[3] Claim/abc: what is wrong @ $.item[0].servicedDate``.

Plain dicts are read here rather than ``fhir.resources`` models: it is a heavy import (pydantic)
for a reader that needs a dozen paths, and its validation errors name pydantic internals, not
what a biller should fix. The tests validate what the writer produces with ``fhir.resources``.

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
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from payer_rules.errors import InputError
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
    "NPI_SYSTEM",
    "OCCURRENCE_SPAN_SYSTEM",
    "OCCURRENCE_SYSTEM",
    "VALUE_SYSTEM",
    "is_fhir_text",
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
_DECODER = json.JSONDecoder(parse_float=Decimal)
_SEX = {"male": Sex.MALE, "female": Sex.FEMALE}
_RELATIONSHIP = {"self": Relationship.SELF, "spouse": Relationship.SPOUSE, "child": Relationship.CHILD}


class _Problem(ValueError):
    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(message)


def is_fhir_text(text: str) -> bool:
    """True when the text is one JSON object with a ``resourceType``."""
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and "resourceType" in data


def read_fhir_text(text: str, name: str) -> Iterator[Claim | InputError]:
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        yield InputError(f"{name}:{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}")
        return
    kind = data.get("resourceType")
    if kind == "Claim":
        yield _read_claim(data, {}, name, "Claim")
        return
    if kind != "Bundle":
        yield InputError(name, f"a FHIR {kind} is not a claim; expected a Claim or a Bundle of Claims")
        return
    entries = data.get("entry") or []
    index: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            continue
        if entry.get("fullUrl"):
            index[entry["fullUrl"]] = res
        if res.get("id"):
            index[f"{res.get('resourceType')}/{res['id']}"] = res
    found: dict[str, int] = {}
    claims = 0
    for n, entry in enumerate(entries):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            continue
        found[str(res.get("resourceType"))] = found.get(str(res.get("resourceType")), 0) + 1
        if res.get("resourceType") == "Claim":
            claims += 1
            yield _read_claim(res, index, name, f"entry[{n}] Claim/{res.get('id', '?')}")
    if not claims:
        held = ", ".join(f"{v} {k}" for k, v in sorted(found.items())) or "no resources"
        yield InputError(name, f"the Bundle holds no Claim resources ({held}); expected Claim entries")


def _read_claim(
    res: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]], name: str, label: str
) -> Claim | InputError:
    claim_id = str(res.get("id") or _first_identifier(res) or "")
    try:
        return _claim(res, index, claim_id)
    except _Problem as exc:
        return InputError(
            f"{name}: {label}", f"{exc} @ $.{exc.path}" if exc.path else str(exc), claim_id=claim_id or None
        )
    except (ValueError, TypeError) as exc:
        return InputError(f"{name}: {label}", str(exc), claim_id=claim_id or None)


def _first_identifier(res: Mapping[str, Any]) -> str | None:
    for ident in res.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("value"):
            return str(ident["value"])
    return None


def _resolve(
    ref: Any, res: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    if not isinstance(ref, dict):
        return None
    target = ref.get("reference")
    if not target:
        return None
    if target.startswith("#"):
        for contained in res.get("contained") or []:
            if contained.get("id") == target[1:]:
                return contained  # type: ignore[no-any-return]
        return None
    if target in index:
        return index[target]
    tail = "/".join(target.rstrip("/").split("/")[-2:])
    return index.get(tail)


def _code(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and coding.get("code"):
            return str(coding["code"])
    return None


def _date(value: Any, path: str) -> dt.date:
    if not isinstance(value, str):
        raise _Problem(path, f"expected a date as YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise _Problem(path, f"expected a date as YYYY-MM-DD, got {value!r}") from None


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
        raise _Problem(path, f"expected {what}, got {raw!r}")
    return number


def _address(res: Mapping[str, Any] | None) -> Address | None:
    if not res:
        return None
    addresses = res.get("address")
    a = addresses[0] if isinstance(addresses, list) and addresses else addresses
    if not isinstance(a, dict):
        return None
    lines = a.get("line") or []
    return Address(
        line1=lines[0] if lines else None, city=a.get("city"), state=a.get("state"), zip=a.get("postalCode")
    )


def _provider(res: Mapping[str, Any] | None, index: Mapping[str, Mapping[str, Any]]) -> Provider | None:
    if res is None:
        return None
    if res.get("resourceType") == "PractitionerRole":
        res = index.get((res.get("practitioner") or {}).get("reference", "")) or res
    npi = next(
        (
            str(i.get("value"))
            for i in res.get("identifier") or []
            if isinstance(i, dict) and i.get("system") == NPI_SYSTEM
        ),
        "",
    )
    name = res.get("name")
    if isinstance(name, list) and name:
        n = name[0]
        text = n.get("text") or " ".join([*(n.get("given") or []), n.get("family") or ""]).strip()
    else:
        text = name if isinstance(name, str) else None
    return Provider(npi=npi, name=text or None, address=_address(res))


def _person(res: Mapping[str, Any] | None, person_id: str) -> Person:
    if res is None:
        return Person(id=person_id)
    names = res.get("name") or [{}]
    n = names[0] if isinstance(names[0], dict) else {}
    birth = res.get("birthDate")
    return Person(
        id=person_id,
        last_name=n.get("family"),
        first_name=(n.get("given") or [None])[0],
        birth_date=_date(birth, "birthDate") if birth else None,
        sex=_SEX.get(str(res.get("gender")), Sex.UNKNOWN),
        address=_address(res),
    )


def _claim(res: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]], claim_id: str) -> Claim:
    if not claim_id:
        raise _Problem("id", "the Claim has no id or identifier; expected one to name it in results")
    kind = _code(res.get("type"))
    if kind not in ("professional", "institutional"):
        raise _Problem(
            "type", f"claim type {kind!r} is not supported; expected professional or institutional"
        )
    claim_type = ClaimType(kind)
    patient_res = _resolve(res.get("patient"), res, index)
    insurance = res.get("insurance") or []
    focal = next(
        (i for i in insurance if isinstance(i, dict) and i.get("focal")), insurance[0] if insurance else None
    )
    if focal is None:
        raise _Problem("insurance", "the Claim has no insurance; expected one with a Coverage")
    coverage_res = _resolve(focal.get("coverage"), res, index)
    member_id = None
    payer_id = None
    relationship = Relationship.SELF
    if coverage_res is not None:
        member_id = coverage_res.get("subscriberId") or _first_identifier(coverage_res)
        if not member_id:  # Da Vinci PAS: the member id is the subscriber Patient's identifier
            subscriber = _resolve(
                coverage_res.get("subscriber") or coverage_res.get("beneficiary"), coverage_res, index
            )
            member_id = _first_identifier(subscriber) if subscriber else None
        payors = coverage_res.get("payor") or []
        if payors:
            payer_res = _resolve(payors[0], coverage_res, index)
            payer_id = (
                (_first_identifier(payer_res) if payer_res else None)
                or payors[0].get("display")
                or ((payer_res or {}).get("name"))
            )
        relationship = _RELATIONSHIP.get(
            _code(coverage_res.get("relationship")) or "self", Relationship.OTHER
        )
    else:
        ident = (focal.get("coverage") or {}).get("identifier") or {}
        member_id = ident.get("value")
    insurer = _resolve(res.get("insurer"), res, index)
    payer_id = (
        payer_id
        or (_first_identifier(insurer) if insurer else None)
        or (res.get("insurer") or {}).get("display")
    )
    if not member_id:
        raise _Problem(
            "insurance[0].coverage", "no member id: expected Coverage.subscriberId or an identifier"
        )
    if not payer_id:
        raise _Problem("insurer", "no payer: expected Coverage.payor or Claim.insurer with an identifier")
    patient_id = (patient_res or {}).get("id") or member_id
    billing_res = _resolve(res.get("provider"), res, index)
    billing = _provider(billing_res, index)
    if billing is None:
        raise _Problem("provider", "the billing provider reference does not resolve inside the file")
    rendering = None
    institutional_roles: dict[str, Provider | None] = {}
    for member in res.get("careTeam") or []:
        role = _code(member.get("role"))
        if role in ("attending", "operating"):
            institutional_roles[role] = _provider(_resolve(member.get("provider"), res, index), index)
            continue
        if role in ("primary", "rendering", "performing") or rendering is None:
            rendering = _provider(_resolve(member.get("provider"), res, index), index) or rendering
    diagnoses: list[Diagnosis] = []
    admitting: Diagnosis | None = None
    position: dict[int, int] = {}
    for n, d in enumerate(sorted(res.get("diagnosis") or [], key=lambda d: d.get("sequence", 0))):
        code = _code(d.get("diagnosisCodeableConcept"))
        if not code:
            raise _Problem(f"diagnosis[{n}]", "expected diagnosisCodeableConcept with an ICD-10-CM coding")
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
        code = _product_code(item.get("productOrService"))
        revenue = _code(item.get("revenue"))
        code_system = None
        if not code and revenue and claim_type is ClaimType.INSTITUTIONAL:
            code, code_system = revenue, CodeSystem.REVENUE  # a revenue-code-only line
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
        else:
            raise _Problem(f"{path}.net", "no charge; expected net or unitPrice")
        pointers = tuple(position.get(int(s), int(s)) for s in item.get("diagnosisSequence") or []) or (1,)
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
    if not lines:
        raise _Problem("item", "the Claim has no items; expected at least one service line")
    facility = _resolve(res.get("facility"), res, index)
    facility_address = _address(facility)
    created = res.get("created")
    auths = [str(a) for i in insurance if isinstance(i, dict) for a in i.get("preAuthRef") or []]
    accept_assignment, benefits_assigned = _assignment(res)
    return Claim(
        id=claim_id,
        claim_type=claim_type,
        patient=_person(patient_res, str(patient_id)),
        coverage=Coverage(payer_id=str(payer_id), member_id=str(member_id), relationship=relationship),
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
