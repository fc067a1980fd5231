"""What the MPFS payment-policy indicators of a line's RVU record say before any money is worked.

Each check reads one indicator of the PPRRVU record (the record layout in RVU25D.pdf and its
Attachment A) and the line's modifiers, and answers with a :class:`Decision`: the rule code and
a plain message when the line is denied or pended, ``None`` when the line goes on to pricing.

========================  ===========================================================
STATUS CODE               A, R, T paid (T only alone: :func:`status_t_bundled`); B and
                          P bundled; C contractor-priced; E excluded by regulation;
                          I not valid for Medicare; J anesthesia; M measurement only;
                          N non-covered; X statutory exclusion
PCTC IND                  26 and TC only where the indicator allows them; 5 and 8 not
                          paid in hospital settings
CO-SURG / TEAM SURG       modifiers 62 and 66
modifiers 22, 52, 53      priced by the contractor on review (53 has its own RVU row
                          for the colonoscopies CMS lists)
========================  ===========================================================
"""

from __future__ import annotations

import re

from attrs import frozen

from payer_rules.models import ServiceLine
from payer_rules_medicare.mpfs.schedule import FeeRow

__all__ = ["Decision", "modifier_decision", "status_decision", "status_t_bundled"]

#: Statuses whose RVUs pay under the fee schedule (RVU25D.pdf, Status Code field).
PAID_STATUSES = frozenset({"A", "R", "T"})
#: Inpatient, outpatient and emergency-department hospital places of service.
HOSPITAL_POS = frozenset({"19", "21", "22", "23"})
#: Clinical laboratory codes (CPT 80047-89398, PLA codes ``nnnnU``, venipuncture 36415): status
#: X because the clinical laboratory fee schedule pays them.
_LAB = re.compile(r"^(8\d{4}|\d{4}U|36415)$")
#: Liability modifiers: GA (ABN on file) and GY (statutorily excluded, notice not required)
#: make the beneficiary liable (group PR); without them the provider is (group CO).
BENEFICIARY_LIABLE = frozenset({"GA", "GY"})


@frozen
class Decision:
    """A line the indicators stop: the rule code, the message, and whether the patient is liable."""

    code: str
    message: str
    patient_liable: bool = False


def status_decision(line: ServiceLine, row: FeeRow, year: int) -> Decision | None:
    """What STATUS CODE says of the line; ``None`` for A, R and T (priced on)."""
    status, code = row.status, line.procedure
    where = f"{code} has status {status} in the CY{year} physician fee schedule"
    liable = any(m in BENEFICIARY_LIABLE for m in line.modifiers)
    if status in PAID_STATUSES:
        return None
    if status == "B":
        return Decision("MCR203", f"{where}: bundled; its payment is part of the services it goes with")
    if status == "P":
        return Decision(
            "MCR203",
            f"{where}: bundled or excluded; no separate payment under the physician fee schedule "
            "(incident-to supplies are part of the visit, other items are paid under another "
            "Medicare benefit, such as DMEPOS)",
        )
    if status == "C":
        return Decision(
            "MCR204",
            f"{where}: contractor-priced; the MAC sets the amount on review of the documentation "
            "(operative report), so it cannot be priced here",
        )
    if status == "E":
        return Decision(
            "MCR205",
            f"{where}: excluded from the fee schedule by regulation; when covered it is paid "
            "under reasonable-charge or another payment provision, which is not modelled",
        )
    if status == "J":
        return Decision(
            "MCR205",
            f"{where}: an anesthesia service; it is paid by base and time units times the "
            "anesthesia conversion factor, not by RVUs",
        )
    if status == "I":
        return Decision(
            "MCR206", f"{where}: not valid for Medicare; Medicare uses another code for this service"
        )
    if status == "M":
        return Decision("MCR207", f"{where}: a measurement code, reported for quality data only ($0)")
    if status == "N":
        return Decision("MCR208", f"{where}: not covered by Medicare", patient_liable=liable)
    if status == "X":
        if _LAB.match(code):
            return Decision(
                "MCR201",
                f"{where} (a clinical laboratory test): it is paid from the clinical laboratory fee "
                "schedule, which has no rate for it on this date: import the CLFS quarter "
                "(`payer-rules data import clfs`)",
            )
        if code[:1].isalpha():
            return Decision(
                "MCR205",
                f"{where}: not a physician service; HCPCS Level II items with this status (ambulance, "
                "supplies, drugs, screening tests) are paid under other Medicare fee schedules, "
                "which are not modelled here",
            )
        return Decision(
            "MCR209",
            f"{where}: a statutory exclusion, not a physician service; no payment may be made "
            "under the physician fee schedule",
            patient_liable=liable,
        )
    return Decision("MCR205", f"{where}: status {status} is not paid under the physician fee schedule")


