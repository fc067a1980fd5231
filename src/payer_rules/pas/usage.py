"""Units of an authorization used up across claims.

An authorization certifies so many units of a service; each claim line it is honoured on
(ENG021) uses its units, and a later line may use only what is left (else ENG022, and the
payer's authorization edit stands). What counts as used, for a claim being judged:

* every line of another claim of the member honoured on the same certified service (number and
  item) whose line was not denied or rejected in the end: a denied line used nothing;
* claims judged earlier in this run (the run's :class:`~payer_rules.context.Session`) and in
  earlier runs that recorded their use (``authorization_units`` in ``authorizations.sqlite``;
  ``payer-rules adjudicate`` records, what-if runs and the service only read). A run keeps its
  claims' use in memory, where its later claims count it, and writes it when it ends
  (:meth:`AuthorizationLedger.flush`: one transaction, not one per claim);
* never the claim itself, nor the claim it replaces or voids (frequency 7 / 8 with its original
  claim id): judging the same claim again, or its replacement, takes the place of what it used
  before instead of adding to it; a void gives the units back.

Use belongs to the patient: claims are told apart by the payer that judged them (an
authorization is issued for one payer; in a chain each payer judges the claim), the member id
as the authorization edit compares it (trimmed, upper case), the patient (:func:`patient_of`:
a dependant shares the subscriber's member id, and two patients' claims may carry one claim
id) and the claim id. Use recorded before patients were told apart has no patient
(:data:`UNKNOWN_PATIENT`): it counts for every patient of the member, and any of them judging
that claim id again takes its place. Batch runners
route claims by that member id (:func:`payer_rules.batch.partition.bucket_of`), so every claim
that can use one authorization is judged by one partition in input order, and ``--jobs`` and
Spark count exactly what the serial run counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from attrs import define, field

from payer_rules.models import Claim, Frequency, Person
from payer_rules.results import ClaimResult, ClaimStatus, LineStatus

__all__ = [
    "UNKNOWN_PATIENT",
    "AuthorizationLedger",
    "Use",
    "UseWrite",
    "member_of",
    "name_part",
    "normal_member",
    "patient_of",
]

_REPLACES = frozenset({Frequency.REPLACEMENT, Frequency.VOID})
_NOT_SETTLED = frozenset({ClaimStatus.ERROR, ClaimStatus.REJECTED})
_USED_NOTHING = frozenset({LineStatus.DENIED, LineStatus.REJECTED, LineStatus.ERROR})

#: A line's use of a certified service: (number, item, units).
Use = tuple[str, int, Decimal]


#: A use key: (payer, member, patient, claim id).
Key = tuple[str, str, str, str]
#: What one settled claim used, to record (:func:`payer_rules.pas.store.record_uses`): payer,
#: member, patient, the claim ids it takes the place of, and (number, item, claim id, line,
#: units) per line that used a service.
UseWrite = tuple[str, str, str, tuple[str, ...], tuple[tuple[str, int, str, int, Decimal], ...]]
#: The patient of use recorded before patients were told apart (``authorization_units`` of an
#: older ``authorizations.sqlite``): whose it was is unknown.
UNKNOWN_PATIENT = ""


def normal_member(member_id: str) -> str:
    """A member id as authorizations are kept and compared by (trimmed, upper case); the
    ``--jobs`` partitions route by it too, so claims that share units share a partition."""
    return member_id.strip().upper()


def member_of(claim: Claim) -> str:
    return normal_member(claim.coverage.member_id)


def name_part(value: str | None) -> str:
    """A name as patients are compared: upper case, letters and digits only (``O'Brien`` is
    ``OBRIEN``, as an 837 often spells it)."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def patient_of(person: Person) -> str:
    """The patient, as authorizations and their use tell patients apart: family name, given name
    and date of birth (``DOE|JOHN|2012-07-01``).

    Not ``Person.id``: each format gives a dependant another id, or none (the 837's patient loop,
    2010CA, has no id in 5010, so the reader makes one of the member id, name and birth date; the
    subscriber's is the member id; FHIR's is the Patient resource's), and an authorization issued
    over FHIR PAS is quoted on claims in every format. Name and date of birth are what all of
    them carry for the patient (837 2010CA NM1*QC / DMG, or 2010BA for a subscriber who is the
    patient; FHIR ``Claim.patient``; claim JSON ``patient``), and what a payer identifies a
    dependant by under the subscriber's id.
    """
    birth = person.birth_date.isoformat() if person.birth_date else ""
    return f"{name_part(person.last_name)}|{name_part(person.first_name)}|{birth}"


def own_ids(claim: Claim) -> frozenset[str]:
    """The claim ids whose use this claim takes the place of: its own, and the one it replaces or voids."""
    if claim.frequency in _REPLACES and claim.original_claim_id:
        return frozenset({claim.id, claim.original_claim_id})
    return frozenset({claim.id})


def _own_keys(claim: Claim, payer: str) -> set[Key]:
    """The use keys ``claim`` takes the place of: its own ids for its patient, and for use
    recorded before patients were told apart."""
    member, patient = member_of(claim), patient_of(claim.patient)
    return {(payer, member, p, i) for i in own_ids(claim) for p in (patient, UNKNOWN_PATIENT)}


