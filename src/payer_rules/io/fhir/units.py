"""A FHIR Bundle cut into work units, one Claim each with the entries it references, as text.

``--jobs`` workers and Spark read claims where they are judged; the process that splits a batch
only finds where each Claim's text is, whose it is, and which other entries its reading may
look at. For a Bundle that takes one scan of the file (:mod:`payer_rules.io.fhir.bundle_scan`:
each entry's text, and of each entry only the keys a reference finds it by, decoded in C by
msgspec), and the units go out while it is under way (:func:`_units`); each worker then decodes
only its own Claims and what they reference, not the whole Bundle.

A unit (:class:`ClaimEntries`) is the Claim's entry and every entry it may reach through a
reference, each as its text, with its place in ``Bundle.entry``, in Bundle order. The worker
indexes them as the reader indexes the whole Bundle (:class:`~payer_rules.io.fhir.reader.ReferenceIndex`)
and reads the Claim as ``entry[n] Claim/id``, so results and located errors are the serial
run's. That holds because every reference resolves to the same entry in the unit as in the
Bundle: a unit holds, for each reference reachable from its Claim (its own, its contained
resources', and those of every entry they reach, transitively),

* for a literal one (``Patient/1``, a ``fullUrl``, ``.../_history/2``): the entry every key
  the reader tries for it (:func:`~payer_rules.io.fhir.reader.literal_keys`) finds in the whole
  Bundle; the first of several entries that share a key is the first in the unit too;
* for a logical one (an ``identifier``): the first entry of each resource type with that
  identifier, which is every one the reader's choice among them can fall on.

References are found in an entry's text by a regular expression (``"reference": "..."``); an
entry whose text holds a ``\\u`` escape (a key could be spelled with one) or a logical reference
is walked once decoded instead.

Whose a Claim is (:func:`~payer_rules.io.fhir.reader.member_id_of`) is found here, from its focal
Coverage's ``subscriberId`` or else with the whole Bundle's index; a Claim is known here only as
what that reads of it
(:data:`~payer_rules.io.fhir.reader.MEMBER_KEYS`). If a reference reaches a Claim entry (a
Claim citing another), its unit is read here to find its member, as the worker will read it;
a Claim whose unit would carry more than :data:`MAX_ENTRIES` entries is read here and sent as
read.

:func:`split_bundle` gives up (``None``) where the reader reports something outside a Claim
(text that is not JSON, a Bundle whose ``entry`` is no list, one holding no Claim, structural
validation asked for with ``PAYER_RULES_FHIR_VALIDATE``) and for a byte-order mark; the file
then goes whole to every worker (:class:`~payer_rules.batch.units.SharedText`). A Bundle found to
hold no Claim entry only once its units were under way yields what the serial reader yields
for it, read here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.io.fhir.reader import PendingClaim, ReferenceIndex, literal_keys, member_id_of
from payer_rules.io.fhir.validate import validation_wanted
from payer_rules.io.readers import read_text
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

    The whole text is checked as JSON (and so known to be a Bundle the reader takes entry by
    entry) before this returns. Where every reference of the Bundle is found in its text (no
    escape could spell a key, no logical reference: most Bundles), its entries are then scanned
    as the units are taken, and a Claim goes as soon as every entry it reaches is scanned and
    no entry still to scan can change where its references lead (:func:`_units`): workers
    judge the first Claims while this process scans and cuts the next ones. Else every entry is
    scanned first. Every item the serial reader yields for the file is one unit's Claim. A
    Claim that would carry more than :data:`MAX_ENTRIES` entries is read here and comes as read.
    """
    if validation_wanted() or text.lstrip() != text.lstrip("\ufeff \t\r\n"):
        return None
    from payer_rules.io.fhir.bundle_scan import RawScan, open_bundle, whole_scan

    opened = open_bundle(text)
    if isinstance(opened, RawScan) and opened.plain and _CLAIM_TEXT in opened.source:
        return _units(opened, name, text)
    scan = whole_scan(opened, text)
    if scan is None or not scan.claims:
        return None
    return _units(scan, name, text)


#: how an entry holding a Claim resource reads without white space or escapes
_CLAIM_TEXT = '"resourceType":"Claim"'
#: entries scanned at a time while units are taken
_STEP = 4096
#: the place of a key an entry still to scan may change
_NOT_YET = -1

#: the type of a resource whose ``resourceType`` no reference can ask for (a list, an object)
_NO_TYPE = object()


