"""X12 tokenising: delimiters from the ISA, segments with their position in the file.

The ISA is fixed width (106 characters), and its own bytes declare the delimiters: the element
separator is the fourth character, the component separator is ISA16, and the segment terminator
is the character right after ISA16. We read them from the text rather than assume ``*``, ``:``
and ``~``, and we find ISA16 by counting element separators, so a short ISA still tells us how
it is delimited (and is then reported as malformed, not misread).

Segments are numbered from 1 at the first ISA of the file, as people count them in an editor
that shows one segment per line; every error names that number and the segment's first
characters: ``claims.837: segment 31 (CLM*26407789*79.04***11:B:1...): ...``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, NamedTuple

from attrs import frozen

__all__ = [
    "ISA_WIDTHS",
    "Delimiters",
    "Segment",
    "X12Error",
    "excerpt",
    "interchange_end",
    "read_isa",
    "split_block",
    "tokenize",
]

#: Width of ISA01 .. ISA16; the ISA is fixed width, 106 characters with its terminator.
ISA_WIDTHS: Final = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)


class X12Error(ValueError):
    """A located problem in X12 text: the segment number, its excerpt and what is wrong."""

    def __init__(self, number: int, raw: str, message: str, *, fatal: bool = False) -> None:
        self.number = number
        self.raw = raw
        self.message = message
        #: the text from here on is not read (a bad ISA, text that is not X12)
        self.fatal = fatal
        super().__init__(f"segment {number} ({excerpt(raw)}): {message}" if number else message)

    @property
    def where(self) -> str:
        return f"segment {self.number} ({excerpt(self.raw)})" if self.number else ""


def excerpt(raw: str, width: int = 40) -> str:
    raw = raw.replace("\r", "").replace("\n", " ")
    return raw if len(raw) <= width else raw[: width - 3] + "..."


@frozen
class Delimiters:
    element: str
    component: str
    segment: str
    #: ISA11 in 5010 (``^``); ``None`` in 4010, where ISA11 is the standards identifier.
    repetition: str | None = None

    @classmethod
    def default(cls) -> Delimiters:
        return cls(element="*", component=":", segment="~", repetition="^")


class Segment(NamedTuple):
    """One segment: its elements (``elements[0]`` is the id) and its number in the file.

    A named tuple rather than a frozen attrs class: a file is mostly segments, and a tuple is
    made at a fraction of the cost, as immutable.
    """

    number: int
    raw: str
    elements: list[str]

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, index: int) -> str:
        """Element ``index`` (1-based, as X12 counts: CLM01 is ``get(1)``), ``""`` if absent."""
        elements = self.elements
        return elements[index] if index < len(elements) else ""


def read_isa(text: str, start: int, number: int) -> tuple[Delimiters, int]:
    """The delimiters an ISA starting at ``start`` declares, and where its segment ends.

    Raises :class:`X12Error` when the ISA is cut short or its delimiters are unusable.
    """
    head = text[start : start + 200]
    if len(head) < 4:
        raise X12Error(number, head, "the interchange is cut short inside the ISA; expected 106 characters")
    sep = head[3]
    if sep.isalnum() or sep.isspace():
        raise X12Error(
            number,
            head,
            f"element separator {sep!r} (the 4th character of the ISA) is a letter, digit "
            "or space; expected a punctuation character such as '*'",
        )
    pos = 0
    for _ in range(16):
        pos = head.find(sep, pos + 1)
        if pos < 0:
            raise X12Error(
                number,
                head,
                "the ISA is cut short: expected 16 elements, the last two being the "
                "component separator and the segment terminator",
            )
    if pos + 2 >= len(head) + 1 or pos + 2 > len(head):
        raise X12Error(number, head, "the ISA is cut short: ISA16 and the segment terminator are missing")
    component = head[pos + 1]
    terminator = head[pos + 2] if pos + 2 < len(head) else ""
    if not terminator:
        raise X12Error(number, head, "the ISA is cut short: no segment terminator after ISA16")
    raw = head[: pos + 2]
    # ISA01-ISA15 end at the 16th separator; ISA16 is the one character after it, which may be
    # the separator itself (refused below), so it is not split (found by the long fuzz run)
    elements = [*head[:pos].split(sep), component]
    widths = [len(e) for e in elements[1:]]
    bad = [
        f"ISA{i:02d} has {w} characters, expected {ISA_WIDTHS[i - 1]}"
        for i, w in enumerate(widths, 1)
        if w != ISA_WIDTHS[i - 1]
    ]
    if bad:
        raise X12Error(number, raw, "the ISA is fixed width (106 characters): " + "; ".join(bad))
    if terminator.isalnum() or terminator in (sep, component) or terminator == " ":
        raise X12Error(
            number,
            raw,
            f"segment terminator {terminator!r} (the character after ISA16) is not usable; "
            "expected a character such as '~' that appears nowhere in the data",
        )
    if component.isalnum() or component == sep:
        raise X12Error(
            number, raw, f"component separator {component!r} (ISA16) is not usable; expected e.g. ':'"
        )
    repetition = elements[11] if elements[12] >= "00501" else None
    if repetition is not None and (repetition.isalnum() or repetition in (sep, component, terminator)):
        repetition = None
    return Delimiters(sep, component, terminator, repetition), start + pos + 3


def tokenize(text: str) -> Iterator[Segment | X12Error]:
    """Segments in file order, interchange by interchange (each ISA declares its own delimiters).

    Yields an :class:`X12Error` for what cannot be split (a bad ISA, a segment that holds a line
    break where the terminator is not one, an id that is not an X12 segment id) and goes on with
    the next segment where it can.
    """
    pos = 0
    number = 0
    length = len(text)
    while pos < length:
        # skip the whitespace and blank lines between interchanges
        while pos < length and text[pos] in " \t\r\n\ufeff\x00":
            pos += 1
        if pos >= length:
            return
        if not text.startswith("ISA", pos):
            number += 1
            raw = text[pos : pos + 60]
            yield X12Error(
                number,
                raw,
                "expected an ISA interchange header here; the text that follows is not read",
                fatal=True,
            )
            return
        number += 1
        try:
            delims, body = read_isa(text, pos, number)
        except X12Error as exc:
            exc.fatal = True
            yield exc
            return
        isa_raw = text[pos : body - 1]
        yield Segment(number, isa_raw, isa_raw.split(delims.element))
        chunk_end = interchange_end(text, body, delims)
        terminator = delims.segment
        element = delims.element
        check_breaks = terminator not in "\r\n"
        start = body
        while True:
            # The interchange is split a block at a time, each block ending just after a
            # terminator: the same segments as one split of the whole, but only a block's
            # pieces are alive at once (a whole file's are tens of megabytes, paid for in
            # page faults and cache misses).
            cut = text.rfind(terminator, start, min(start + _BLOCK, chunk_end)) + 1
            if cut <= start:  # no terminator in the block: up to the next one, else to the end
                cut = text.find(terminator, start, chunk_end) + 1 or chunk_end
            pieces = text[start:cut].split(terminator)
            # after the block's last terminator: nothing, or at the end the text after the
            # interchange's last terminator, which unless blank is a segment cut short
            rest = pieces.pop()
            for piece in pieces:
                raw = piece.strip()
                if not raw:
                    continue
                number += 1
                elements = raw.split(element)
                if elements[0] in _SEGMENT_IDS and not (check_breaks and "\n" in raw):
                    yield _new_tuple(Segment, (number, raw, elements))  # Segment(...) without its __new__
                else:
                    yield _checked(number, raw, elements, delims)
            start = cut
            if start >= chunk_end:
                break
        tail = rest if rest.strip() else ""
        if tail:
            number += 1
            raw = tail.strip()
            segment = _checked(number, raw, raw.split(element), delims)
            if isinstance(segment, X12Error):
                yield segment
            else:
                yield X12Error(
                    number,
                    raw,
                    f"the last segment is not terminated by {delims.segment!r}: the interchange is cut short",
                )
        pos = chunk_end


def split_block(block: str, number: int, element: str, terminator: str) -> list[Segment]:
    """The segments of ``block``, consecutive segments of a file each ending with ``terminator``
    (the last one's may be left out), numbered from ``number``, split as :func:`tokenize` splits
    them.

    For text already found clean (:mod:`~payer_rules.io.x12.reader_837.units`): ids valid, no
    line break inside a segment, no blank segment (a piece left blank is skipped, not counted).
    """
    out = []
    for piece in block.split(terminator):
        raw = piece.strip()
        if raw:
            out.append(_new_tuple(Segment, (number, raw, raw.split(element))))
            number += 1
    return out


_new_tuple = tuple.__new__

#: Characters of an interchange split at a time by :func:`tokenize`.
_BLOCK = 1 << 16

#: Segment ids seen valid (2-3 upper-case letters or digits): a file repeats a few dozen, so
#: most segments are checked by one set lookup. At most 36**2 + 36**3 ids can enter.
_SEGMENT_IDS: set[str] = set()


def _checked(number: int, raw: str, elements: list[str], delims: Delimiters) -> Segment | X12Error:
    """The segment, or what is wrong with its id or its line breaks."""
    seg_id = elements[0]
    element = delims.element
    if not (2 <= len(seg_id) <= 3 and seg_id.isalnum() and seg_id.isupper()):
        return X12Error(
            number,
            raw,
            f"{seg_id[:10]!r} is not a segment id; expected 2-3 upper-case letters "
            f"or digits followed by {element!r}",
        )
    if delims.segment not in "\r\n" and "\n" in raw:
        return X12Error(
            number,
            raw,
            f"a line break inside a segment: the ISA declares {delims.segment!r} as the "
            "segment terminator, but these segments seem to end with line breaks",
        )
    _SEGMENT_IDS.add(seg_id)
    return Segment(number, raw, elements)


def interchange_end(text: str, body: int, delims: Delimiters) -> int:
    """Where the interchange whose ISA ends at ``body`` ends: after its IEA, or at the end of text.

    A next ISA may declare other delimiters, so each interchange is split on its own.
    """
    iea = text.find(f"{delims.segment}IEA{delims.element}", body - 1)
    if iea < 0:
        # tolerate line breaks between terminator and IEA
        iea = _find_iea(text, body, delims)
    if iea < 0:
        return len(text)
    stop = text.find(delims.segment, iea + 1)
    return len(text) if stop < 0 else stop + 1


def _find_iea(text: str, body: int, delims: Delimiters) -> int:
    search = body
    while True:
        found = text.find(f"IEA{delims.element}", search)
        if found < 0:
            return -1
        before = text[body - 1 : found].rstrip(" \t\r\n")
        if before.endswith(delims.segment):
            return found - 1
        search = found + 1
