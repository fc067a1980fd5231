"""Where each entry of a FHIR Bundle's text is, and what a Bundle split into Claims indexes it by.

:mod:`payer_rules.io.fhir.units` cuts a Bundle into one work unit per Claim; to do so it needs,
for every entry, the keys a reference may find it by (``fullUrl``, ``resourceType``, ``id``,
``identifier``), which entries are Claims, whose each Claim is, and each entry's text. This
module finds them, two ways that give the same answers:

* :func:`_raw_scan`, with msgspec: the text's white space taken out in C (each token kept as
  written: a pretty-printed Bundle is about half white space, and every entry's text is
  searched, sent to a worker and decoded there), then one pass checks the whole text is JSON
  and gives each entry back as its raw text (``msgspec.Raw``) without building it; a second decodes of each
  entry only those keys (:class:`_Entry`), skipping the rest in C. Nothing else of the Bundle
  becomes Python objects in the process that splits it: each entry referenced from a Claim is
  decoded (by the stdlib, as the reader decodes it) only where its Claim is judged, and here
  only the Coverage a Claim's member is read from.
* :class:`_StdlibScan`, the stdlib decoder's own scanner run entry by entry, every entry
  decoded: for what msgspec refuses and the stdlib reads (``NaN``, a lone surrogate escape, a
  non-object entry ...) and where msgspec's skipping could accept what the stdlib refuses (an
  integer longer than ``sys.get_int_max_str_digits()``).

Either way, what is decoded is what the stdlib reader decodes: msgspec decodes with
``float_hook=Decimal``, as the reader's ``parse_float=Decimal``; objects keep their last value
for a repeated key, as the stdlib's do; and an entry msgspec will not take as :class:`_Entry`
(an entry or resource that is no object) is decoded by the stdlib instead.
"""

from __future__ import annotations

import enum
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from types import FrameType
from typing import Any, Final, Literal

import msgspec

from payer_rules.io.fhir.reader import MEMBER_KEYS
from payer_rules.io.json_claims import decode_json, decode_json_value, scan_json

__all__ = [
    "Head",
    "RawScan",
    "RefusedEntry",
    "ScannedBundle",
    "decode_entry",
    "open_bundle",
    "scan_bundle",
    "whole_scan",
]

#: Per entry: ``(fullUrl, resourceType, id, identifier)`` as decoded, or ``None`` where the
#: entry is no object or its ``resource`` is no object (nothing a reference can find).
Head = tuple[Any, Any, Any, Any] | None

#: ``"reference": "..."``, the string's JSON text captured (runs of plain characters taken at
#: once, an escape at a time: twice as fast as a character at a time)
_REFERENCE = re.compile(r'"reference"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"')
#: a Reference's ``identifier`` (an object; a resource's own is a list)
_LOGICAL = re.compile(r'"identifier"\s*:\s*\{')
_WS = re.compile(r"[ \t\n\r]*")
#: between two entries: a comma, and white space around it
_SEPARATOR = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
#: ``"fullUrl":"..."`` in text without white space, the string's JSON text captured
_FULL_URL = re.compile(r'"fullUrl":"([^"\\]*(?:\\.[^"\\]*)*)"')
#: a ``fullUrl`` string that does not begin with a URI scheme (RFC 3986: a letter, then letters,
#: digits, ``+ - .``, then a colon)
_SCHEMELESS_URL = re.compile(r'"fullUrl":"(?![A-Za-z][A-Za-z0-9+.\-]*:)')
#: a ``resourceType`` string holding a colon, or an escape (that could hide one)
_COLON_TYPE = re.compile(r'"resourceType":"[^"]*[:\\]')
#: what a Claim is kept as in the splitting process: what indexes it and what routes it
_CLAIM_KEYS = ("resourceType", "id", "identifier", *MEMBER_KEYS)


class ScannedBundle:
    """A Bundle's entries: their texts, what indexes them, which are Claims.

    Attributes:
        heads: per entry, what a reference may find it by (:data:`Head`).
        claims: the places of the Claim entries, in Bundle order.
    """

    def __init__(self) -> None:
        self.heads: list[Head] = []
        self.claims: list[int] = []

    @property
    def size(self) -> int:
        """How many entries the Bundle has (``heads`` holds those scanned so far)."""
        return len(self.heads)

    def advance(self, end: int) -> None:
        """Scan the entries up to ``end`` (exclusive); a scan made whole at once has nothing to do."""

    def text(self, n: int) -> str:
        """Entry ``n``'s JSON text: as it stands in the file, or without its white space."""
        raise NotImplementedError

    def entry(self, n: int) -> Any:
        """Entry ``n`` decoded as the reader decodes it; a Claim's ``resource`` cut down to
        :data:`_CLAIM_KEYS` (what indexes it and what its member is read from)."""
        raise NotImplementedError

    def references(self, n: int, text: str) -> tuple[list[str], list[tuple[str, str]]]:
        """The literal targets and logical identifiers anywhere in entry ``n`` (whose text is
        ``text``): found in its text, or in the decoded entry where the text may hide them (a
        ``\\u`` escape could spell a key) or holds a logical one."""
        return _references_in(text, 0, len(text), None)

    def subscriber_id(self, n: int) -> Any:
        """The ``subscriberId`` of entry ``n``'s resource (``None`` where it has none)."""
        return self.entry(n)["resource"].get("subscriberId")


