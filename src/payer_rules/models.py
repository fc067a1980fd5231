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

from payer_rules.money import check_amount, check_charge, check_units

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
    DENTAL = "dental"  # 837D / ADA dental claim form (FHIR claim-type ``oral``): read, never priced here


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


def _amount(_instance: object, attribute: Attribute[Any], value: Any) -> None:
    """Money within :data:`~payer_rules.money.MAX_AMOUNT`, in whole cents (issue 19)."""
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        check_amount(Decimal(value), attribute.name)


def _amounts(_instance: object, attribute: Attribute[Any], values: Any) -> None:
    for value in values:
        _amount(_instance, attribute, value)


def _charge(_instance: object, attribute: Attribute[Any], value: Any) -> None:
    """A billed charge: an amount, not negative."""
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        check_charge(Decimal(value), attribute.name)


#: The dates a claim may carry (issue 19). A payer's date arithmetic (a filing limit months after
#: the date of service, a lookback years before it) must stay inside Python's years 1 to 9999:
#: a date of service of 9999-12-31 failed inside a Medicaid payer (found by the long fuzz run).
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)


def _date(_instance: object, attribute: Attribute[Any], value: Any) -> None:
    if isinstance(value, dt.date) and not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(
            f"{attribute.name} {value.isoformat()} is out of range; expected a date from "
            f"{MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"
        )


def _units(_instance: object, attribute: Attribute[Any], value: Any) -> None:
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        check_units(Decimal(value), attribute.name)


@frozen(kw_only=True)
class Address:
    """A postal address."""

    #: Street address, first line.
    line1: str | None = None
    #: City.
    city: str | None = None
    #: Two-letter US state code (e.g. CA); state-specific rules (LCD jurisdictions) read the
    #: billing provider's.
    state: str | None = None
    #: ZIP or ZIP+4; the first five digits locate Medicare's payment locality.
    zip: str | None = None

    @property
    def zip5(self) -> str | None:
        return self.zip[:5] if self.zip else None


@frozen(kw_only=True)
class Person:
    """A subscriber or a patient."""

    #: The payer's or the practice's id for this person (member or patient id).
    id: str
    #: Family name.
    last_name: str | None = None
    #: Given name.
    first_name: str | None = None
    #: Date of birth, YYYY-MM-DD; age edits use the age on the date of service.
    birth_date: dt.date | None = field(default=None, validator=_date)
    #: M, F or U (unknown); sex edits judge M and F only.
    sex: Sex = Sex.UNKNOWN
    #: Home address.
    address: Address | None = None
    #: American Indian or Alaska Native (Medicaid cost-sharing exemption, 42 CFR 447.56(a)(1)(x)).
    american_indian_alaska_native: bool = False

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


#: ``employment`` values (``payer_rules.order_of_benefits``).
_EMPLOYMENT = ("active", "retired", "cobra")
#: ``medicare_basis`` values.
_MEDICARE_BASES = ("age", "disability", "esrd")


@frozen(kw_only=True)
class OtherPayerAdjustment:
    """One CAS adjustment from another payer's remittance (X12 2320 / 2430 CAS)."""

    #: CAS group code: CO, PR, OA, PI or CR.
    group: str
    #: Claim adjustment reason code (CARC), e.g. 45.
    carc: str
    #: Amount adjusted, in dollars.
    amount: Decimal = field(validator=_amount)


@frozen(kw_only=True)
class OtherPayment:
    """What a prior payer did with this claim (X12 loops 2320 / 2430)."""

    #: What the other payer paid for the claim, in dollars.
    paid: Decimal = field(validator=_amount)
    #: The other payer's allowed amount for the claim, when given.
    allowed: Decimal | None = field(default=None, validator=_amount)
    #: Date the other payer paid (its remittance date).
    paid_date: dt.date | None = field(default=None, validator=_date)
    #: The other payer's claim-level CAS adjustments.
    adjustments: tuple[OtherPayerAdjustment, ...] = ()
    #: Per service line, what the other payer paid (aligned with the claim's lines).
    line_paid: tuple[Decimal, ...] = field(default=(), validator=_amounts)
    #: Per service line (aligned with ``line_paid``), the other payer's 2430 CAS adjustments.
    line_adjustments: tuple[tuple[OtherPayerAdjustment, ...], ...] = ()


