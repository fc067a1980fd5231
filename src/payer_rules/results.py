"""What a payer decided: findings, priced lines, adjustments and claim results.

The money invariant lives here, in the records themselves: a :class:`LineResult` or a
:class:`ClaimResult` whose billed amount is not the paid amount plus its adjustments, to the
cent, cannot be constructed. Every result the engine returns has passed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum

from attrs import field, frozen

from payer_rules.money import CENT, money

__all__ = [
    "Adjudication",
    "Adjustment",
    "CaseAmount",
    "CaseComponent",
    "CaseGroup",
    "CasePayment",
    "ClaimResult",
    "ClaimStatus",
    "Finding",
    "Group",
    "LineAdjudication",
    "LineResult",
    "LineStatus",
    "PricedLine",
    "Pricing",
    "Severity",
    "Source",
    "UnbalancedError",
]


class Severity(StrEnum):
    """How a finding changes the outcome, strongest first."""

    REJECT = "reject"  # front-end edit: the claim is unprocessable, nothing after it runs
    DENY = "deny"  # the line (or, without a line, every line) is denied
    PEND = "pend"  # held for review
    WARN = "warn"  # reported, money unchanged
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
#: Severities that change money, so their findings must name a CARC and group code.
_MONEY_CHANGING = frozenset({Severity.REJECT, Severity.DENY, Severity.PEND})


class Group(StrEnum):
    """Claim adjustment group codes (X12 CAS01)."""

    CO = "CO"  # contractual obligation: the provider absorbs it
    PR = "PR"  # patient responsibility
    OA = "OA"  # other adjustment
    PI = "PI"  # payer-initiated reduction
    CR = "CR"  # correction and reversal


class LineStatus(StrEnum):
    PAID = "paid"
    CLEAN = "clean"  # scrubber mode: no edit fired, money not adjudicated
    DENIED = "denied"
    REJECTED = "rejected"
    PENDED = "pended"
    ERROR = "error"


class ClaimStatus(StrEnum):
    PAID = "paid"
    CLEAN = "clean"  # scrubber mode: nothing fired
    PARTIAL = "partial"
    DENIED = "denied"
    REJECTED = "rejected"
    PENDED = "pended"
    ERROR = "error"


# Module constants for the checks every result runs: on Python 3.11 an enum member looked up on
# its class (``LineStatus.CLEAN``) goes through the enum metaclass's slow attribute path.
_CLEAN, _ERROR = LineStatus.CLEAN, ClaimStatus.ERROR


class UnbalancedError(ValueError):
    """A result whose money does not add up; always a bug in a plugin or the engine."""


@frozen(kw_only=True)
class Source:
    """Where a finding or a price came from: ``name@version`` plus the citation."""

    name: str
    version: str
    citation: str | None = None

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


@frozen(kw_only=True)
class Finding:
    """One thing a payer's rules found on a claim.

    Args:
        code: the stable rule code, e.g. ``MCR101``.
        severity: what it does to the money, see :class:`Severity`.
        message: plain words a biller understands.
        line: 1-based service line, or ``None`` for the whole claim.
        carc: claim adjustment reason code the payer would send.
        rarcs: remittance advice remark codes.
        group: adjustment group code, who carries the amount.
        source: the plugin or rulepack, its version and citation.
    """

    code: str
    severity: Severity
    message: str
    source: Source
    line: int | None = None
    carc: str | None = None
    rarcs: tuple[str, ...] = ()
    group: Group | None = None

    def __attrs_post_init__(self) -> None:
        if self.severity in _MONEY_CHANGING and not (self.carc and self.group):
            raise ValueError(
                f"finding {self.code}: a {self.severity} finding must name the CARC and group "
                "code the payer would send"
            )
        if self.line is not None and self.line < 1:
            raise ValueError(f"finding {self.code}: line numbers are 1-based, got {self.line}")


@frozen(kw_only=True)
class Adjustment:
    group: Group
    carc: str
    amount: Decimal = field(converter=money)


@frozen(kw_only=True)
class PricedLine:
    """The allowed amount for one line, as a payer's fee schedule sets it.

    ``billed - allowed`` becomes an adjustment with ``reduction_group`` / ``reduction_carc``
    (by default CO-45, charge exceeds the fee schedule).
    """

    line: int
    allowed: Decimal = field(converter=money)
    basis: str = ""
    reduction_group: Group = Group.CO
    reduction_carc: str = "45"


class CaseComponent(StrEnum):
    """The parts of a per-case payment, as an 835's MIA segment reports them."""

    OPERATING_FEDERAL = "operating-federal"  # MIA16 PPS-operating federal specific DRG amount
    INDIRECT_TEACHING = "indirect-teaching"  # MIA18 claim indirect teaching (IME) amount
    DISPROPORTIONATE_SHARE = "disproportionate-share"  # MIA06 claim DSH amount
    UNCOMPENSATED_CARE = "uncompensated-care"  # part of the DRG amount (MIA04); no element of its own
    OPERATING_OUTLIER = "operating-outlier"  # MIA02 PPS operating outlier amount
    CAPITAL_FEDERAL = "capital-federal"  # MIA09 PPS-capital FSP DRG amount
    CAPITAL_INDIRECT_TEACHING = "capital-indirect-teaching"  # MIA13 PPS-capital IME amount
    CAPITAL_DISPROPORTIONATE_SHARE = "capital-disproportionate-share"  # MIA11 PPS-capital DSH amount
    CAPITAL_OUTLIER = "capital-outlier"  # MIA17 claim PPS capital outlier amount