class _Places:
    """Where each key a reference is looked up by leads in the whole Bundle: the place in
    ``Bundle.entry`` of what :class:`~payer_rules.io.fhir.reader.ReferenceIndex` answers with
    (``fullUrl`` before ``Type/id``, the first entry of each: ``full`` and ``typed``), and for
    an identifier the first entry of each resource type that has it."""

    def __init__(self, heads: list[Head], full: dict[str, int], typed: dict[str, int]) -> None:
        identified: dict[tuple[str, str], dict[Any, int]] = {}
        for n, head in enumerate(heads):
            if head is None:
                continue
            kind, identifiers = head[1], head[3]
            if isinstance(identifiers, list):
                for ident in identifiers:
                    if isinstance(ident, dict) and ident.get("value"):
                        key = (str(ident.get("system") or ""), str(ident["value"]))
                        # a resourceType no type matches (a list, an object) is one more type
                        kind = kind if isinstance(kind, Hashable) else _NO_TYPE
                        identified.setdefault(key, {}).setdefault(kind, n)
        self.identifiers = identified
        #: every literal key, to the place the index answers with (fullUrl first)
        self.keys = typed | full

    def identified(self, key: tuple[str, str]) -> list[int]:
        """The first entry of each type with this identifier: every one the reader's choice for a
        logical reference can fall on, whatever types it wants."""
        return list(self.identifiers.get(key, {}).values())


class _Resolved(Mapping[str, Mapping[str, Any]]):
    """The resource each literal key leads to in the whole Bundle, by place."""

    def __init__(self, places: _Places, entry: Callable[[int], Any]) -> None:
        self.at, self.entry = places.keys, entry

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        resource: Mapping[str, Any] = self.entry(self.at[key])["resource"]
        return resource

    def __contains__(self, key: object) -> bool:
        return key in self.at

    def __iter__(self) -> Iterator[str]:
        return iter(self.at)

    def __len__(self) -> int:
        return len(self.at)


class _Identified(Mapping[tuple[str, str], Sequence[Mapping[str, Any]]]):
    """The resources a logical reference may resolve to, by identifier, in Bundle order."""

    def __init__(self, places: _Places, entry: Callable[[int], Any]) -> None:
        self.places, self.entry = places, entry

    def __getitem__(self, key: tuple[str, str]) -> Sequence[Mapping[str, Any]]:
        return [self.entry(p)["resource"] for p in self.places.identifiers[key].values()]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.places.identifiers)

    def __len__(self) -> int:
        return len(self.places.identifiers)


