"""Results as FHIR R4: a ``ClaimResponse`` and an ``ExplanationOfBenefit`` per claim and payer.

The run is one Bundle of type ``collection``, streamed entry by entry (nothing is buffered).
A claim that could not be read gets a ClaimResponse with ``outcome: error`` and no EOB.

Adjudication categories (``http://terminology.hl7.org/CodeSystem/adjudication``): ``submitted``
(billed), ``eligible`` (allowed), ``benefit`` (paid), ``deductible`` (PR-1), ``copay`` (PR-3);
every other adjustment is an adjudication whose category is the CARIN Blue Button
``coinsurance`` (PR-2) or ``noncovered`` / ``adjustmentreason``, with ``reason`` coded in the X12
CARC code system. Remark codes (RARC) ride as item notes-free ``reason`` codings in the RARC
system on the benefit adjudication.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TextIO

import orjson

from payer_rules.errors import InputError
from payer_rules.io.fhir.reader import ACCEPT_ASSIGNMENT
from payer_rules.models import Claim, ClaimType, CodeSystem
from payer_rules.results import Adjustment, CasePayment, ClaimResult, ClaimStatus, LineResult, LineStatus

__all__ = ["FhirWriter", "dumps", "fhir_claim_type", "result_resources"]

ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
C4BB_ADJUDICATION = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication"
C4BB_DISCRIMINATOR = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudicationDiscriminator"
CARC = "https://x12.org/codes/claim-adjustment-reason-codes"
RARC = "https://x12.org/codes/remittance-advice-remark-codes"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
NPI = "http://hl7.org/fhir/sid/us-npi"
PAYEE_TYPE = "http://terminology.hl7.org/CodeSystem/payeetype"
_OUTCOME = {
    ClaimStatus.PAID: "complete",
    ClaimStatus.DENIED: "complete",
    ClaimStatus.PARTIAL: "partial",
    ClaimStatus.PENDED: "queued",
    ClaimStatus.REJECTED: "error",
    ClaimStatus.CLEAN: "complete",
    ClaimStatus.ERROR: "error",
}


def fhir_claim_type(claim_type: ClaimType) -> str:
    """The FHIR claim-type code of a claim type: a dental claim is FHIR's ``oral``."""
    return "oral" if claim_type is ClaimType.DENTAL else str(claim_type)


def _exact_number(value: Any) -> orjson.Fragment:
    """A Decimal as a JSON number with its own digits: ``100.10`` stays ``100.10``.

    FHIR's ``decimal`` keeps its precision ("100.10" is not "100.1") and amounts are Decimal
    throughout; through ``float`` they lost trailing zeros and, past 15 or so digits, cents.
    """
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(format(value, "f"))
    msg = f"{value!r} ({type(value).__name__}) is not a FHIR JSON value"
    raise TypeError(msg)


def dumps(document: Any, *, indent: bool = False) -> str:
    """FHIR JSON text of ``document``, its Decimal values (Money, Quantity) as exact JSON numbers."""
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(document, default=_exact_number, option=option).decode()


def _money(value: Decimal) -> dict[str, Any]:
    return {"value": value, "currency": "USD"}