@frozen(kw_only=True)
class CaseAmount:
    component: CaseComponent
    amount: Decimal = field(converter=money)


def _components_add_up(instance: CasePayment, _attribute: object, value: tuple[CaseAmount, ...]) -> None:
    if value and sum((c.amount for c in value), Decimal(0)) != instance.amount:
        raise UnbalancedError(f"case {instance.drg}: components do not add up to {instance.amount}")


@frozen(kw_only=True)
class CasePayment:
    """One payment for a whole stay (a DRG case) rather than per line.

    Payer-neutral: Medicare's IPPS fills it in, and a contract paying a case rate per DRG may
    too. The pricer still gives each line its share of :attr:`amount` (so every line balances);
    writers report the case at claim level: the 835's CLP11 / CLP12 / CLP13 and MIA segment,
    FHIR's ``diagnosisRelatedGroup``.

    Args:
        drg: the DRG code, e.g. ``"291"``.
        weight: its relative weight (CLP12).
        amount: the case's allowed amount before cost sharing (Σ ``components`` when given).
        mdc: the major diagnostic category (``"05"``, ``"PRE"``).
        grouper: the grouper and version that assigned the DRG.
        discharge_fraction: for a transfer paid per diem, the part of the full DRG paid (CLP13).
        covered_days: days the payer covers (MIA01).
        lifetime_reserve_days: lifetime reserve days used.
        components: the amounts the case is made of (operating, IME, DSH, capital, outliers).
    """

    drg: str
    weight: Decimal
    amount: Decimal = field(converter=money)
    mdc: str | None = None
    description: str = ""
    grouper: str = ""
    discharge_fraction: Decimal | None = None
    covered_days: int | None = None
    lifetime_reserve_days: int = 0
    components: tuple[CaseAmount, ...] = field(default=(), validator=_components_add_up)

    def component(self, which: CaseComponent) -> Decimal:
        return sum((c.amount for c in self.components if c.component is which), Decimal("0.00"))


@frozen(kw_only=True)
class CaseGroup:
    """A stay's case-mix group as a grouper assigns it (``group_case`` hook), payer-neutral.

    A contract paying per case (a case rate per MS-DRG) needs the group the stay falls in but
    not the payer whose grouper assigns it; the plugin owning the grouping scheme answers.

    Args:
        scheme: the grouping scheme asked for, e.g. ``"ms-drg"``.
        code: the group, e.g. ``"291"``; empty when the stay could not be grouped.
        version: the grouper and version that assigned it (``"MS-DRG v43.0"``).
        mdc: the major diagnostic category (``"05"``, ``"PRE"``).
        description: the group's title.
        weight: its relative weight in the scheme's published table for the discharge, if known.
        mean_length_of_stay: its geometric mean length of stay in days, if known.
        problem: why the stay has no group (``code`` empty): what is missing or ungroupable.
    """

    scheme: str
    code: str
    version: str = ""
    mdc: str | None = None
    description: str = ""
    weight: Decimal | None = None
    mean_length_of_stay: Decimal | None = None
    problem: str = ""


@frozen(kw_only=True)
class Pricing:
    lines: tuple[PricedLine, ...]
    source: Source
    findings: tuple[Finding, ...] = ()
    #: A per-case payment the lines' allowed amounts are shares of (inpatient DRG pricing).
    case: CasePayment | None = None

    def for_line(self, line: int) -> PricedLine | None:
        return next((p for p in self.lines if p.line == line), None)


