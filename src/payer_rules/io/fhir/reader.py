"""FHIR R4 ``Claim`` resources in: a Claim, or a Bundle holding Claims and what they reference.

References (``Patient/1``, ``urn:uuid:...``, ``#contained``) are resolved inside the file: the
Bundle's entries (by ``fullUrl`` and by ``Type/id``) and each Claim's contained resources. Each
Claim yields a :class:`~payer_rules.models.Claim` or an :class:`~payer_rules.errors.InputError`
located as ``file: entry[3] Claim/abc: what is wrong @ $.item[0].servicedDate``.

Plain dicts are read here rather than ``fhir.resources`` models: it is a heavy import (pydantic)
for a reader that needs a dozen paths, and its validation errors name pydantic internals, not
what a biller should fix. The tests validate what the writer produces with ``fhir.resources``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from payer_rules.errors import InputError
from payer_rules.models import (
    Address,
    Claim,
    ClaimType,
    CodeSystem,
    Coverage,
    Diagnosis,
    Person,
    Procedure,
    Provider,
    Relationship,
    ServiceLine,
    Sex,
)

__all__ = ["is_fhir_text", "read_fhir_text"]

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
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
    billing = _provider(_resolve(res.get("provider"), res, index), index)
    if billing is None:
        raise _Problem("provider", "the billing provider reference does not resolve inside the file")
    rendering = None
    for member in res.get("careTeam") or []:
        if _code(member.get("role")) in ("primary", "rendering", "performing") or rendering is None:
            rendering = _provider(_resolve(member.get("provider"), res, index), index) or rendering
    diagnoses: list[Diagnosis] = []
    position: dict[int, int] = {}
    for n, d in enumerate(sorted(res.get("diagnosis") or [], key=lambda d: d.get("sequence", 0))):
        code = _code(d.get("diagnosisCodeableConcept"))
        if not code:
            raise _Problem(f"diagnosis[{n}]", "expected diagnosisCodeableConcept with an ICD-10-CM coding")
        diagnoses.append(Diagnosis(code=code))
        position[int(d.get("sequence", n + 1))] = len(diagnoses)
    procedures = []
    for n, p in enumerate(res.get("procedure") or []):
        code = _code(p.get("procedureCodeableConcept"))
        if code:
            procedures.append(
                Procedure(code=code, date=_date(p["date"], f"procedure[{n}].date") if p.get("date") else None)
            )
    period = res.get("billablePeriod") or {}
    lines = []
    for n, item in enumerate(res.get("item") or []):
        path = f"item[{n}]"
        code = _code(item.get("productOrService"))
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
        if item.get("net"):
            charge = _money(item["net"], f"{path}.net")
        elif item.get("unitPrice"):
            charge = _money(item["unitPrice"], f"{path}.unitPrice") * quantity
        else:
            raise _Problem(f"{path}.net", "no charge; expected net or unitPrice")
        pointers = tuple(position.get(int(s), int(s)) for s in item.get("diagnosisSequence") or []) or (1,)
        revenue = _code(item.get("revenue"))
        try:
            lines.append(
                ServiceLine(
                    procedure=code,
                    code_system=CodeSystem.CPT if code[:4].isdigit() else CodeSystem.HCPCS,
                    modifiers=tuple(c for c in (_code(m) for m in item.get("modifier") or []) if c),
                    units=quantity,
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
    return Claim(
        id=claim_id,
        claim_type=claim_type,
        patient=_person(patient_res, str(patient_id)),
        coverage=Coverage(payer_id=str(payer_id), member_id=str(member_id), relationship=relationship),
        billing_provider=billing,
        rendering_provider=rendering,
        service_facility_zip=facility_address.zip if facility_address else None,
        received_date=_date(created, "created") if created else None,
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
    )
