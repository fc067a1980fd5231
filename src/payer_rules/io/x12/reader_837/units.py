"""An 837 split into work units, one claim each, for ``--jobs`` workers and Spark to read.

The process that splits a batch should not read it: building claims is most of the reading
cost, and a batch is split in one process while it is read in many. So the split is a scan:
segments are cut at their terminators and counted, the envelope (ISA / GS / ST / BHT and the
SE / GE / IEA trailers) and the HL loops are followed, and nothing is parsed.

A unit is one claim as the segments the walk needs to read it exactly as it reads it in the
whole file (:meth:`.walk.Reader.read` with ``unit=True``):

* the ISA (its ISA16 is the component separator), the GS (GS08 names the guide when ST03 does
  not), the ST and any BHT before the first HL (BHT04 is the received date);
* for each HL level the claim sits in, from the billing provider (2000A) down to its own level,
  the HL and the loop segments before the level's first CLM or next HL (NM1, N3, N4, DMG, PRV,
  REF, SBR, PAT: who the provider, subscriber, payer and patient are, and any problem they have,
  which the walk records on the level for every claim beneath it);
* the claim's own segments, from its CLM to the next CLM, HL or SE.

Every segment keeps its number in the file, so a located error names the same segment as the
serial run does (``claims.837: segment 42 (DTP*472*D8*20260230): claim 26407789: ...``).

A unit routes by the member id the claim will have (NM109 of the subscriber's NM1*IL), which the
scan reads off the subscriber loop, so a member's claims meet in one worker
(:mod:`payer_rules.batch.partition`).

What a unit cannot carry is the envelope's own problems (a trailer count, a control number, a
transaction set that is not an 837) and text the tokenizer refuses: they are errors of the file,
ordered among its claims. :func:`split_837` gives up (``None``) on any of them, and anything else
the walk would report outside a claim, and the file is then read whole, as the serial reader
reads it; a clean file, the usual case, is split.
"""

from __future__ import annotations

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
#: Loop segments the walk keeps on the current HL level (outside a claim).
_LEVEL_SEGMENTS = frozenset({"NM1", "N3", "N4", "DMG", "PRV", "PAT", "REF"})
#: Segments inside a claim that change the transaction set or level, so the claims after it.
_CLAIM_CHANGES_LOOPS = frozenset({"BHT", "PAT"})
#: Segments the walk refuses outside a claim (a located error of the file, not of a claim).
_CLAIM_ONLY = frozenset({"LX", "SV1", "SV2", "HI", "SVD", "CAS"})

Token = tuple[int, str]
#: HL levels above a claim a unit carries at most (an 837 has three: 2000A, B and C).
_MAX_DEPTH = 16


@frozen
class ClaimSegments:
    """One claim of an 837 as the numbered segments its reading needs, and its member id.

    Args:
        name: the file, as errors name it.
        element: the element separator of its interchange.
        segments: ``(number in the file, segment text)`` in file order: the envelope and loops
            around the claim, then the claim's own.
        key: the member id the claim routes by (``None`` when its subscriber loop has none;
            the claim then cannot be read).
    """

    name: str
    element: str
    segments: tuple[Token, ...]
    key: str | None


def read_claim_segments(unit: ClaimSegments) -> Claim | InputError:
    """The claim (or its located error) exactly as the serial reader reads it in its file."""
    element = unit.element
    tokens = [Segment(number, raw, raw.split(element)) for number, raw in unit.segments]
    items = list(Reader("", unit.name).read(tokens, unit=True))
    if len(items) != 1:
        msg = f"an 837 work unit of {unit.name} read as {len(items)} items; this is a bug in the split"
        raise RuntimeError(msg)
    return items[0]


