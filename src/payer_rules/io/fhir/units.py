"""A FHIR Bundle cut into work units, one Claim each with the entries it references, as text.

``--jobs`` workers and Spark read claims where they are judged; the process that splits a batch
only finds where each Claim's text is, whose it is, and which other entries its reading may
look at. For a Bundle that takes one decoding of the file, done here, in C, entry by entry
(:class:`_Scan` walks the Bundle object and its ``entry`` array with the decoder's own scanner
and keeps each entry's place in the text); each worker then decodes only its own Claims and
what they reference, not the whole Bundle.

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
Bundle's index; a Claim is kept here only as what that reads of it
(:data:`~payer_rules.io.fhir.reader.MEMBER_KEYS`), so that this process holds about the
Bundle's other resources, not its Claims. If a reference reaches a Claim entry (a Claim citing
another), the Bundle is cut again with its Claims kept whole.

:func:`split_bundle` gives up (``None``) where the reader reports something outside a Claim
(text that is not JSON, a Bundle whose ``entry`` is no list, one holding no Claim, structural
validation asked for with ``PAYER_RULES_FHIR_VALIDATE``), for a byte-order mark, and where a
unit would carry more than :data:`MAX_ENTRIES` entries; the file then goes whole to every
worker (:class:`~payer_rules.batch.units.SharedText`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.io.fhir.reader import MEMBER_KEYS, PendingClaim, ReferenceIndex, literal_keys, member_id_of
from payer_rules.io.fhir.validate import validation_wanted
from payer_rules.io.json_claims import decode_json, decode_json_value, scan_json
from payer_rules.models import Claim

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
            Claim's among them.
        key: the member id the Claim routes by (``None`` when it cannot be read).
    """

    name: str
    claim: int
    entries: tuple[tuple[int, str], ...]
    key: str | None


def read_claim_entries(unit: ClaimEntries) -> Claim | InputError:
    """The Claim (or its located error) exactly as the serial reader reads it in its Bundle."""
    entries = [decode_json_value(text) for _place, text in unit.entries]
    index = ReferenceIndex([e.get("resource") for e in entries if isinstance(e, dict)], entries)
    places = [place for place, _text in unit.entries]
    res = entries[places.index(unit.claim)]["resource"]
    label = f"entry[{unit.claim}] {res.get('resourceType')}/{res.get('id', '?')}"
    return PendingClaim(res, index, unit.name, label).read()


def split_bundle(text: str, name: str) -> Iterator[ClaimEntries | Claim | InputError] | None:
    """The Bundle's Claims as work units, in Bundle order; ``None`` when it must be shared whole.

    The whole text is decoded (and so known to be a Bundle the reader takes entry by entry)
    before this returns; each unit's references are then followed as the units are taken, so
    that workers judge the first Claims while this process cuts the next ones. Every item the
    serial reader yields for the file is one unit's Claim. A Claim that would carry more than
    :data:`MAX_ENTRIES` entries is read here and comes as read.
    """
    if validation_wanted() or text.lstrip() != text.lstrip("\ufeff \t\r\n"):
        return None
    scan = _Scan(text)
    try:
        bundle = scan.bundle()
    except (ValueError, RecursionError, StopIteration):
        return None
    if bundle is None or bundle.get("resourceType") != "Bundle" or not scan.claims:
        return None
    return scan.units(name)


#: ``"reference": "..."``, the string's JSON text captured
_REFERENCE = re.compile(r'"reference"\s*:\s*"((?:[^"\\]|\\.)*)"')
#: a Reference's ``identifier`` (an object; a resource's own is a list)
_LOGICAL = re.compile(r'"identifier"\s*:\s*\{')
_WS = re.compile(r"[ \t\n\r]*")
#: between two entries: a comma, and white space around it
_SEPARATOR = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")


