"""An 837 split into work units, one claim each, for ``--jobs`` workers and Spark to read.

The process that splits a batch should not read it: building claims is most of the reading
cost, and a batch is split in one process while it is read in many. So the split is a scan of
the whole text with regular expressions, which run in C: the segments' ids are checked in one
pass, the segments that structure the file (ISA / GS / ST / BHT / HL / CLM / SE / GE / IEA,
three or four per claim) are found in another, and only at those does Python do any work. No
segment is split, stripped or copied on its own; each claim travels as a few slices of the text.

A unit is one claim as the text the walk needs to read it exactly as it reads it in the whole
file (:meth:`.walk.Reader.read` with ``unit=True``), in blocks of consecutive segments, each
with the number of its first segment in the file:

* the ISA (its ISA16 is the component separator), the GS (GS08 names the guide when ST03 does
  not), and the transaction set's header: the ST up to its first HL (BHT04 is the received
  date; the submitter and receiver loops, 1000A / 1000B, are walked past as in the file);
* for each HL level the claim sits in, from the billing provider (2000A) down to its own level,
  the level's segments: the HL up to the level's first CLM or next HL (who the provider,
  subscriber, payer and patient are, and any problem they have, which the walk records on the
  level for every claim beneath it);
* the claim's own segments, from its CLM to the next CLM, HL or SE.

A worker cuts each block at the segment terminator and numbers the segments from the block's
first, so a located error names the same segment as the serial run does
(``claims.837: segment 42 (DTP*472*D8*20260230): claim 26407789: ...``). Blocks shared by many
claims (the header, a billing provider's level) are the same string in each unit, which pickle
sends once per chunk.

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

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.io.x12.reader_837.loops import INSTITUTIONAL_GUIDES, PROFESSIONAL_GUIDES
from payer_rules.io.x12.reader_837.walk import Reader
from payer_rules.io.x12.segments import Segment, X12Error, interchange_end, read_isa
from payer_rules.models import Claim

__all__ = ["ClaimSegments", "read_claim_segments", "split_837"]

_GUIDES = PROFESSIONAL_GUIDES + INSTITUTIONAL_GUIDES
_WHITESPACE = " \t\r\n\ufeff\x00"
#: Segments that end the claim being read (the walk finishes it at each).
_CLAIM_ENDS = frozenset({"CLM", "HL", "SE", "ST", "GS", "GE", "ISA", "IEA"})

#: ``(number in the file, text)``: one segment, or a block of consecutive segments.
Token = tuple[int, str]
#: HL levels above a claim a unit carries at most (an 837 has three: 2000A, B and C).
_MAX_DEPTH = 16


@frozen
class ClaimSegments:
    """One claim of an 837 as the text its reading needs, and its member id.

    Args:
        name: the file, as errors name it.
        element: the element separator of its interchange.
        terminator: the segment terminator of its interchange.
        isa: the interchange's ISA segment, with its number (1 for the file's first).
        blocks: ``(number of the first segment, consecutive segments)`` in file order: the
            envelope and loops around the claim, then the claim's own; each block's segments
            end with the terminator (the last one's may be left out).
        key: the member id the claim routes by (``None`` when its subscriber loop has none;
            the claim then cannot be read).
    """

    name: str
    element: str
    terminator: str
    isa: Token
    blocks: tuple[Token, ...]
    key: str | None


def read_claim_segments(unit: ClaimSegments) -> Claim | InputError:
    """The claim (or its located error) exactly as the serial reader reads it in its file."""
    element, terminator = unit.element, unit.terminator
    number, raw = unit.isa
    tokens = [Segment(number, raw, raw.split(element))]
    for number, block in unit.blocks:
        for piece in block.split(terminator):
            raw = piece.strip()
            if raw:
                tokens.append(Segment(number, raw, raw.split(element)))
                number += 1
    items = list(Reader("", unit.name).read(tokens, unit=True))
    if len(items) != 1:
        msg = f"an 837 work unit of {unit.name} read as {len(items)} items; this is a bug in the split"
        raise RuntimeError(msg)
    return items[0]


class _Unclean(Exception):
    """Something the split cannot reproduce outside the whole file: read the file whole."""


def split_837(text: str, name: str) -> list[ClaimSegments] | None:
    """The file's claims as work units, in file order; ``None`` when it must be read whole.

    Every claim the serial reader yields is one unit, and the serial reader yields nothing
    else for the file (no envelope error), when this returns units.
    """
    try:
        return _Scan(text, name).run()
    except _Unclean:
        return None


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
    """An HL level: its block, and (once its segments are cut) the blocks and member id of its
    chain, from the top level down to it."""

    __slots__ = ("chain", "code", "depth", "member", "parent")

    def __init__(self, code: str, parent: _Level | None) -> None:
        self.code = code
        self.parent = parent
        self.depth: int = parent.depth + 1 if parent is not None else 1
        if self.depth > _MAX_DEPTH:  # each claim would carry them all: read the file whole
            raise _Unclean
        self.chain: tuple[Token, ...] = ()
        self.member: str | None = None

    def close(self, block: Token, subscriber: str | None) -> None:
        parent = self.parent
        self.chain = (*parent.chain, block) if parent is not None else (block,)
        if self.code == "22":
            self.member = subscriber
        elif parent is not None:
            self.member = parent.member


class _Scan:
    """One pass over the text: the envelope checked, the loops followed, claims cut out."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.units: list[ClaimSegments] = []
        self.element = "*"
        self.terminator = "~"
        self.isa: list[str] | None = None
        self.isa_token: Token = (0, "")
        self.gs: list[str] | None = None
        self.gs_token: Token = (0, "")
        self.gs_count = 0
        self.st_count = 0
        #: the transaction set's header (ST to its first HL), once cut; ``None`` outside one
        self.header: Token | None = None
        self.st: list[str] = []
        self.st_number = 0
        self.levels: dict[str, _Level] = {}
        self.level: _Level | None = None
        self.claim_level: _Level | None = None
        #: what the text since the last structural segment is: "claim", "level", "header", "other"
        self.kind = "other"

    def run(self) -> list[ClaimSegments]:
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
            number = self.interchange(body, end, number)
            pos = end
        if self.isa is not None:
            raise _Unclean  # the file ends inside an interchange
        return self.units

    def interchange(self, body: int, end: int, number: int) -> int:
        """The segments after the ISA numbered ``number``, to ``end``; returns the last one's number."""
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
        # the claims and HL levels, most of the work, are cut here; the envelope in structural()
        for match in p.structure.finditer(text, body - 1, end):
            start = match.start() + 1  # where the segment's piece begins, after the terminator
            number += text.count(terminator, counted_to, start)
            counted_to = start
            sid, rest = match.groups()
            kind = self.kind
            if kind == "claim":
                if sid not in _CLAIM_ENDS:  # a BHT or PAT inside a claim changes the loops after it
                    raise _Unclean
                self.finish_claim((region_number, text[region:start]))
            elif sid == "BHT" or sid == "PAT":
                if sid == "BHT" and self.level is not None:
                    raise _Unclean
                continue  # part of the header or level it is in (a BHT after SE: ignored)
            elif kind == "level":
                self.close_level(region, region_number, start, p)
            else:
                self.close_region(region, start, p)
                if kind == "header":
                    self.header = (region_number, text[region:start])
            region, region_number = start, number
            if sid == "CLM":
                if self.header is None:
                    raise _Unclean
                self.kind = "claim"
                self.claim_level = self.level
            elif sid == "HL":
                if self.header is None:
                    raise _Unclean
                elements = rest.rstrip().split(element)
                hl_id, parent_id, code = (*elements[1:4], "", "", "")[:3]
                parent = self.levels.get(parent_id) if parent_id else None
                self.level = self.levels[hl_id] = _Level(code, parent)
                self.kind = "level"
            else:
                self.structural(sid, (sid + rest).rstrip(), number)
        if self.kind == "claim":
            raise _Unclean  # no IEA: the file ends inside this claim
        self.close_region(region, end, p)
        return number + text.count(terminator, counted_to, end) - 1

    def close_region(self, begin: int, end: int, p: _Patterns) -> None:
        """Segments outside a claim and its levels, from ``begin`` to ``end``: nothing refused."""
        if p.refused.search(self.text, begin - 1, end):
            raise _Unclean

    def close_level(self, begin: int, number: int, end: int, p: _Patterns) -> None:
        """The segments of the current HL level, from ``begin`` to ``end``: checked and kept."""
        text, level = self.text, self.level
        assert level is not None
        member = None
        if level.code == "22":
            found = p.subscriber_or_refused.findall(text, begin - 1, end)
            if any(refused for refused, _nm1 in found):
                raise _Unclean
            if found:
                elements = found[-1][1].strip().split(self.element)
                member = elements[9] if len(elements) > 9 else ""
        elif p.refused.search(text, begin - 1, end):
            raise _Unclean
        level.close((number, text[begin:end]), member)

    def structural(self, sid: str, raw: str, number: int) -> None:
        """An envelope segment (ST, SE, GS, GE, IEA; an ISA here lacks the IEA before it)."""
        element = self.element
        self.kind = "other"
        if sid == "ST":
            self.open_transaction(raw, number)
            self.kind = "header"
        elif sid == "SE":
            if self.header is None:
                raise _Unclean
            elements = raw.split(element)
            if elements[1:3] != [str(number - self.st_number + 1), _get(self.st, 2)]:
                raise _Unclean
            self.header = None
            self.level = None
        elif sid == "GS":
            if self.isa is None or self.gs is not None or self.header is not None:
                raise _Unclean
            self.gs = raw.split(element)
            self.gs_token = (number, raw)
            self.gs_count += 1
            self.st_count = 0
        elif sid == "GE":
            if self.gs is None or self.header is not None:
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

    def open_transaction(self, raw: str, number: int) -> None:
        if self.gs is None or self.header is not None:
            raise _Unclean
        elements = raw.split(self.element)
        version = _get(elements, 3) or _get(self.gs, 8)
        if _get(elements, 1) != "837" or not any(g in version for g in _GUIDES):
            raise _Unclean  # the walk reports the set and each claim in it
        self.st_count += 1
        self.header = (number, raw)  # cut at its first HL, CLM or SE
        self.st = elements
        self.st_number = number
        self.levels = {}
        self.level = None

    def finish_claim(self, claim: Token) -> None:
        level, header = self.claim_level, self.header
        assert header is not None
        chain, member = (level.chain, level.member) if level is not None else ((), None)
        self.units.append(
            ClaimSegments(
                self.name,
                self.element,
                self.terminator,
                self.isa_token,
                (self.gs_token, header, *chain, claim),
                member,
            )
        )
        self.claim_level = None


def _get(elements: list[str], index: int) -> str:
    return elements[index] if index < len(elements) else ""