def _category(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _adjustment(a: Adjustment) -> dict[str, Any]:
    key = (str(a.group), a.carc)
    if key == ("PR", "1"):
        category = _category(ADJUDICATION, "deductible")
    elif key == ("PR", "3"):
        category = _category(ADJUDICATION, "copay")
    elif key == ("PR", "2"):
        category = _category(C4BB_ADJUDICATION, "coinsurance")
    elif str(a.group) == "CO" and a.carc != "45":
        category = _category(C4BB_ADJUDICATION, "noncovered")
    else:
        category = _category(C4BB_DISCRIMINATOR, "adjustmentreason")
    return {
        "category": category,
        "reason": {"coding": [{"system": CARC, "code": a.carc, "display": f"{a.group}-{a.carc}"}]},
        "amount": _money(a.amount),
    }


def _adjudication(
    billed: Decimal,
    allowed: Decimal,
    paid: Decimal,
    adjustments: tuple[Adjustment, ...],
    rarcs: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    benefit: dict[str, Any] = {"category": _category(ADJUDICATION, "benefit"), "amount": _money(paid)}
    if rarcs:
        benefit["reason"] = {"coding": [{"system": RARC, "code": r} for r in rarcs]}
    return [
        {"category": _category(ADJUDICATION, "submitted"), "amount": _money(billed)},
        {"category": _category(ADJUDICATION, "eligible"), "amount": _money(allowed)},
        benefit,
        *(_adjustment(a) for a in adjustments),
    ]


def _item(ln: LineResult) -> dict[str, Any]:
    return {
        "itemSequence": ln.line,
        "adjudication": _adjudication(ln.billed, ln.allowed, ln.paid, ln.adjustments, ln.rarcs),
    }


def result_resources(
    result: ClaimResult, claim: Claim | InputError | None, *, created: dt.date | None = None
) -> list[dict[str, Any]]:
    """The ClaimResponse (and, for judged claims, the ExplanationOfBenefit) for one result."""
    created_text = (created or dt.date.today()).isoformat()
    c = claim if isinstance(claim, Claim) else None
    claim_id = result.claim_id or "unreadable"
    rid = f"{result.payer}-{claim_id}".replace("_", "-")
    kind = fhir_claim_type(c.claim_type) if c is not None else str(ClaimType.PROFESSIONAL)
    patient: dict[str, Any] = {"display": "unknown"}
    if c is not None:
        name = " ".join(x for x in (c.patient.first_name, c.patient.last_name) if x)
        patient = {"identifier": {"value": c.patient.id}, "display": name or c.patient.id}
    insurer = {"identifier": {"value": result.payer}, "display": result.payer}
    common: dict[str, Any] = {
        "status": "active",
        "type": {"coding": [{"system": CLAIM_TYPE, "code": kind}]},
        "use": "claim",
        "patient": patient,
        "created": created_text,
        "insurer": insurer,
        "outcome": _OUTCOME[result.status],
    }
    response: dict[str, Any] = {"resourceType": "ClaimResponse", "id": rid, **common}
    response["request"] = {"identifier": {"value": claim_id}}
    if result.status in (ClaimStatus.ERROR, ClaimStatus.REJECTED):
        response["error"] = [
            {"code": {"coding": [{"system": CARC, "code": f.carc or "16"}], "text": f.message}}
            for f in result.findings
            if f.severity == "reject"
        ] or [{"code": {"text": "rejected"}}]
        response["disposition"] = "; ".join(f.message for f in result.findings)[:1000]
    if result.status is ClaimStatus.ERROR or c is None:
        return [response]
    items = [_item(ln) for ln in result.lines if ln.status is not LineStatus.CLEAN]
    if items:
        response["item"] = items
    totals = [
        {"category": _category(ADJUDICATION, "submitted"), "amount": _money(result.billed)},
        {"category": _category(ADJUDICATION, "eligible"), "amount": _money(result.allowed)},
        {"category": _category(ADJUDICATION, "benefit"), "amount": _money(result.paid)},
    ]
    response["total"] = totals
    response["payment"] = {
        "type": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/ex-paymenttype", "code": "complete"}]
        },
        "amount": _money(result.paid),
    }
    eob: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit",
        "id": rid,
        **common,
        "outcome": _OUTCOME[result.status] if result.status is not ClaimStatus.PENDED else "queued",
        "provider": {"identifier": {"system": NPI, "value": c.billing_provider.npi or "unknown"}},
        "claim": {"identifier": {"value": claim_id}},
        "claimResponse": {"reference": f"ClaimResponse/{rid}"},
        "insurance": [
            {
                "focal": True,
                "coverage": {
                    "identifier": {"value": c.coverage.member_id},
                    "display": c.coverage.plan or c.coverage.payer_id,
                },
            }
        ],
        "item": [
            {
                "sequence": ln.line,
                "productOrService": {"coding": [{"code": ln.procedure}]},
                **({"modifier": [{"coding": [{"code": m}]} for m in ln.modifiers]} if ln.modifiers else {}),
                "servicedDate": c.lines[ln.line - 1].service_date.isoformat(),
                "quantity": {"value": ln.units},
                "net": _money(ln.billed),
                "adjudication": _adjudication(ln.billed, ln.allowed, ln.paid, ln.adjustments, ln.rarcs),
            }
            for ln in result.lines
            if ln.status is not LineStatus.CLEAN
        ],
        "total": totals,
        "payment": {"amount": _money(result.paid)},
    }
    if not eob["item"]:
        del eob["item"]
    if result.case is not None:
        eob["supportingInfo"] = [_drg_info(result.case)]
    return [response, eob]