def decode_entry(text: str) -> Any:
    """One entry's JSON text decoded as the stdlib reader decodes it (:func:`decode_json_value`):
    by msgspec where it takes the text (the same values, in about two thirds of the time), else
    by the stdlib, whose error is then raised."""
    try:
        return _ANY.decode(text)
    except (*_REFUSED, msgspec.ValidationError):
        return decode_json_value(text)


def scan_bundle(text: str) -> ScannedBundle | None:
    """The entries of a Bundle's text, or ``None`` when the text is not one JSON object whose
    ``entry`` is a list (or the stdlib would not decode it)."""
    return whole_scan(open_bundle(text), text)


def open_bundle(text: str) -> RawScan | Literal[_Not.BUNDLE] | None:
    """The Bundle as msgspec takes it, none of its entries scanned yet (see :meth:`RawScan.advance`):
    its white space out, the whole text checked as JSON, each entry's raw text found.
    :data:`_NOT_BUNDLE` for a JSON object of another ``resourceType``; ``None`` where the
    scan must be the stdlib's (see the module)."""
    limit = sys.get_int_max_str_digits()
    if limit and _long_digit_run(text, limit + 1):
        return None
    try:
        with _nesting_bound():
            # white space out first (in C, each token kept as written): the entries' texts, what
            # is searched, sent and decoded, are about half as long as a pretty-printed file's
            text = msgspec.json.format(text, indent=-1)
            top = _TOP.decode(text)
    except (*_REFUSED, msgspec.ValidationError):  # an entry that is no list: the stdlib's to say
        return None
    if top.resourceType != "Bundle":
        return _NOT_BUNDLE
    if top.entry is None:
        return None
    return RawScan(top.entry, text)


def whole_scan(opened: RawScan | Literal[_Not.BUNDLE] | None, text: str) -> ScannedBundle | None:
    """Every entry of the Bundle ``text`` scanned (``opened``: :func:`open_bundle`'s answer for
    it): by msgspec, or by the stdlib where msgspec refuses an entry or the whole text."""
    if opened is _NOT_BUNDLE:
        return None
    if opened is not None:
        try:
            opened.advance(opened.size)
        except RefusedEntry:
            pass
        else:
            return opened
    scan = _StdlibScan(text)
    try:
        top = scan.bundle()
    except (ValueError, RecursionError, StopIteration):
        return None
    if top is None or top.get("resourceType") != "Bundle":
        return None
    return scan


# -- msgspec: the whole text checked in C, each entry's keys decoded, its text kept raw -----------


class _Top(msgspec.Struct):
    resourceType: Any = None
    #: each entry's text, untouched (``None``: there is no ``entry``, or it is ``null``)
    entry: list[msgspec.Raw] | None = None


class _Resource(msgspec.Struct):
    """A resource's keys the split reads; ``UNSET``: the key is not there."""

    resourceType: Any = msgspec.UNSET
    id: Any = msgspec.UNSET
    identifier: Any = msgspec.UNSET
    # MEMBER_KEYS: a Claim's, kept as what routes it
    patient: Any = msgspec.UNSET
    insurance: Any = msgspec.UNSET
    insurer: Any = msgspec.UNSET
    contained: Any = msgspec.UNSET
    #: a Coverage's: the member id a Claim citing it is routed by
    subscriberId: Any = msgspec.UNSET


class _Entry(msgspec.Struct):
    fullUrl: Any = None
    resource: _Resource | None = None


_TOP = msgspec.json.Decoder(_Top, float_hook=Decimal)
_ENTRY = msgspec.json.Decoder(_Entry, float_hook=Decimal)
_ANY = msgspec.json.Decoder(float_hook=Decimal)


def _as_entry(value: Any) -> _Entry:
    """A decoded entry as :class:`_Entry` (its values as they are)."""
    return msgspec.convert(value, _Entry)


#: what msgspec raises for text it will not take as the types asked
_REFUSED = (msgspec.DecodeError, UnicodeEncodeError, RecursionError)


class RefusedEntry(Exception):
    """An entry msgspec will not decode though the whole text passed (the stdlib's to scan)."""


