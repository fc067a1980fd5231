"""Claims as they come in: members, coverage, providers, diagnoses and service lines.

Every record is a frozen attrs value. Money is :class:`~decimal.Decimal`, dates are
:class:`datetime.date`. Serialisation lives in :mod:`payer_rules.io`, not here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Any

from attrs import Attribute, field, frozen, validators

__all__ = [
    "Accumulators",
    "Address",
    "Claim",
    "ClaimType",
    "CodeSystem",
    "Coverage",
    "Diagnosis",
    "Frequency",
    "OccurrenceCode",
    "OccurrenceSpan",
    "OtherCoverage",
    "OtherPayerAdjustment",
    "OtherPayment",
    "Person",
    "PriorService",
    "Procedure",
    "Provider",
    "Relationship",
    "ServiceLine",
    "Sex",
    "ValueCode",
]


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"
    UNKNOWN = "U"


class Relationship(StrEnum):
    """Patient's relationship to the subscriber (X12 2000B SBR02 / 2000C PAT01, simplified)."""

    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    OTHER = "other"


class ClaimType(StrEnum):
    PROFESSIONAL = "professional"  # 837P / CMS-1500
    INSTITUTIONAL = "institutional"  # 837I / UB-04


class Frequency(StrEnum):
    """Claim frequency (CLM05-3): the three a payer must tell apart."""

    ORIGINAL = "original"  # 1
    REPLACEMENT = "replacement"  # 7
    VOID = "void"  # 8


class CodeSystem(StrEnum):
    CPT = "cpt"
    HCPCS = "hcpcs"
    ICD10PCS = "icd-10-pcs"
    REVENUE = "revenue"


def _upper_tuple(values: object) -> tuple[str, ...]:
    if values is None or values == ():
        return ()
    if isinstance(values, str):
        values = [values]
    if isinstance(values, tuple) and all(isinstance(v, str) and v and v == _code(v) for v in values):
        return values  # already normal: keep the same object (history shares it)
    return tuple(str(v).strip().upper() for v in values if str(v).strip())  # type: ignore[attr-defined]


def _code(value: object) -> str:
    """Upper case, no surrounding space; an already-normal string is returned as is, not copied."""
    text = value if type(value) is str else str(value)
    normal = text.strip().upper()
    return text if normal == text else normal


def _unit_basis(value: object) -> str | None:
    """837P SV103: ``UN`` (units) or ``MJ`` (minutes); ``None`` when the source does not say."""
    if value is None:
        return None
    basis = _code(value)
    if basis not in ("UN", "MJ"):
        raise ValueError(f"unit basis must be UN (units) or MJ (minutes), got {value!r}")
    return basis


def _diagnosis_code(value: str) -> str:
    """ICD-10-CM codes are stored without the dot, upper case, as the X12 HI segment carries them."""
    return value.replace(".", "").strip().upper()


def _optional_code(value: object) -> str | None:
    return None if value is None or str(value).strip() == "" else _code(value)


def _shaped(what: str, pattern: str, example: str) -> Callable[[Any, Attribute[Any], Any], None]:
    """A validator: ``None`` or a string matching ``pattern``, else a message naming ``what`` is expected."""
    compiled = re.compile(pattern)

    def check(_instance: Any, _attribute: Attribute[Any], value: Any) -> None:
        if value is not None and not (isinstance(value, str) and compiled.fullmatch(value)):
            raise ValueError(f"{what} {value!r} is not valid; expected {example}")

    return check


#: UB-04 present-on-admission indicators (FL 67 ...; 837I HI C022-9).
POA_INDICATORS = frozenset({"Y", "N", "U", "W", "1"})


@frozen(kw_only=True)
class Address:
    line1: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None

    @property
    def zip5(self) -> str | None:
        return self.zip[:5] if self.zip else None


@frozen(kw_only=True)
class Person:
    """A subscriber or a patient."""

    id: str
    last_name: str | None = None
    first_name: str | None = None
    birth_date: dt.date | None = None
    sex: Sex = Sex.UNKNOWN
    address: Address | None = None
    #: American Indian or Alaska Native (Medicaid cost-sharing exemption, 42 CFR 447.56(a)(1)(x)).
    american_indian_alaska_native: bool = False

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@frozen(kw_only=True)
class OtherPayerAdjustment:
    """One CAS adjustment from another payer's remittance (X12 2320 / 2430 CAS)."""

    group: str
    carc: str
    amount: Decimal


@frozen(kw_only=True)
class OtherPayment:
    """What a prior payer did with this claim (X12 loops 2320 / 2430)."""

    paid: Decimal
    allowed: Decimal | None = None
    paid_date: dt.date | None = None
    adjustments: tuple[OtherPayerAdjustment, ...] = ()
    line_paid: tuple[Decimal, ...] = ()
    #: Per service line (aligned with ``line_paid``), the other payer's 2430 CAS adjustments.
    line_adjustments: tuple[tuple[OtherPayerAdjustment, ...], ...] = ()


