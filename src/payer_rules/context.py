"""Per-run state a payer's hooks may read: the payer, the dates, accumulators and history.

A :class:`Session` belongs to one run (one ``adjudicate_many`` call, one HTTP request); the
engine itself holds no per-claim state, so it can be shared across threads.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from typing import Any

from attrs import define, field, frozen

from payer_rules.codesets.registry import CodeSetRegistry
from payer_rules.models import Claim, PriorService
from payer_rules.pas.usage import AuthorizationLedger
from payer_rules.payers import PayerInfo
from payer_rules.results import CaseGroup, ClaimResult, LineStatus, PricedLine, Pricing

__all__ = ["Context", "Session"]


_REJECTED = LineStatus.REJECTED  # a module constant: enum class lookups are slow on Python 3.11

#: ``"paid:line2"`` and the like, made once: history repeats a few dozen of them.
_STATUS_TEXT: dict[tuple[LineStatus, int], str] = {}


class DateIndex:
    """Services by date of service, each with its position in the order they were kept.

    Same-day edits (duplicates, NCCI PTP and MUE) and look-back windows ask what a member had
    on or around a date; with this index each question costs a dictionary lookup or a binary
    search plus what it returns, whatever the length of the member's history. Answers keep the
    order the services were kept in, so findings that name "the earlier" service stay the same.
    """

    __slots__ = ("by_date", "dates", "size")

    def __init__(self, services: Collection[PriorService] = ()) -> None:
        self.by_date: dict[dt.date, list[tuple[int, PriorService]]] = {}
        self.dates: list[dt.date] = []  # the distinct dates, sorted
        self.size = 0
        for service in services:
            self.add(service)

    def add(self, service: PriorService) -> None:
        day = service.service_date
        bucket = self.by_date.get(day)
        if bucket is None:
            self.by_date[day] = [(self.size, service)]
            if not self.dates or self.dates[-1] < day:
                self.dates.append(day)  # claims mostly arrive in date order
            else:
                insort(self.dates, day)
        else:
            bucket.append((self.size, service))
        self.size += 1

    def on(self, days: Collection[dt.date]) -> list[tuple[int, PriorService]]:
        """The services on any of ``days``, in the order they were kept."""
        found: list[tuple[int, PriorService]] = []
        by_date = self.by_date
        for day in days:
            bucket = by_date.get(day)
            if bucket:
                found.extend(bucket)
        if len(days) > 1:
            found.sort(key=_position)
        return found

    def between(self, start: dt.date, end: dt.date) -> list[tuple[int, PriorService]]:
        """The services from ``start`` to ``end`` inclusive, in the order they were kept."""
        dates = self.dates
        found: list[tuple[int, PriorService]] = []
        by_date = self.by_date
        for day in dates[bisect_left(dates, start) : bisect_right(dates, end)]:
            found.extend(by_date[day])
        found.sort(key=_position)
        return found


def _position(item: tuple[int, PriorService]) -> int:
    return item[0]


@define
class Session:
    """What earlier claims of a batch leave behind for later ones.

    Accumulators (deductible and out-of-pocket met), the services already adjudicated, both per
    payer and member, and the units of authorizations used (:mod:`payer_rules.pas.usage`).
    Claims of one member must reach one session in date order; the batch runners sort or
    partition by member for exactly this reason.
    """

    _accumulated: defaultdict[tuple[str, str, int, str], Decimal] = field(
        factory=lambda: defaultdict(Decimal)
    )
    _services: defaultdict[tuple[str, str], list[PriorService]] = field(factory=lambda: defaultdict(list))
    #: One object per distinct value kept in history (codes, NPIs, dates, amounts, statuses):
    #: a million remembered lines repeat a few thousand values, so sharing them keeps a batch's
    #: history at about the size of the records themselves.
    _shared: dict[Any, Any] = field(factory=dict)
    #: What a plugin keeps for the run besides accumulators and history: indexes it builds over
    #: the members' services as claims arrive (Medicare's surgeries by date), under a key the
    #: plugin chooses. The engine never reads it.
    plugin_state: dict[str, Any] = field(factory=dict)
    #: The same services as ``_services``, by date of service (see :class:`DateIndex`).
    _by_date: dict[tuple[str, str], DateIndex] = field(factory=dict)
    #: The date index of the claim being judged's own ``history`` (built once per claim, not per
    #: question): the claim's history tuple and its index.
    _claim_history: tuple[tuple[PriorService, ...], DateIndex] | None = None
    #: ``Adjudication.episodes`` by payer, member and name (see :meth:`episode`).
    _episodes: dict[tuple[str, str, str], object] = field(factory=dict)
    #: Units of the engine's authorizations used by this run's claims (and, read from the data
    #: directory, earlier runs'); ``AuthorizationLedger(record=True)`` keeps this run's for later ones.
    authorizations: AuthorizationLedger = field(factory=AuthorizationLedger)
    #: ``False`` for a session that judges one claim and is then dropped (the service's
    #: single-claim request): no later claim reads its history, so :meth:`remember` keeps none.
    keeps_history: bool = field(default=True, kw_only=True)

    def accumulated(self, payer: str, member: str, year: int, name: str) -> Decimal:
        return self._accumulated[(payer, member, year, name)]

    def add(self, payer: str, member: str, year: int, amounts: Mapping[str, Decimal]) -> None:
        for name, amount in amounts.items():
            self._accumulated[(payer, member, year, name)] += amount

    def episode(self, payer: str, member: str, name: str) -> object | None:
        """The latest value an adjudication kept under ``name`` for this member, if any."""
        return self._episodes.get((payer, member, name))

    def keep(self, payer: str, member: str, episodes: Mapping[str, object]) -> None:
        for name, value in episodes.items():
            self._episodes[(payer, member, name)] = value

    def services(self, payer: str, member: str) -> tuple[PriorService, ...]:
        kept = self._services.get((payer, member))
        return tuple(kept) if kept else ()

    def services_on(self, payer: str, member: str, days: Collection[dt.date]) -> list[PriorService]:
        """The member's services remembered in this run on any of ``days``, in the order kept."""
        index = self._by_date.get((payer, member))
        return [s for _, s in index.on(days)] if index is not None else []

    def services_between(self, payer: str, member: str, start: dt.date, end: dt.date) -> list[PriorService]:
        """The member's services remembered in this run from ``start`` to ``end`` inclusive."""
        index = self._by_date.get((payer, member))
        return [s for _, s in index.between(start, end)] if index is not None else []

    def claim_history_index(self, history: tuple[PriorService, ...]) -> DateIndex:
        """The date index of a claim's own history, kept while the same claim is asked about."""
        cached = self._claim_history
        if cached is not None and cached[0] is history:
            return cached[1]
        index = DateIndex(history)
        self._claim_history = (history, index)
        return index

    def services_since(self, payer: str, member: str, start: int) -> list[PriorService]:
        """The member's services remembered after the first ``start`` (an index kept up to date
        reads only what is new, never the whole history again)."""
        kept = self._services.get((payer, member))
        return kept[start:] if kept is not None and len(kept) > start else []

    def remember(self, claim: Claim, result: ClaimResult) -> None:
        """Keep the claim's processed lines as history for the member's later claims."""
        if not self.keeps_history or result.status in ("error", "rejected"):
            return
        kept = self._services[(result.payer, claim.member_key)]
        index = self._by_date.get((result.payer, claim.member_key))
        if index is None:
            index = self._by_date[(result.payer, claim.member_key)] = DateIndex()
        before = len(kept)
        share = self._shared.setdefault
        tax_id = share(claim.billing_provider.tax_id, claim.billing_provider.tax_id)
        for number, (line, outcome) in enumerate(zip(claim.lines, result.lines, strict=True), 1):
            if outcome.status is _REJECTED:
                continue
            rendering = claim.rendering_for(line)
            status = _STATUS_TEXT.get((outcome.status, number))
            if status is None:
                status = _STATUS_TEXT[(outcome.status, number)] = f"{outcome.status}:line{number}"
            kept.append(
                _prior_service(
                    claim.id,
                    share(line.service_date, line.service_date),
                    share(line.procedure, line.procedure),
                    share(line.modifiers, line.modifiers),
                    share(line.units, line.units),
                    share(line.charge, line.charge),
                    share(rendering.npi, rendering.npi),
                    tax_id,
                    share(rendering.taxonomy, rendering.taxonomy),
                    result.payer,
                    status,
                )
            )
        for service in kept[before:]:
            index.add(service)


