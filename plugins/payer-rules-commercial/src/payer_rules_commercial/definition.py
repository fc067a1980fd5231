"""A commercial payer definition (``payer.toml``): typed records and a strict, located loader.

The file holds what is payer configuration rather than a rule: ``[payer]`` (who), ``[network]``
(who is in network), ``[contract]`` (how lines are priced, in and out of network),
``[[categories]]`` (service categories by procedure code, rendering taxonomy and place of
service) and ``[[plans]]`` (benefits per network tier and category). It is read with the
rulepack package's strict converter (unknown keys are errors with a did-you-mean) and every
problem is one ``file:line: SUBJECT: message`` line, all of a file's problems at once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path as FsPath

from attrs import field, frozen
from attrs.validators import in_

from payer_rules.claim_kinds import ClaimKind
from payer_rules.models import Claim
from payer_rules.money import ZERO
from payer_rules.payers import KindHint, _payer_id
from payer_rules.rulepack.kinds.base import CodeSet, code_problem
from payer_rules.rulepack.kinds.pricing import FeeIndex, FeeRow
from payer_rules.rulepack.parsed import ParsedFiles
from payer_rules.rulepack.positions import Path, Positions, syntax_location
from payer_rules.rulepack.problems import Problem, RulepackError
from payer_rules.rulepack.schema import KEBAB, rulepack_converter, structure

from .files import DEFINITION_FILE, find_definitions

__all__ = [
    "DEFINITION_FILE",
    "OTHER",
    "Benefit",
    "CarveOut",
    "CaseRate",
    "Category",
    "CobPeriod",
    "Contract",
    "DefinitionError",
    "InpatientTerms",
    "Network",
    "PayerDefinition",
    "PayerSection",
    "PerDiem",
    "Plan",
    "StopLoss",
    "Terms",
    "Tier",
    "YearPercent",
    "find_definitions",
    "load_definition",
    "load_definitions",
]

#: The plans' coordination-of-benefits methods as secondary (:mod:`payer_rules_commercial.cob`).
COB_METHODS = ("traditional", "non-duplication", "carve-out", "maintenance-of-benefits")

#: The category of a line no ``[[categories]]`` entry matches.
OTHER = "other"

_TOP_KEYS = ("payer", "network", "contract", "categories", "plans")

#: The kinds of claim every ``payer.toml`` contract prices: professional lines. Facility terms
#: add their kind in :attr:`PayerDefinition.claim_kinds` when the definition has them
#: (``[[contract.inpatient]]``: inpatient stays); other facility kinds pend (ENG005), never
#: priced from the professional terms.
PRICED_KINDS = frozenset({ClaimKind.PROFESSIONAL})
#: Facility kinds a commercial payer contracts for, named in the not-modelled finding.
FACILITY_KINDS = (
    ClaimKind.INPATIENT,
    ClaimKind.OUTPATIENT_HOSPITAL,
    ClaimKind.ASC,
    ClaimKind.SNF,
    ClaimKind.HOME_HEALTH,
    ClaimKind.HOSPICE,
    ClaimKind.CLINIC,
    ClaimKind.CRITICAL_ACCESS,
    ClaimKind.INSTITUTIONAL_OTHER,
)


_OTHER_REMEDY = (
    "facility terms in the payer definition's [contract] (payer-rules-commercial prices "
    "professional lines and, with [[contract.inpatient]], inpatient stays)"
)
_REMEDY = {
    ClaimKind.INPATIENT: "[[contract.inpatient]] terms in the payer definition (case rates per MS-DRG, "
    "a percent of Medicare IPPS or a per diem; docs/commercial-payers.md)",
}


class DefinitionError(RulepackError):
    """A payer definition that does not load: one located line per problem."""


@frozen(kw_only=True)
class PayerSection:
    """``[payer]``: who the payer is.

    Args:
        id: the id users pass to ``--payer`` (one lower-case word).
        name: the name a person reads.
        version: the definition's own version, bumped on any change; results name it.
        source: the documents the values come from (contract, summary of benefits).
        description: optional words for ``payer-rules payers --json``.
    """

    id: str
    name: str
    version: str
    source: str
    description: str = ""


@frozen(kw_only=True)
class Network:
    """``[network]``: who is in network. Empty lists: ``Provider.participating`` decides."""

    tax_ids: tuple[str, ...] = ()
    npis: tuple[str, ...] = ()


@frozen(kw_only=True)
class YearPercent:
    """A percentage in force for the dates of service of one calendar year (and later years,
    until another entry takes over: contracts roll over)."""

    year: int
    percent: Decimal


@frozen(kw_only=True)
class CarveOut:
    """Codes paid apart from the base rate: exactly one of the three ways.

    Args:
        name: kebab-case label shown as the pricing basis.
        procedures: code patterns (exact, ``99202-99205`` ranges, ``J*`` prefixes).
        amount: a fixed amount per unit.
        percent_of_charge: a percentage of the billed charge.
        percent_of_medicare: a percentage of the Medicare allowed amount.
    """

    name: str
    procedures: tuple[str, ...]
    amount: Decimal | None = None
    percent_of_charge: Decimal | None = None
    percent_of_medicare: Decimal | None = None


@frozen(kw_only=True)
class Terms:
    """How lines are priced, first match wins: ``fees`` (the payer's own fee schedule), then
    ``percent_of_medicare`` by year, then ``percent_of_charge`` for anything else.

    Args:
        percent_of_medicare: ``[{year, percent}]``.
        fees: ``[{procedure, amount, modifier?, effective_from?, effective_to?}]``, per unit.
        percent_of_charge: the fallback for lines nothing else prices (absent: such lines pend).
        lesser_of_billed: allow the lesser of the contract amount and the charge (default true).
    """

    percent_of_medicare: tuple[YearPercent, ...] = ()
    fees: tuple[FeeRow, ...] = ()
    percent_of_charge: Decimal | None = None
    lesser_of_billed: bool = True


@frozen(kw_only=True)
class CaseRate:
    """A fixed payment for a stay that groups to one MS-DRG (three digits, as Table 5 writes it)."""

    drg: str
    amount: Decimal


@frozen(kw_only=True)
class PerDiem:
    """A payment per covered day. With ``revenue_codes`` (accommodation revenue code patterns,
    e.g. ``0100-0169`` routine, ``0200-0219`` intensive care) it pays the units (days) of the
    lines billed under those codes; without, every covered day of the stay."""

    amount: Decimal
    revenue_codes: tuple[str, ...] = ()


@frozen(kw_only=True)
class StopLoss:
    """Stop-loss (outlier) provision: ``percent`` % of the billed charges above ``threshold``,
    paid on top of a case rate or per diem payment."""

    threshold: Decimal
    percent: Decimal


@frozen(kw_only=True)
class InpatientTerms:
    """``[[contract.inpatient]]``: how inpatient stays (type of bill 11x) discharged within the
    dates are paid. The first of these that applies prices the stay: a case rate for the stay's
    MS-DRG, else a percent of the Medicare IPPS payment, else the per diem; a stay none applies
    to pends (COM702), never priced from another term or schedule.

    Args:
        effective_from, effective_to: discharge dates the terms cover (``effective_to`` open).
        case_rates: ``[{drg, amount}]``.
        percent_of_medicare: percent of what Medicare's IPPS would pay for the stay (operating,
            capital, IME / DSH, transfers and Medicare's own cost outlier), before Part A cost
            sharing.
        per_diem: ``[{amount, revenue_codes?}]``.
        lesser_of_charges: allow the lesser of the contract amount and the claim's charges.
        stop_loss: ``{threshold, percent}`` added to case-rate and per-diem payments.
        transfer_per_diem: a case-rate stay transferred to another acute hospital (discharge
            status 02, 66, 82, 94) is paid ``case rate / GMLOS x (days + 1)``, at most the
            case rate (the MS-DRG's geometric mean length of stay from Table 5).
    """

    effective_from: dt.date
    effective_to: dt.date | None = None
    case_rates: tuple[CaseRate, ...] = ()
    percent_of_medicare: Decimal | None = None
    per_diem: tuple[PerDiem, ...] = ()
    lesser_of_charges: bool = True
    stop_loss: StopLoss | None = None
    transfer_per_diem: bool = False
    _rates: dict[str, Decimal] = field(init=False, eq=False, repr=False)
    _per_diem: tuple[tuple[PerDiem, CodeSet], ...] = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_rates", {r.drg: r.amount for r in self.case_rates})
        ranged = tuple((p, CodeSet(p.revenue_codes)) for p in self.per_diem)
        object.__setattr__(self, "_per_diem", ranged)

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def case_rate(self, drg: str) -> Decimal | None:
        return self._rates.get(drg)

    def per_diem_for(self, revenue_code: str) -> PerDiem | None:
        """The per diem whose revenue codes include ``revenue_code`` (ranged entries only)."""
        return next((p for p, codes in self._per_diem if p.revenue_codes and revenue_code in codes), None)

    @property
    def label(self) -> str:
        until = f" to {self.effective_to}" if self.effective_to else ""
        return f"inpatient terms from {self.effective_from}{until}"


@frozen(kw_only=True)
class Contract(Terms):
    """``[contract]``: the in-network terms, carve-outs and the out-of-network terms.

    Args:
        carve_outs: ``[[contract.carve_outs]]``, priced before anything else, in network.
        out_of_network: ``[contract.out_of_network]``; absent: priced as in network.
        inpatient: ``[[contract.inpatient]]``, in network, by discharge date.
    """

    carve_outs: tuple[CarveOut, ...] = ()
    out_of_network: Terms | None = None
    inpatient: tuple[InpatientTerms, ...] = ()


@frozen(kw_only=True)
class Category:
    """``[[categories]]``: a service category. A line is in the first category whose given
    conditions all hold; a line no category matches is in ``other``.

    Args:
        name: kebab-case (``office-visit``, ``specialist``, ``lab``, ``imaging``, ``therapy``).
        procedures: code patterns (empty: any code).
        taxonomies: rendering-provider taxonomy patterns, e.g. ``207R*`` (empty: any).
        places_of_service: POS codes (empty: any).
        claim_kinds: kinds of claim (``inpatient``, ``professional`` ...; empty: any). A copay
            of a category holding inpatient claims is taken once per stay, not per date.
    """

    name: str
    procedures: tuple[str, ...] = ()
    taxonomies: tuple[str, ...] = ()
    places_of_service: tuple[str, ...] = ()
    claim_kinds: tuple[str, ...] = ()


@frozen(kw_only=True)
class Benefit:
    """Cost sharing of one category in one tier; what is not given comes from the tier.

    Args:
        copay: a fixed amount per visit (category and date of service), PR-3.
        coinsurance: percent of the allowed amount after deductible and copay, PR-2. Default:
            the tier's coinsurance, or 0 when a copay is given.
        deductible: whether the deductible applies (PR-1). Default: true unless a copay is given.
        covered: false excludes the category from the plan (CO-204).
    """

    copay: Decimal | None = None
    coinsurance: Decimal | None = None
    deductible: bool | None = None
    covered: bool = True

    def applies_deductible(self) -> bool:
        return self.deductible if self.deductible is not None else self.copay is None


@frozen(kw_only=True)
class Tier:
    """``[plans.in_network]`` / ``[plans.out_of_network]``: one network tier's benefits.

    Args:
        deductible: per calendar year, individual.
        out_of_pocket_max: per calendar year, individual; deductible, copays and coinsurance
            count toward it (absent: no maximum).
        coinsurance: percent the member pays after the deductible.
        balance_billing: out of network, the member also owes billed minus allowed (PR-45
            instead of CO-45).
        categories: ``{category = {copay, coinsurance, deductible, covered}}``.
        primary_deductible: the deductible is the primary's: on each line the member keeps the
            deductible (PR-1) the primary left, whatever its year's amount (a Medigap Plan G
            keeps Medicare's Part B deductible, $257 in 2025 and $283 in 2026, as Medicare's
            adjudication took it by date of service); ``deductible`` must then be 0.
    """

    deductible: Decimal = ZERO
    out_of_pocket_max: Decimal | None = None
    coinsurance: Decimal = ZERO
    balance_billing: bool = False
    categories: dict[str, Benefit] = field(factory=dict)
    primary_deductible: bool = False

    def benefit(self, category: str) -> Benefit:
        return self.categories.get(category) or Benefit()

    def coinsurance_for(self, benefit: Benefit) -> Decimal:
        if benefit.coinsurance is not None:
            return benefit.coinsurance
        return ZERO if benefit.copay is not None else self.coinsurance


@frozen(kw_only=True)
class CobPeriod:
    """``[[plans.cob_periods]]``: the plan's COB method for the dates of service of one contract
    period (a plan that changes its method at renewal keeps both, each by its dates).

    Args:
        method: one of :data:`COB_METHODS`.
        effective_from, effective_to: the dates of service the method covers (``effective_to``
            open).
    """

    method: str = field(validator=in_(COB_METHODS))
    effective_from: dt.date
    effective_to: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @property
    def label(self) -> str:
        until = f" to {self.effective_to}" if self.effective_to else ""
        return f"{self.method} from {self.effective_from}{until}"


@frozen(kw_only=True)
class Plan:
    """``[[plans]]``: a benefit plan. ``coverage.plan`` on the claim names it by id; a claim
    naming no plan gets the ``default`` one.

    Args:
        in_network: the in-network tier.
        out_of_network: the out-of-network tier; absent: not covered out of network (CO-242).
    """

    id: str
    name: str
    in_network: Tier
    out_of_network: Tier | None = None
    default: bool = False
    #: How the plan pays when it is secondary (:mod:`payer_rules_commercial.cob`):
    #: ``traditional``, ``non-duplication``, ``carve-out`` or ``maintenance-of-benefits``.
    cob: str = field(default="traditional", validator=in_(COB_METHODS))
    #: The plan supplements another payer (a Medicare supplement, Medigap): it pays only as
    #: secondary, and only on lines the primary approved (COM805, COM806).
    supplement: bool = False
    #: The COB method by contract period (date of service); dates no period covers take ``cob``.
    cob_periods: tuple[CobPeriod, ...] = ()

    def cob_on(self, day: dt.date) -> str:
        """The COB method in force on a date of service."""
        return next((p.method for p in self.cob_periods if p.covers(day)), self.cob)

    def tier(self, network: bool) -> Tier | None:
        return self.in_network if network else self.out_of_network


@frozen(kw_only=True)
class _Document:
    payer: PayerSection
    contract: Contract
    plans: tuple[Plan, ...]
    network: Network = Network()
    categories: tuple[Category, ...] = ()


@frozen(kw_only=True)
class PayerDefinition:
    """One loaded ``payer.toml``.

    Args:
        file: the path as given, so messages match what the user typed.
        payer, network, contract, categories, plans: the tables.
    """

    file: str
    payer: PayerSection
    contract: Contract
    plans: tuple[Plan, ...]
    network: Network = Network()
    categories: tuple[Category, ...] = ()
    _sets: tuple[tuple[Category, CodeSet, CodeSet], ...] = field(init=False, eq=False, repr=False)
    _fees: FeeIndex[None] = field(init=False, eq=False, repr=False)
    _oon_fees: FeeIndex[None] = field(init=False, eq=False, repr=False)
    _carve_outs: tuple[tuple[CarveOut, CodeSet], ...] = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        sets = tuple((c, CodeSet(c.procedures), CodeSet(c.taxonomies)) for c in self.categories)
        object.__setattr__(self, "_sets", sets)
        object.__setattr__(self, "_fees", _fee_index(self.contract.fees))
        oon = self.contract.out_of_network
        object.__setattr__(self, "_oon_fees", _fee_index(oon.fees if oon else self.contract.fees))
        carve = tuple((c, CodeSet(c.procedures)) for c in self.contract.carve_outs)
        object.__setattr__(self, "_carve_outs", carve)

    @property
    def claim_kinds(self) -> frozenset[ClaimKind]:
        """The kinds of claim this definition prices: :data:`PRICED_KINDS`, and inpatient stays
        when the contract has ``[[contract.inpatient]]`` terms."""
        if self.contract.inpatient:
            return PRICED_KINDS | {ClaimKind.INPATIENT}
        return PRICED_KINDS

    def inpatient_terms(self, discharge: dt.date) -> InpatientTerms | None:
        """The inpatient terms in force on the discharge date (periods never overlap)."""
        return next((t for t in self.contract.inpatient if t.covers(discharge)), None)

    def kind_hints(self) -> tuple[KindHint, ...]:
        """For each facility kind it does not price: the payer's facility contract, not held here."""
        return tuple(
            KindHint(
                kind=kind,
                method=f"{self.payer.name}'s facility contract terms (not in its payer.toml)",
                remedy=_REMEDY.get(kind, _OTHER_REMEDY),
                citation=self.file,
            )
            for kind in FACILITY_KINDS
            if kind not in self.claim_kinds
        )

    @property
    def label(self) -> str:
        return f"{self.payer.id}@{self.payer.version}"

    def plan_for(self, payer_id: str, plan_id: str | None) -> Plan | None:
        """The plan a claim is judged under.

        A claim whose coverage is with this payer is judged under the plan it names. A claim
        covered elsewhere (a consultant asking what this payer would do with it) is judged under
        this payer's default plan: the other payer's plan name means nothing here.
        """
        if payer_id.strip().lower() != self.payer.id:
            return self.plan(None)
        return self.plan(plan_id)

    def plan_of(self, claim: Claim) -> Plan | None:
        """:meth:`plan_for` the claim; a claim billed to another payer that lists this payer in
        its other coverage (this payer judging it second, in a chain) gets the plan named there."""
        coverage = claim.coverage
        if coverage.payer_id.strip().lower() != self.payer.id:
            for other in coverage.other_coverage:
                if other.payer_id.strip().lower() == self.payer.id and other.plan:
                    return self.plan(other.plan)
        return self.plan_for(coverage.payer_id, coverage.plan)

    def plan(self, plan_id: str | None) -> Plan | None:
        """The plan ``coverage.plan`` names (by id, any case), or the default one."""
        if plan_id is None or not plan_id.strip():
            return next((p for p in self.plans if p.default), self.plans[0] if len(self.plans) == 1 else None)
        key = plan_id.strip().lower()
        return next((p for p in self.plans if p.id == key), None)

    def category(
        self, procedure: str, taxonomy: str | None, place_of_service: str, kind: str | None = None
    ) -> str:
        """The first category whose conditions hold; ``other`` when none does."""
        for category, codes, taxonomies in self._sets:
            if category.claim_kinds and kind not in category.claim_kinds:
                continue
            if category.procedures and procedure not in codes:
                continue
            if category.taxonomies and (taxonomy or "").upper() not in taxonomies:
                continue
            if category.places_of_service and place_of_service not in category.places_of_service:
                continue
            return category.name
        return OTHER

    def terms(self, network: bool) -> Terms:
        if network or self.contract.out_of_network is None:
            return self.contract
        return self.contract.out_of_network

    def fees(self, network: bool) -> FeeIndex[None]:
        return self._fees if network else self._oon_fees

    def carve_out(self, procedure: str) -> CarveOut | None:
        return next((c for c, codes in self._carve_outs if procedure in codes), None)


def _fee_index(rows: Iterable[FeeRow]) -> FeeIndex[None]:
    index: FeeIndex[None] = FeeIndex()
    for row in rows:
        index.add(row.procedure, row.amount, None, row.modifier, row.effective_from, row.effective_to)
    return index


def percent_for(entries: Sequence[YearPercent], day: dt.date) -> Decimal | None:
    """The entry of the date's year, else the latest earlier year's; ``None`` before the first."""
    earlier = [e for e in entries if e.year <= day.year]
    return max(earlier, key=lambda e: e.year).percent if earlier else None


# -- loading ------------------------------------------------------------------------------------

_CONVERTER = rulepack_converter()


def _where(path: Path) -> str:
    return ".".join(str(x) if isinstance(x, str) else f"[{x}]" for x in path).replace(".[", "[")


def _subject(path: Path) -> str:
    if not path:
        return "file"
    head = path[0]
    if len(path) > 1 and isinstance(path[1], int):
        return f"{head}[{path[1]}]"
    return f"[{head}]"


def load_definition(path: str | os.PathLike[str], *, parsed: ParsedFiles | None = None) -> PayerDefinition:
    """Read and check one ``payer.toml``.

    :param parsed: the run's parsed files: a document :func:`~.files.defined_ids` kept is
        taken, not parsed again.
    :raises DefinitionError: every problem of the file, each located.
    """
    file = os.fspath(path)
    try:
        text, doc = (parsed or ParsedFiles()).read(file)  # tomllib's document, cached on disk
    except tomllib.TOMLDecodeError as exc:
        line, column, message = syntax_location(exc)
        raise DefinitionError(
            [Problem(file=file, line=line, column=column, subject="TOML", message=f"invalid TOML: {message}")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError.single(file, "file", f"cannot read: {exc}") from None
    positions = Positions(text)
    problems: list[Problem] = []

    def at(path: Path, message: str) -> None:
        found = Problem(file=file, line=positions.line(path), subject=_subject(path), message=message)
        problems.append(found)

    for key in doc:
        if key not in _TOP_KEYS:
            import difflib  # only for a mistake: slow to import at every start

            close = difflib.get_close_matches(key, _TOP_KEYS, n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            at((key,), f"unknown table {key!r}{hint}; a payer definition has: {', '.join(_TOP_KEYS)}")
    for key in ("payer", "contract", "plans"):
        if key not in doc:
            problems.append(
                Problem(file=file, line=1, subject=f"[{key}]", message=f"missing the [{key}] table")
            )
    if problems:
        raise DefinitionError(problems)
    document, found = structure(_CONVERTER, {k: v for k, v in doc.items() if k in _TOP_KEYS}, _Document, ())
    for schema_problem in found:
        where = schema_problem.path
        at(where, f"{schema_problem.message} @ {_where(where)}" if where else schema_problem.message)
    if document is None:
        raise DefinitionError(problems)
    for located, message in _check(document):
        at(located, message)
    if problems:
        raise DefinitionError(problems)
    return PayerDefinition(
        file=file,
        payer=document.payer,
        contract=document.contract,
        plans=document.plans,
        network=document.network,
        categories=document.categories,
    )


def _check(doc: _Document) -> Iterator[tuple[Path, str]]:
    """Semantic checks: ids, names, percentages, amounts, codes and references between tables."""
    try:
        if _payer_id(doc.payer.id) != doc.payer.id:
            raise ValueError
    except ValueError:
        yield ("payer", "id"), f"payer id must be one lower-case word, got {doc.payer.id!r}"
    yield from _check_terms(doc.contract, ("contract",))
    if doc.contract.out_of_network is not None:
        yield from _check_terms(doc.contract.out_of_network, ("contract", "out_of_network"))
    yield from _check_inpatient(doc.contract.inpatient)
    for i, carve in enumerate(doc.contract.carve_outs):
        here: Path = ("contract", "carve_outs", i)
        rates = (carve.amount, carve.percent_of_charge, carve.percent_of_medicare)
        given = [x for x in rates if x is not None]
        if len(given) != 1:
            yield here, "give exactly one of amount, percent_of_charge or percent_of_medicare"
        if any(x < 0 for x in given):
            yield here, "a carve-out rate must not be negative"
        yield from _codes(carve.procedures, (*here, "procedures"))
        if not KEBAB.match(carve.name):
            yield (*here, "name"), f"name must be kebab-case, got {carve.name!r}"
    names: dict[str, int] = {}
    for i, category in enumerate(doc.categories):
        here = ("categories", i)
        if not KEBAB.match(category.name):
            yield (*here, "name"), f"category name must be kebab-case (a-z, 0-9, -), got {category.name!r}"
        if category.name == OTHER:
            yield (*here, "name"), f"{OTHER!r} is the built-in category of unmatched lines; do not define it"
        if category.name in names:
            first = names[category.name]
            yield (*here, "name"), f"category {category.name!r} is already defined (categories[{first}])"
        names.setdefault(category.name, i)
        yield from _codes(category.procedures, (*here, "procedures"))
        yield from _codes(category.taxonomies, (*here, "taxonomies"))
        kinds = [str(k) for k in ClaimKind]
        for j, kind in enumerate(category.claim_kinds):
            if kind not in kinds:
                yield (*here, "claim_kinds", j), f"unknown claim kind {kind!r}; kinds: {', '.join(kinds)}"
    known = [*names, OTHER]
    plan_ids: dict[str, int] = {}
    for i, plan in enumerate(doc.plans):
        here = ("plans", i)
        if not KEBAB.match(plan.id):
            yield (*here, "id"), f"plan id must be kebab-case (a-z, 0-9, -), got {plan.id!r}"
        if plan.id in plan_ids:
            yield (*here, "id"), f"plan {plan.id!r} is already defined (plans[{plan_ids[plan.id]}])"
        plan_ids.setdefault(plan.id, i)
        for name, tier in (("in_network", plan.in_network), ("out_of_network", plan.out_of_network)):
            if tier is not None:
                yield from _check_tier(tier, (*here, name), known)
        yield from _check_cob_periods(plan.cob_periods, (*here, "cob_periods"))
    if not doc.plans:
        yield ("plans",), "define at least one [[plans]]"
    defaults = [i for i, p in enumerate(doc.plans) if p.default]
    if len(defaults) > 1:
        yield ("plans", defaults[1], "default"), "only one plan may be the default"
    if not defaults and len(doc.plans) > 1:
        yield ("plans",), "several plans: mark the one for claims that name no plan with default = true"


def _check_cob_periods(periods: Sequence[CobPeriod], here: Path) -> Iterator[tuple[Path, str]]:
    for i, period in enumerate(periods):
        where: Path = (*here, i)
        if period.effective_to is not None and period.effective_to < period.effective_from:
            yield (*where, "effective_to"), f"effective_to {period.effective_to} is before effective_from"
        for j, earlier in enumerate(periods[:i]):
            starts_before_end = earlier.effective_to is None or period.effective_from <= earlier.effective_to
            ends_after_start = period.effective_to is None or earlier.effective_from <= period.effective_to
            if starts_before_end and ends_after_start:
                yield (
                    (*where, "effective_from"),
                    f"dates overlap cob_periods[{j}] ({earlier.label}): one COB method per date of service",
                )


def _check_terms(terms: Terms, here: Path) -> Iterator[tuple[Path, str]]:
    years: set[int] = set()
    for i, entry in enumerate(terms.percent_of_medicare):
        if entry.percent <= 0:
            yield (*here, "percent_of_medicare", i), f"percent must be above 0, got {entry.percent}"
        if entry.year in years:
            yield (*here, "percent_of_medicare", i), f"year {entry.year} is given twice"
        years.add(entry.year)
    if terms.percent_of_charge is not None and not ZERO < terms.percent_of_charge <= 100:
        yield (
            (*here, "percent_of_charge"),
            f"percent_of_charge must be above 0 and at most 100, got {terms.percent_of_charge}",
        )
    for i, row in enumerate(terms.fees):
        problem = code_problem(row.procedure)
        if problem or "*" in row.procedure or "-" in row.procedure:
            yield (*here, "fees", i), problem or f"a fee is for one code, got {row.procedure!r}"
        if row.amount < 0:
            yield (*here, "fees", i), f"amount must not be negative, got {row.amount}"


def _check_inpatient(periods: Sequence[InpatientTerms]) -> Iterator[tuple[Path, str]]:
    for i, terms in enumerate(periods):
        here: Path = ("contract", "inpatient", i)
        if terms.effective_to is not None and terms.effective_to < terms.effective_from:
            yield (*here, "effective_to"), f"effective_to {terms.effective_to} is before effective_from"
        if not (terms.case_rates or terms.percent_of_medicare is not None or terms.per_diem):
            yield here, "give at least one of case_rates, percent_of_medicare or per_diem"
        for j, earlier in enumerate(periods[:i]):
            if _overlap(earlier, terms):
                yield (
                    (*here, "effective_from"),
                    (
                        f"dates overlap contract.inpatient[{j}] ({earlier.label}): one set of terms "
                        "per discharge date"
                    ),
                )
        drgs: set[str] = set()
        for j, rate in enumerate(terms.case_rates):
            where: Path = (*here, "case_rates", j)
            if not re.fullmatch(r"\d{3}", rate.drg):
                yield where, f'drg is an MS-DRG of three digits (e.g. "291"), got {rate.drg!r}'
            if rate.drg in drgs:
                yield where, f"MS-DRG {rate.drg} has two case rates"
            drgs.add(rate.drg)
            if rate.amount < 0:
                yield where, f"amount must not be negative, got {rate.amount}"
        if terms.percent_of_medicare is not None and terms.percent_of_medicare <= 0:
            yield (*here, "percent_of_medicare"), f"percent must be above 0, got {terms.percent_of_medicare}"
        whole_stay = [j for j, p in enumerate(terms.per_diem) if not p.revenue_codes]
        if whole_stay and (len(terms.per_diem) > 1):
            yield (
                (*here, "per_diem", whole_stay[0]),
                (
                    "a per diem without revenue_codes pays every covered day: give it alone, or give "
                    "every per diem its accommodation revenue codes"
                ),
            )
        for j, per_diem in enumerate(terms.per_diem):
            where = (*here, "per_diem", j)
            if per_diem.amount < 0:
                yield where, f"amount must not be negative, got {per_diem.amount}"
            for k, pattern in enumerate(per_diem.revenue_codes):
                if not re.fullmatch(r"\d{4}(-\d{4})?", pattern.strip()):
                    yield (
                        (*where, "revenue_codes", k),
                        (f"a revenue code is four digits or a range of them (0100-0169), got {pattern!r}"),
                    )
        if terms.stop_loss is not None:
            if terms.stop_loss.threshold < 0:
                yield (*here, "stop_loss", "threshold"), "threshold must not be negative"
            if not ZERO < terms.stop_loss.percent <= 100:
                yield (
                    (*here, "stop_loss", "percent"),
                    (f"percent must be above 0 and at most 100, got {terms.stop_loss.percent}"),
                )
        if terms.transfer_per_diem and not terms.case_rates:
            yield (*here, "transfer_per_diem"), "transfer_per_diem reduces case rates: give case_rates"


def _overlap(a: InpatientTerms, b: InpatientTerms) -> bool:
    a_end = a.effective_to or dt.date.max
    b_end = b.effective_to or dt.date.max
    return a.effective_from <= b_end and b.effective_from <= a_end


def _check_tier(tier: Tier, here: Path, known: Sequence[str]) -> Iterator[tuple[Path, str]]:
    for name in ("deductible", "out_of_pocket_max"):
        value = getattr(tier, name)
        if value is not None and value < 0:
            yield (*here, name), f"{name} must not be negative, got {value}"
    if not ZERO <= tier.coinsurance <= 100:
        yield (*here, "coinsurance"), f"coinsurance is a percent from 0 to 100, got {tier.coinsurance}"
    if tier.primary_deductible and tier.deductible:
        yield (
            (*here, "deductible"),
            f"primary_deductible = true: the deductible is the primary's; leave out {tier.deductible}",
        )
    if tier.out_of_pocket_max is not None and tier.deductible > tier.out_of_pocket_max:
        yield (
            (*here, "deductible"),
            (f"the deductible {tier.deductible} is above the out-of-pocket maximum {tier.out_of_pocket_max}"),
        )
    for name, benefit in tier.categories.items():
        where: Path = (*here, "categories", name)
        if name not in known:
            import difflib  # only for a mistake: slow to import at every start

            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            yield where, f"unknown category {name!r}{hint}; categories: {', '.join(known)}"
        if benefit.copay is not None and benefit.copay < 0:
            yield where, f"copay must not be negative, got {benefit.copay}"
        if benefit.coinsurance is not None and not ZERO <= benefit.coinsurance <= 100:
            yield where, f"coinsurance is a percent from 0 to 100, got {benefit.coinsurance}"


def _codes(values: Iterable[str], here: Path) -> Iterator[tuple[Path, str]]:
    for i, value in enumerate(values):
        problem = code_problem(value)
        if problem:
            yield (*here, i), problem


def load_definitions(
    paths: Iterable[str | os.PathLike[str]], *, parsed: ParsedFiles | None = None
) -> list[PayerDefinition]:
    """Every definition under ``paths``; a payer id defined twice is an error naming both files.

    :param parsed: the run's parsed files (see :func:`load_definition`).
    :raises DefinitionError: every problem of every file.
    """
    loaded: list[PayerDefinition] = []
    problems: list[Problem] = []
    seen: dict[str, PayerDefinition] = {}
    for path in find_definitions(paths):
        try:
            definition = load_definition(path, parsed=parsed)
        except DefinitionError as exc:
            problems += exc.problems
            continue
        first = seen.setdefault(definition.payer.id, definition)
        if first is not definition:
            if os.path.samefile(first.file, definition.file):
                continue  # one directory configured twice (--rulepacks and PAYER_RULES_PATH)
            problems.append(
                Problem(
                    file=definition.file,
                    line=Positions(FsPath(definition.file).read_text(encoding="utf-8")).line(("payer", "id")),
                    subject="[payer]",
                    message=f"payer {definition.payer.id!r} is already defined by {first.file}",
                )
            )
            continue
        loaded.append(definition)
    if problems:
        raise DefinitionError(problems)
    return loaded