@frozen(kw_only=True)
class OtherCoverage:
    """Another plan the patient has, for coordination of benefits."""

    payer_id: str
    member_id: str | None = None
    plan: str | None = None
    #: "primary", "secondary" or "tertiary": the other plan's place in the order of benefits.
    priority: str = "primary"
    payment: OtherPayment | None = None


@frozen(kw_only=True)
class Coverage:
    payer_id: str
    member_id: str
    plan: str | None = None
    group_number: str | None = None
    relationship: Relationship = Relationship.SELF
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    other_coverage: tuple[OtherCoverage, ...] = ()
    #: Claim filing indicator (X12 SBR09 / 835 CLP06): ``MB`` Medicare Part B, ``MA`` Part A, ``CI`` ...
    filing_indicator: str | None = None
    #: Medicaid: family income for the state's cost-sharing period (month or quarter); cost sharing
    #: is capped at 5% of it (42 CFR 447.56(f)). ``None``: not given, the cap is not applied.
    family_income: Decimal | None = None
    #: Medicaid: premiums and cost sharing the family already incurred in that period.
    cost_sharing_incurred: Decimal = Decimal(0)
    #: The member is a Qualified Medicare Beneficiary (42 U.S.C. 1396d(p)): Medicaid pays the
    #: Medicare cost sharing and the member is never billed for it. No X12 837 element carries it
    #: (states know it from eligibility); JSON ``coverage.qmb`` only.
    qmb: bool = False

    def active_on(self, day: dt.date) -> bool:
        if self.effective_from and day < self.effective_from:
            return False
        return not (self.effective_to and day > self.effective_to)


@frozen(kw_only=True)
class Provider:
    npi: str
    name: str | None = None
    taxonomy: str | None = None
    tax_id: str | None = None
    address: Address | None = None
    participating: bool = True


@frozen(kw_only=True)
class Diagnosis:
    code: str = field(converter=_diagnosis_code)
    #: "icd-10-cm" for diagnoses; kept so ICD-9 history or other systems can be refused clearly.
    system: str = "icd-10-cm"
    #: Y, N, U, W or 1 (exempt); see :data:`POA_INDICATORS`.
    present_on_admission: str | None = field(
        default=None,
        converter=_optional_code,
        validator=_shaped("present-on-admission indicator", "[YNUW1]", "Y, N, U, W or 1 (exempt)"),
    )


@frozen(kw_only=True)
class Procedure:
    """An inpatient procedure coded on the claim, not on a line (837I HI BBR / BBQ: ICD-10-PCS)."""

    code: str = field(converter=_diagnosis_code)
    system: CodeSystem = CodeSystem.ICD10PCS
    date: dt.date | None = None


@frozen(kw_only=True)
class OccurrenceCode:
    """A UB-04 occurrence code and its date (837I HI BH; FL 31-34)."""

    code: str = field(converter=_code)
    date: dt.date


@frozen(kw_only=True)
class OccurrenceSpan:
    """A UB-04 occurrence span code and its dates (837I HI BI; FL 35-36)."""

    code: str = field(converter=_code)
    start: dt.date
    end: dt.date = field()

    @end.validator
    def _not_before_start(self, _attribute: object, value: dt.date) -> None:
        if value < self.start:
            raise ValueError(
                f"occurrence span {self.code} ends ({value}) before it starts ({self.start}); "
                "expected start <= end"
            )


@frozen(kw_only=True)
class ValueCode:
    """A UB-04 value code and its amount (837I HI BE; FL 39-41), e.g. 80 covered days."""

    code: str = field(converter=_code)
    amount: Decimal


@frozen(kw_only=True)
class ServiceLine:
    procedure: str = field(converter=_code)
    code_system: CodeSystem = CodeSystem.CPT
    modifiers: tuple[str, ...] = field(default=(), converter=_upper_tuple)
    units: Decimal = Decimal(1)
    #: What ``units`` count (837P SV103): ``UN`` units of service, ``MJ`` minutes (anesthesia
    #: time); ``None`` when the source does not say (Medicare reads anesthesia units as minutes).
    unit_basis: str | None = field(default=None, converter=_unit_basis)
    charge: Decimal
    service_date: dt.date
    service_date_end: dt.date | None = None
    #: 1-based pointers into the claim's diagnosis list, in order of relevance.
    diagnosis_pointers: tuple[int, ...] = (1,)
    place_of_service: str | None = None
    ndc: str | None = None
    revenue_code: str | None = None
    rendering_provider: Provider | None = None

    @modifiers.validator
    def _at_most_four(self, _attribute: object, value: tuple[str, ...]) -> None:
        if len(value) > 4:
            raise ValueError(f"at most 4 modifiers per line, got {len(value)}: {', '.join(value)}")

    @property
    def last_service_date(self) -> dt.date:
        return self.service_date_end or self.service_date


@frozen(kw_only=True)
class PriorService:
    """A service from the member's claim history, as the payer has it on file."""

    claim_id: str
    service_date: dt.date
    procedure: str = field(converter=_code)
    modifiers: tuple[str, ...] = field(default=(), converter=_upper_tuple)
    units: Decimal = Decimal(1)
    charge: Decimal | None = None
    provider_npi: str | None = None
    provider_tax_id: str | None = None
    provider_taxonomy: str | None = None
    payer_id: str | None = None
    status: str = "paid"