@frozen(kw_only=True)
class OtherCoverage:
    """Another plan the patient has, for coordination of benefits."""

    #: The other plan's payer id.
    payer_id: str
    #: The member's id with the other plan.
    member_id: str | None = None
    #: The other plan's name or number.
    plan: str | None = None
    #: "primary", "secondary" or "tertiary": the other plan's place in the order of benefits;
    #: null: not stated, the order-of-benefit rules decide (``payer_rules.order_of_benefits``).
    priority: str | None = "primary"
    #: What that payer did with this claim, when it has seen it (2320 / 2430).
    payment: OtherPayment | None = None
    #: The patient's relationship to that plan's subscriber (self: the patient is the employee /
    #: subscriber), for the order of benefits.
    relationship: Relationship | None = None
    #: That plan's subscriber's date of birth (the birthday rule for dependent children).
    subscriber_birth_date: dt.date | None = field(default=None, validator=_date)
    #: When that plan started covering the patient (the length-of-coverage rules).
    effective_from: dt.date | None = field(default=None, validator=_date)
    #: The subscriber's status with the employer sponsoring that plan: active, retired or cobra.
    employment: str | None = field(default=None, validator=validators.optional(validators.in_(_EMPLOYMENT)))
    #: Employees of the employer sponsoring that plan (Medicare-secondary rules: 20 working aged,
    #: 100 disability).
    employer_size: int | None = field(default=None, validator=validators.optional(validators.ge(0)))
    #: When that plan is Medicare: why the patient has it (age, disability or esrd).
    medicare_basis: str | None = field(
        default=None, validator=validators.optional(validators.in_(_MEDICARE_BASES))
    )
    #: When that plan is Medicare by ESRD: the first day of the 30-month coordination period.
    esrd_coordination_start: dt.date | None = field(default=None, validator=_date)


@frozen(kw_only=True)
class Coverage:
    """The coverage a claim is billed to: payer, member, plan and other plans."""

    #: The payer this claim is billed to (the payer ids of `payer-rules payers`).
    payer_id: str
    #: The member's id with that payer; accumulators and history are kept per member.
    member_id: str
    #: Plan name or number (e.g. 'Part B'); commercial payers choose benefit plans by it.
    plan: str | None = None
    #: Employer group number.
    group_number: str | None = None
    #: Patient's relationship to the subscriber: self, spouse, child or other.
    relationship: Relationship = Relationship.SELF
    #: First day of coverage; services before it are not covered.
    effective_from: dt.date | None = field(default=None, validator=_date)
    #: Last day of coverage; services after it are not covered.
    effective_to: dt.date | None = field(default=None, validator=_date)
    #: Other plans the patient has, for coordination of benefits.
    other_coverage: tuple[OtherCoverage, ...] = ()
    #: Claim filing indicator (X12 SBR09 / 835 CLP06): ``MB`` Medicare Part B, ``MA`` Part A, ``CI`` ...
    filing_indicator: str | None = None
    #: Medicaid: family income for the state's cost-sharing period (month or quarter); cost sharing
    #: is capped at 5% of it (42 CFR 447.56(f)). ``None``: not given, the cap is not applied.
    family_income: Decimal | None = field(default=None, validator=_amount)
    #: Medicaid: premiums and cost sharing the family already incurred in that period.
    cost_sharing_incurred: Decimal = field(default=Decimal(0), validator=_amount)
    #: The member is a Qualified Medicare Beneficiary (42 U.S.C. 1396d(p)): Medicaid pays the
    #: Medicare cost sharing and the member is never billed for it. No X12 837 element carries it
    #: (states know it from eligibility); JSON ``coverage.qmb`` only.
    qmb: bool = False
    #: The subscriber's status with the employer sponsoring the plan: active, retired or cobra
    #: (the order of benefits; JSON only).
    employment: str | None = field(default=None, validator=validators.optional(validators.in_(_EMPLOYMENT)))
    #: Employees of the employer sponsoring the plan (Medicare-secondary rules; JSON only).
    employer_size: int | None = field(default=None, validator=validators.optional(validators.ge(0)))
    #: When the plan is Medicare: why the patient has it (age, disability or esrd; JSON only).
    medicare_basis: str | None = field(
        default=None, validator=validators.optional(validators.in_(_MEDICARE_BASES))
    )
    #: When the plan is Medicare by ESRD: the first day of the 30-month coordination period.
    esrd_coordination_start: dt.date | None = field(default=None, validator=_date)

    def active_on(self, day: dt.date) -> bool:
        if self.effective_from and day < self.effective_from:
            return False
        return not (self.effective_to and day > self.effective_to)


@frozen(kw_only=True)
class Provider:
    """A provider: billing, rendering, referring, attending or operating."""

    #: National Provider Identifier (10 digits, Luhn check digit).
    npi: str
    #: Provider or organisation name.
    name: str | None = None
    #: Health care provider taxonomy code (e.g. 207Q00000X); decides NPP rates and specialty rules.
    taxonomy: str | None = None
    #: Federal tax id (EIN or SSN) the provider bills under; 'same group' rules read it.
    tax_id: str | None = None
    #: Practice address; its ZIP locates the Medicare locality when the claim has no service-facility ZIP.
    address: Address | None = None
    #: Whether the provider participates with (is in network of) the payer.
    participating: bool = True