#: The MS-DRG code system and the CARIN Blue Button supporting-information category for a DRG.
MS_DRG = "https://www.cms.gov/Medicare/Medicare-Fee-for-Service-Payment/AcuteInpatientPPS/MS-DRG-Classifications-and-Software"
C4BB_SUPPORTING_INFO = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSupportingInfoType"


def _drg_info(case: CasePayment) -> dict[str, Any]:
    """The DRG of a per-case payment as ``ExplanationOfBenefit.supportingInfo`` (CARIN BB ``drg``)."""
    code: dict[str, Any] = {"system": MS_DRG, "code": case.drg}
    if case.description:
        code["display"] = case.description
    return {
        "sequence": 1,
        "category": {"coding": [{"system": C4BB_SUPPORTING_INFO, "code": "drg"}]},
        "code": {"coding": [code], "text": f"MS-DRG {case.drg} weight {case.weight}"},
    }


class FhirWriter:
    """One Bundle (``collection``) for the run, written entry by entry."""

    def __init__(self, stream: TextIO, *, created: dt.date | None = None) -> None:
        self._stream = stream
        self._count = 0
        self._created = created

    def write(self, result: ClaimResult, claim: Claim | InputError | None = None) -> None:
        for resource in result_resources(result, claim, created=self._created):
            if self._count == 0:
                self._stream.write('{"resourceType": "Bundle", "type": "collection", "entry": [\n')
            else:
                self._stream.write(",\n")
            self._count += 1
            entry = {
                "fullUrl": f"urn:payer-rules:{resource['resourceType']}/{resource['id']}",
                "resource": resource,
            }
            self._stream.write(dumps(entry))

    def close(self) -> None:
        if self._count == 0:
            self._stream.write('{"resourceType": "Bundle", "type": "collection", "entry": []}\n')
        else:
            self._stream.write("\n]}\n")


def _quantity(units: Decimal, basis: str | None) -> dict[str, Any]:
    """A line's quantity; minutes of anesthesia time (837P SV103 MJ) in UCUM ``min``."""
    if basis == "MJ":
        return {"value": units, "system": "http://unitsofmeasure.org", "code": "min", "unit": "min"}
    return {"value": units}