@frozen(kw_only=True)
class Accumulators:
    """Year-to-date amounts the member has already met on this plan."""

    year: int
    deductible_met: Decimal = Decimal(0)
    out_of_pocket_met: Decimal = Decimal(0)


@frozen(kw_only=True)
class Claim:
    id: str
    claim_type: ClaimType = ClaimType.PROFESSIONAL
    frequency: Frequency = Frequency.ORIGINAL
    original_claim_id: str | None = None
    patient: Person
    subscriber: Person | None = None
    coverage: Coverage
    billing_provider: Provider
    rendering_provider: Provider | None = None
    referring_provider: Provider | None = None
    place_of_service: str = "11"
    service_facility_zip: str | None = None
    received_date: dt.date | None = None
    prior_authorizations: tuple[str, ...] = field(default=(), converter=_upper_tuple)
    diagnoses: tuple[Diagnosis, ...] = ()
    lines: tuple[ServiceLine, ...] = field(validator=validators.min_len(1))
    history: tuple[PriorService, ...] = ()
    accumulators: tuple[Accumulators, ...] = ()
    # -- institutional (837I / UB-04) only; the first entry of ``diagnoses`` is the principal one
    #: Type of bill: facility type (CLM05-1) and frequency (CLM05-3), e.g. ``111``.
    bill_type: str | None = field(
        default=None,
        validator=_shaped("type of bill", "0?[1-9][0-9A-Z][0-9A-Z]", "3 characters as 111, 131 (UB-04 FL 4)"),
    )
    statement_from: dt.date | None = None
    statement_to: dt.date | None = None
    admission_date: dt.date | None = None
    #: CL101 / CL102 / CL103: admission type, admission source, patient (discharge) status.
    admission_type: str | None = field(
        default=None, validator=_shaped("admission type", "[0-9]", "one digit, e.g. 1 (emergency)")
    )
    admission_source: str | None = field(
        default=None,
        validator=_shaped("admission source", "[0-9A-Z]", "one character, e.g. 1 (non-health-care point)"),
    )
    discharge_status: str | None = field(
        default=None,
        validator=_shaped("patient discharge status", "[0-9]{2}", "two digits, e.g. 01 (home)"),
    )
    admitting_diagnosis: Diagnosis | None = None
    attending_provider: Provider | None = None
    #: ICD-10-PCS procedures, principal first (HI BBR then BBQ).
    procedures: tuple[Procedure, ...] = ()
    #: The facility's CMS Certification Number (provider number, 837I 2010BB REF*G2): six
    #: characters for providers (050454); ten for suppliers such as an ASC (state, ``C``, seven
    #: digits: 05C0001234).
    provider_ccn: str | None = field(
        default=None,
        converter=_optional_code,
        validator=_shaped(
            "CCN",
            "[0-9]{2}[0-9A-Z][0-9]{3}|[0-9]{2}C[0-9]{7}",
            "6 characters, e.g. 050454 (an ASC: 10, e.g. 05C0001234)",
        ),
    )
    operating_provider: Provider | None = None
    #: UB-04 condition codes (HI BG), occurrence codes (BH), occurrence spans (BI), value codes (BE).
    condition_codes: tuple[str, ...] = field(default=(), converter=_upper_tuple)
    occurrence_codes: tuple[OccurrenceCode, ...] = ()
    occurrence_spans: tuple[OccurrenceSpan, ...] = ()
    value_codes: tuple[ValueCode, ...] = ()
    # -- assignment (CLM07 / CLM08): who Medicare pays and what the provider may charge
    #: The provider accepts assignment (CLM07 ``A``; ``C`` is not assigned).
    accept_assignment: bool = True
    #: The patient assigned benefits to the provider (CLM08 ``Y``).
    benefits_assigned: bool = True

    @property
    def member_key(self) -> str:
        """Who a payer's accumulators and history belong to."""
        return f"{self.coverage.payer_id}:{self.coverage.member_id}:{self.patient.id}"

    @property
    def first_service_date(self) -> dt.date:
        lines = self.lines
        first = lines[0].service_date  # a claim has at least one line (validated)
        for line in lines:
            if line.service_date < first:
                first = line.service_date
        return first

    def place_of_service_for(self, line: ServiceLine) -> str:
        return line.place_of_service or self.place_of_service

    def rendering_for(self, line: ServiceLine) -> Provider:
        return line.rendering_provider or self.rendering_provider or self.billing_provider

    def diagnoses_for(self, line: ServiceLine) -> tuple[Diagnosis, ...]:
        """The diagnoses ``line`` points at, in pointer order (pointers outside the list skipped)."""
        diagnoses = self.diagnoses
        count = len(diagnoses)
        pointers = line.diagnosis_pointers
        if len(pointers) == 1:  # the usual line: no comprehension needed
            p = pointers[0]
            return (diagnoses[p - 1],) if 0 < p <= count else ()
        return tuple([diagnoses[p - 1] for p in pointers if 0 < p <= count])

    def accumulators_for(self, year: int) -> Accumulators | None:
        return next((a for a in self.accumulators if a.year == year), None)