def status_t_bundled(line: ServiceLine, others_paid: bool) -> Decision | None:
    """Status T (injections): paid only when no other fee-schedule service is billed that day."""
    if not others_paid:
        return None
    return Decision(
        "MCR203",
        f"{line.procedure} has status T: an injection service is bundled into the other physician "
        "fee schedule services billed the same day by the same provider",
    )


#: PCTC IND values under which modifier 26 / TC may be billed (RVU25D.pdf Attachment A).
_ALLOWS_26 = frozenset({"1", "6", "8"})
_ALLOWS_TC = frozenset({"1"})


def modifier_decision(
    line: ServiceLine, row: FeeRow, place_of_service: str, has_53_row: bool
) -> Decision | None:
    """What PCTC IND, CO-SURG and TEAM SURG say of the line's modifiers, and 22 / 52 / 53."""
    mods = line.modifiers
    code = line.procedure
    for modifier, allowed in (("26", _ALLOWS_26), ("TC", _ALLOWS_TC)):
        if modifier in mods and row.pctc not in allowed:
            return Decision(
                "MCR210",
                f"{code}-{modifier}: PCTC indicator {row.pctc} does not allow modifier {modifier} "
                f"({_PCTC_MEANING.get(row.pctc, 'see the record layout')})",
            )
    if row.pctc == "5" and place_of_service in HOSPITAL_POS:
        return Decision(
            "MCR211",
            f"{code}: PCTC indicator 5 (incident-to service) is not paid for a hospital inpatient "
            f"or outpatient (place of service {place_of_service})",
        )
    if row.pctc == "8" and place_of_service != "21":
        return Decision(
            "MCR211",
            f"{code}: PCTC indicator 8 (physician interpretation of an abnormal smear) is paid only "
            f"for a hospital inpatient (place of service 21), not {place_of_service}",
        )
    if "62" in mods:
        if row.co_surgery in {"0", "9"}:
            return Decision(
                "MCR212",
                f"{code}-62: CO-SURG indicator {row.co_surgery}: co-surgeons are not paid for this procedure",
            )
        if row.co_surgery == "1":
            return Decision(
                "MCR213",
                f"{code}-62: CO-SURG indicator 1: co-surgeons are paid (62.5% each) only once "
                "documentation establishes that two surgeons were medically necessary",
            )
    if "66" in mods:
        if row.team_surgery in {"0", "9"}:
            return Decision(
                "MCR214",
                f"{code}-66: TEAM SURG indicator {row.team_surgery}: team surgeons are not paid "
                "for this procedure",
            )
        need = (
            "documentation that a team was medically necessary, then priced by report"
            if row.team_surgery == "1"
            else "priced by report"
        )
        return Decision(
            "MCR215", f"{code}-66: TEAM SURG indicator {row.team_surgery}: team surgery is {need}"
        )
    if "22" in mods:
        return Decision(
            "MCR216",
            f"{code}-22: increased procedural services are paid above the fee schedule only on "
            "the MAC's review of the operative report and a statement of how the service differs",
        )
    if "52" in mods:
        return Decision(
            "MCR216",
            f"{code}-52: reduced services are priced by the MAC from the documentation of what was done",
        )
    if "53" in mods and not has_53_row:
        return Decision(
            "MCR216",
            f"{code}-53: a discontinued procedure without its own RVUs is priced by individual "
            "consideration on medical review",
        )
    return None


_PCTC_MEANING = {
    "0": "physician service; the PC/TC concept does not apply",
    "2": "professional-component-only code",
    "3": "technical-component-only code",
    "4": "global-test-only code",
    "5": "incident-to code",
    "6": "laboratory physician interpretation; TC not allowed",
    "7": "physical therapy service",
    "8": "physician interpretation; TC not recognised",
    "9": "concept does not apply",
}