def claim_bundle(claims: list[Claim]) -> dict[str, Any]:
    """Claims as a FHIR Bundle of Claim resources (with Patient and Coverage), for round trips.

    Amounts and quantities are the claims' Decimals: write the Bundle with :func:`dumps`.
    """
    entries: list[dict[str, Any]] = []
    for c in claims:
        patient = {
            "resourceType": "Patient",
            "id": c.patient.id,
            "name": [{"family": c.patient.last_name, "given": [c.patient.first_name]}],
            "gender": {"M": "male", "F": "female"}.get(str(c.patient.sex), "unknown"),
        }
        if c.patient.birth_date:
            patient["birthDate"] = c.patient.birth_date.isoformat()
        coverage = {
            "resourceType": "Coverage",
            "id": f"cov-{c.id}",
            "status": "active",
            "subscriberId": c.coverage.member_id,
            "beneficiary": {"reference": f"Patient/{c.patient.id}"},
            "relationship": {"coding": [{"code": str(c.coverage.relationship)}]},
            "payor": [{"display": c.coverage.payer_id}],
        }
        provider: dict[str, Any] = {
            "resourceType": "Organization",
            "id": f"org-{c.id}",
            "name": c.billing_provider.name,
            "identifier": [{"system": NPI, "value": c.billing_provider.npi}],
        }
        if c.billing_provider.address and c.billing_provider.address.zip:
            a = c.billing_provider.address
            provider["address"] = [
                {"line": [a.line1] if a.line1 else [], "city": a.city, "state": a.state, "postalCode": a.zip}
            ]
        claim: dict[str, Any] = {
            "resourceType": "Claim",
            "id": c.id,
            **(
                {}
                if c.accept_assignment
                else {"extension": [{"url": ACCEPT_ASSIGNMENT, "valueBoolean": False}]}
            ),
            "status": "active",
            "type": {"coding": [{"system": CLAIM_TYPE, "code": fhir_claim_type(c.claim_type)}]},
            "use": "claim",
            "patient": {"reference": f"Patient/{c.patient.id}"},
            "created": (c.received_date or dt.date.today()).isoformat(),
            "provider": {"reference": f"Organization/org-{c.id}"},
            "priority": {"coding": [{"code": "normal"}]},
            "payee": {
                "type": {
                    "coding": [
                        {"system": PAYEE_TYPE, "code": "provider" if c.benefits_assigned else "subscriber"}
                    ]
                }
            },
            "insurance": [
                {
                    "sequence": 1,
                    "focal": True,
                    "coverage": {"reference": f"Coverage/cov-{c.id}"},
                    **({"preAuthRef": list(c.prior_authorizations)} if c.prior_authorizations else {}),
                }
            ],
            "diagnosis": [
                {
                    "sequence": n,
                    "diagnosisCodeableConcept": {
                        "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": d.code}]
                    },
                }
                for n, d in enumerate(c.diagnoses, 1)
            ],
            "item": [
                {
                    "sequence": n,
                    "diagnosisSequence": list(ln.diagnosis_pointers),
                    "productOrService": {"coding": [{"code": ln.procedure}]},
                    **(
                        {"modifier": [{"coding": [{"code": m}]} for m in ln.modifiers]}
                        if ln.modifiers
                        else {}
                    ),
                    **(
                        {
                            "servicedPeriod": {
                                "start": ln.service_date.isoformat(),
                                "end": ln.service_date_end.isoformat(),
                            }
                        }
                        if ln.service_date_end
                        else {"servicedDate": ln.service_date.isoformat()}
                    ),
                    "quantity": _quantity(ln.units, ln.unit_basis),
                    "net": _money(ln.charge),
                    **(
                        {"locationCodeableConcept": {"coding": [{"code": ln.place_of_service}]}}
                        if ln.place_of_service
                        else {}
                    ),
                }
                for n, ln in enumerate(c.lines, 1)
            ],
        }
        if c.rendering_provider is not None:
            claim["contained"] = [
                {
                    "resourceType": "Practitioner",
                    "id": "rendering",
                    "name": [{"text": c.rendering_provider.name}],
                    "identifier": [{"system": NPI, "value": c.rendering_provider.npi}],
                }
            ]
            claim["careTeam"] = [
                {
                    "sequence": 1,
                    "provider": {"reference": "#rendering"},
                    "role": {"coding": [{"code": "primary"}]},
                }
            ]
        if c.service_facility_zip:
            claim.setdefault("contained", []).append(
                {
                    "resourceType": "Location",
                    "id": "facility",
                    "address": {"postalCode": c.service_facility_zip},
                }
            )
            claim["facility"] = {"reference": "#facility"}
        if c.claim_type is ClaimType.INSTITUTIONAL:
            _institutional(c, claim, provider)
        for res in (claim, patient, coverage, provider):
            entries.append({"fullUrl": f"urn:payer-rules:{res['resourceType']}/{res['id']}", "resource": res})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _coding(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _institutional(c: Claim, claim: dict[str, Any], provider: dict[str, Any]) -> None:
    """The UB-04 data of an institutional claim, as :mod:`payer_rules.io.fhir.reader` reads it."""
    from payer_rules.io.fhir import reader as r

    if c.provider_ccn:
        provider["identifier"].append({"system": r.CCN_SYSTEM, "value": c.provider_ccn})
    if c.statement_from:
        claim["billablePeriod"] = {
            "start": c.statement_from.isoformat(),
            "end": (c.statement_to or c.statement_from).isoformat(),
        }
    info: list[dict[str, Any]] = []

    def add(category: str, **rest: Any) -> None:
        info.append({"sequence": len(info) + 1, "category": _coding(r.INFO_CATEGORY, category), **rest})

    for category, value, system in (
        ("typeofbill", c.bill_type, "https://www.nubc.org/CodeSystem/TypeOfBill"),
        ("admtype", c.admission_type, "https://www.nubc.org/CodeSystem/PriorityTypeOfAdmitOrVisit"),
        ("pointoforigin", c.admission_source, "https://www.nubc.org/CodeSystem/PointOfOrigin"),
        ("discharge-status", c.discharge_status, "https://www.nubc.org/CodeSystem/PatDischargeStatus"),
    ):
        if value:
            add(category, code=_coding(system, value))
    if c.admission_date:
        add("admissionperiod", timingPeriod={"start": c.admission_date.isoformat()})
    for code in c.condition_codes:
        add("info", code=_coding(r.CONDITION_SYSTEM, code))
    for o in c.occurrence_codes:
        add("info", code=_coding(r.OCCURRENCE_SYSTEM, o.code), timingDate=o.date.isoformat())
    for span in c.occurrence_spans:
        period = {"start": span.start.isoformat(), "end": span.end.isoformat()}
        add("info", code=_coding(r.OCCURRENCE_SPAN_SYSTEM, span.code), timingPeriod=period)
    for v in c.value_codes:
        add("info", code=_coding(r.VALUE_SYSTEM, v.code), valueQuantity={"value": v.amount})
    if info:
        claim["supportingInfo"] = info
    diagnosis_type = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype"
    for n, (entry, dx) in enumerate(zip(claim["diagnosis"], c.diagnoses, strict=True)):
        if n == 0:
            entry["type"] = [_coding(diagnosis_type, "principal")]
        if dx.present_on_admission:
            entry["onAdmission"] = {"coding": [{"code": dx.present_on_admission}]}
    if c.admitting_diagnosis is not None:
        claim["diagnosis"].append(
            {
                "sequence": len(claim["diagnosis"]) + 1,
                "diagnosisCodeableConcept": _coding(
                    "http://hl7.org/fhir/sid/icd-10-cm", c.admitting_diagnosis.code
                ),
                "type": [_coding(diagnosis_type, "admitting")],
            }
        )
    if c.procedures:
        claim["procedure"] = [
            {
                "sequence": n,
                **({"type": [{"coding": [{"code": "primary"}]}]} if n == 1 else {}),
                **({"date": p.date.isoformat()} if p.date else {}),
                "procedureCodeableConcept": _coding("http://www.cms.gov/Medicare/Coding/ICD10", p.code),
            }
            for n, p in enumerate(c.procedures, 1)
        ]
    team = claim.setdefault("careTeam", [])
    for role, who in (("attending", c.attending_provider), ("operating", c.operating_provider)):
        if who is None:
            continue
        claim.setdefault("contained", []).append(
            {
                "resourceType": "Practitioner",
                "id": role,
                "name": [{"text": who.name}],
                "identifier": [{"system": NPI, "value": who.npi}],
            }
        )
        team.append(
            {
                "sequence": len(team) + 1,
                "provider": {"reference": f"#{role}"},
                "role": _coding("http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimCareTeamRole", role),
            }
        )
    if not team:
        del claim["careTeam"]
    for item, ln in zip(claim["item"], c.lines, strict=True):
        if ln.revenue_code:
            item["revenue"] = _coding("https://www.nubc.org/CodeSystem/RevenueCodes", ln.revenue_code)
        if ln.code_system is CodeSystem.REVENUE:
            item["productOrService"] = _coding(
                "http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-applicable"
            )