@define
class AuthorizationLedger:
    """What the claims of one run used of the authorizations they quote.

    Args:
        record: also write each settled claim's use to ``authorizations.sqlite``, for later runs,
            when :meth:`flush` is called: whoever runs the claims calls it where the run ends
            (the CLI's serial run, each chunk of a ``--jobs`` worker or Spark partition in
            :func:`payer_rules.batch.partition.judge`), whether it ends well or not.
    """

    record: bool = False
    #: This run's use, by certified service and (payer, member, patient, claim id).
    _used: dict[tuple[str, int], dict[Key, Decimal]] = field(factory=dict)
    #: The items of each number in ``_used``, and the services each use key is in: a claim looks
    #: up and replaces only its own numbers' and ids' use, never scanning the run's (a cost per
    #: claim that grew with the number of authorizations the run had used).
    _items: dict[str, set[int]] = field(factory=dict)
    _services_of: dict[Key, set[tuple[str, int]]] = field(factory=dict)
    #: (payer, member, patient, claim id) settled in this run: what an earlier run recorded is stale.
    _settled: set[Key] = field(factory=set)
    #: The claim being judged: its id, the payer, and its lines' uses (see :meth:`hold`).
    _held: tuple[str, str, dict[int, Use]] | None = None
    #: With ``record``: what settled claims used, not yet written, in the order they settled.
    _unwritten: list[UseWrite] = field(factory=list)

    def used_by(
        self, claim: Claim, payer: str, numbers: Iterable[str]
    ) -> dict[tuple[str, int], dict[str, Decimal]]:
        """Units of each service of ``numbers`` the member's other claims used (this run's and
        earlier runs'), by claim id; never ``claim`` nor the claim it replaces or voids."""
        from payer_rules.pas import store  # only for claims that quote numbers: not at start-up

        mine = _own_keys(claim, payer)
        wanted = set(numbers)
        merged: dict[tuple[str, int], dict[Key, Decimal]] = {}
        for key, by_claim in store.used(wanted).items():
            merged[key] = {k: u for k, u in by_claim.items() if k not in self._settled}
        for number in wanted:
            for item in self._items.get(number, ()):
                key = (number, item)
                merged.setdefault(key, {}).update(self._used[key])
        out: dict[tuple[str, int], dict[str, Decimal]] = {}
        for key, by_claim in merged.items():
            others: dict[str, Decimal] = {}
            for k, u in by_claim.items():
                if k not in mine and u:  # two patients' claims may share an id: both count
                    others[k[3]] = others.get(k[3], Decimal(0)) + u
            if others:
                out[key] = others
        return out

    def hold(self, claim: Claim, payer: str, uses: Mapping[int, Use]) -> None:
        """What ``claim``'s lines would use, kept until :meth:`settle` knows how the lines ended."""
        self._held = (claim.id, payer, dict(uses))

    def drop(self) -> None:
        """Forget what :meth:`hold` kept: the claim it was held for ended without :meth:`settle`
        (a plugin failed on it), so no later claim with its id and payer may be credited with it."""
        self._held = None

    def settle(self, claim: Claim, result: ClaimResult, *, counted: bool = True) -> None:
        """Count what an adjudicated ``claim`` used, in place of what it (or the claim it replaces
        or voids) used before; a rejected claim or one in error changes nothing.

        :param counted: ``False`` for a claim only checked (scrubber mode): nothing is used.
        """
        held, self._held = self._held, None
        # it quotes numbers this engine issued, and the payer judged them
        quoted = held is not None and held[0] == claim.id and held[1] == result.payer
        uses = held[2] if held is not None and quoted else {}
        if not counted or result.status in _NOT_SETTLED or not (quoted or claim.frequency in _REPLACES):
            return
        payer, member, patient = result.payer, member_of(claim), patient_of(claim.patient)
        superseded = own_ids(claim)
        gone = _own_keys(claim, payer)
        for k in gone:
            for service in self._services_of.pop(k, ()):
                del self._used[service][k]
        self._settled |= gone
        kept: list[tuple[str, int, str, int, Decimal]] = []
        if claim.frequency is not Frequency.VOID:
            for line, (number, item, units) in sorted(uses.items()):
                if result.lines[line - 1].status in _USED_NOTHING:
                    continue
                by_claim = self._used.setdefault((number, item), {})
                key = (payer, member, patient, claim.id)
                by_claim[key] = by_claim.get(key, Decimal(0)) + units
                self._items.setdefault(number, set()).add(item)
                self._services_of.setdefault(key, set()).add((number, item))
                kept.append((number, item, claim.id, line, units))
        if self.record:
            self._unwritten.append((payer, member, patient, tuple(sorted(superseded)), tuple(kept)))

    def flush(self) -> None:
        """Write what the claims settled since the last flush used to ``authorizations.sqlite``.

        One connection and one transaction for them all, replayed in the order they settled (a
        replacement judged after its original takes its place as it did in memory), so a run
        that stops part way leaves whole claims recorded or none of a flush's. Nothing to write:
        the file is not opened.

        :raises payer_rules.errors.PayerRulesError: the file cannot be written; nothing of this
            flush is, and it is not kept for another try (the runners stop the run with the message).
        """
        if not self._unwritten:
            return
        from payer_rules.pas import store

        writes, self._unwritten = self._unwritten, []
        store.record_uses(writes)