@frozen(kw_only=True)
class Diagnosis:
    """A diagnosis on the claim (ICD-10-CM)."""

    #: ICD-10-CM code, with or without the dot (stored without it, upper case).
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

    #: ICD-10-PCS procedure code (7 characters).
    code: str = field(converter=_diagnosis_code)
    #: Code system of the procedure (icd-10-pcs).
    system: CodeSystem = CodeSystem.ICD10PCS
    #: Date the procedure was performed.
    date: dt.date | None = field(default=None, validator=_date)


@frozen(kw_only=True)
class OccurrenceCode:
    """A UB-04 occurrence code and its date (837I HI BH; FL 31-34)."""

    #: UB-04 occurrence code (2 characters).
    code: str = field(converter=_code)
    #: Date of the occurrence.
    date: dt.date = field(validator=_date)


@frozen(kw_only=True)
class OccurrenceSpan:
    """A UB-04 occurrence span code and its dates (837I HI BI; FL 35-36)."""

    #: UB-04 occurrence span code.
    code: str = field(converter=_code)
    #: First day of the span.
    start: dt.date = field(validator=_date)
    #: Last day of the span.
    end: dt.date = field(validator=_date)

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

    #: UB-04 value code (2 characters).
    code: str = field(converter=_code)
    #: The value: an amount in dollars or a count (e.g. covered days).
    amount: Decimal = field(validator=_amount)


@frozen(kw_only=True)
class ServiceLine:
    """One service line: what was done, when, how many units and for what charge."""

    #: Procedure code: CPT or HCPCS (professional), or the HCPCS / revenue code of an institutional line.
    procedure: str = field(converter=_code)
    #: System of `procedure`: cpt, hcpcs, icd-10-pcs or revenue.
    code_system: CodeSystem = CodeSystem.CPT
    #: Up to four procedure modifiers (e.g. 26, TC, 59, GA), in billed order.
    modifiers: tuple[str, ...] = field(default=(), converter=_upper_tuple)
    #: Units of service (a number, e.g. 1 or 2.5).
    units: Decimal = field(default=Decimal(1), validator=_units)
    #: What ``units`` count (837P SV103): ``UN`` units of service, ``MJ`` minutes (anesthesia
    #: time); ``None`` when the source does not say (Medicare reads anesthesia units as minutes).
    unit_basis: str | None = field(default=None, converter=_unit_basis)
    #: Billed charge for the line, in dollars (a string or number, read as a decimal).
    charge: Decimal = field(validator=_charge)
    #: Date of service, YYYY-MM-DD; codes, edits and fees in force on it apply.
    service_date: dt.date = field(validator=_date)
    #: Last date of service for a line that spans days.
    service_date_end: dt.date | None = field(default=None, validator=_date)
    #: 1-based pointers into the claim's diagnosis list, in order of relevance.
    diagnosis_pointers: tuple[int, ...] = (1,)
    #: CMS place-of-service code for this line (overrides the claim's).
    place_of_service: str | None = None
    #: National Drug Code for a drug line (11 digits).
    ndc: str | None = None
    #: UB-04 revenue code of an institutional line (4 digits, e.g. 0450).
    revenue_code: str | None = None
    #: Who performed this line, when not the claim's rendering provider.
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

    #: The claim the service was billed on.
    claim_id: str
    #: Date of service.
    service_date: dt.date = field(validator=_date)
    #: Procedure code.
    procedure: str = field(converter=_code)
    #: Modifiers billed.
    modifiers: tuple[str, ...] = field(default=(), converter=_upper_tuple)
    #: Units of service.
    units: Decimal = field(default=Decimal(1), validator=_units)
    #: Billed charge, in dollars.
    charge: Decimal | None = field(default=None, validator=_charge)
    #: Rendering provider's NPI.
    provider_npi: str | None = None
    #: Billing tax id (the group).
    provider_tax_id: str | None = None
    #: Rendering provider's taxonomy code.
    provider_taxonomy: str | None = None
    #: Payer that adjudicated it.
    payer_id: str | None = None
    #: What the payer did: paid (or paid:lineN), denied, ...; frequency and duplicate edits
    #: count paid services.
    status: str = "paid"