def _units(scan: ScannedBundle, name: str, text: str) -> Iterator[ClaimEntries | Claim | InputError]:
    """Per Claim: its entry and the entries it reaches, and the member id it reads with.

    The entries are scanned :data:`_STEP` at a time where ``scan`` has not scanned them yet; a
    Claim goes once every entry it reaches is scanned and final. A key's place is final once an
    entry with that ``fullUrl`` is scanned (the first of them is the one the reader takes), or
    once an entry with that ``Type/id`` is scanned and no ``fullUrl`` anywhere in the text (an
    entry's or not: :meth:`~payer_rules.io.fhir.bundle_scan.RawScan.full_urls`) can be that key; a
    key no scanned entry has may still be found, so its Claim, and every Claim after it, waits
    for the scan to end. The member id is found without the whole index where the reader's
    first choice gives it (:func:`_subscriber_route`); any other Claim's waits for the whole
    Bundle's index and :func:`~payer_rules.io.fhir.reader.member_id_of`.

    The one loop of the split that runs per Claim, so it is kept plain: each entry's text and
    direct references are found once (lists by place), a ``Type/id`` target is one dict lookup.
    """
    from payer_rules.io.fhir.bundle_scan import RawScan, RefusedEntry, decode_entry, whole_scan

    heads = scan.heads
    size = scan.size
    complete = len(heads) == size
    # what a fullUrl not yet scanned may be (None: no Type/id key)
    urls = scan.full_urls() if isinstance(scan, RawScan) and not complete else None
    full: dict[str, int] = {}
    typed: dict[str, int] = {}
    indexed = 0  # heads[:indexed] are in full and typed
    claims: set[int] = set()
    places: _Places | None = None
    index: ReferenceIndex | None = None
    whole_index: ReferenceIndex | None = None
    # the texts of entries met lately: the same string in each unit that holds one
    texts: list[str | None] = [None] * size
    filled: list[int] = []
    #: per entry, once final: the places its references lead to
    reached: list[list[int] | None] = [None] * size
    text_of, references = scan.text, scan.references

    def text_at(n: int) -> str:
        found = texts[n] = text_of(n)
        filled.append(n)
        return found

    def place(key: str) -> int | None:
        found = full.get(key)
        if found is not None:
            return found
        if not complete and urls is not None and key in urls:
            return _NOT_YET
        found = typed.get(key)
        return _NOT_YET if found is None and not complete else found

    def whole() -> _Places:
        nonlocal places
        if places is None:
            places = _Places(heads, full, typed)
        return places

    def direct(n: int) -> list[int] | None:
        literal, logical = references(n, texts[n] or text_at(n))
        found: list[int] = []
        for target in literal:
            if target[0] == "#":
                continue
            if target.count("/") == 1 and target[-1] != "/":  # Type/id, its only key: place() inline
                at = full.get(target)
                if at is None:
                    if not complete and urls is not None and target in urls:
                        return None
                    at = typed.get(target)
                    if at is None:
                        if not complete:
                            return None
                        continue
                found.append(at)
                continue
            for key in literal_keys(target):
                at = place(key)
                if at is not None:
                    if at < 0:
                        return None
                    found.append(at)
        if logical:
            if not complete:
                return None
            for ident in logical:
                found += whole().identified(ident)
        reached[n] = found
        return found

    def entry_whole(n: int) -> Any:
        return decode_entry(texts[n] or text_at(n)) if n in claims else scan.entry(n)

    def read_whole(claim: int) -> Claim | InputError:
        """A Claim reaching more than :data:`MAX_ENTRIES` entries, read here as the serial reader
        reads it: with the whole Bundle's index (its Claims whole), not a unit of some of them."""
        nonlocal whole_index
        if whole_index is None:
            places = whole()
            whole_index = ReferenceIndex.of(_Resolved(places, entry_whole), _Identified(places, entry_whole))
        res = entry_whole(claim)["resource"]
        label = f"entry[{claim}] {res.get('resourceType')}/{res.get('id', '?')}"
        return PendingClaim(res, whole_index, name, label).read()

    def unit(claim: int) -> ClaimEntries | Claim | InputError | None:
        nonlocal index
        members = {claim}
        todo = [claim]
        cites_claim = False
        while todo and len(members) <= MAX_ENTRIES:
            n = todo.pop()
            found = reached[n]
            if found is None:
                found = direct(n)
                if found is None:
                    return None
            for m in found:
                if m not in members:
                    cites_claim = cites_claim or m in claims
                    members.add(m)
                    todo.append(m)
                elif m in claims:
                    cites_claim = True
        entries = tuple((n, texts[n] or text_at(n)) for n in sorted(members))
        if len(filled) > 8192:
            for n in filled:
                texts[n] = None
            filled.clear()
        if len(members) > MAX_ENTRIES:
            return read_whole(claim) if complete else None
        if cites_claim:
            # the Claims here are cut down to what routes them: find its member as the worker will
            item = read_claim_entries(ClaimEntries(name, claim, entries, None))
            return ClaimEntries(
                name, claim, entries, item.coverage.member_id if isinstance(item, Claim) else None
            )
        res = scan.entry(claim)["resource"]
        key = _subscriber_route(res, place, scan)
        if key is None:
            if not complete:
                return None
            if index is None:
                index = ReferenceIndex.of(_Resolved(whole(), scan.entry), _Identified(whole(), scan.entry))
            key = member_id_of(res, index)
        return ClaimEntries(name, claim, entries, key)

    pending: deque[int] = deque()
    taken = 0  # scan.claims[:taken] are pending or gone
    yielded = False
    while True:
        if not complete:
            try:
                scan.advance(min(size, len(heads) + _STEP))
            except RefusedEntry:
                if yielded:  # the whole text was checked as JSON: nothing msgspec refuses is left
                    raise RuntimeError(f"{name}: an entry msgspec refuses after Claims were sent") from None
                stdlib = whole_scan(None, text)
                if stdlib is None or not stdlib.claims:
                    yield from read_text(text, name)  # what the reader reports for the file
                else:
                    yield from _units(stdlib, name, text)
                return
            complete = len(heads) == size
        for n, head in enumerate(heads[indexed:], indexed):
            if head is not None:
                url, kind, rid, _identifiers = head
                if type(url) is str and url not in full:
                    full[url] = n
                if rid:
                    key = f"{kind}/{rid}"
                    if key not in typed:
                        typed[key] = n
        indexed = len(heads)
        fresh = scan.claims[taken:]
        taken += len(fresh)
        claims.update(fresh)
        pending.extend(fresh)
        while pending:
            item = unit(pending[0])
            if item is None:
                break
            pending.popleft()
            yielded = True
            yield item
        if complete:
            break
    if not scan.claims:  # no entry is a Claim: what the reader reports for the file
        yield from read_text(text, name)


def _subscriber_route(
    res: Mapping[str, Any], place: Callable[[str], int | None], scan: ScannedBundle
) -> str | None:
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
    at = place(target)
    if at is None or at < 0:
        return None
    member = scan.subscriber_id(at)
    return str(member) if member else None
