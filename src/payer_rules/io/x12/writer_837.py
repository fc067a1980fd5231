"""Claims to 837P (005010X222A1) / 837I (005010X223A2) text.

Used for round-trip tests, examples and the benchmark's generated files, not by the runner: the
runner writes results, not claims. Each claim gets its own billing-provider / subscriber /
patient hierarchy (the simplest correct shape); professional and institutional claims go to
separate transaction sets, since one ST carries one implementation guide.

What an 837 has no place for is not written: the member's accumulators and history, coverage
dates, provider participation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from payer_rules.io.x12.envelope import clean as _clean
from payer_rules.io.x12.writer_835 import _quantity, amount
from payer_rules.models import Claim, ClaimType, Diagnosis, Frequency, Person, Provider, Relationship

__all__ = ["claims_to_837"]

_FREQUENCY = {Frequency.ORIGINAL: "1", Frequency.REPLACEMENT: "7", Frequency.VOID: "8"}
_PAT = {Relationship.SPOUSE: "01", Relationship.CHILD: "19", Relationship.OTHER: "G8"}
_GUIDE = {ClaimType.PROFESSIONAL: "005010X222A1", ClaimType.INSTITUTIONAL: "005010X223A2"}


def _default_filing(payer_id: str, institutional: bool) -> str:
    if payer_id == "medicare":
        return "MA" if institutional else "MB"
    return "CI"


def _d8(day: dt.date) -> str:
    return f"{day:%Y%m%d}"


def _person_nm1(code: str, person: Person, member_id: str | None = None) -> str:
    seg = f"NM1*{code}*1*{_clean(person.last_name) or 'UNKNOWN'}*{_clean(person.first_name, 35)}"
    return f"{seg}****MI*{_clean(member_id, 80)}" if member_id else seg


def _address(person_or_provider: Person | Provider) -> list[str]:
    a = person_or_provider.address
    if a is None:
        return []
    segs = [f"N3*{_clean(a.line1, 55)}"] if a.line1 else []
    if a.city or a.state or a.zip:
        segs.append(f"N4*{_clean(a.city, 30)}*{_clean(a.state, 2)}*{_clean(a.zip, 15)}")
    return segs


def _dmg(person: Person) -> list[str]:
    if person.birth_date is None:
        return []
    return [f"DMG*D8*{_d8(person.birth_date)}*{person.sex}"]


def _provider_nm1(code: str, p: Provider, *, org: bool = False) -> str:
    name = _clean(p.name) or "UNKNOWN"
    if org:
        return f"NM1*{code}*2*{name}*****XX*{p.npi}"
    first, _, last = name.rpartition(" ")
    return f"NM1*{code}*1*{last}*{first}****XX*{p.npi}"


def _hi(qualifier: str, dx: Diagnosis, institutional: bool) -> str:
    poa = f":::::::{dx.present_on_admission}" if institutional and dx.present_on_admission else ""
    return f"{qualifier}:{dx.code}{poa}"


def _claim_segments(claim: Claim, hl_start: int) -> tuple[list[str], int]:
    inst = claim.claim_type is ClaimType.INSTITUTIONAL
    segs: list[str] = []
    b = claim.billing_provider
    hl = hl_start
    segs.append(f"HL*{hl}**20*1")
    if b.taxonomy:
        segs.append(f"PRV*BI*PXC*{b.taxonomy}")
    segs.append(_provider_nm1("85", b, org=True))
    segs += _address(b)
    if b.tax_id:
        segs.append(f"REF*EI*{b.tax_id}")
    cov = claim.coverage
    subscriber = claim.subscriber or claim.patient
    is_self = claim.subscriber is None or cov.relationship is Relationship.SELF
    segs.append(f"HL*{hl + 1}*{hl}*22*{0 if is_self else 1}")
    segs.append(
        f"SBR*P*{'18' if is_self else ''}*{_clean(cov.group_number, 50)}*{_clean(cov.plan, 60)}*****"
        f"{cov.filing_indicator or _default_filing(cov.payer_id, inst)}"
    )
    segs.append(_person_nm1("IL", subscriber, cov.member_id))
    segs += _address(subscriber) + _dmg(subscriber)
    segs.append(f"NM1*PR*2*{_clean(cov.payer_id).upper()}*****PI*{_clean(cov.payer_id, 80)}")
    if inst and claim.provider_ccn:
        segs.append(f"REF*G2*{claim.provider_ccn}")  # 2010BB billing provider secondary id
    next_hl = hl + 2
    if not is_self:
        segs.append(f"HL*{hl + 2}*{hl + 1}*23*0")
        segs.append(f"PAT*{_PAT.get(cov.relationship, 'G8')}")
        segs.append(_person_nm1("QC", claim.patient))
        segs += _address(claim.patient) + _dmg(claim.patient)
        next_hl = hl + 3
    total = sum((ln.charge for ln in claim.lines), start=claim.lines[0].charge * 0)
    freq = _FREQUENCY[claim.frequency]
    assigned = f"{'A' if claim.accept_assignment else 'C'}*{'Y' if claim.benefits_assigned else 'N'}"
    if inst:
        facility = (claim.bill_type or "13")[:2]
        segs.append(f"CLM*{_clean(claim.id, 38)}*{amount(total)}***{facility}:A:{freq}**{assigned}*Y")
        start = claim.statement_from or claim.first_service_date
        end = claim.statement_to or max(ln.last_service_date for ln in claim.lines)
        if claim.admission_date:
            segs.append(f"DTP*435*DT*{_d8(claim.admission_date)}0000")
        segs.append(f"DTP*434*RD8*{_d8(start)}-{_d8(end)}")
        segs.append(
            f"CL1*{claim.admission_type or ''}*{claim.admission_source or ''}*{claim.discharge_status or ''}"
        )
    else:
        pos = claim.place_of_service
        segs.append(f"CLM*{_clean(claim.id, 38)}*{amount(total)}***{pos}:B:{freq}*Y*{assigned}*Y")
    if claim.original_claim_id:
        segs.append(f"REF*F8*{_clean(claim.original_claim_id, 50)}")
    for auth in claim.prior_authorizations:
        segs.append(f"REF*G1*{_clean(auth, 50)}")
    if claim.diagnoses:
        first, *rest = claim.diagnoses
        if inst:
            segs.append(f"HI*{_hi('ABK', first, inst)}")
            if claim.admitting_diagnosis is not None:
                segs.append(f"HI*{_hi('ABJ', claim.admitting_diagnosis, inst)}")
            for start_at in range(0, len(rest), 12):
                segs.append("HI*" + "*".join(_hi("ABF", dx, inst) for dx in rest[start_at : start_at + 12]))
        else:
            codes = [_hi("ABK", first, inst)] + [_hi("ABF", dx, inst) for dx in rest[:11]]
            segs.append("HI*" + "*".join(codes))
    if claim.procedures:
        first_proc, *other_procs = claim.procedures

        def proc(q: str, p: object) -> str:
            code = p.code  # type: ignore[attr-defined]
            date = p.date  # type: ignore[attr-defined]
            return f"{q}:{code}" + (f":D8:{_d8(date)}" if date else "")

        segs.append(f"HI*{proc('BBR', first_proc)}")
        for start_at in range(0, len(other_procs), 12):
            segs.append("HI*" + "*".join(proc("BBQ", p) for p in other_procs[start_at : start_at + 12]))
    if inst:
        segs += _ub04_codes(claim)
    if claim.referring_provider is not None:
        segs.append(_provider_nm1("DN", claim.referring_provider))
    if inst and claim.attending_provider is not None:
        segs.append(_provider_nm1("71", claim.attending_provider))
        if claim.attending_provider.taxonomy:
            segs.append(f"PRV*AT*PXC*{claim.attending_provider.taxonomy}")
    if inst and claim.operating_provider is not None:
        segs.append(_provider_nm1("72", claim.operating_provider))
    if claim.rendering_provider is not None:
        segs.append(_provider_nm1("82", claim.rendering_provider))
        if claim.rendering_provider.taxonomy and not inst:
            segs.append(f"PRV*PE*PXC*{claim.rendering_provider.taxonomy}")
    if claim.service_facility_zip:
        a = b.address
        segs.append("NM1*77*2*SERVICE FACILITY")
        segs.append(f"N3*{_clean(a.line1 if a else None, 55) or 'UNKNOWN'}")
        segs.append(
            f"N4*{_clean(a.city if a else None, 30) or 'UNKNOWN'}*"
            f"{_clean(a.state if a else None, 2) or 'DC'}*"
            f"{claim.service_facility_zip}"
        )
    for other in cov.other_coverage:
        pay = other.payment
        # SBR01 U (unknown): the claim leaves the order to the order-of-benefit rules
        segs.append(f"SBR*{(other.priority or 'unknown')[:1].upper()}*18*******CI")
        if pay is not None:
            segs += _cas_segments(pay.adjustments)
            segs.append(f"AMT*D*{amount(pay.paid)}")
        segs.append("OI***Y***Y" if inst else "OI***Y*P**Y")
        segs.append(
            f"NM1*IL*1*{_clean(subscriber.last_name) or 'UNKNOWN'}*{_clean(subscriber.first_name, 35)}****MI*"
            f"{_clean(other.member_id or cov.member_id, 80)}"
        )
        segs.append(f"NM1*PR*2*{_clean(other.payer_id).upper()}*****PI*{_clean(other.payer_id, 80)}")
        if pay is not None and pay.paid_date:
            segs.append(f"DTP*573*D8*{_d8(pay.paid_date)}")
    for n, ln in enumerate(claim.lines, 1):
        segs.append(f"LX*{n}")
        mods = "".join(f":{m}" for m in ln.modifiers)
        if inst:
            if ln.revenue_code and ln.procedure == ln.revenue_code:
                segs.append(f"SV2*{ln.revenue_code}**{amount(ln.charge)}*UN*{_quantity(ln.units)}")
            else:
                segs.append(
                    f"SV2*{ln.revenue_code or '0300'}*HC:{ln.procedure}{mods}*{amount(ln.charge)}*UN*"
                    f"{_quantity(ln.units)}"
                )
        else:
            pointers = ":".join(str(p) for p in ln.diagnosis_pointers[:4])
            segs.append(
                f"SV1*HC:{ln.procedure}{mods}*{amount(ln.charge)}*{ln.unit_basis or 'UN'}*"
                f"{_quantity(ln.units)}*"
                f"{ln.place_of_service or ''}**{pointers}"
            )
        if ln.service_date_end and ln.service_date_end != ln.service_date:
            segs.append(f"DTP*472*RD8*{_d8(ln.service_date)}-{_d8(ln.service_date_end)}")
        else:
            segs.append(f"DTP*472*D8*{_d8(ln.service_date)}")
        if ln.ndc and not inst:
            segs.append(f"LIN**N4*{ln.ndc}")
            segs.append(f"CTP****{_quantity(ln.units)}*UN")
        if ln.rendering_provider is not None:
            segs.append(_provider_nm1("82", ln.rendering_provider))
            if ln.rendering_provider.taxonomy and not inst:
                segs.append(f"PRV*PE*PXC*{ln.rendering_provider.taxonomy}")
        for other in cov.other_coverage:
            pay = other.payment
            if pay is None or n > len(pay.line_paid):
                continue
            qualifier = "NU" if inst and ln.procedure == ln.revenue_code else "HC"
            segs.append(
                f"SVD*{_clean(other.payer_id, 80)}*{amount(pay.line_paid[n - 1])}*"
                f"{qualifier}:{ln.procedure}{mods}**"
                f"{_quantity(ln.units)}"
            )
            if n <= len(pay.line_adjustments):
                segs += _cas_segments(pay.line_adjustments[n - 1])
            if pay.paid_date:
                segs.append(f"DTP*573*D8*{_d8(pay.paid_date)}")
    return segs, next_hl


def _ub04_codes(claim: Claim) -> list[str]:
    """HI segments of occurrence spans (BI), occurrences (BH), values (BE), conditions (BG): 12 a segment."""
    lists = (
        [f"BI:{o.code}:RD8:{_d8(o.start)}-{_d8(o.end)}" for o in claim.occurrence_spans],
        [f"BH:{o.code}:D8:{_d8(o.date)}" for o in claim.occurrence_codes],
        [f"BE:{v.code}:::{amount(v.amount)}" for v in claim.value_codes],
        [f"BG:{c}" for c in claim.condition_codes],
    )
    return ["HI*" + "*".join(items[i : i + 12]) for items in lists for i in range(0, len(items), 12)]


def _cas_segments(adjustments: Iterable[object]) -> list[str]:
    by_group: dict[str, list[str]] = {}
    for a in adjustments:
        by_group.setdefault(a.group, []).append(f"{a.carc}*{amount(a.amount)}*")  # type: ignore[attr-defined]
    return [
        f"CAS*{g}*" + "*".join(t[i : i + 6]).rstrip("*")
        for g, t in by_group.items()
        for i in range(0, len(t), 6)
    ]


def claims_to_837(
    claims: Iterable[Claim],
    *,
    sender_id: str = "SUBMITTER",
    receiver_id: str = "RECEIVER",
    created: dt.datetime | None = None,
    control: int = 1,
) -> str:
    """An interchange holding ``claims``: one ST per claim type and received date.

    BHT04 (read back as the received date) is per transaction set, so claims received on
    different days go to different ST / SE envelopes.
    """
    now = created or dt.datetime(2026, 1, 1, 12, 0)
    by_type: dict[tuple[ClaimType, dt.date | None], list[Claim]] = {}
    for claim in claims:
        if claim.claim_type not in _GUIDE:
            msg = f"claim {claim.id}: a {claim.claim_type} claim has no 837P / 837I form (no 837D is written)"
            raise ValueError(msg)
        by_type.setdefault((claim.claim_type, claim.received_date), []).append(claim)
    out = [
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender_id:<15.15}*ZZ*{receiver_id:<15.15}*{now:%y%m%d}*{now:%H%M}*^*00501*"
        f"{control:09d}*0*T*:~",
        f"GS*HC*{sender_id}*{receiver_id}*{now:%Y%m%d}*{now:%H%M}*{control}*X*005010X222A1~",
    ]
    groups = []
    for number, ((claim_type, _received), group) in enumerate(by_type.items(), 1):
        st = f"{number:04d}"
        received = group[0].received_date or now.date()
        segs = [
            f"ST*837*{st}*{_GUIDE[claim_type]}",
            f"BHT*0019*00*{control}{number:04d}*{_d8(received)}*{now:%H%M}*CH",
            f"NM1*41*2*{sender_id}*****46*{sender_id}",
            "PER*IC*CLAIMS*TE*5555555555",
            f"NM1*40*2*{receiver_id}*****46*{receiver_id}",
        ]
        hl = 1
        for claim in group:
            body, hl = _claim_segments(claim, hl)
            segs += body
        segs.append(f"SE*{len(segs) + 1}*{st}")
        groups.append(segs)
    # one GS per implementation guide: GS08 names it
    out.pop()
    for number, segs in enumerate(groups, 1):
        guide = segs[0].rsplit("*", 1)[1]
        out.append(
            f"GS*HC*{sender_id}*{receiver_id}*{now:%Y%m%d}*{now:%H%M}*{control + number - 1}*X*{guide}~"
        )
        out.extend(s + "~" for s in segs)
        out.append(f"GE*1*{control + number - 1}~")
    out.append(f"IEA*{len(groups)}*{control:09d}~")
    return "\n".join(out) + "\n"
