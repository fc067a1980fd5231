"""837P (005010X222A1) and 837I (005010X223A2) claims in: one ``Claim`` or ``InputError`` per CLM.

The reader walks the segments once, keeping only the loops the current claim sits in: the
billing provider (2000A), the subscriber and payer (2000B), the patient (2000C), then the claim
(2300) with its providers (2310), other payers (2320 / 2330) and service lines (2400 / 2420 /
2430). A problem inside a claim makes that claim an error located at the offending segment
(``claims.837: segment 42 (DTP*472*D8*20260230): claim 26407789: ...``); the other claims of
the file are still read. A problem above the claims (a bad subscriber date of birth) reaches
every claim beneath it. Envelope problems (SE / GE / IEA counts and control numbers) are errors
of their own; the claims inside are still judged, since their segments were read whole.

4010 (X098A1 / X096A1) files are read with the same map, where it fits, so older test files
give results or located errors rather than a refusal; their diagnoses are ICD-9-CM (``BK``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from payer_rules.errors import InputError
from payer_rules.io.x12.segments import Segment, X12Error, excerpt, tokenize
from payer_rules.models import (
    Address,
    Claim,
    ClaimType,
    CodeSystem,
    Coverage,
    Diagnosis,
    Frequency,
    OtherCoverage,
    OtherPayerAdjustment,
    OtherPayment,
    Person,
    Procedure,
    Provider,
    Relationship,
    ServiceLine,
    Sex,
)

__all__ = ["read_837_text"]

_PROFESSIONAL_GUIDES = ("X222", "X098")
_INSTITUTIONAL_GUIDES = ("X223", "X096")
_FREQUENCIES = {"1": Frequency.ORIGINAL, "7": Frequency.REPLACEMENT, "8": Frequency.VOID}
_PRIORITY = {"P": "primary", "S": "secondary", "T": "tertiary"}
_RELATIONSHIP = {"18": Relationship.SELF, "01": Relationship.SPOUSE, "19": Relationship.CHILD}
_SEX = {"M": Sex.MALE, "F": Sex.FEMALE}
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
_OTHER_HI = {"BH", "BI", "BE", "BG", "DR", "TC", "ABU", "BU", "BP", "BO"}


class _Party:
    """An NM1 and the N3 / N4 / REF / PRV / DMG that follow it."""

    __slots__ = (
        "birth",
        "city",
        "first",
        "id",
        "last",
        "line1",
        "org",
        "segment",
        "sex",
        "state",
        "tax_id",
        "taxonomy",
        "zip",
    )

    def __init__(self, seg: Segment) -> None:
        self.segment = seg
        self.org = seg.get(2) == "2"
        self.last = seg.get(3) or None
        self.first = seg.get(4) or None
        self.id = seg.get(9) or None
        self.line1: str | None = None
        self.city: str | None = None
        self.state: str | None = None
        self.zip: str | None = None
        self.taxonomy: str | None = None
        self.tax_id: str | None = None
        self.birth: dt.date | None = None
        self.sex = Sex.UNKNOWN

    @property
    def name(self) -> str | None:
        if self.org or not self.first:
            return self.last
        return f"{self.first} {self.last}" if self.last else self.first

    def address(self) -> Address | None:
        if not (self.line1 or self.city or self.state or self.zip):
            return None
        return Address(line1=self.line1, city=self.city, state=self.state, zip=self.zip)

    def provider(self) -> Provider:
        return Provider(
            npi=self.id if self.segment.get(8) == "XX" and self.id else "",
            name=self.name,
            taxonomy=self.taxonomy,
            tax_id=self.tax_id,
            address=self.address(),
        )

    def person(self, person_id: str) -> Person:
        return Person(
            id=person_id,
            last_name=self.last,
            first_name=self.first,
            birth_date=self.birth,
            sex=self.sex,
            address=self.address(),
        )


Problem = tuple[Segment, str]


class _Level:
    """An HL: billing provider (20), subscriber (22) or patient (23), with what it carries."""

    __slots__ = (
        "billing",
        "code",
        "filing",
        "group_name",
        "group_number",
        "parent",
        "party_payer",
        "patient",
        "problems",
        "relationship",
        "responsibility",
        "segment",
        "subscriber",
        "taxonomy",
    )

    def __init__(self, seg: Segment, code: str, parent: _Level | None) -> None:
        self.segment = seg
        self.code = code
        self.parent = parent
        self.problems: list[Problem] = list(parent.problems) if parent else []
        self.billing: _Party | None = None
        self.subscriber: _Party | None = None
        self.party_payer: _Party | None = None
        self.patient: _Party | None = None
        self.responsibility = ""
        self.relationship = ""
        self.group_number: str | None = None
        self.group_name: str | None = None
        self.filing: str | None = None
        self.taxonomy: str | None = None

    def find(self, code: str) -> _Level | None:
        level: _Level | None = self
        while level is not None and level.code != code:
            level = level.parent
        return level


class _Other:
    """A 2320 other-subscriber loop and its 2330A / 2330B payer."""

    __slots__ = ("adjustments", "member_id", "paid", "paid_date", "payer_id", "plan", "priority")

    def __init__(self, seg: Segment) -> None:
        self.priority = _PRIORITY.get(seg.get(1), "primary")
        self.plan = seg.get(4) or None
        self.adjustments: list[OtherPayerAdjustment] = []
        self.paid: Decimal | None = None
        self.paid_date: dt.date | None = None
        self.member_id: str | None = None
        self.payer_id: str | None = None


class _Line:
    __slots__ = (
        "charge",
        "code_system",
        "date",
        "date_end",
        "modifiers",
        "ndc",
        "other",
        "pointers",
        "pos",
        "procedure",
        "rendering",
        "revenue",
        "segment",
        "units",
    )

    def __init__(self, seg: Segment) -> None:
        self.segment = seg
        self.procedure: str | None = None
        self.code_system = CodeSystem.CPT
        self.modifiers: list[str] = []
        self.charge: Decimal | None = None
        self.units = Decimal(1)
        self.pos: str | None = None
        self.pointers: tuple[int, ...] = ()
        self.date: dt.date | None = None
        self.date_end: dt.date | None = None
        self.revenue: str | None = None
        self.ndc: str | None = None
        self.rendering: _Party | None = None
        #: other payer id -> [paid, adjustments, date]
        self.other: dict[str, tuple[Decimal, list[OtherPayerAdjustment]]] = {}


class _Draft:
    """A claim being read: from its CLM to the next CLM, HL or SE."""

    def __init__(self, seg: Segment, level: _Level, txn: _Transaction) -> None:
        self.segment = seg
        self.level = level
        self.txn = txn
        self.problems: list[Problem] = []
        self.id = seg.get(1)
        self.charge: Decimal | None = None
        self.diagnoses: list[Diagnosis] = []
        self.admitting: Diagnosis | None = None
        self.procedures: list[Procedure] = []
        self.prior_auth: list[str] = []
        self.original_id: str | None = None
        self.referring: _Party | None = None
        self.rendering: _Party | None = None
        self.attending: _Party | None = None
        self.facility: _Party | None = None
        self.statement: tuple[dt.date, dt.date | None] | None = None
        self.admission: dt.date | None = None
        self.cl1: tuple[str | None, str | None, str | None] = (None, None, None)
        self.others: list[_Other] = []
        self.lines: list[_Line] = []
        self.frequency = Frequency.ORIGINAL
        self.facility_code = ""
        self.frequency_code = "1"


class _Transaction:
    __slots__ = ("claim_type", "control", "count_from", "problems", "received", "segment", "version")

    def __init__(self, seg: Segment, version: str) -> None:
        self.segment = seg
        self.control = seg.get(2)
        self.version = version
        self.claim_type = (
            ClaimType.INSTITUTIONAL
            if any(g in version for g in _INSTITUTIONAL_GUIDES)
            else ClaimType.PROFESSIONAL
        )
        self.count_from = seg.number
        self.received: dt.date | None = None
        self.problems: list[Problem] = []


def _date(value: str) -> dt.date:
    if len(value) != 8 or not value.isdigit():
        raise ValueError(f"expected a date as CCYYMMDD, got {value!r}")
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise ValueError(f"{value!r} is not a real date; expected CCYYMMDD") from None


def _period(qualifier: str, value: str) -> tuple[dt.date, dt.date | None]:
    if qualifier == "D8":
        return _date(value), None
    if qualifier == "RD8":
        start, sep, end = value.partition("-")
        if not sep:
            raise ValueError(f"expected a range as CCYYMMDD-CCYYMMDD (RD8), got {value!r}")
        first, last = _date(start), _date(end)
        if last < first:
            raise ValueError(f"the range {value!r} ends before it starts")
        return first, (last if last != first else None)
    if qualifier == "DT":
        return _date(value[:8]), None
    raise ValueError(f"date format qualifier {qualifier!r} is not D8, RD8 or DT")


def _amount(value: str, what: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what} {value!r} is not a number; expected e.g. 125.00") from None
    if not amount.is_finite():
        raise ValueError(f"{what} {value!r} is not a number; expected e.g. 125.00")
    return amount


def _code_system(qualifier: str, code: str) -> CodeSystem:
    if (
        qualifier == "HC"
        and len(code) == 5
        and code[:4].isdigit()
        and (code[4].isdigit() or code[4] in "FTU")
    ):
        return CodeSystem.CPT
    return CodeSystem.HCPCS


class _Reader:
    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name

    def error(self, seg: Segment | X12Error | None, message: str, claim_id: str | None = None) -> InputError:
        if seg is None:
            return InputError(self.name, message, claim_id=claim_id)
        if isinstance(seg, X12Error):
            return InputError(f"{self.name}: {seg.where}", message, claim_id=claim_id)
        return InputError(
            f"{self.name}: segment {seg.number} ({excerpt(seg.raw)})", message, claim_id=claim_id
        )

    # -- the walk --------------------------------------------------------------------------------

    def read(self) -> Iterator[Claim | InputError]:
        isa: Segment | None = None
        gs: Segment | None = None
        gs_count = 0
        st_count = 0
        txn: _Transaction | None = None
        skip_txn = False
        levels: dict[str, _Level] = {}
        level: _Level | None = None
        draft: _Draft | None = None
        party: _Party | None = None
        other: _Other | None = None
        line: _Line | None = None
        svd: tuple[Decimal, list[OtherPayerAdjustment]] | None = None
        last: Segment | None = None
        saw_any = False

        for seg in tokenize(self.text):
            if isinstance(seg, X12Error):
                if draft is not None:
                    draft.problems.append((Segment(seg.number, seg.raw, [""]), seg.message))
                else:
                    yield self.error(seg, seg.message)
                continue
            saw_any = True
            last = seg
            sid = seg.elements[0]
            if skip_txn and sid not in ("SE", "GE", "IEA", "ISA", "GS", "ST"):
                continue
            try:
                # -- service lines first: they are most of the segments -------------------------
                if sid == "LX":
                    if draft is None:
                        raise ValueError("LX outside a claim; expected CLM (loop 2300) before the lines")
                    line = _Line(seg)
                    draft.lines.append(line)
                    party = None
                    svd = None
                elif sid == "SV1":
                    self._sv1(seg, line, draft)
                elif sid == "SV2":
                    self._sv2(seg, line, draft)
                elif sid == "DTP":
                    qualifier = seg.get(1)
                    if draft is None:
                        if qualifier == "472":
                            raise ValueError("DTP*472 outside a claim")
                        continue
                    if qualifier == "472":
                        start, end = _period(seg.get(2), seg.get(3))
                        if line is None:
                            draft.statement = draft.statement or (start, end)
                        else:
                            line.date, line.date_end = start, end
                    elif qualifier == "434":
                        draft.statement = _period(seg.get(2), seg.get(3))
                    elif qualifier == "435":
                        draft.admission = _period(seg.get(2), seg.get(3))[0]
                    elif qualifier == "573":
                        when = _period(seg.get(2), seg.get(3))[0]
                        if other is not None and line is None:
                            other.paid_date = when
                    # other dates (onset, accident, discharge hour ...) carry nothing we judge
                elif sid == "CLM":
                    if draft is not None:
                        yield self.finish(draft)
                    draft = None
                    line = None
                    other = None
                    party = None
                    if txn is None:
                        raise ValueError("CLM outside a transaction set; expected ST*837 before it")
                    if level is None or level.find("22") is None:
                        draft = _Draft(seg, level or _Level(seg, "22", None), txn)
                        draft.problems.append((seg, "no subscriber loop (2000B HL*..*22) before this claim"))
                        continue
                    draft = _Draft(seg, level, txn)
                    self._clm(seg, draft)
                elif sid == "NM1":
                    party = self._nm1(seg, level, draft, other, line)
                elif sid in ("N3", "N4", "DMG", "PRV"):
                    if sid == "PRV":
                        if party is not None:
                            party.taxonomy = seg.get(3) or None
                        elif level is not None and level.code == "20" and draft is None:
                            level.taxonomy = seg.get(3) or None  # PRV*BI comes before NM1*85
                        continue
                    if party is None:
                        continue
                    if sid == "N3":
                        party.line1 = seg.get(1) or None
                    elif sid == "N4":
                        party.city = seg.get(1) or None
                        party.state = seg.get(2) or None
                        party.zip = seg.get(3) or None
                    else:
                        if seg.get(2):
                            party.birth = _date(seg.get(2)) if seg.get(1) in ("D8", "") else None
                        party.sex = _SEX.get(seg.get(3), Sex.UNKNOWN)
                elif sid == "REF":
                    qualifier = seg.get(1)
                    if qualifier == "G1":
                        if draft is None:
                            raise ValueError("REF*G1 (prior authorization) outside a claim")
                        if seg.get(2):
                            draft.prior_auth.append(seg.get(2))
                    elif qualifier == "EI" and party is not None:
                        party.tax_id = seg.get(2) or None
                    elif qualifier == "F8" and draft is not None and other is None:
                        draft.original_id = seg.get(2) or None
                elif sid == "HI":
                    if draft is None:
                        raise ValueError("HI outside a claim; expected it in loop 2300 after CLM")
                    self._hi(seg, draft)
                elif sid == "SBR":
                    if draft is not None:
                        other = _Other(seg)
                        draft.others.append(other)
                        party = None
                        line = None
                    elif level is not None and level.code == "22":
                        level.responsibility = seg.get(1)
                        level.relationship = seg.get(2)
                        level.group_number = seg.get(3) or None
                        level.group_name = seg.get(4) or None
                        level.filing = seg.get(9) or None
                    else:
                        raise ValueError("SBR outside a subscriber loop (2000B HL*..*22)")
                elif sid == "CAS":
                    adjustments = self._cas(seg)
                    if svd is not None:
                        svd[1].extend(adjustments)
                    elif other is not None and line is None:
                        other.adjustments.extend(adjustments)
                elif sid == "AMT":
                    if other is not None and line is None and seg.get(1) == "D":
                        other.paid = _amount(seg.get(2), "AMT02 payer paid amount")
                elif sid == "SVD":
                    if line is None or draft is None:
                        raise ValueError("SVD outside a service line; expected it after LX / SV1")
                    svd = (_amount(seg.get(2), "SVD02 paid amount"), [])
                    line.other[seg.get(1)] = svd
                    party = None
                elif sid == "HL":
                    if draft is not None:
                        yield self.finish(draft)
                    draft = line = other = party = None
                    svd = None
                    code = seg.get(3)
                    parent_id = seg.get(2)
                    parent = levels.get(parent_id) if parent_id else None
                    level = _Level(seg, code, parent)
                    levels[seg.get(1)] = level
                    if parent_id and parent is None:
                        level.problems.append(
                            (
                                seg,
                                f"HL02 names parent {parent_id!r}, which is no earlier HL01 in this "
                                "transaction set; expected the id of the loop above it",
                            )
                        )
                    if code not in ("20", "22", "23"):
                        level.problems.append(
                            (
                                seg,
                                f"HL03 level code {code!r} is not 20 (billing provider), 22 (subscriber) "
                                "or 23 (patient)",
                            )
                        )
                elif sid == "PAT":
                    if level is not None and level.code == "23":
                        level.relationship = seg.get(1)
                elif sid == "CL1":
                    if draft is not None:
                        draft.cl1 = (seg.get(1) or None, seg.get(2) or None, seg.get(3) or None)
                elif sid == "LIN":
                    if line is not None and seg.get(2) == "N4":
                        line.ndc = seg.get(3) or None
                elif sid == "BHT":
                    if txn is not None:
                        try:
                            txn.received = _date(seg.get(4))
                        except ValueError as exc:
                            txn.problems.append((seg, f"BHT04 (the date the claims were sent): {exc}"))
                elif sid == "ST":
                    if draft is not None:
                        yield self.finish(draft)
                    draft = line = other = party = None
                    level = None
                    levels = {}
                    if txn is not None:
                        yield self.error(
                            txn.segment, f"transaction set {txn.control} has no SE before the next ST"
                        )
                    st_count += 1
                    skip_txn = False
                    version = seg.get(3) or (gs.get(8) if gs is not None else "")
                    txn = _Transaction(seg, version)
                    if seg.get(1) != "837":
                        skip_txn = True
                        yield self.error(
                            seg,
                            f"transaction set {seg.get(1)!r} is not a claim; expected 837 "
                            "(005010X222A1 professional or 005010X223A2 institutional)",
                        )
                    elif not any(g in version for g in _PROFESSIONAL_GUIDES + _INSTITUTIONAL_GUIDES):
                        skip_txn = True
                        yield self.error(
                            seg,
                            f"implementation guide {version!r} is not supported; expected "
                            "005010X222A1 (837P) or 005010X223A2 (837I)",
                        )
                elif sid == "SE":
                    if draft is not None:
                        yield self.finish(draft)
                    draft = line = other = party = None
                    level = None
                    if txn is None:
                        yield self.error(seg, "SE without a matching ST")
                        continue
                    counted = seg.number - txn.count_from + 1
                    if seg.get(1) != str(counted):
                        yield self.error(
                            seg,
                            f"SE01 says the transaction set has {seg.get(1) or 'no'} segments, but it "
                            f"has {counted} from ST to SE; segments may be lost or duplicated",
                        )
                    if seg.get(2) != txn.control:
                        yield self.error(
                            seg, f"SE02 control number {seg.get(2)!r} does not match ST02 {txn.control!r}"
                        )
                    txn = None
                    skip_txn = False
                elif sid == "GS":
                    gs = seg
                    gs_count += 1
                    st_count = 0
                elif sid == "GE":
                    if gs is None:
                        yield self.error(seg, "GE without a matching GS")
                    else:
                        if seg.get(1) != str(st_count):
                            yield self.error(
                                seg,
                                f"GE01 says the group has {seg.get(1) or 'no'} transaction sets, but it "
                                f"has {st_count}",
                            )
                        if seg.get(2) != gs.get(6):
                            yield self.error(
                                seg, f"GE02 control number {seg.get(2)!r} does not match GS06 {gs.get(6)!r}"
                            )
                    gs = None
                elif sid == "ISA":
                    if isa is not None:
                        yield self.error(isa, "interchange has no IEA before the next ISA")
                    isa = seg
                    gs_count = 0
                    self.component = seg.raw[-1]
                elif sid == "IEA":
                    if isa is None:
                        yield self.error(seg, "IEA without a matching ISA")
                    else:
                        if seg.get(1) != str(gs_count):
                            yield self.error(
                                seg,
                                f"IEA01 says the interchange has {seg.get(1) or 'no'} groups, but it has "
                                f"{gs_count}",
                            )
                        if seg.get(2) != isa.get(13):
                            yield self.error(
                                seg,
                                f"IEA02 control number {seg.get(2)!r} does not match ISA13 {isa.get(13)!r}",
                            )
                    isa = None
                # any other segment (PER, PWK, CN1, NTE, CRC, OI, MOA ...) carries nothing we judge
            except ValueError as exc:
                if draft is not None:
                    draft.problems.append((seg, str(exc)))
                elif level is not None and sid in ("N3", "N4", "DMG", "NM1", "PRV", "REF", "SBR", "PAT"):
                    level.problems.append((seg, str(exc)))
                else:
                    yield self.error(seg, str(exc))

        if draft is not None:
            if txn is not None:
                draft.problems.append(
                    (
                        draft.segment,
                        "the file ends inside this claim, with no SE / GE / IEA after it: the "
                        "interchange is cut short and the claim may be incomplete",
                    )
                )
            yield self.finish(draft)
        if not saw_any:
            return
        where = last
        if txn is not None:
            yield self.error(
                where, f"the file ends without the SE of transaction set {txn.control}: cut short"
            )
        elif gs is not None:
            yield self.error(where, "the file ends without GE: the interchange is cut short")
        elif isa is not None:
            yield self.error(where, "the file ends without IEA: the interchange is cut short")

    # -- segments --------------------------------------------------------------------------------

    def _clm(self, seg: Segment, draft: _Draft) -> None:
        if not draft.id:
            raise ValueError("CLM01 (the claim id) is empty")
        draft.charge = _amount(seg.get(2), "CLM02 total charge")
        composite = seg.get(5).split(self.component)
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

    def _nm1(
        self,
        seg: Segment,
        level: _Level | None,
        draft: _Draft | None,
        other: _Other | None,
        line: _Line | None,
    ) -> _Party | None:
        code = seg.get(1)
        if draft is None:
            if level is None:
                return None  # 1000A submitter / 1000B receiver
            party = _Party(seg)
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
        party = _Party(seg)
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
        elif code == "77":
            draft.facility = party
        return party

    def _hi(self, seg: Segment, draft: _Draft) -> None:
        component = self.component
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
                dx = Diagnosis(code=code, system=system, present_on_admission=poa)
                if kind == "principal":
                    draft.diagnoses.insert(0, dx)
                elif kind == "admitting":
                    draft.admitting = dx
                else:
                    draft.diagnoses.append(dx)
            elif qualifier in _PROCEDURE_QUALIFIERS:
                when = _date(parts[3]) if len(parts) > 3 and parts[3] else None
                proc = Procedure(code=code, system=_PROCEDURE_QUALIFIERS[qualifier], date=when)
                if qualifier in ("BBR", "BR", "CAH"):
                    draft.procedures.insert(0, proc)
                else:
                    draft.procedures.append(proc)
            else:
                raise ValueError(
                    f"{where} qualifier {qualifier!r} is not a diagnosis or procedure code list; expected "
                    "ABK / ABF (ICD-10-CM), BBR / BBQ (ICD-10-PCS) ..."
                )

    def _sv1(self, seg: Segment, line: _Line | None, draft: _Draft | None) -> None:
        if line is None or draft is None:
            raise ValueError("SV1 outside a service line; expected LX before it")
        parts = seg.get(1).split(self.component)
        qualifier = parts[0]
        code = parts[1] if len(parts) > 1 else ""
        if not code:
            raise ValueError(
                f"SV101 {seg.get(1)!r} has no procedure code; expected e.g. HC{self.component}99213"
            )
        line.procedure = code
        line.code_system = _code_system(qualifier, code)
        line.modifiers = [m for m in parts[2:6] if m]
        line.charge = _amount(seg.get(2), "SV102 line charge")
        if seg.get(4):
            line.units = _amount(seg.get(4), "SV104 units")
        line.pos = seg.get(5) or None
        pointers = seg.get(7)
        if pointers:
            try:
                line.pointers = tuple(int(p) for p in pointers.split(self.component) if p)
            except ValueError:
                raise ValueError(f"SV107 diagnosis pointers {pointers!r} must be numbers 1-12") from None

    def _sv2(self, seg: Segment, line: _Line | None, draft: _Draft | None) -> None:
        if line is None or draft is None:
            raise ValueError("SV2 outside a service line; expected LX before it")
        revenue = seg.get(1)
        if not revenue:
            raise ValueError("SV201 (revenue code) is empty; expected a 4-digit NUBC revenue code")
        line.revenue = revenue
        parts = seg.get(2).split(self.component) if seg.get(2) else []
        if len(parts) > 1 and parts[1]:
            line.procedure = parts[1]
            line.code_system = _code_system(parts[0], parts[1])
            line.modifiers = [m for m in parts[2:6] if m]
        else:
            line.procedure = revenue
            line.code_system = CodeSystem.REVENUE
        line.charge = _amount(seg.get(3), "SV203 line charge")
        if seg.get(5):
            line.units = _amount(seg.get(5), "SV205 units")

    def _cas(self, seg: Segment) -> list[OtherPayerAdjustment]:
        group = seg.get(1)
        if group not in ("CO", "PR", "OA", "PI", "CR"):
            raise ValueError(f"CAS01 group {group!r} is not CO, PR, OA, PI or CR")
        found = []
        elements = seg.elements
        for start in range(2, min(len(elements), 20), 3):
            carc = elements[start]
            if not carc:
                continue
            amount = _amount(
                elements[start + 1] if start + 1 < len(elements) else "", f"CAS{start + 1:02d} amount"
            )
            found.append(OtherPayerAdjustment(group=group, carc=carc, amount=amount))
        return found

    # -- a finished claim --------------------------------------------------------------------------

    component = ":"

    def finish(self, draft: _Draft) -> Claim | InputError:
        problems = draft.txn.problems + draft.level.problems + draft.problems
        claim: Claim | None = None
        if not problems:
            try:
                claim = self._build(draft)
            except _LineError as exc:
                problems = [(exc.segment, str(exc))]
            except (ValueError, TypeError) as exc:
                problems = [(draft.segment, str(exc))]
        if claim is not None:
            return claim
        seg, message = problems[0]
        more = len(problems) - 1
        if more:
            rest = "; ".join(f"segment {s.number} ({excerpt(s.raw, 24)}): {m}" for s, m in problems[1:4])
            message += f" (and {more} more: {rest}{' ...' if more > 3 else ''})"
        claim_id = draft.id or None
        return self.error(seg, f"claim {claim_id}: {message}" if claim_id else message, claim_id=claim_id)

    def _build(self, draft: _Draft) -> Claim:
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
            key = "-".join(
                x for x in (member_id, p.last, p.first, p.birth.isoformat() if p.birth else None) if x
            )
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
        line_adj: dict[int, list[tuple[OtherPayerAdjustment, ...]]] = {
            i: [] for i in range(len(draft.others))
        }
        for n, ln in enumerate(draft.lines, 1):
            if ln.procedure is None or ln.charge is None:
                raise _LineError(ln.segment, f"line {n} has no SV1 / SV2 service; expected one after LX")
            date = ln.date or (statement_from if institutional else None)
            if date is None:
                raise _LineError(
                    ln.segment, f"line {n} has no date of service; expected DTP*472 after the SV1"
                )
            end = ln.date_end if ln.date else (statement_to if statement_to != date else None)
            total += ln.charge
            try:
                lines.append(
                    ServiceLine(
                        procedure=ln.procedure,
                        code_system=ln.code_system,
                        modifiers=tuple(ln.modifiers),
                        units=ln.units,
                        charge=ln.charge,
                        service_date=date,
                        service_date_end=end,
                        diagnosis_pointers=ln.pointers or (1,),
                        place_of_service=ln.pos,
                        ndc=ln.ndc,
                        revenue_code=ln.revenue,
                        rendering_provider=ln.rendering.provider() if ln.rendering else None,
                    )
                )
            except ValueError as exc:
                raise _LineError(ln.segment, f"line {n}: {exc}") from None
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
        coverage = Coverage(
            payer_id=payer.id or payer.last or "",
            member_id=member_id,
            plan=sub_level.group_name,
            group_number=sub_level.group_number,
            relationship=relationship,
            other_coverage=tuple(others),
            filing_indicator=sub_level.filing,
        )
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
        )


class _LineError(ValueError):
    def __init__(self, seg: Segment, message: str) -> None:
        self.segment = seg
        super().__init__(message)


def read_837_text(text: str, name: str) -> Iterator[Claim | InputError]:
    """Claims from 837 text; ``name`` is the file name used in messages."""
    yield from _Reader(text, name).read()