class _Places:
    """Where each key a reference is looked up by leads in the whole Bundle: the place in
    ``Bundle.entry`` of what :class:`~payer_rules.io.fhir.reader.ReferenceIndex` answers with
    (``fullUrl`` before ``Type/id``, the first entry of each), and for an identifier the first
    entry of each resource type that has it."""

    def __init__(self, entries: list[Any]) -> None:
        full: dict[str, int] = {}
        typed: dict[str, int] = {}
        identified: dict[tuple[str, str], dict[Any, int]] = {}
        for n, entry in enumerate(entries):
            res = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(res, dict):
                continue
            if isinstance(entry.get("fullUrl"), str):
                full.setdefault(entry["fullUrl"], n)
            if res.get("id"):
                typed.setdefault(f"{res.get('resourceType')}/{res['id']}", n)
            identifiers = res.get("identifier")
            if isinstance(identifiers, list):
                for ident in identifiers:
                    if isinstance(ident, dict) and ident.get("value"):
                        key = (str(ident.get("system") or ""), str(ident["value"]))
                        identified.setdefault(key, {}).setdefault(res.get("resourceType"), n)
        self.full, self.typed, self.identifiers = full, typed, identified

    def literal(self, target: str) -> list[int]:
        """Every entry a literal reference may resolve to, depending on what else a unit holds:
        for each key the reader tries (:func:`~payer_rules.io.fhir.reader.literal_keys`), the
        entry the whole Bundle answers with."""
        if target.startswith("#"):
            return []
        found = []
        for key in literal_keys(target):
            place = self.full.get(key)
            if place is None:
                place = self.typed.get(key)
            if place is not None:
                found.append(place)
        return found

    def identified(self, key: tuple[str, str]) -> list[int]:
        """The first entry of each type with this identifier: every one the reader's choice for a
        logical reference can fall on, whatever types it wants."""
        return list(self.identifiers.get(key, {}).values())


class _Resolved(Mapping[str, Mapping[str, Any]]):
    """The resource each literal key leads to in the whole Bundle, by place."""

    def __init__(self, places: _Places, entries: list[Any]) -> None:
        self.places, self.entries = places, entries

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        place = self.places.full.get(key)
        if place is None:
            place = self.places.typed[key]
        resource: Mapping[str, Any] = self.entries[place]["resource"]
        return resource

    def __contains__(self, key: object) -> bool:
        return key in self.places.full or key in self.places.typed

    def __iter__(self) -> Iterator[str]:
        return iter({**self.places.typed, **self.places.full})

    def __len__(self) -> int:
        return len({**self.places.typed, **self.places.full})


class _Identified(Mapping[tuple[str, str], Sequence[Mapping[str, Any]]]):
    """The resources a logical reference may resolve to, by identifier, in Bundle order."""

    def __init__(self, places: _Places, entries: list[Any]) -> None:
        self.places, self.entries = places, entries

    def __getitem__(self, key: tuple[str, str]) -> Sequence[Mapping[str, Any]]:
        return [self.entries[p]["resource"] for p in self.places.identifiers[key].values()]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.places.identifiers)

    def __len__(self) -> int:
        return len(self.places.identifiers)


