"""What the walk keeps of the loops the current claim sits in, until the claim is built.

An HL level (2000A / 2000B / 2000C) with its parties, a 2300 claim being read (:class:`Draft`)
with its 2310 providers, 2320 / 2330 other payers (:class:`OtherPayer`) and 2400 lines
(:class:`Line`), and the ST transaction set around them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from payer_rules.io.x12.reader_837.shared import shared
from payer_rules.io.x12.segments import Segment
from payer_rules.models import (
    Address,
    ClaimType,
    CodeSystem,
    Diagnosis,
    Frequency,
    OccurrenceCode,
    OccurrenceSpan,
    OtherPayerAdjustment,
    Person,
    Procedure,
    Provider,
    Sex,
    ValueCode,
)

__all__ = [
    "INSTITUTIONAL_GUIDES",
    "PROFESSIONAL_GUIDES",
    "Draft",
    "Level",
    "Line",
    "LineError",
    "OtherPayer",
    "Party",
    "Problem",
    "Transaction",
]

PROFESSIONAL_GUIDES = ("X222", "X098")
INSTITUTIONAL_GUIDES = ("X223", "X096")
#: SBR01 payer responsibility sequence; U (unknown) leaves the order to the order-of-benefit rules
_PRIORITY: dict[str, str | None] = {"P": "primary", "S": "secondary", "T": "tertiary", "U": None}


class Party:
    """An NM1 and the N3 / N4 / REF / PRV / DMG that follow it.

    It keeps the values it was read for, not its segment: an HL level's parties live as long as
    the transaction set (a later HL may name the level as its parent), and a file with all its
    claims in one set would otherwise keep every party's segment, several kilobytes a claim.
    """

    __slots__ = (
        "birth",
        "city",
        "first",
        "id",
        "last",
        "line1",
        "npi_qualified",
        "org",
        "sex",
        "state",
        "tax_id",
        "taxonomy",
        "zip",
    )

    def __init__(self, seg: Segment) -> None:
        elements = seg.elements
        if len(elements) < 10:  # NM101 .. NM109, the ones not sent empty
            elements = [*elements, *[""] * (10 - len(elements))]
        self.org = elements[2] == "2"
        #: NM108 is XX: NM109 is an NPI
        self.npi_qualified = elements[8] == "XX"
        self.last = elements[3] or None
        self.first = elements[4] or None
        self.id = elements[9] or None
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
        line1, city, state, zip_code = self.line1, self.city, self.state, self.zip
        if not (line1 or city or state or zip_code):
            return None
        return shared((Address, line1, city, state, zip_code), self._address)

    def _address(self) -> Address:
        return Address(line1=self.line1, city=self.city, state=self.state, zip=self.zip)

    def provider(self) -> Provider:
        npi = self.id if self.npi_qualified and self.id else ""
        where = (self.line1, self.city, self.state, self.zip)
        return shared((Provider, npi, self.name, self.taxonomy, self.tax_id, *where), self._provider, npi)

    def _provider(self, npi: str) -> Provider:
        return Provider(
            npi=npi, name=self.name, taxonomy=self.taxonomy, tax_id=self.tax_id, address=self.address()
        )

    def person(self, person_id: str) -> Person:
        who = (person_id, self.last, self.first, self.birth, self.sex)
        return shared((Person, *who, self.line1, self.city, self.state, self.zip), self._person, person_id)

    def _person(self, person_id: str) -> Person:
        return Person(
            id=person_id,
            last_name=self.last,
            first_name=self.first,
            birth_date=self.birth,
            sex=self.sex,
            address=self.address(),
        )


Problem = tuple[Segment, str]


class Level:
    """An HL: billing provider (20), subscriber (22) or patient (23), with what it carries.

    Like :class:`Party`, it keeps no segment of its own: levels live as long as their
    transaction set.
    """

    __slots__ = (
        "billing",
        "ccn",
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
        "subscriber",
        "taxonomy",
    )

    def __init__(self, code: str, parent: Level | None) -> None:
        self.code = code
        self.parent = parent
        self.problems: list[Problem] = list(parent.problems) if parent else []
        self.billing: Party | None = None
        self.subscriber: Party | None = None
        self.party_payer: Party | None = None
        self.patient: Party | None = None
        self.responsibility = ""
        self.relationship = ""
        self.group_number: str | None = None
        self.group_name: str | None = None
        self.filing: str | None = None
        self.taxonomy: str | None = None
        #: 2010BB REF*G2 (837I): the billing provider's number with this payer, the CCN for Medicare
        self.ccn: str | None = None

    def find(self, code: str) -> Level | None:
        level: Level | None = self
        while level is not None and level.code != code:
            level = level.parent
        return level


class OtherPayer:
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


class Line:
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
        "unit_basis",
        "units",
    )

    def __init__(self, seg: Segment) -> None:
        self.segment = seg
        self.procedure: str | None = None
        self.code_system = CodeSystem.CPT
        self.modifiers: list[str] = []
        self.charge: Decimal | None = None
        self.units = Decimal(1)
        self.unit_basis: str | None = None
        self.pos: str | None = None
        self.pointers: tuple[int, ...] = ()
        self.date: dt.date | None = None
        self.date_end: dt.date | None = None
        self.revenue: str | None = None
        self.ndc: str | None = None
        self.rendering: Party | None = None
        #: other payer id -> [paid, adjustments, date]
        self.other: dict[str, tuple[Decimal, list[OtherPayerAdjustment]]] = {}


class Draft:
    """A claim being read: from its CLM to the next CLM, HL or SE."""

    def __init__(self, seg: Segment, level: Level, txn: Transaction) -> None:
        self.segment = seg
        self.level = level
        self.txn = txn
        self.problems: list[Problem] = []
        self.id = seg.get(1)
        self.charge: Decimal | None = None
        self.diagnoses: list[Diagnosis] = []
        self.admitting: Diagnosis | None = None
        self.procedures: list[Procedure] = []
        self.condition_codes: list[str] = []
        self.occurrence_codes: list[OccurrenceCode] = []
        self.occurrence_spans: list[OccurrenceSpan] = []
        self.value_codes: list[ValueCode] = []
        self.prior_auth: list[str] = []
        self.original_id: str | None = None
        self.referring: Party | None = None
        self.rendering: Party | None = None
        self.attending: Party | None = None
        self.operating: Party | None = None
        self.facility: Party | None = None
        self.statement: tuple[dt.date, dt.date | None] | None = None
        self.admission: dt.date | None = None
        self.cl1: tuple[str | None, str | None, str | None] = (None, None, None)
        self.others: list[OtherPayer] = []
        self.lines: list[Line] = []
        self.frequency = Frequency.ORIGINAL
        self.facility_code = ""
        self.frequency_code = "1"
        self.accept_assignment = True  # CLM07
        self.benefits_assigned = True  # CLM08


class Transaction:
    __slots__ = ("claim_type", "control", "count_from", "problems", "received", "segment", "version")

    def __init__(self, seg: Segment, version: str) -> None:
        self.segment = seg
        self.control = seg.get(2)
        self.version = version
        self.claim_type = (
            ClaimType.INSTITUTIONAL
            if any(g in version for g in INSTITUTIONAL_GUIDES)
            else ClaimType.PROFESSIONAL
        )
        self.count_from = seg.number
        self.received: dt.date | None = None
        self.problems: list[Problem] = []


class LineError(ValueError):
    def __init__(self, seg: Segment, message: str) -> None:
        self.segment = seg
        super().__init__(message)