@frozen(kw_only=True)
class Accumulators:
    """Year-to-date amounts the member has already met on this plan."""

    #: Benefit year the amounts belong to.
    year: int
    #: Deductible already met this year, in dollars.
    deductible_met: Decimal = field(default=Decimal(0), validator=_amount)
    #: Out-of-pocket amounts already paid this year, in dollars.
    out_of_pocket_met: Decimal = field(default=Decimal(0), validator=_amount)


@frozen(kw_only=True)
class Claim:
    """A claim as billed: patient, coverage, providers, diagnoses and lines (837P / 837I)."""

    #: Claim id (the patient control number, CLM01); results are keyed by it.
    id: str
    #: professional (837P / CMS-1500), institutional (837I / UB-04) or dental (837D / ADA; FHIR
    #: ``oral``): dental claims are read and answered per line (ENG005) but priced by no plugin.
    claim_type: ClaimType = ClaimType.PROFESSIONAL
    #: original, replacement or void (CLM05-3: 1, 7, 8).
    frequency: Frequency = Frequency.ORIGINAL
    #: For a replacement or void: the claim it replaces (REF*F8).
    original_claim_id: str | None = None
    #: The patient.
    patient: Person
    #: The subscriber, when not the patient.
    subscriber: Person | None = None
    #: The coverage billed: payer, member, plan.
    coverage: Coverage
    #: The billing provider (2010AA).
    billing_provider: Provider
    #: The provider who performed the services (2310B), when not the billing provider.
    rendering_provider: Provider | None = None
    #: The referring provider (2310A, DN).
    referring_provider: Provider | None = None
    #: CMS place-of-service code for every line that does not give its own (11: office).
    place_of_service: str = "11"
    #: ZIP of the service facility (2310C); locates the Medicare payment locality.
    service_facility_zip: str | None = None
    #: Date the payer received the claim; timely-filing rules count from the date of service to it.
    received_date: dt.date | None = field(default=None, validator=_date)
    #: Prior-authorization numbers on the claim (REF*G1).
    prior_authorizations: tuple[str, ...] = field(default=(), converter=_upper_tuple)
    #: Diagnoses, in order; lines point at them (the first is the principal diagnosis of an
    #: institutional claim).
    diagnoses: tuple[Diagnosis, ...] = ()
    #: Service lines (at least one).
    lines: tuple[ServiceLine, ...] = field(validator=validators.min_len(1))
    #: Services already on file for the member (frequency, duplicate and new-patient rules read them).
    history: tuple[PriorService, ...] = ()
    #: Deductible and out-of-pocket amounts the member has already met, per year.
    accumulators: tuple[Accumulators, ...] = ()
    # -- institutional (837I / UB-04) only; the first entry of ``diagnoses`` is the principal one
    #: Type of bill: facility type (CLM05-1) and frequency (CLM05-3), e.g. ``111``.
    bill_type: str | None = field(
        default=None,
        validator=_shaped("type of bill", "0?[1-9][0-9A-Z][0-9A-Z]", "3 characters as 111, 131 (UB-04 FL 4)"),
    )
    #: Institutional: first day of the statement period.
    statement_from: dt.date | None = field(default=None, validator=_date)
    #: Institutional: last day of the statement period.
    statement_to: dt.date | None = field(default=None, validator=_date)
    #: Institutional: date of admission.
    admission_date: dt.date | None = field(default=None, validator=_date)
    #: Institutional: admission type (CL101), e.g. 1 emergency.
    admission_type: str | None = field(
        default=None, validator=_shaped("admission type", "[0-9]", "one digit, e.g. 1 (emergency)")
    )
    #: Institutional: point of origin of the admission (CL102).
    admission_source: str | None = field(
        default=None,
        validator=_shaped("admission source", "[0-9A-Z]", "one character, e.g. 1 (non-health-care point)"),
    )
    #: Institutional: patient discharge status (CL103), e.g. 01 home.
    discharge_status: str | None = field(
        default=None,
        validator=_shaped("patient discharge status", "[0-9]{2}", "two digits, e.g. 01 (home)"),
    )
    #: Institutional: the admitting diagnosis.
    admitting_diagnosis: Diagnosis | None = None
    #: Institutional: the attending provider (71).
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
    #: Institutional: the operating physician (72).
    operating_provider: Provider | None = None
    #: UB-04 condition codes (HI BG).
    condition_codes: tuple[str, ...] = field(default=(), converter=_upper_tuple)
    #: UB-04 occurrence codes and their dates (HI BH).
    occurrence_codes: tuple[OccurrenceCode, ...] = ()
    #: UB-04 occurrence span codes and their dates (HI BI).
    occurrence_spans: tuple[OccurrenceSpan, ...] = ()
    #: UB-04 value codes and their amounts (HI BE).
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