class RawScan(ScannedBundle):
    """The entries as msgspec found them: each entry's raw text, its keys decoded.

    Scanned as asked (:meth:`advance`): the split of a Bundle into Claims can start on the
    first entries while later ones are still to be decoded.
    """

    def __init__(self, raws: list[msgspec.Raw], text: str) -> None:
        super().__init__()
        self.raws = raws
        #: the text without its white space, each entry's raw text a part of it
        self.source = text
        #: no entry's text can hide a reference or hold a logical one: each found by the regex
        self.plain = ("\\" not in text or "\\u" not in text) and _LOGICAL.search(text) is None
        #: per Claim entry: the entry, its resource cut down to _CLAIM_KEYS
        self.kept: dict[int, dict[str, Any]] = {}
        #: entries decoded lately (the Coverage each Claim's member is read from)
        self.decoded: dict[int, Any] = {}
        #: per entry whose resource has one: its ``subscriberId``
        self.subscribers: dict[int, Any] = {}

    @property
    def size(self) -> int:
        return len(self.raws)

    def full_urls(self) -> set[str] | None:
        """Every string a ``fullUrl`` key has anywhere in the text (the entries' among them),
        found in it without decoding: what an entry not yet scanned may be found by.

        ``None`` where none of them can be a ``Type/id`` key (the usual case, found in two
        searches of the text instead of collecting them all): every ``fullUrl`` begins with a
        URI scheme (``urn:``, ``https:`` ...) and no ``resourceType`` holds a colon, so in a
        ``Type/id`` key a slash comes before any colon, which no scheme allows.
        """
        source = self.source
        if _SCHEMELESS_URL.search(source) is None and _COLON_TYPE.search(source) is None:
            return None
        return {_unescape(raw) for raw in _FULL_URL.findall(source)}

    def advance(self, end: int) -> None:
        """Decode the keys of the entries up to ``end`` (exclusive).

        :raises RefusedEntry: msgspec refuses an entry the whole text's check passed (the
            Bundle is then the stdlib's to scan, from its start).
        """
        heads, claims, kept, subscribers = self.heads, self.claims, self.kept, self.subscribers
        decode, unset = _ENTRY.decode, msgspec.UNSET
        raws = self.raws
        for n in range(len(heads), end):
            raw = raws[n]
            try:
                entry = decode(raw)
            except msgspec.ValidationError:  # an entry, or its resource, that is no object
                # (as msgspec reads it: of a repeated "resource" key the stdlib keeps the last)
                try:
                    whole = decode_json_value(str(raw, "utf-8"))
                except (ValueError, RecursionError) as exc:
                    raise RefusedEntry(n) from exc
                try:  # the stdlib's values, taken as an entry like msgspec's own
                    entry = _as_entry(whole)
                except msgspec.ValidationError:  # no object, or its resource no object
                    heads.append(None)
                    continue
            except _REFUSED as exc:
                raise RefusedEntry(n) from exc
            res = entry.resource
            if res is None:
                heads.append(None)
                continue
            kind, rid, identifiers = res.resourceType, res.id, res.identifier
            heads.append(
                (
                    entry.fullUrl,
                    None if kind is unset else kind,
                    None if rid is unset else rid,
                    None if identifiers is unset else identifiers,
                )
            )
            if res.subscriberId is not unset:
                subscribers[n] = res.subscriberId
            if kind == "Claim":
                claims.append(n)
                kept[n] = {"resource": {k: v for k in _CLAIM_KEYS if (v := getattr(res, k)) is not unset}}

    def text(self, n: int) -> str:
        return str(self.raws[n], "utf-8")

    def references(self, n: int, text: str) -> tuple[list[str], list[tuple[str, str]]]:
        if self.plain:
            return [_unescape(raw) for raw in _REFERENCE.findall(text) if raw], []
        return _references_in(text, 0, len(text), None)

    def subscriber_id(self, n: int) -> Any:
        return self.subscribers.get(n)

    def entry(self, n: int) -> Any:
        kept = self.kept.get(n)
        if kept is not None:
            return kept
        found = self.decoded.get(n)
        if found is None:
            if len(self.decoded) > 4096:
                self.decoded.clear()
            try:
                found = _ANY.decode(self.raws[n])
            except (*_REFUSED, msgspec.ValidationError):
                found = decode_json_value(self.text(n))
            self.decoded[n] = found
        return found


class _Not(enum.Enum):
    """What :func:`_raw_scan` answers for text msgspec decoded whole that is no Bundle (a single
    resource, a PAS request's Claim): the stdlib would decode it all again to say the same."""

    BUNDLE = "no Bundle"


_NOT_BUNDLE: Final = _Not.BUNDLE


def _raw_scan(text: str) -> RawScan | Literal[_Not.BUNDLE] | None:
    """The Bundle scanned whole by msgspec; :data:`_NOT_BUNDLE` for a JSON object of another
    ``resourceType``; ``None`` where it must be the stdlib's (see the module)."""
    opened = open_bundle(text)
    if isinstance(opened, RawScan):
        try:
            opened.advance(opened.size)
        except RefusedEntry:
            return None
    return opened


