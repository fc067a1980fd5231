"""Claim header segments (loop 2300 / 2310): CLM, the claim's parties (NM1) and HI code lists."""

from __future__ import annotations

from payer_rules.io.x12.reader_837.institutional import UB04_QUALIFIERS, ub04_code
from payer_rules.io.x12.reader_837.loops import Draft, Level, Line, OtherPayer, Party
from payer_rules.io.x12.reader_837.shared import shared
from payer_rules.io.x12.reader_837.values import checked, parse_amount, parse_date
from payer_rules.io.x12.segments import Segment
from payer_rules.models import ClaimType, CodeSystem, Diagnosis, Frequency, Procedure

__all__ = ["clm", "hi", "nm1"]

_FREQUENCIES = {"1": Frequency.ORIGINAL, "7": Frequency.REPLACEMENT, "8": Frequency.VOID}
# HI qualifiers -> (ICD system, kind); kind: principal, other, admitting, reason, external
_DIAGNOSIS_QUALIFIERS = {
    "ABK": ("icd-10-cm", "principal"),
    "ABF": ("icd-10-cm", "other"),
    "ABJ": ("icd-10-cm", "admitting"),
    "APR": ("icd-10-cm", "reason"),
    "ABN": ("icd-10-cm", "external"),
    "BK": ("icd-9-cm", "principal"),
    "BF": ("icd-9-cm", "other"),
    "BJ": ("icd-9-cm", "admitting"),
    "PR": ("icd-9-cm", "reason"),
    "BN": ("icd-9-cm", "external"),
}
_PROCEDURE_QUALIFIERS = {
    "BBR": CodeSystem.ICD10PCS,
    "BBQ": CodeSystem.ICD10PCS,
    "CAH": CodeSystem.CPT,
    "BR": CodeSystem.ICD10PCS,  # ICD-9-CM procedures in 4010 files; kept, payers refuse them
    "BQ": CodeSystem.ICD10PCS,
}
# DRG (DR), treatment codes (TC) and the 4010 / other lists: read past, nothing judged on them
_OTHER_HI = {"DR", "TC", "ABU", "BU", "BP", "BO"}


def clm(seg: Segment, draft: Draft, component: str) -> None:
    if not draft.id:
        raise ValueError("CLM01 (the claim id) is empty")
    draft.charge = parse_amount(seg.get(2), "CLM02 total charge")
    composite = seg.get(5).split(component)
    draft.facility_code = composite[0]
    draft.frequency_code = composite[2] if len(composite) > 2 else "1"
    frequency = _FREQUENCIES.get(draft.frequency_code)
    if frequency is None:
        if draft.txn.claim_type is ClaimType.PROFESSIONAL:
            raise ValueError(
                f"CLM05-3 claim frequency {draft.frequency_code!r} is not 1 (original), 7 (replacement) "
                "or 8 (void)"
            )
        frequency = Frequency.ORIGINAL  # 837I interim bills (2, 3, 4) and late charges (5)
    draft.frequency = frequency
    if draft.txn.claim_type is ClaimType.INSTITUTIONAL and draft.facility_code:
        checked("bill_type", draft.facility_code + draft.frequency_code)
    assignment, benefits = seg.get(7), seg.get(8)
    if assignment:
        if assignment not in _ASSIGNMENT:
            raise ValueError(
                f"CLM07 assignment code {assignment!r} is not A (assigned), B (assigned for clinical "
                "lab services only) or C (not assigned)"
            )
        draft.accept_assignment = _ASSIGNMENT[assignment]
    if benefits:
        if benefits not in _BENEFITS:
            raise ValueError(
                f"CLM08 benefits assignment {benefits!r} is not Y (yes), N (no) or W (not applicable)"
            )
        draft.benefits_assigned = _BENEFITS[benefits]


#: CLM07 (005010X222A1 / X223A2): A assigned; B assignment accepted on clinical lab services
#: only, which Medicare pays on assignment anyway (mandatory), so the claim is unassigned for
#: everything else; C not assigned.
_ASSIGNMENT = {"A": True, "B": False, "C": False}
#: CLM08: Y the patient assigned benefits to the provider; N no; W not applicable (the patient
#: refused to assign benefits).
_BENEFITS = {"Y": True, "N": False, "W": False}


def nm1(
    seg: Segment,
    level: Level | None,
    draft: Draft | None,
    other: OtherPayer | None,
    line: Line | None,
) -> Party | None:
    code = seg.get(1)
    if draft is None:
        if level is None:
            return None  # 1000A submitter / 1000B receiver
        party = Party(seg)
        if code == "85":
            level.billing = party
            party.taxonomy = level.taxonomy
        elif code == "IL":
            level.subscriber = party
        elif code == "PR":
            level.party_payer = party
        elif code == "QC":
            level.patient = party
        else:
            return party  # pay-to (87), pay-to plan (PE) ... read and dropped
        return party
    party = Party(seg)
    if line is not None:
        if code == "82":
            line.rendering = party
        return party
    if other is not None:
        if code == "IL":
            other.member_id = party.id
        elif code == "PR":
            other.payer_id = party.id
        return party
    if code == "82":
        draft.rendering = party
    elif code == "DN":
        draft.referring = party
    elif code == "71":
        draft.attending = party
    elif code == "72":
        draft.operating = party
    elif code == "77":
        draft.facility = party
    return party


def _diagnosis(code: str, system: str, poa: str | None) -> Diagnosis:
    return Diagnosis(code=code, system=system, present_on_admission=poa)


def hi(seg: Segment, draft: Draft, component: str) -> None:
    for index, element in enumerate(seg.elements[1:], 1):
        if not element:
            continue
        parts = element.split(component)
        qualifier = parts[0]
        code = parts[1] if len(parts) > 1 else ""
        if qualifier in _OTHER_HI:
            continue
        where = f"HI{index:02d}"
        if not code:
            raise ValueError(
                f"{where} {element!r} has no code; expected qualifier{component}code, e.g. "
                f"ABK{component}E119 (ISA16 declares {component!r} as the component separator)"
            )
        if qualifier in _DIAGNOSIS_QUALIFIERS:
            system, kind = _DIAGNOSIS_QUALIFIERS[qualifier]
            poa = parts[8] if len(parts) > 8 and parts[8] else None
            try:
                dx = shared((Diagnosis, code, system, poa), _diagnosis, code, system, poa)
            except ValueError as exc:
                raise ValueError(f"{where} {code}: {exc}") from None
            if kind == "principal":
                draft.diagnoses.insert(0, dx)
            elif kind == "admitting":
                draft.admitting = dx
            else:
                draft.diagnoses.append(dx)
        elif qualifier in UB04_QUALIFIERS:
            ub04_code(qualifier, parts, where, component, draft)
        elif qualifier in _PROCEDURE_QUALIFIERS:
            when = parse_date(parts[3]) if len(parts) > 3 and parts[3] else None
            proc = Procedure(code=code, system=_PROCEDURE_QUALIFIERS[qualifier], date=when)
            if qualifier in ("BBR", "BR", "CAH"):
                draft.procedures.insert(0, proc)
            else:
                draft.procedures.append(proc)
        else:
            raise ValueError(
                f"{where} qualifier {qualifier!r} is not a diagnosis or procedure code list; expected "
                "ABK / ABF (ICD-10-CM), BBR / BBQ (ICD-10-PCS), BG / BH / BI / BE (UB-04 codes) ..."
            )
