"""Rulepack code patterns: a wide range tested by its bounds answers as its expanded set would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from payer_rules.rulepack.kinds.base import CodeSet, expand_codes


def expanded(patterns: list[str], code: str) -> bool:
    exact, prefixes = expand_codes(patterns)
    return code in exact or any(code.startswith(p) for p in prefixes)


def test_wide_ranges_are_not_expanded_and_answer_the_same():
    patterns = ["10004-69990", "G0000-G9999", "99202", "E11*", "80047-80050"]
    codes = CodeSet(patterns)
    assert len(codes._exact) < 10 and len(codes._ranges) == 2
    for code in [
        "10004",
        "69990",
        "10003",
        "69991",
        "35000",
        "G0438",
        "G9999",
        "H0001",
        "99202",
        "E119",
        "80048",
        "80051",
        "1000",
        "100040",
        "١٠٠٠٤",
        "g0438",
        "G043",
        "",
    ]:
        assert (code in codes) is expanded(patterns, code), code
    assert bool(CodeSet(["10004-69990"])) and not CodeSet([])


@settings(max_examples=200, deadline=None)
@given(
    letters=st.sampled_from(["", "G", "J"]),
    width=st.integers(3, 5),
    start=st.integers(0, 9_000),
    size=st.integers(0, 2_000),
    probe=st.integers(0, 12_000),
    probe_width=st.integers(2, 6),
)
def test_membership_equals_the_expanded_set(letters, width, start, size, probe, probe_width):
    end = min(start + size, 10**width - 1)
    start = min(start, end)
    pattern = f"{letters}{start:0{width}d}-{letters}{end:0{width}d}"
    code = f"{letters}{probe:0{probe_width}d}"
    assert (code in CodeSet([pattern])) is expanded([pattern], code)