@frozen(kw_only=True)
class LineAdjudication:
    """How a line's allowed amount is split: adjustments taken from it, the rest paid."""

    line: int
    adjustments: tuple[Adjustment, ...] = ()
    rarcs: tuple[str, ...] = ()


@frozen(kw_only=True)
class Adjudication:
    lines: tuple[LineAdjudication, ...]
    source: Source
    findings: tuple[Finding, ...] = ()
    #: Amounts this claim adds to the member's year-to-date accumulators, by name
    #: (``deductible``, ``out_of_pocket``), so later claims in the batch see them. They count
    #: toward the year of the claim's first date of service.
    accumulated: Mapping[str, Decimal] = field(factory=dict)
    #: Amounts by calendar year, for a claim whose lines fall in two years (a claim spanning
    #: 1 January takes each year's deductible for its own lines); added besides ``accumulated``.
    accumulated_by_year: Mapping[int, Mapping[str, Decimal]] = field(factory=dict)
    #: Facts about the member a later claim needs that are no year-to-date sum, by name (e.g.
    #: Medicare's Part A benefit period: when it began, days used, deductible met). The engine
    #: keeps them in the session, per payer and member, replacing earlier values of that name.
    episodes: Mapping[str, object] = field(factory=dict)

    def for_line(self, line: int) -> LineAdjudication | None:
        return next((a for a in self.lines if a.line == line), None)


def _check_line_balance(instance: LineResult) -> None:
    if instance.status is _CLEAN:
        if instance.paid or instance.allowed or instance.adjustments:
            raise UnbalancedError(f"line {instance.line}: a clean (scrubbed) line carries no money")
        return
    total = instance.paid
    for a in instance.adjustments:
        total += a.amount
    if total != instance.billed:
        raise UnbalancedError(
            f"line {instance.line}: billed {instance.billed} != paid {instance.paid} "
            f"+ adjustments {total - instance.paid}"
        )


@frozen(kw_only=True)
class LineResult:
    line: int
    procedure: str
    modifiers: tuple[str, ...]
    units: Decimal
    status: LineStatus
    billed: Decimal = field(converter=money)
    allowed: Decimal = field(converter=money)
    paid: Decimal = field(converter=money)
    adjustments: tuple[Adjustment, ...] = ()
    rarcs: tuple[str, ...] = ()
    #: How the allowed amount was found (fee schedule, locality, percentage, reductions): the
    #: pricer's own words, so a difference in money is explained like a finding is.
    basis: str = ""

    def __attrs_post_init__(self) -> None:
        _check_line_balance(self)

    @property
    def patient_responsibility(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.group is Group.PR), Decimal("0.00"))


@frozen(kw_only=True)
class ClaimResult:
    claim_id: str
    payer: str
    status: ClaimStatus
    as_of: dt.date | None
    billed: Decimal = field(converter=money)
    allowed: Decimal = field(converter=money)
    paid: Decimal = field(converter=money)
    patient_responsibility: Decimal = field(converter=money)
    findings: tuple[Finding, ...] = ()
    lines: tuple[LineResult, ...] = ()
    versions: Mapping[str, str] = field(factory=dict)
    #: Where the claim came from (file and position) for located messages.
    origin: str | None = None
    #: The per-case payment behind the lines (DRG, weight, components), when priced per case.
    case: CasePayment | None = None

    def __attrs_post_init__(self) -> None:
        if self.status is _ERROR:
            return
        billed = paid = allowed = adjusted = Decimal(0)
        for ln in self.lines:
            if ln.status is _CLEAN:
                return
            billed += ln.billed
            paid += ln.paid
            allowed += ln.allowed
            for a in ln.adjustments:
                adjusted += a.amount
        if self.paid + adjusted != self.billed:
            raise UnbalancedError(
                f"claim {self.claim_id} / {self.payer}: billed {self.billed} != paid "
                f"{self.paid} + adjustments {adjusted}"
            )
        for name, total in (("billed", billed), ("paid", paid), ("allowed", allowed)):
            if total.quantize(CENT) != getattr(self, name):
                raise UnbalancedError(
                    f"claim {self.claim_id} / {self.payer}: {name} {getattr(self, name)} "
                    f"!= sum of lines {total}"
                )

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        return tuple(a for ln in self.lines for a in ln.adjustments)