_SETTERS = {a.name: getattr(PriorService, a.name).__set__ for a in PriorService.__attrs_attrs__}
_SET_CLAIM_ID, _SET_SERVICE_DATE, _SET_PROCEDURE, _SET_MODIFIERS = (
    _SETTERS.pop(n) for n in ("claim_id", "service_date", "procedure", "modifiers")
)
_SET_UNITS, _SET_CHARGE, _SET_PROVIDER_NPI, _SET_PROVIDER_TAX_ID = (
    _SETTERS.pop(n) for n in ("units", "charge", "provider_npi", "provider_tax_id")
)
_SET_PROVIDER_TAXONOMY, _SET_PAYER_ID, _SET_STATUS = (
    _SETTERS.pop(n) for n in ("provider_taxonomy", "payer_id", "status")
)
if _SETTERS:  # pragma: no cover - a field added to PriorService must be filled in below too
    raise ImportError(f"_prior_service does not fill in PriorService's {', '.join(_SETTERS)}")
_new = object.__new__


def _prior_service(
    claim_id: str,
    service_date: dt.date,
    procedure: str,
    modifiers: tuple[str, ...],
    units: Decimal,
    charge: Decimal | None,
    provider_npi: str | None,
    provider_tax_id: str | None,
    provider_taxonomy: str | None,
    payer_id: str | None,
    status: str,
) -> PriorService:
    """A :class:`PriorService` from a line already read, its fields in declaration order.

    The line's code and modifiers are normal already (``ServiceLine`` ran the same converters),
    so the record is filled in directly: half the cost of ``PriorService(...)``, which matters
    for a history of millions of lines. ``tests/test_context.py`` checks it equals the record
    ``PriorService(...)`` builds.
    """
    record = _new(PriorService)
    _SET_CLAIM_ID(record, claim_id)
    _SET_SERVICE_DATE(record, service_date)
    _SET_PROCEDURE(record, procedure)
    _SET_MODIFIERS(record, modifiers)
    _SET_UNITS(record, units)
    _SET_CHARGE(record, charge)
    _SET_PROVIDER_NPI(record, provider_npi)
    _SET_PROVIDER_TAX_ID(record, provider_tax_id)
    _SET_PROVIDER_TAXONOMY(record, provider_taxonomy)
    _SET_PAYER_ID(record, payer_id)
    _SET_STATUS(record, status)
    return record