class _Level:
    __slots__ = ("code", "parent", "segments", "subscriber")

    def __init__(self, token: Token, code: str, parent: _Level | None) -> None:
        self.code = code
        self.parent = parent
        self.segments = [token]
        self.subscriber: str | None = None

    def chain(self) -> list[Token]:
        """The segments of this level and the levels above it, the top one first."""
        levels: list[_Level] = []
        level: _Level | None = self
        while level is not None:
            if len(levels) == _MAX_DEPTH:  # each claim would carry them all: read the file whole
                raise _Unclean
            levels.append(level)
            level = level.parent
        return [token for lv in reversed(levels) for token in lv.segments]

    def member_id(self) -> str | None:
        level: _Level | None = self
        while level is not None and level.code != "22":
            level = level.parent
        return level.subscriber if level is not None else None


class _Unclean(Exception):
    """Something the split cannot reproduce outside the whole file: read the file whole."""


def split_837(text: str, name: str) -> list[ClaimSegments] | None:
    """The file's claims as work units, in file order; ``None`` when it must be read whole.

    Every claim the serial reader yields is one unit, and the serial reader yields nothing
    else for the file (no envelope error), when this returns units.
    """
    try:
        return _Scan(name).run(text)
    except _Unclean:
        return None


class _Scan:
    """One pass over the text: the envelope checked, the loops followed, claims cut out."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.units: list[ClaimSegments] = []
        self.element = "*"
        self.isa: list[str] | None = None
        self.isa_token: Token | None = None
        self.gs: list[str] | None = None
        self.gs_token: Token | None = None
        self.gs_count = 0
        self.st_count = 0
        #: the transaction set's ST (and BHT), while one is open
        self.txn: list[Token] | None = None
        self.st: list[str] = []
        self.st_number = 0
        self.levels: dict[str, _Level] = {}
        self.level: _Level | None = None
        self.claim: list[Token] | None = None
        self.claim_level: _Level | None = None
        #: segment ids seen, all well formed
        self.valid_ids: set[str] = set()

    def run(self, text: str) -> list[ClaimSegments]:
        pos = 0
        number = 0
        length = len(text)
        while pos < length:
            while pos < length and text[pos] in _WHITESPACE:
                pos += 1
            if pos >= length:
                break
            if not text.startswith("ISA", pos):
                raise _Unclean
            number += 1
            try:
                delims, body = read_isa(text, pos, number)
            except X12Error:
                raise _Unclean from None
            self.element = element = delims.element
            isa_raw = text[pos : body - 1]
            self.segment(number, isa_raw, "ISA")
            chunk_end = interchange_end(text, body, delims)
            chunk = text[body:chunk_end]
            pieces = chunk.split(delims.segment)
            # as :func:`tokenize` does: an unterminated last segment, a bad id or a line break
            # inside a segment is an error of the file
            if not (chunk.endswith(delims.segment) or not pieces[-1].strip()):
                raise _Unclean
            check_breaks = delims.segment not in "\r\n"
            valid = self.valid_ids
            for piece in pieces:
                raw = piece.strip()
                if not raw:
                    continue
                number += 1
                cut = raw.find(element)
                seg_id = raw if cut < 0 else raw[:cut]
                if seg_id not in valid:
                    if not (2 <= len(seg_id) <= 3 and seg_id.isalnum() and seg_id.isupper()):
                        raise _Unclean
                    valid.add(seg_id)
                if check_breaks and "\n" in raw:
                    raise _Unclean
                claim = self.claim
                if claim is not None and seg_id not in _CLAIM_ENDS:
                    if seg_id in _CLAIM_CHANGES_LOOPS:
                        raise _Unclean
                    claim.append((number, raw))
                else:
                    self.segment(number, raw, seg_id)
            pos = chunk_end
        if self.claim is not None or self.txn is not None or self.gs is not None or self.isa is not None:
            raise _Unclean  # the file ends inside an interchange
        return self.units

    def segment(self, number: int, raw: str, sid: str) -> None:
        """A segment outside a claim, or one that ends the claim being read."""
        token = (number, raw)
        if self.claim is not None:
            self.finish_claim()
        if sid in _LEVEL_SEGMENTS:
            element = self.element
            if sid == "REF" and raw.startswith(f"REF{element}G1") and raw.split(element)[1] == "G1":
                raise _Unclean  # a prior authorization outside a claim
            level = self.level
            if level is None:
                return  # 1000A / 1000B parties and the like: nothing the walk keeps
            if sid == "NM1" and raw.startswith(f"NM1{element}IL"):
                elements = raw.split(element)
                if elements[1] == "IL":
                    level.subscriber = elements[9] if len(elements) > 9 else ""
            level.segments.append(token)
        elif sid == "CLM":
            if self.txn is None:
                raise _Unclean
            self.claim = [token]
            self.claim_level = self.level
        elif sid == "HL":
            if self.txn is None:
                raise _Unclean
            elements = raw.split(self.element)
            hl_id, parent_id, code = _get(elements, 1), _get(elements, 2), _get(elements, 3)
            parent = self.levels.get(parent_id) if parent_id else None
            self.level = self.levels[hl_id] = _Level(token, code, parent)
        elif sid == "SBR":
            if self.level is None or self.level.code != "22":
                raise _Unclean
            self.level.segments.append(token)
        elif sid in _CLAIM_ONLY:
            raise _Unclean
        elif sid == "DTP":
            if raw.split(self.element)[1:2] == ["472"]:
                raise _Unclean
        elif sid == "ST":
            self.open_transaction(token, raw)
        elif sid == "BHT":
            if self.txn is not None:
                if self.level is not None:
                    raise _Unclean
                self.txn.append(token)
        elif sid == "SE":
            self.close_transaction(number, raw)
        elif sid == "GS":
            if self.isa is None or self.gs is not None or self.txn is not None:
                raise _Unclean
            self.gs = raw.split(self.element)
            self.gs_token = token
            self.gs_count += 1
            self.st_count = 0
        elif sid == "GE":
            if self.gs is None or self.txn is not None:
                raise _Unclean
            elements = raw.split(self.element)
            if elements[1:3] != [str(self.st_count), _get(self.gs, 6)]:
                raise _Unclean
            self.gs = self.gs_token = None
        elif sid == "ISA":
            if self.isa is not None:
                raise _Unclean
            self.isa = raw.split(self.element)
            self.isa_token = token
            self.gs_count = 0
        elif sid == "IEA":
            if self.isa is None or self.gs is not None:
                raise _Unclean
            elements = raw.split(self.element)
            if elements[1:3] != [str(self.gs_count), _get(self.isa, 13)]:
                raise _Unclean
            self.isa = self.isa_token = None
        # CAS, AMT, CL1, LIN and every other segment outside a claim: nothing the walk keeps

    def open_transaction(self, token: Token, raw: str) -> None:
        if self.gs is None or self.txn is not None or self.isa_token is None or self.gs_token is None:
            raise _Unclean
        elements = raw.split(self.element)
        version = _get(elements, 3) or _get(self.gs, 8)
        if _get(elements, 1) != "837" or not any(g in version for g in _GUIDES):
            raise _Unclean  # the walk reports the set and each claim in it
        self.st_count += 1
        self.txn = [self.isa_token, self.gs_token, token]
        self.st = elements
        self.st_number = token[0]
        self.levels = {}
        self.level = None

    def close_transaction(self, number: int, raw: str) -> None:
        if self.txn is None:
            raise _Unclean
        elements = raw.split(self.element)
        if elements[1:3] != [str(number - self.st_number + 1), _get(self.st, 2)]:
            raise _Unclean
        self.txn = None
        self.level = None

    def finish_claim(self) -> None:
        claim, level, txn = self.claim, self.claim_level, self.txn
        assert claim is not None and txn is not None
        context = txn + level.chain() if level is not None else txn
        self.units.append(
            ClaimSegments(
                self.name,
                self.element,
                (*context, *claim),
                level.member_id() if level is not None else None,
            )
        )
        self.claim = self.claim_level = None


def _get(elements: list[str], index: int) -> str:
    return elements[index] if index < len(elements) else ""
