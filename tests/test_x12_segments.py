"""The tokenizer splits an interchange a block at a time; the segments are those of one split."""

from __future__ import annotations

import random

import pytest

from payer_rules.io.x12 import segments
from payer_rules.io.x12.segments import Segment, X12Error, tokenize

from .conftest import EXAMPLES

FILES = sorted((EXAMPLES / "x12").glob("*.837"))


def _tokens(text: str) -> list[tuple[object, ...]]:
    return [
        ("segment", s.number, s.raw, tuple(s.elements))
        if isinstance(s, Segment)
        else ("error", s.number, s.raw, s.message, s.fatal)
        for s in tokenize(text)
    ]


def _texts() -> list[str]:
    """The example files, each interchange after the other, and damaged copies of them."""
    whole = [path.read_text() for path in FILES]
    rng = random.Random(22)
    texts = [*whole, "\n".join(whole), "~".join(whole)]
    for text in whole:
        ends = [i for i, c in enumerate(text) if c == "~"]
        texts.append(text[: rng.choice(ends[5:]) + 3])  # cut short inside a segment
        texts.append(text.rstrip() + "N4*CUT SHORT")  # a last segment with no terminator
        at = rng.choice(ends[5:])
        texts.append(text[:at] + "\nNM1*XX" + text[at:])  # a line break inside a segment
        texts.append(text.replace("~", "~~\n", 3))  # blank segments
        texts.append(text.replace("N3*", "N3*" + "LONG " * 40, 1))  # longer than a small block
        texts.append(text.replace("~", "\n").replace("*:~", "*:\n", 1))  # line breaks as terminators
        other = text.replace("*", "|").replace(":", ">").replace("~", "!").replace("|^|", "|+|")
        texts.append(text + other)  # a second interchange declaring other delimiters
    return texts


@pytest.mark.parametrize("block", [1, 2, 7, 64, 1000])
def test_splitting_a_block_at_a_time_gives_the_segments_of_one_split(monkeypatch, block):
    texts = _texts()
    monkeypatch.setattr(segments, "_BLOCK", 1 << 40)  # one block: the interchange split whole
    expected = [_tokens(text) for text in texts]
    monkeypatch.setattr(segments, "_BLOCK", block)
    for text, tokens in zip(texts, expected, strict=True):
        assert _tokens(text) == tokens
    assert any(kind == "error" for tokens in expected for kind, *_ in tokens)  # damage was seen


def test_a_file_larger_than_a_block_is_read_whole():
    text = FILES[0].read_text()
    body = text[text.index("~", text.index("GS*")) + 1 : text.index("SE*")]
    big = text.replace(body, body * (4 * segments._BLOCK // len(body) + 1), 1)
    assert len(big) > 3 * segments._BLOCK
    tokens = list(tokenize(big))
    assert not [t for t in tokens if isinstance(t, X12Error)]
    assert [t.number for t in tokens] == list(range(1, len(tokens) + 1))
    assert len(tokens) == big.count("~")
