"""A FHIR Bundle cut into work units, one Claim each with the entries it references, as text.

``--jobs`` workers and Spark read claims where they are judged; the process that splits a batch
only finds where each Claim's text is, whose it is, and which other entries its reading may
look at. For a Bundle that takes one scan of the file (:mod:`payer_rules.io.fhir.bundle_scan`:
each entry's text, and of each entry only the keys a reference finds it by, decoded in C by
msgspec); each worker then decodes only its own Claims and what they reference, not the whole
Bundle, and this process decodes of the rest only the Coverage each Claim's member is read from.

A unit (:class:`ClaimEntries`) is the Claim's entry and every entry it may reach through a
reference, each as its text, with its place in ``Bundle.entry``, in Bundle order. The worker
indexes them as the reader indexes the whole Bundle (:class:`~payer_rules.io.fhir.reader.ReferenceIndex`)
and reads the Claim as ``entry[n] Claim/id``, so results and located errors are the serial
run's. That holds because every reference resolves to the same entry in the unit as in the
Bundle: a unit holds, for each reference reachable from its Claim (its own, its contained
resources', and those of every entry they reach, transitively),

* for a literal one (``Patient/1``, a ``fullUrl``, ``.../_history/2``): the entry every key
  the reader tries for it finds in the whole Bundle (:meth:`_Places.literal`); the
  first of several entries that share a key is the first in the unit too;
* for a logical one (an ``identifier``): the first entry of each resource type with that
  identifier, which is every one the reader's choice among them can fall on.

References are found in an entry's text by a regular expression (``"reference": "..."``); an
entry whose text holds a ``\\u`` escape (a key could be spelled with one) or a logical reference
is walked once decoded instead.

Whose a Claim is (:func:`~payer_rules.io.fhir.reader.member_id_of`) is found here with the whole
Bundle's index; a Claim is known here only as what that reads of it
(:data:`~payer_rules.io.fhir.reader.MEMBER_KEYS`). If a reference reaches a Claim entry (a
Claim citing another), its unit is read here to find its member, as the worker will read it;
a Claim whose unit would carry more than :data:`MAX_ENTRIES` entries is read here and sent as
read.

:func:`split_bundle` gives up (``None``) where the reader reports something outside a Claim
(text that is not JSON, a Bundle whose ``entry`` is no list, one holding no Claim, structural
validation asked for with ``PAYER_RULES_FHIR_VALIDATE``) and for a byte-order mark; the file
then goes whole to every worker (:class:`~payer_rules.batch.units.SharedText`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.io.fhir.reader import PendingClaim, ReferenceIndex, literal_keys, member_id_of
from payer_rules.io.fhir.validate import validation_wanted
from payer_rules.models import Claim

if TYPE_CHECKING:
    from payer_rules.io.fhir.bundle_scan import Head, ScannedBundle

__all__ = ["MAX_ENTRIES", "ClaimEntries", "read_claim_entries", "split_bundle"]

#: The most entries a unit carries (its Claim and what it reaches); more, and the file is shared.
MAX_ENTRIES = 256


@frozen
class ClaimEntries:
    """One Claim of a Bundle with the entries its reading may look at, as text.

    Args:
        name: the file, as errors name it.
        claim: the Claim entry's place in ``Bundle.entry``.
        entries: ``(place in Bundle.entry, the entry's JSON text)`` in Bundle order, the
            Claim's among them (the text without white space where msgspec scanned the Bundle).
        key: the member id the Claim routes by (``None`` when it cannot be read).
    """

    name: str
    claim: int
    entries: tuple[tuple[int, str], ...]
    key: str | None


def read_claim_entries(unit: ClaimEntries) -> Claim | InputError:
    """The Claim (or its located error) exactly as the serial reader reads it in its Bundle."""
    from payer_rules.io.fhir.bundle_scan import decode_entry  # msgspec: imported for FHIR only

    entries = [decode_entry(text) for _place, text in unit.entries]
    index = ReferenceIndex.of_entries(entries)
    places = [place for place, _text in unit.entries]
    res = entries[places.index(unit.claim)]["resource"]
    label = f"entry[{unit.claim}] {res.get('resourceType')}/{res.get('id', '?')}"
    return PendingClaim(res, index, unit.name, label).read()


def split_bundle(text: str, name: str) -> Iterator[ClaimEntries | Claim | InputError] | None:
    """The Bundle's Claims as work units, in Bundle order; ``None`` when it must be shared whole.

    The whole text is scanned (and so known to be a Bundle the reader takes entry by entry)
    before this returns; each unit's references are then followed as the units are taken, so
    that workers judge the first Claims while this process cuts the next ones. Every item the
    serial reader yields for the file is one unit's Claim. A Claim that would carry more than
    :data:`MAX_ENTRIES` entries is read here and comes as read.
    """
    if validation_wanted() or text.lstrip() != text.lstrip("\ufeff \t\r\n"):
        return None
    from payer_rules.io.fhir.bundle_scan import scan_bundle

    scan = scan_bundle(text)
    if scan is None or not scan.claims:
        return None
    return _units(scan, name)


#: the type of a resource whose ``resourceType`` no reference can ask for (a list, an object)
_NO_TYPE = object()


class _Places:
    """Where each key a reference is looked up by leads in the whole Bundle: the place in
    ``Bundle.entry`` of what :class:`~payer_rules.io.fhir.reader.ReferenceIndex` answers with
    (``fullUrl`` before ``Type/id``, the first entry of each), and for an identifier the first
    entry of each resource type that has it."""

    def __init__(self, heads: list[Head]) -> None:
        held = [(n, head) for n, head in enumerate(heads) if head is not None]
        held.reverse()  # the last assignment stands: from the end, the first entry of each key
        full: dict[str, int] = {head[0]: n for n, head in held if isinstance(head[0], str)}
        typed: dict[str, int] = {f"{head[1]}/{head[2]}": n for n, head in held if head[2]}
        identified: dict[tuple[str, str], dict[Any, int]] = {}
        for n, (_url, kind, _rid, identifiers) in reversed(held):
            if isinstance(identifiers, list):
                for ident in identifiers:
                    if isinstance(ident, dict) and ident.get("value"):
                        key = (str(ident.get("system") or ""), str(ident["value"]))
                        # a resourceType no type matches (a list, an object) is one more type
                        kind = kind if isinstance(kind, Hashable) else _NO_TYPE
                        identified.setdefault(key, {}).setdefault(kind, n)
        self.full, self.typed, self.identifiers = full, typed, identified
        #: every literal key, to the place the index answers with (fullUrl first)
        self.keys = typed | full

    def literal(self, target: str) -> list[int]:
        """Every entry a literal reference may resolve to, depending on what else a unit holds:
        for each key the reader tries (:func:`~payer_rules.io.fhir.reader.literal_keys`), the
        entry the whole Bundle answers with."""
        if target.startswith("#"):
            return []
        keys = self.keys
        if target.count("/") == 1 and not target.endswith("/"):  # Type/id: its only key
            place = keys.get(target)
            return [] if place is None else [place]
        return [keys[key] for key in literal_keys(target) if key in keys]

    def identified(self, key: tuple[str, str]) -> list[int]:
        """The first entry of each type with this identifier: every one the reader's choice for a
        logical reference can fall on, whatever types it wants."""
        return list(self.identifiers.get(key, {}).values())


class _Resolved(Mapping[str, Mapping[str, Any]]):
    """The resource each literal key leads to in the whole Bundle, by place."""

    def __init__(self, places: _Places, scan: ScannedBundle) -> None:
        self.at, self.scan = places.keys, scan

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        resource: Mapping[str, Any] = self.scan.entry(self.at[key])["resource"]
        return resource

    def __contains__(self, key: object) -> bool:
        return key in self.at

    def __iter__(self) -> Iterator[str]:
        return iter(self.at)

    def __len__(self) -> int:
        return len(self.at)


class _Identified(Mapping[tuple[str, str], Sequence[Mapping[str, Any]]]):
    """The resources a logical reference may resolve to, by identifier, in Bundle order."""

    def __init__(self, places: _Places, scan: ScannedBundle) -> None:
        self.places, self.scan = places, scan

    def __getitem__(self, key: tuple[str, str]) -> Sequence[Mapping[str, Any]]:
        return [self.scan.entry(p)["resource"] for p in self.places.identifiers[key].values()]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.places.identifiers)

    def __len__(self) -> int:
        return len(self.places.identifiers)


def _units(scan: ScannedBundle, name: str) -> Iterator[ClaimEntries | Claim | InputError]:
    """Per Claim: its entry and the entries it reaches, and the member id it reads with.

    The one loop of the split that runs per Claim, so it is kept plain: each entry's text and
    direct references are found once (lists by place), a ``Type/id`` target is one dict
    lookup, and the member id of a Claim whose focal Coverage is a literal ``Type/id`` with a
    ``subscriberId`` is that id (:func:`_subscriber_route`); any other Claim's is found by the
    reader's own :func:`~payer_rules.io.fhir.reader.member_id_of` over the whole Bundle's index.
    """
    places = _Places(scan.heads)
    keys = places.keys
    # the whole Bundle's index, as the reader builds it, looked up by place
    index = ReferenceIndex.of(_Resolved(places, scan), _Identified(places, scan))
    claims = set(scan.claims)
    size = len(scan.heads)
    # the texts of entries met lately: the same string in each unit that holds one
    texts: list[str | None] = [None] * size
    filled: list[int] = []
    reached: list[list[int] | None] = [None] * size
    text_of, references = scan.text, scan.references

    def text(n: int) -> str:
        found = texts[n] = text_of(n)
        filled.append(n)
        return found

    def direct(n: int) -> list[int]:
        literal, logical = references(n, texts[n] or text(n))
        found: list[int] = []
        for target in literal:
            if target.count("/") == 1 and target[0] != "#" and target[-1] != "/":  # Type/id
                place = keys.get(target)
                if place is not None:
                    found.append(place)
            else:
                found += places.literal(target)
        for key in logical:
            found += places.identified(key)
        reached[n] = found
        return found

    for claim in scan.claims:
        members = {claim}
        todo = [claim]
        cites_claim = False
        while todo and len(members) <= MAX_ENTRIES:
            n = todo.pop()
            found = reached[n]
            for m in found if found is not None else direct(n):
                if m not in members:
                    cites_claim = cites_claim or m in claims
                    members.add(m)
                    todo.append(m)
                elif m in claims:
                    cites_claim = True
        entries = tuple((n, texts[n] or text(n)) for n in sorted(members))
        if len(filled) > 8192:
            for n in filled:
                texts[n] = None
            filled.clear()
        if len(members) > MAX_ENTRIES:
            yield read_claim_entries(ClaimEntries(name, claim, entries, None))
        elif cites_claim:
            # the Claims here are cut down to what routes them: find its member as the worker will
            item = read_claim_entries(ClaimEntries(name, claim, entries, None))
            key = item.coverage.member_id if isinstance(item, Claim) else None
            yield ClaimEntries(name, claim, entries, key)
        else:
            res = scan.entry(claim)["resource"]
            key = _subscriber_route(res, keys, scan)
            yield ClaimEntries(name, claim, entries, key if key is not None else member_id_of(res, index))


def _subscriber_route(res: Mapping[str, Any], keys: Mapping[str, int], scan: ScannedBundle) -> str | None:
    """The member id :func:`~payer_rules.io.fhir.reader.member_id_of` finds for the Claim
    ``res`` in the usual case, found without it: the focal insurance's ``coverage`` is a literal
    ``Type/id`` reference to an entry whose ``subscriberId`` is set, which is then the member
    id (``reader._member``: ``Coverage.subscriberId`` first). ``None``: not that case, ask the
    reader. Only for a Claim whose references reach no Claim (a Coverage place is no Claim).
    """
    insurance = res.get("insurance")
    if type(insurance) is not list or not insurance:
        return None
    focal = None
    for item in insurance:
        if type(item) is not dict:
            return None
        if focal is None and item.get("focal"):
            focal = item
    ref = (focal or insurance[0]).get("coverage")
    if type(ref) is not dict:
        return None
    target = ref.get("reference")
    if type(target) is not str or target.count("/") != 1 or target[0] == "#" or target[-1] == "/":
        return None
    place = keys.get(target)
    if place is None:
        return None
    member = scan.subscriber_id(place)
    return str(member) if member else None
