"""An 837 split into work units, one claim each, for ``--jobs`` workers and Spark to read.

The process that splits a batch should not read it: building claims is most of the reading
cost, and a batch is split in one process while it is read in many. So the split is a scan of
the whole text with regular expressions, which run in C: the segments' ids are checked in one
pass, the segments that structure the file (ISA / GS / ST / BHT / HL / CLM / SE / GE / IEA,
three or four per claim) are found in another, and only at those does Python do any work. No
segment is split, stripped or copied on its own; each claim travels as one slice of the text,
with what it shares with other claims.

A unit is one claim as the text the walk needs to read it exactly as it reads it in the whole
file (:meth:`.walk.Reader.read` with a :class:`~.walk.WalkState`), in blocks of consecutive
segments, each with the number of its first segment in the file:

* its :class:`Envelope`, shared by every claim of its transaction set: the ISA (its ISA16 is the
  component separator), the GS (GS08 names the guide when ST03 does not), and the transaction
  set's header, the ST up to its first HL (BHT04 is the received date; the submitter and
  receiver loops, 1000A / 1000B, are walked past as in the file);
* the HL levels above the claim that other claims share (``levels``, from the billing provider,
  2000A, down), each the level's segments: the HL up to the level's first CLM or next HL (who
  the provider, subscriber, payer and patient are, and any problem they have, which the walk
  records on the level for every claim beneath it);
* its own text (``text``): the levels read for this claim alone (those right before it in the
  file, seen for the first time), then the claim's segments, from its CLM to the next CLM, HL
  or SE.

A worker cuts each block at the segment terminator and numbers the segments from the block's
first, so a located error names the same segment as the serial run does
(``claims.837: segment 42 (DTP*472*D8*20260230): claim 26407789: ...``). Envelopes and shared
levels are the same objects in each unit, which pickle sends once per chunk; a worker walks
each once (:func:`read_claim_segments` keeps where the walk stood after them) and each claim
from there, so a unit costs about what the claim costs in the whole file.

A unit routes by the member id the claim will have (NM109 of the subscriber's NM1*IL), which the
scan reads off the subscriber level, so a member's claims meet in one worker
(:mod:`payer_rules.batch.partition`).

What a unit cannot carry is the envelope's own problems (a trailer count, a control number, a
transaction set that is not an 837), text the tokenizer refuses, and what the walk refuses
outside a claim (a service line, a DTP*472, a REF*G1 or an SBR where no claim or subscriber
is): they are errors of the file, ordered among its claims. :func:`split_837` gives up
(``None``) on any of them, and on layouts the scan does not vouch for (a blank segment between
two terminators, a segment id that is not an upper-case ASCII letter then one or two letters or
digits, white space before a terminator after a line break); the file is then read whole, as
the serial reader reads it. A clean file, the usual case, is split.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Generator, Iterator
from itertools import islice

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.io.x12.reader_837 import read_837_text
from payer_rules.io.x12.reader_837.loops import INSTITUTIONAL_GUIDES, PROFESSIONAL_GUIDES
from payer_rules.io.x12.reader_837.walk import Reader, WalkState
from payer_rules.io.x12.segments import Segment, X12Error, interchange_end, read_isa, split_block
from payer_rules.models import Claim

__all__ = ["ClaimSegments", "Envelope", "iter_837_units", "read_claim_segments", "split_837"]

_GUIDES = PROFESSIONAL_GUIDES + INSTITUTIONAL_GUIDES
_WHITESPACE = " \t\r\n\ufeff\x00"
#: Segments that end the claim being read in a clean transaction set (the walk finishes it at
#: each; it also does at an ST, which here has no SE before it).
_CLAIM_ENDS = frozenset({"CLM", "HL", "SE"})

#: ``(number in the file, text)``: one segment, or a block of consecutive segments.
Token = tuple[int, str]
#: HL levels above a claim a unit carries at most (an 837 has three: 2000A, B and C).
_MAX_DEPTH = 16


@frozen
class Envelope:
    """What every claim of one transaction set is read after.

    Args:
        name: the file, as errors name it.
        element: the element separator of its interchange.
        terminator: the segment terminator of its interchange.
        isa: the interchange's ISA segment, with its number (1 for the file's first).
        gs: the functional group's GS segment, with its number.
        header: the transaction set's ST up to its first HL, with the ST's number.
    """

    name: str
    element: str
    terminator: str
    isa: Token
    gs: Token
    header: Token


@frozen
class ClaimSegments:
    """One claim of an 837 as the text its reading needs, and its member id.

    Args:
        envelope: the interchange, group and transaction set header the claim is in.
        levels: the HL levels above the claim that are not in ``text``, from the top, each
            ``(number of its HL, its segments)``.
        number: the number in the file of the first segment of ``text``.
        text: consecutive segments of the file: the levels above the claim not in ``levels``,
            then the claim's own, each ending with the terminator.
        key: the member id the claim routes by (``None`` when its subscriber loop has none;
            the claim then cannot be read).
    """

    envelope: Envelope
    levels: tuple[Token, ...]
    number: int
    text: str
    key: str | None


def read_claim_segments(unit: ClaimSegments) -> Claim | InputError:
    """The claim (or its located error) exactly as the serial reader reads it in its file."""
    envelope = unit.envelope
    walked = _walked(envelope)
    state = walked.start if not unit.levels else walked.below(unit.levels)
    tokens = split_block(unit.text, unit.number, envelope.element, envelope.terminator)
    items = list(Reader("", envelope.name).read(tokens, unit=state.copy()))
    if len(items) != 1:
        msg = f"an 837 work unit of {envelope.name} read as {len(items)} items; this is a bug in the split"
        raise RuntimeError(msg)
    return items[0]


#: Envelopes a process keeps walked at most, and chains of levels below each.
_MAX_ENVELOPES = 64
_MAX_CHAINS = 2048


class _Walked:
    """Where the walk stands after an envelope, and after each chain of levels below it.

    The walk is a function of the segments alone, so a state is kept for the segments it was
    walked through and shared by every claim read after them, as the serial walk shares the
    transaction set and the levels with every claim beneath them.
    """

    __slots__ = ("chains", "envelope", "start")

    def __init__(self, envelope: Envelope) -> None:
        self.envelope = envelope
        element = envelope.element
        number, isa = envelope.isa
        tokens = [
            Segment(number, isa, isa.split(element)),
            *split_block(envelope.gs[1], envelope.gs[0], element, envelope.terminator),
            *split_block(envelope.header[1], envelope.header[0], element, envelope.terminator),
        ]
        self.start = self._walk(WalkState(), tokens)
        self.chains: dict[tuple[Token, ...], WalkState] = {}

    def below(self, levels: tuple[Token, ...]) -> WalkState:
        """The state after ``levels``, walked once (each from the state after those above it)."""
        state = self.chains.get(levels)
        if state is None:
            above = self.start if len(levels) == 1 else self.below(levels[:-1])
            number, block = levels[-1]
            envelope = self.envelope
            tokens = split_block(block, number, envelope.element, envelope.terminator)
            state = self._walk(above.copy(), tokens)
            if len(self.chains) >= _MAX_CHAINS:
                self.chains.clear()
            self.chains[levels] = state
        return state

    def _walk(self, state: WalkState, tokens: list[Segment]) -> WalkState:
        items = list(Reader("", self.envelope.name).read(tokens, unit=state))
        if items:
            msg = f"an 837 envelope or HL level of {self.envelope.name} read as items: a bug in the split"
            raise RuntimeError(msg)
        return state


_WALKED: dict[Envelope, _Walked] = {}
#: the envelope read last and its walk: a chunk's units share one envelope object
_last: tuple[Envelope, _Walked] | None = None


def _walked(envelope: Envelope) -> _Walked:
    global _last
    last = _last
    if last is not None and last[0] is envelope:
        return last[1]
    walked = _WALKED.get(envelope)
    if walked is None:
        walked = _Walked(envelope)
        if len(_WALKED) >= _MAX_ENVELOPES:
            _WALKED.clear()
        _WALKED[envelope] = walked
    _last = (envelope, walked)
    return walked


class _Unclean(Exception):
    """Something the split cannot reproduce outside the whole file: read the file whole."""


def split_837(text: str, name: str) -> list[ClaimSegments] | None:
    """The file's claims as work units, in file order; ``None`` when it must be read whole.

    Every claim the serial reader yields is one unit, and the serial reader yields nothing
    else for the file (no envelope error), when this returns units.
    """
    try:
        return list(_Scan(text, name).run())
    except _Unclean:
        return None


def iter_837_units(text: str, name: str) -> Iterator[ClaimSegments | Claim | InputError]:
    """The serial reader's items of the file, each claim as a work unit as soon as it is cut.

    Workers start on the first claims while the rest is cut. Where the scan finds what it does
    not vouch for, the file is read whole from there: the serial reader's items, less the claims
    already cut. Those are its first items: by the time the scan cuts a claim it has checked all
    the text before it (trailers and levels as they end, an interchange's tokens as it begins),
    and a claim is cut only where the walk finishes it too (at the next CLM, HL or SE).
    """
    cut = 0
    try:
        for unit in _Scan(text, name).run():
            yield unit
            cut += 1
        return
    except _Unclean:
        pass
    items = read_837_text(text, name)
    passed = 0
    for item in islice(items, cut):
        if isinstance(item, InputError) and item.envelope:
            break
        passed += 1
    if passed != cut:
        msg = f"{name}: the serial reader's first {cut} items are not the claims cut: a bug in the split"
        raise RuntimeError(msg)
    yield from items


class _Patterns:
    """The regular expressions of the scan, for one interchange's delimiters.

    Each looks for a terminator first, the one character a regular expression finds fastest;
    ``space`` is the white space allowed before a segment (a line break, unless it is the
    terminator), ``end`` the end of an element that may be its segment's last.
    """

    def __init__(self, element: str, terminator: str) -> None:
        e, t = re.escape(element), re.escape(terminator)
        space = "[" + "".join(re.escape(c) for c in " \t\r\n" if c != terminator) + "]*"
        end = rf"(?={e}|\s*{t})"
        #: a terminator after which comes no valid segment id, nor only white space to the end
        self.bad_id = re.compile(rf"{t}(?!{space}[A-Z][A-Z0-9]{{1,2}}(?:{e}|{t})|{space}\Z)")
        #: the white space between segments (where line breaks belong)
        self.between = re.compile(rf"{t}{space}")
        #: the segments that structure the file, by id
        self.structure = re.compile(rf"{t}{space}(CLM|HL|SE|ST|GS|GE|IEA|ISA|BHT|PAT)(?={e}|{t})([^{t}]*)")
        refused = rf"(?:LX|SV1|SV2|HI|SVD|CAS){end}|DTP{e}472{end}|REF{e}G1{end}"
        #: what the walk refuses outside a claim (in a subscriber level, an SBR is the level's)
        self.refused = re.compile(rf"{t}{space}(?:{refused}|SBR{end})")
        #: in a subscriber level: the same, but for SBR; and the subscriber (2010BA), whose NM109
        #: is the member id
        self.subscriber_or_refused = re.compile(rf"{t}{space}(?:({refused})|(NM1{e}IL{end}[^{t}]*))")


@functools.lru_cache(maxsize=16)
def _patterns(element: str, terminator: str) -> _Patterns:
    return _Patterns(element, terminator)


class _Level:
    """An HL level: where its block is, the member id of its chain, and (once a claim needs
    them) its block and those above it as tokens."""

    __slots__ = ("begin", "chain", "code", "depth", "end", "member", "number", "parent")

    def __init__(self, code: str, parent: _Level | None, begin: int, number: int) -> None:
        self.code = code
        self.parent = parent
        self.depth: int = parent.depth + 1 if parent is not None else 1
        if self.depth > _MAX_DEPTH:  # each claim would carry them all: read the file whole
            raise _Unclean
        self.begin = begin
        self.number = number
        #: where the block ends (the next structural segment); -1 while it is open
        self.end = -1
        self.member: str | None = None
        self.chain: tuple[Token, ...] | None = None

    def tokens(self, text: str) -> tuple[Token, ...]:
        """This level's block and those above it, from the top: one tuple for every claim."""
        chain = self.chain
        if chain is None:
            token = (self.number, text[self.begin : self.end])
            parent = self.parent
            chain = self.chain = (*parent.tokens(text), token) if parent is not None else (token,)
        return chain


class _Scan:
    """One pass over the text: the envelope checked, the loops followed, claims cut out."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.element = "*"
        self.terminator = "~"
        self.isa: list[str] | None = None
        self.isa_token: Token = (0, "")
        self.gs: list[str] | None = None
        self.gs_token: Token = (0, "")
        self.gs_count = 0
        self.st_count = 0
        #: the transaction set's envelope, once its header (ST to its first HL) is cut; ``None``
        #: outside one
        self.envelope: Envelope | None = None
        self.in_transaction = False
        self.st: list[str] = []
        self.st_number = 0
        self.levels: dict[str, _Level] = {}
        self.level: _Level | None = None
        #: what the text since the last structural segment is: "claim", "level", "header", "other"
        self.kind = "other"

    def run(self) -> Iterator[ClaimSegments]:
        text = self.text
        pos = 0
        number = 0
        length = len(text)
        while pos < length:
            while pos < length and text[pos] in _WHITESPACE:
                pos += 1
            if pos >= length:
                break
            if not text.startswith("ISA", pos) or self.isa is not None:
                raise _Unclean
            number += 1
            try:
                delims, body = read_isa(text, pos, number)
            except X12Error:
                raise _Unclean from None
            isa_raw = text[pos : body - 1]
            self.element, self.terminator = delims.element, delims.segment
            self.isa = isa_raw.split(delims.element)
            self.isa_token = (number, isa_raw)
            self.gs_count = 0
            end = interchange_end(text, body, delims)
            number = yield from self.interchange(body, end, number)
            pos = end
        if self.isa is not None:
            raise _Unclean  # the file ends inside an interchange

    def interchange(self, body: int, end: int, number: int) -> Generator[ClaimSegments, None, int]:
        """The claims of the interchange whose ISA is segment ``number`` and whose segments after
        it run to ``end``; returns the number of its last segment."""
        text, element, terminator = self.text, self.element, self.terminator
        if element.isspace() or (terminator.isspace() and terminator not in "\r\n"):
            raise _Unclean
        p = _patterns(element, terminator)
        # As :func:`tokenize` reads it: every segment terminated, its id valid, no line break inside
        # it. And no blank segment, so that a segment's number is the count of terminators before it.
        last = text.rfind(terminator, body - 1, end)
        if text[last + 1 : end].strip() or p.bad_id.search(text, body - 1, end):
            raise _Unclean
        if terminator not in "\r\n":
            breaks = text.count("\n", body, end)
            # the usual layouts first (a line break right after each terminator), counted in C
            after = text.count(terminator + "\n", body - 1, end) + text.count(
                terminator + "\r\n", body - 1, end
            )
            if after != breaks and "".join(p.between.findall(text, body - 1, end)).count("\n") != breaks:
                raise _Unclean
        region, region_number = body, number + 1
        counted_to = body - 1
        # Most of the work, once per HL and CLM, is done here with local names; the envelope's
        # segments, a few per transaction set, in structural().
        count = text.count
        refused = p.refused.search
        subscriber_or_refused = p.subscriber_or_refused.findall
        kind, envelope, levels, level = self.kind, self.envelope, self.levels, self.level
        claim_level: _Level | None = None
        for match in p.structure.finditer(text, body - 1, end):
            start = match.start() + 1  # where the segment's piece begins, after the terminator
            number += count(terminator, counted_to, start)
            counted_to = start
            sid = match.group(1)
            if kind == "claim":
                if sid not in _CLAIM_ENDS:
                    # a BHT or PAT inside a claim changes the loops after it; an ST, GS, GE, ISA
                    # or IEA here is an envelope error (the claim not yet cut is read whole)
                    raise _Unclean
                # the claim's text: from its CLM, or from the first of the levels right before it
                # (no claim has carried them yet), to here
                begin, first, above = region, region_number, claim_level
                while above is not None and above.end == begin:
                    begin, first, above = above.begin, above.number, above.parent
                assert envelope is not None
                yield ClaimSegments(
                    envelope,
                    above.tokens(text) if above is not None else (),
                    first,
                    text[begin:start],
                    claim_level.member if claim_level is not None else None,
                )
            elif sid == "BHT" or sid == "PAT":
                if sid == "BHT" and level is not None:
                    raise _Unclean
                continue  # part of the header or level it is in (a BHT after SE: ignored)
            elif kind == "level":
                # the level's segments: nothing the walk refuses outside a claim; a subscriber
                # level's NM1*IL names the member
                assert level is not None
                if level.code == "22":
                    member = None
                    found = subscriber_or_refused(text, region - 1, start)
                    if found:
                        if any(refused for refused, _nm1 in found):
                            raise _Unclean
                        elements = found[-1][1].strip().split(element)
                        member = elements[9] if len(elements) > 9 else ""
                    level.member = member
                else:
                    if refused(text, region - 1, start):
                        raise _Unclean
                    if level.parent is not None:
                        level.member = level.parent.member
                level.end = start
            else:
                # segments outside claims and levels: nothing the walk refuses there either
                if refused(text, region - 1, start):
                    raise _Unclean
                if kind == "header":
                    header = (region_number, text[region:start])
                    envelope = self.envelope = Envelope(
                        self.name, element, terminator, self.isa_token, self.gs_token, header
                    )
            region, region_number = start, number
            if sid == "CLM":
                if envelope is None:
                    raise _Unclean
                kind = "claim"
                claim_level = level
            elif sid == "HL":
                if envelope is None:
                    raise _Unclean
                elements = match.group(2).rstrip().split(element)
                hl_id, parent_id, code = (*elements[1:4], "", "", "")[:3]
                parent = levels.get(parent_id) if parent_id else None
                level = levels[hl_id] = _Level(code, parent, start, number)
                kind = "level"
            else:
                self.level = level
                kind = self.structural(sid, (sid + match.group(2)).rstrip(), number)
                envelope, levels, level = self.envelope, self.levels, self.level
        self.kind, self.level = kind, level
        if kind == "claim":
            raise _Unclean  # no IEA: the file ends inside this claim
        if refused(text, region - 1, end):
            raise _Unclean
        return number + text.count(terminator, counted_to, end) - 1

    def structural(self, sid: str, raw: str, number: int) -> str:
        """An envelope segment (ST, SE, GS, GE, IEA; an ISA here lacks the IEA before it).

        Returns what the text after it is: "header" after an ST, else "other".
        """
        element = self.element
        if sid == "ST":
            self.open_transaction(raw, number)
            return "header"
        if sid == "SE":
            if not self.in_transaction or self.envelope is None:
                raise _Unclean
            elements = raw.split(element)
            if elements[1:3] != [str(number - self.st_number + 1), _get(self.st, 2)]:
                raise _Unclean
            self.in_transaction = False
            self.envelope = None
            self.level = None
        elif sid == "GS":
            if self.isa is None or self.gs is not None or self.in_transaction:
                raise _Unclean
            self.gs = raw.split(element)
            self.gs_token = (number, raw)
            self.gs_count += 1
            self.st_count = 0
        elif sid == "GE":
            if self.gs is None or self.in_transaction:
                raise _Unclean
            if raw.split(element)[1:3] != [str(self.st_count), _get(self.gs, 6)]:
                raise _Unclean
            self.gs = None
        elif sid == "IEA":
            if self.isa is None or self.gs is not None:
                raise _Unclean
            if raw.split(element)[1:3] != [str(self.gs_count), _get(self.isa, 13)]:
                raise _Unclean
            self.isa = None
        else:  # an ISA before the IEA of the one before
            raise _Unclean
        return "other"

    def open_transaction(self, raw: str, number: int) -> None:
        if self.gs is None or self.in_transaction:
            raise _Unclean
        elements = raw.split(self.element)
        version = _get(elements, 3) or _get(self.gs, 8)
        if _get(elements, 1) != "837" or not any(g in version for g in _GUIDES):
            raise _Unclean  # the walk reports the set and each claim in it
        self.st_count += 1
        self.in_transaction = True  # its envelope is made at its first HL, CLM or SE
        self.st = elements
        self.st_number = number
        self.levels = {}
        self.level = None


def _get(elements: list[str], index: int) -> str:
    return elements[index] if index < len(elements) else ""