class _Scan:
    """The Bundle decoded entry by entry, each entry's place in the text kept."""

    def __init__(self, text: str) -> None:
        self.text = text
        #: per entry: where its text is, and (for a Claim, found while it was whole) its references
        self.spans: list[tuple[int, int]] = []
        self.references: dict[int, tuple[list[str], list[tuple[str, str]]]] = {}
        self.entries: list[Any] = []
        self.claims: list[int] = []

    def units(self, name: str) -> Iterator[ClaimEntries | Claim | InputError]:
        """Per Claim: its entry and the entries it reaches, and the member id it reads with."""
        text, spans, entries = self.text, self.spans, self.entries
        places = _Places(entries)
        # the whole Bundle's index, as the reader builds it, looked up by place
        index = ReferenceIndex.of(_Resolved(places, entries), _Identified(places, entries))
        claims = set(self.claims)
        reached: dict[int, list[int]] = {}
        shared: dict[int, str] = {}  # the text of entries met lately: the same string in each unit

        def entry_text(n: int) -> str:
            found = shared.get(n)
            if found is None:
                if len(shared) > 4096:
                    shared.clear()
                found = shared[n] = text[spans[n][0] : spans[n][1]]
            return found

        def direct(n: int) -> list[int]:
            found = reached.get(n)
            if found is None:
                literal, logical = self.references.get(n) or self.references_of(*spans[n], entries[n])
                found = reached[n] = [p for t in literal for p in places.literal(t)]
                found += [p for key in logical for p in places.identified(key)]
            return found

        for claim in self.claims:
            members = {claim}
            todo = [claim]
            cites_claim = False
            while todo and len(members) <= MAX_ENTRIES:
                for m in direct(todo.pop()):
                    cites_claim = cites_claim or m in claims
                    if m not in members:
                        members.add(m)
                        todo.append(m)
            held = tuple((n, entry_text(n)) for n in sorted(members))
            if len(members) > MAX_ENTRIES:
                yield read_claim_entries(ClaimEntries(name, claim, held, None))
            elif cites_claim:
                # the Claims here are cut down to what routes them: find its member as the worker will
                item = read_claim_entries(ClaimEntries(name, claim, held, None))
                yield ClaimEntries(
                    name, claim, held, item.coverage.member_id if isinstance(item, Claim) else None
                )
            else:
                yield ClaimEntries(name, claim, held, member_id_of(entries[claim]["resource"], index))

    def references_of(self, start: int, end: int, entry: Any) -> tuple[list[str], list[tuple[str, str]]]:
        """The references in the entry at ``text[start:end]``, decoded as ``entry`` (a Claim's
        while it is whole): found in its text, or in ``entry`` where the text may hide them (an
        escape) or holds a logical one."""
        if self.text.find("\\u", start, end) >= 0 or _LOGICAL.search(self.text, start, end):
            return _references(entry)
        return [_unescape(raw) for raw in _REFERENCE.findall(self.text, start, end)], []

    # -- the decoding ------------------------------------------------------------------------

    def bundle(self) -> dict[str, Any] | None:
        """The top-level object, its ``entry`` array taken entry by entry (``None``: not a
        JSON object, or its ``entry`` not one array)."""
        text = self.text
        pos = _skip(text, 0)
        if text[pos : pos + 1] != "{":
            return None
        top: dict[str, Any] = {}
        pos = _skip(text, pos + 1)
        if text[pos : pos + 1] == "}":
            pos += 1
        else:
            while True:
                if text[pos : pos + 1] != '"':
                    return None
                key, pos = decode_json(text, pos)
                pos = _skip(text, pos)
                if text[pos : pos + 1] != ":":
                    return None
                pos = _skip(text, pos + 1)
                if key == "entry":
                    if "entry" in top or text[pos : pos + 1] != "[":
                        return None  # a second entry, or one that is no array: read whole
                    pos = self.array(pos + 1)
                    top[key] = self.entries
                else:
                    top[key], pos = decode_json(text, pos)
                pos = _skip(text, pos)
                if text[pos : pos + 1] == ",":
                    pos = _skip(text, pos + 1)
                    continue
                if text[pos : pos + 1] != "}":
                    return None
                pos += 1
                break
        if text[pos:].strip():
            return None
        return top

    def array(self, pos: int) -> int:
        """The entries from just after ``[``; returns where the array ends.

        The one loop that runs per entry before any unit goes out: the decoder's own scanner
        (C) decodes each entry, the white space and commas between are matched, nothing else.
        """
        text, spans, entries = self.text, self.spans, self.entries
        scan, space = scan_json, _SEPARATOR.match
        pos = _skip(text, pos)
        if text[pos : pos + 1] == "]":
            return pos + 1
        while True:
            start = pos
            entry, pos = scan(text, pos)
            res = entry.get("resource") if type(entry) is dict else None
            if type(res) is dict and res.get("resourceType") == "Claim":
                entry = self.claim(entry, res, start, pos)
            spans.append((start, pos))
            entries.append(entry)
            found = space(text, pos)
            if found is None:
                break
            pos = found.end()
        pos = _skip(text, pos)
        if text[pos : pos + 1] != "]":
            raise ValueError("expected ',' or ']'")
        return pos + 1

    def claim(self, entry: dict[str, Any], res: dict[str, Any], start: int, end: int) -> dict[str, Any]:
        """A Claim entry: its references found while it is whole; kept as what indexes it and
        what its member is read from (:data:`MEMBER_KEYS`)."""
        n = len(self.entries)
        self.claims.append(n)
        self.references[n] = self.references_of(start, end, entry)
        kept = {k: res[k] for k in ("resourceType", "id", "identifier", *MEMBER_KEYS) if k in res}
        return {k: entry[k] for k in ("fullUrl",) if k in entry} | {"resource": kept}


def _skip(text: str, pos: int) -> int:
    """Past the JSON white space at ``pos``."""
    found = _WS.match(text, pos)
    return found.end() if found is not None else pos


def _unescape(raw: str) -> str:
    return str(json.loads(f'"{raw}"')) if "\\" in raw else raw


def _references(value: Any) -> tuple[list[str], list[tuple[str, str]]]:
    """Every literal target and logical identifier anywhere in a decoded entry."""
    literal: list[str] = []
    logical: list[tuple[str, str]] = []
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            target = item.get("reference")
            if isinstance(target, str) and target:
                literal.append(target)
            ident = item.get("identifier")
            if isinstance(ident, dict) and ident.get("value"):
                logical.append((str(ident.get("system") or ""), str(ident["value"])))
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return literal, logical