#: how much shallower than the interpreter allows msgspec takes a Bundle's nesting
_HEADROOM = 250


@contextmanager
def _nesting_bound() -> Iterator[None]:
    """msgspec refuses a Bundle nested deeper than ``_HEADROOM`` levels short of the recursion limit.

    msgspec and the stdlib decoder both stop at the interpreter's recursion limit, counted from
    where each is called. Where the split calls msgspec, the stack is shallower than where the
    serial reader, or this process for an entry msgspec will not take as an object, calls the
    stdlib: so a Bundle nested just short of the limit would pass msgspec's check and fail the
    stdlib's later, once Claims have gone to workers. Taken only this much shallower, it goes
    to the stdlib's scan at once (as the serial reader reads it).
    """
    limit = sys.getrecursionlimit()
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    sys.setrecursionlimit(max(depth + 50, min(limit, depth + limit - _HEADROOM)))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _long_digit_run(text: str, length: int) -> bool:
    """Whether ``text`` holds ``length`` ASCII digits in a row (an integer the stdlib refuses).

    msgspec skips what it does not decode without building numbers, so it takes such an integer
    the stdlib decoder refuses. Looking at every character would cost as much as the scan:
    every ``step``-th is looked at first, and only a row of sampled digits long enough to lie in
    such a run is looked at closely.
    """
    if len(text) < length:
        return False
    step = max(1, length // 4)
    # a run of `length` digits holds at least length // step sampled positions
    sampled = re.compile(f"[0-9]{{{length // step},}}")
    run = re.compile(f"[0-9]{{{length}}}")
    for found in sampled.finditer(text[::step]):
        start = max(0, found.start() * step - length)
        if run.search(text, start, (found.end() - 1) * step + length + 1):
            return True
    return False


def _head(entry: Any) -> Head:
    res = entry.get("resource") if isinstance(entry, dict) else None
    if not isinstance(res, dict):
        return None
    return (entry.get("fullUrl"), res.get("resourceType"), res.get("id"), res.get("identifier"))


# -- the stdlib: entry by entry, each decoded ---------------------------------------------------


class _StdlibScan(ScannedBundle):
    """The Bundle decoded entry by entry, each entry's place in the text kept."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.source = text
        #: per entry: where its text is
        self.spans: list[tuple[int, int]] = []
        #: per entry, decoded (a Claim's cut down); a Claim's references, found while it was whole
        self.entries: list[Any] = []
        self.claim_references: dict[int, tuple[list[str], list[tuple[str, str]]]] = {}

    def text(self, n: int) -> str:
        start, end = self.spans[n]
        return self.source[start:end]

    def entry(self, n: int) -> Any:
        return self.entries[n]

    def references(self, n: int, text: str) -> tuple[list[str], list[tuple[str, str]]]:
        found = self.claim_references.get(n)
        if found is not None:
            return found
        return _references_in(self.source, *self.spans[n], self.entries[n])

    def bundle(self) -> dict[str, Any] | None:
        """The top-level object, its ``entry`` array taken entry by entry (``None``: not a
        JSON object, or its ``entry`` not one array)."""
        text = self.source
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

        The one loop that runs per entry: the decoder's own scanner (C) decodes each entry, the
        white space and commas between are matched, nothing else.
        """
        text, spans, entries, heads = self.source, self.spans, self.entries, self.heads
        scan, space = scan_json, _SEPARATOR.match
        pos = _skip(text, pos)
        if text[pos : pos + 1] == "]":
            return pos + 1
        while True:
            start = pos
            entry, pos = scan(text, pos)
            heads.append(_head(entry))
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
        """A Claim entry: its references found while it is whole; kept as :data:`_CLAIM_KEYS`."""
        n = len(self.entries)
        self.claims.append(n)
        self.claim_references[n] = _references_in(self.source, start, end, entry)
        return {"resource": {k: res[k] for k in _CLAIM_KEYS if k in res}}


def _skip(text: str, pos: int) -> int:
    """Past the JSON white space at ``pos``."""
    found = _WS.match(text, pos)
    return found.end() if found is not None else pos


def _references_in(text: str, start: int, end: int, entry: Any) -> tuple[list[str], list[tuple[str, str]]]:
    """The references of the entry at ``text[start:end]`` (decoded as ``entry``; ``None``: decoded
    here if need be)."""
    if text.find("\\u", start, end) >= 0 or _LOGICAL.search(text, start, end):
        return _references(entry if entry is not None else decode_json_value(text[start:end]))
    return [_unescape(raw) for raw in _REFERENCE.findall(text, start, end) if raw], []


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