@frozen(kw_only=True)
class Context:
    """What a hook knows besides the claim.

    Args:
        payer: the payer being asked; hooks return nothing for payers that are not theirs.
        as_of: the date rules are judged by when a run pins it; ``None`` means each line's
            date of service decides.
        received_date: when the payer received the claim (the claim's own, or the run's override).
        session: the run's accumulators and history.
        code_sets: the engine's code-set registry (ICD-10-CM, HCPCS ... by date of service).
    """

    payer: PayerInfo
    received_date: dt.date
    as_of: dt.date | None = None
    session: Session = field(factory=Session)
    code_sets: CodeSetRegistry = field(factory=CodeSetRegistry)
    #: Prices a line by a reference fee schedule (``reference_price`` hook); set by the engine.
    reference_pricer: Callable[[str, Claim, int, Context], PricedLine | None] | None = None
    #: Prices a whole claim per case by a reference payer (``reference_case`` hook); set by the engine.
    case_pricer: Callable[[str, Claim, Context], Pricing | None] | None = None
    #: Assigns a stay its case-mix group (``group_case`` hook); set by the engine.
    case_grouper: Callable[[str, Claim, Context], CaseGroup | None] | None = None

    def reference_price(self, reference: str, claim: Claim, line: int) -> PricedLine | None:
        """The reference schedule's price for a line (e.g. ``"medicare"``), or ``None``."""
        if self.reference_pricer is None:
            return None
        return self.reference_pricer(reference, claim, line, self)

    def reference_case(self, reference: str, claim: Claim) -> Pricing | None:
        """The reference payer's per-case pricing of ``claim`` (``reference_case`` hook), or ``None``."""
        if self.case_pricer is None:
            return None
        return self.case_pricer(reference, claim, self)

    def group_case(self, scheme: str, claim: Claim) -> CaseGroup | None:
        """The stay's case-mix group under ``scheme`` (``group_case`` hook), or ``None``."""
        if self.case_grouper is None:
            return None
        return self.case_grouper(scheme, claim, self)

    def rules_date(self, service_date: dt.date) -> dt.date:
        """The date whose rules apply to a line: the pinned as-of date, else its date of service."""
        return self.as_of or service_date

    def accumulated(self, claim: Claim, year: int, name: str) -> Decimal:
        """Year-to-date ``name`` met: the claim's accumulators plus earlier claims of this run."""
        carried = claim.accumulators_for(year)
        base = Decimal(0)
        if carried is not None:
            base = {"deductible": carried.deductible_met, "out_of_pocket": carried.out_of_pocket_met}.get(
                name, Decimal(0)
            )
        return base + self.session.accumulated(self.payer.id, claim.member_key, year, name)

    def episode(self, claim: Claim, name: str) -> object | None:
        """What an earlier claim of this member kept under ``name`` in this run.

        (``Adjudication.episodes``; e.g. Medicare's Part A benefit period.)
        """
        return self.session.episode(self.payer.id, claim.member_key, name)

    def history(self, claim: Claim) -> tuple[PriorService, ...]:
        """The member's prior services: those on the claim plus those judged earlier in this run."""
        services = self.session.services(self.payer.id, claim.member_key)
        return claim.history + services if claim.history else services

    def history_on(self, claim: Claim, days: Collection[dt.date]) -> list[PriorService]:
        """The member's prior services on any of ``days``: as :meth:`history` (the claim's own
        first, then this run's, each in the order kept), found through the date index instead
        of a scan of the member's whole history."""
        session = self.session
        found = session.services_on(self.payer.id, claim.member_key, days)
        if claim.history:
            own = [s for _, s in session.claim_history_index(claim.history).on(days)]
            return own + found if found else own
        return found

    def history_between(self, claim: Claim, start: dt.date, end: dt.date) -> list[PriorService]:
        """The member's prior services from ``start`` to ``end`` inclusive, ordered as
        :meth:`history`, through the date index."""
        session = self.session
        found = session.services_between(self.payer.id, claim.member_key, start, end)
        if claim.history:
            own = [s for _, s in session.claim_history_index(claim.history).between(start, end)]
            return own + found if found else own
        return found
