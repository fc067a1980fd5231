"""Rulepack builds keep one object per distinct value and pause the cyclic collector
(``payer_rules.rulepack.sharing``), with the same rules and answers as before."""

from __future__ import annotations

import datetime as dt
import gc
import threading
from decimal import Decimal

import pytest

from payer_rules.rulepack import BUILTIN_KINDS, compile_packs, load_pack
from payer_rules.rulepack.sharing import building, share

KINDS = {k.name: k for k in BUILTIN_KINDS}

HEAD = """[pack]
name = "shared"
prefix = "SHR"
version = "1"
payers = ["shared"]
effective_from = 2026-01-01
source = "test"
"""

RULE = """
[[rules]]
code = "SHR{n:03d}"
name = "coverage-{n}"
kind = "diagnosis-coverage"
severity = "deny"
status = "stable"
effective_from = 2026-01-01
citation = "NCD 190.20"
summary = "s"
message = "line {{line}}: {{procedure}} needs a covered diagnosis"
carc = "50"
group = "CO"
procedures = ["{code}"]
covered = ["E11.9", "R73.03"]
"""


def _fresh(text: str) -> str:
    """An equal string that is not the same object (a pack file's would not be)."""
    return "".join(list(text))


def test_outside_a_build_every_value_comes_back_as_given():
    text = _fresh("E11.9")
    assert share(text) is text


def test_inside_a_build_equal_values_are_one_object_and_other_values_pass():
    with building():
        first = _fresh("E11.9")
        kept = share(first)
        # a copy is kept, so the parsed document the first came from can be freed whole
        assert kept == first and kept is not first
        assert share(_fresh("E11.9")) is kept
        assert share(dt.date(2026, 1, 1)) is share(dt.date(2026, 1, 1))
        codes = share(tuple([_fresh("82947"), "82950"]))
        assert share(tuple([_fresh("82947"), "82950"])) is codes
        # equal but written apart: they print apart, so they stay apart
        assert str(share(Decimal("4.0"))) == "4.0"
        assert str(share(Decimal("4"))) == "4"
        assert share(True) is True and share(1) == 1 and type(share(1)) is int
        numbers = tuple([1, 2])
        assert share(tuple([1, 2])) is not numbers and share(numbers) is numbers
        moment = dt.datetime(2026, 1, 1, 0, 0)  # equal to no date: never shared with one
        assert share(moment) is moment
    text = _fresh("E11.9")
    assert share(text) is text  # the build's table is gone with it


def test_each_thread_builds_with_its_own_table():
    seen: list[bool] = []
    with building():
        kept = share(_fresh("J1100"))

        def other() -> None:
            text = _fresh("J1100")
            seen.append(share(text) is text and text is not kept)

        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
    assert seen == [True]


def test_the_collector_is_paused_for_a_build_and_resumed_after_it():
    assert gc.isenabled()
    with building():
        assert not gc.isenabled()
        with building():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer build is still under way
    assert gc.isenabled()
    with pytest.raises(RuntimeError), building():
        raise RuntimeError("a failed build")
    assert gc.isenabled()


def test_a_collector_switched_off_before_the_build_stays_off():
    gc.disable()
    try:
        with building():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_pack_keeps_one_copy_of_what_its_rules_repeat(tmp_path):
    codes = ["82947", "82950", "82951"]
    (tmp_path / "shared.toml").write_text(
        HEAD + "".join(RULE.format(n=n, code=c) for n, c in enumerate(codes, 1))
    )
    pack = load_pack(tmp_path / "shared.toml", KINDS)
    first, second, third = pack.rules
    assert [r.covered for r in pack.rules] == [("E11.9", "R73.03")] * 3
    assert first.covered is second.covered is third.covered
    assert first.effective_from is second.effective_from == dt.date(2026, 1, 1)
    assert first.citation is second.citation and first.message is third.message
    assert len({id(r.carc) for r in pack.rules}) == 1
    evaluator = compile_packs([pack], KINDS).payers["shared"].clinical[0]
    entries = [evaluator._index.get(code)[0] for code in codes]  # type: ignore[attr-defined]
    assert [e.bound.code for e in entries] == ["SHR001", "SHR002", "SHR003"]
    assert entries[0].covered is entries[1].covered is entries[2].covered
    assert "E119" in entries[0].covered and "E118" not in entries[0].covered
    assert not entries[0].non_covered
