"""A claim read whole (:class:`~.loops.Draft`) becomes a :class:`~payer_rules.models.Claim`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from payer_rules.io.x12.reader_837.loops import Draft, Line, LineError
from payer_rules.io.x12.reader_837.shared import shared
from payer_rules.models import (
    Claim,
    ClaimType,
    Coverage,
    OtherCoverage,
    OtherPayerAdjustment,
    OtherPayment,
    Relationship,
    ServiceLine,
)

__all__ = ["build_claim"]

_RELATIONSHIP = {"18": Relationship.SELF, "01": Relationship.SPOUSE, "19": Relationship.CHILD}


def _service_line(ln: Line, date: dt.date, end: dt.date | None) -> ServiceLine:
    assert ln.procedure is not None and ln.charge is not None  # checked by the caller
    return ServiceLine(
        procedure=ln.procedure,
        code_system=ln.code_system,
        modifiers=tuple(ln.modifiers),
        units=ln.units,
        unit_basis=ln.unit_basis,
        charge=ln.charge,
        service_date=date,
        service_date_end=end,
        diagnosis_pointers=ln.pointers or (1,),
        place_of_service=ln.pos,
        ndc=ln.ndc,
        revenue_code=ln.revenue,
        rendering_provider=ln.rendering.provider() if ln.rendering else None,
    )


def build_claim(draft: Draft) -> Claim:
    level = draft.level
    txn = draft.txn
    sub_level = level.find("22")
    bill_level = level.find("20")
    if sub_level is None:
        raise ValueError("no subscriber loop (2000B HL*..*22) above this claim")
    if bill_level is None or bill_level.billing is None:
        raise ValueError("no billing provider (loop 2010AA NM1*85) above this claim")
    if sub_level.subscriber is None:
        raise ValueError("no subscriber (loop 2010BA NM1*IL) above this claim")
    if sub_level.party_payer is None:
        raise ValueError("no payer (loop 2010BB NM1*PR) above this claim")
    subscriber_party = sub_level.subscriber
    member_id = subscriber_party.id or ""
    if not member_id:
        raise ValueError("the subscriber (NM1*IL) has no member id in NM109")
    subscriber = subscriber_party.person(member_id)
    pat_level = level.find("23")
    if pat_level is not None and pat_level.patient is not None:
        p = pat_level.patient
        key = "-".join(x for x in (member_id, p.last, p.first, p.birth.isoformat() if p.birth else None) if x)
        patient = p.person(key.upper())
        relationship = _RELATIONSHIP.get(pat_level.relationship, Relationship.OTHER)
    elif pat_level is not None:
        raise ValueError("the patient loop (2000C) has no patient name (2010CA NM1*QC)")
    else:
        patient = subscriber
        relationship = _RELATIONSHIP.get(sub_level.relationship or "18", Relationship.OTHER)
    if not draft.lines:
        raise ValueError("the claim has no service lines; expected LX with SV1 (837P) or SV2 (837I)")
    lines = []
    institutional = txn.claim_type is ClaimType.INSTITUTIONAL
    statement_from = draft.statement[0] if draft.statement else None
    statement_to = (draft.statement[1] or draft.statement[0]) if draft.statement else None
    total = Decimal(0)
    other_ids = [o.payer_id for o in draft.others]
    line_paid: dict[int, list[Decimal]] = {i: [] for i in range(len(draft.others))}
    line_adj: dict[int, list[tuple[OtherPayerAdjustment, ...]]] = {i: [] for i in range(len(draft.others))}
    for n, ln in enumerate(draft.lines, 1):
        if ln.procedure is None or ln.charge is None:
            raise LineError(ln.segment, f"line {n} has no SV1 / SV2 service; expected one after LX")
        date = ln.date or (statement_from if institutional else None)
        if date is None:
            raise LineError(ln.segment, f"line {n} has no date of service; expected DTP*472 after the SV1")
        end = ln.date_end if ln.date else (statement_to if statement_to != date else None)
        total += ln.charge
        try:
            if ln.rendering is None:
                line_key = (
                    ServiceLine,
                    ln.procedure,
                    ln.code_system,
                    *ln.modifiers,
                    None,  # the modifiers end
                    str(ln.units),
                    ln.unit_basis,
                    str(ln.charge),
                    date,
                    end,
                    ln.pointers,
                    ln.pos,
                    ln.ndc,
                    ln.revenue,
                )
                lines.append(shared(line_key, _service_line, ln, date, end))
            else:
                lines.append(_service_line(ln, date, end))
        except ValueError as exc:
            raise LineError(ln.segment, f"line {n}: {exc}") from None
        for index in line_paid:
            payer_id = other_ids[index]
            paid = ln.other.get(payer_id or "") if payer_id else None
            if paid is None and len(draft.others) == 1 and len(ln.other) == 1:
                paid = next(iter(ln.other.values()))
            line_paid[index].append(paid[0] if paid else Decimal(0))
            line_adj[index].append(tuple(paid[1]) if paid else ())
    if draft.charge is not None and total != draft.charge:
        raise ValueError(
            f"CLM02 total charge {draft.charge} is not the sum of the line charges {total}; "
            "expected them to agree"
        )
    others = []
    for index, o in enumerate(draft.others):
        if not o.payer_id:
            raise ValueError("an other-payer loop (2320 SBR) has no payer (2330B NM1*PR with NM109)")
        adjudicated = o.paid is not None or o.adjustments or any(line_paid[index]) or any(line_adj[index])
        payment = None
        if adjudicated:
            payment = OtherPayment(
                paid=o.paid if o.paid is not None else sum(line_paid[index], Decimal(0)),
                paid_date=o.paid_date,
                adjustments=tuple(o.adjustments),
                line_paid=tuple(line_paid[index]),
                line_adjustments=tuple(line_adj[index]),
            )
        others.append(
            OtherCoverage(
                payer_id=o.payer_id,
                member_id=o.member_id,
                plan=o.plan,
                priority=o.priority,
                payment=payment,
            )
        )
    payer = sub_level.party_payer
    payer_id = payer.id or payer.last or ""

    def make_coverage() -> Coverage:
        return Coverage(
            payer_id=payer_id,
            member_id=member_id,
            plan=sub_level.group_name,
            group_number=sub_level.group_number,
            relationship=relationship,
            other_coverage=tuple(others),
            filing_indicator=sub_level.filing,
        )

    if others:
        coverage = make_coverage()
    else:
        plan = (sub_level.group_name, sub_level.group_number, relationship, sub_level.filing)
        coverage = shared((Coverage, payer_id, member_id, *plan), make_coverage)
    billing = bill_level.billing.provider()
    facility_zip = draft.facility.zip if draft.facility is not None else None
    admission_type, admission_source, discharge = draft.cl1
    return Claim(
        id=draft.id,
        claim_type=txn.claim_type,
        frequency=draft.frequency,
        original_claim_id=draft.original_id,
        patient=patient,
        subscriber=subscriber if patient is not subscriber else None,
        coverage=coverage,
        billing_provider=billing,
        rendering_provider=draft.rendering.provider() if draft.rendering else None,
        referring_provider=draft.referring.provider() if draft.referring else None,
        place_of_service=draft.facility_code if not institutional and draft.facility_code else "11",
        service_facility_zip=facility_zip,
        received_date=txn.received,
        accept_assignment=draft.accept_assignment,
        benefits_assigned=draft.benefits_assigned,
        prior_authorizations=tuple(draft.prior_auth),
        diagnoses=tuple(draft.diagnoses),
        lines=tuple(lines),
        bill_type=(draft.facility_code + draft.frequency_code)
        if institutional and draft.facility_code
        else None,
        statement_from=statement_from if institutional else None,
        statement_to=statement_to if institutional else None,
        admission_date=draft.admission,
        admission_type=admission_type,
        admission_source=admission_source,
        discharge_status=discharge,
        admitting_diagnosis=draft.admitting,
        attending_provider=draft.attending.provider() if draft.attending else None,
        procedures=tuple(draft.procedures),
        provider_ccn=sub_level.ccn if institutional else None,
        operating_provider=draft.operating.provider() if draft.operating else None,
        condition_codes=tuple(draft.condition_codes),
        occurrence_codes=tuple(draft.occurrence_codes),
        occurrence_spans=tuple(draft.occurrence_spans),
        value_codes=tuple(draft.value_codes),
    )
