"""The two scans of a Bundle that ``--jobs`` cuts into Claims find the same thing (issue 22).

:mod:`payer_rules.io.fhir.bundle_scan` finds each entry's text, what indexes it and which are
Claims, with msgspec (each entry's text kept raw, only its keys decoded) or, for what msgspec
refuses or could read differently, with the stdlib decoder entry by entry. Both must give what
the stdlib reader decodes: the same heads, Claims, entries, texts and references for every
Bundle shape the units are tested on; values decoded alike (``Decimal`` numbers, the last of
repeated keys); and a Bundle only the stdlib reads (``NaN``, a lone surrogate escape) or only
the stdlib refuses (an integer of more digits than it converts) cut, or shared whole, as the
serial reader would read it.
"""

from __future__ import annotations

import json
import re
import sys
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from payer_rules.batch.units import SharedText, text_units
from payer_rules.cli import cli
from payer_rules.io.fhir import bundle_scan
from payer_rules.io.fhir.bundle_scan import (
    _ENTRY,
    _head,
    _long_digit_run,
    _raw_scan,
    _StdlibScan,
    decode_entry,
)
from payer_rules.io.fhir.reader import MEMBER_KEYS
from payer_rules.io.fhir.units import split_bundle
from payer_rules.io.json_claims import decode_json_value
from payer_rules.io.readers import read_text

from .test_batch_fhir_units import CASES, base_bundle, bundle_text, read_units, shown


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (``Decimal('1.50')`` is not ``Decimal('1.5')``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(repr(a) == repr(b))


def stdlib_scan(text: str) -> _StdlibScan:
    scan = _StdlibScan(text)
    assert scan.bundle() is not None
    return scan


@pytest.mark.parametrize(
    "text",
    [*(bundle_text(*c) for c in CASES), bundle_text("shared patient and coverage", escaped=True)],
    ids=[*("+".join(c) for c in CASES), "escaped"],
)
def test_both_scans_find_the_same_entries(text):
    raw, whole = _raw_scan(text), stdlib_scan(text)
    assert raw is not None
    assert same(raw.heads, whole.heads)
    assert raw.claims == whole.claims
    for n in range(len(whole.heads)):
        # msgspec's entries are sent without white space, each token as written
        assert raw.text(n) == msgspec.json.format(whole.text(n), indent=-1)
        assert same(decode_entry(raw.text(n)), decode_json_value(whole.text(n)))
        assert json.loads(raw.text(n)) == json.loads(text)["entry"][n]
        assert same(raw.entry(n), whole.entry(n)), n
        assert raw.references(n, raw.text(n)) == whole.references(n, whole.text(n)), n


def _bundle_with(entry_json: str) -> str:
    """The base Bundle with one more entry, written as given, after the others."""
    text = json.dumps(base_bundle(), indent=1)
    return text[: text.rindex("]")] + "," + entry_json + "]}"


@pytest.mark.parametrize(
    "entry",
    [
        '{"resource": {"resourceType": "Observation", "id": "o", "valueQuantity": {"value": NaN}}}',
        '{"resource": {"resourceType": "Organization", "id": "o", "name": "\\ud800 alone"}}',
        '"not an object"',
    ],
    ids=["NaN", "lone surrogate", "an entry that is no object"],
)
def test_what_msgspec_refuses_is_scanned_by_the_stdlib_and_still_cut(entry):
    text = _bundle_with(entry)
    if entry.startswith('"'):
        assert _raw_scan(text) is not None  # taken by msgspec, that entry decoded by the stdlib
    else:
        assert _raw_scan(text) is None
    assert split_bundle(text, "b.json") is not None
    serial = shown(read_text(text, "b.json"))
    assert len(serial) >= 12
    assert shown(read_units(text, "b.json")) == serial


def test_an_integer_the_stdlib_will_not_convert_shares_the_file_as_the_reader_reads_it(tmp_path):
    """msgspec skips what it does not decode, so it would take the integer; the serial reader
    reports the file as one error, and so must ``--jobs``."""
    digits = sys.get_int_max_str_digits() + 1
    text = _bundle_with(f'{{"resource": {{"resourceType": "Basic", "id": "b", "n": {"7" * digits}}}}}')
    assert _raw_scan(text) is None
    assert split_bundle(text, "b.json") is None
    assert [type(u) for u in text_units(text, "b.json")] == [SharedText]
    path = tmp_path / "b.json"
    path.write_text(text)
    args = ["adjudicate", str(path), "--payer", "medicare", "--format", "ndjson"]
    serial = CliRunner().invoke(cli, args, catch_exceptions=False)
    parallel = CliRunner().invoke(cli, [*args, "--jobs", "2"], catch_exceptions=False)
    assert "more than" in serial.stderr and serial.exit_code == 1
    assert (parallel.exit_code, parallel.stdout, parallel.stderr) == (
        serial.exit_code,
        serial.stdout,
        serial.stderr,
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["7", "x", " ", "\n"]), st.integers(1, 40)),
        max_size=30,
    ),
    st.integers(1, 30),
)
def test_a_long_run_of_digits_is_found_wherever_it_lies(pieces, length):
    text = "".join(char * count for char, count in pieces)
    assert _long_digit_run(text, length) == bool(re.search(f"[0-9]{{{length}}}", text))


#: JSON numbers as written, each decoded by the stdlib as an int or a Decimal of its own spelling
_NUMBERS = ["0", "-0", "1", "-17", "1.50", "1.5", "1e5", "1E+2", "-0.0", "2.5e-3", "123456789012345678901234"]
_STRINGS = ['"a"', '""', '"\\u00e9t\\u00e9"', '"\\ud83d\\ude00"', '"tab\\tquote\\""', '"\\/"', '"ü"']
_SCALARS = st.sampled_from([*_NUMBERS, *_STRINGS, "true", "false", "null"])


def _json(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    keys = st.sampled_from(['"id"', '"value"', '"system"', '"reference"', '"x"'])
    return st.one_of(
        st.lists(children, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        # keys may repeat: the last value stands, in both decoders
        st.lists(st.tuples(keys, children), max_size=4).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        ),
    )


_VALUES = st.recursive(_SCALARS, _json, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["fullUrl", "resourceType", "id", "identifier", *MEMBER_KEYS]),
            _VALUES,
        ),
        max_size=8,
    ),
    _VALUES,
)
def test_an_entry_decodes_by_msgspec_as_the_stdlib_decodes_it(fields, other):
    """What the split indexes and routes by, decoded by msgspec, is what the reader decodes."""
    resource = ", ".join(f'"{k}": {v}' for k, v in fields if k != "fullUrl")
    urls = [f'"fullUrl": {v}' for k, v in fields if k == "fullUrl"]
    text = "{" + ", ".join([*urls, f'"resource": {{{resource}}}', f'"other": {other}']) + "}"
    stdlib = decode_json_value(text)
    entry = _ENTRY.decode(text)
    res = entry.resource
    assert res is not None
    given = [getattr(res, k) for k in ("resourceType", "id", "identifier")]
    head = (entry.fullUrl, *(None if v is bundle_scan.msgspec.UNSET else v for v in given))
    assert same(head, _head(stdlib))
    for key in MEMBER_KEYS:
        found = getattr(res, key)
        assert (found is bundle_scan.msgspec.UNSET) == (key not in stdlib["resource"])
        if key in stdlib["resource"]:
            assert same(found, stdlib["resource"][key]), key


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet='ab/"\\\u00e9\n', max_size=12), max_size=4), st.booleans())
def test_references_are_found_in_the_text_with_their_escapes(targets, ascii_only):
    entry = {"resource": {"resourceType": "Claim", "x": [{"reference": t, "other": t} for t in targets]}}
    text = json.dumps(entry, ensure_ascii=ascii_only, indent=1)
    scan = _raw_scan(json.dumps({"resourceType": "Bundle", "entry": [entry]}, ensure_ascii=ascii_only))
    assert scan is not None
    literal, _logical = scan.references(0, text)
    assert sorted(literal) == sorted(t for t in targets if t)


_TEXTS = st.one_of(
    _VALUES,
    _VALUES.map(lambda v: f'{{"n": NaN, "v": {v}}}'),
    _VALUES.map(lambda v: f'["\\ud800", {v}]'),
    _VALUES.map(lambda v: f"[{v}, {'9' * (sys.get_int_max_str_digits() + 1)}]"),
    _VALUES.map(lambda v: f"[{v},]"),
)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_an_entry_for_a_worker_decodes_as_the_reader_decodes_it(text):
    """A unit's entries are decoded by msgspec where it takes them: the same values as the
    stdlib's, and where it refuses them the stdlib's answer or error."""

    def outcome(decode: Any) -> tuple[Any, ...]:
        try:
            return ("decoded", decode(text))
        except ValueError as exc:
            return ("refused", type(exc), str(exc))

    expected, found = outcome(decode_json_value), outcome(decode_entry)
    assert found[0] == expected[0]
    assert same(found[1:], expected[1:])


def test_numbers_decode_as_the_reader_decodes_them():
    text = "[" + ", ".join(_NUMBERS) + "]"
    decoded = bundle_scan.msgspec.json.Decoder(float_hook=Decimal).decode(text)
    assert same(decoded, decode_json_value(text))


def test_a_resource_that_is_no_bundle_is_decoded_once(monkeypatch):
    """A single Claim (a PAS request, a one-claim file) is no Bundle to split: msgspec says so,
    and the stdlib does not decode the whole text again to say the same."""
    import payer_rules.io.fhir.bundle_scan as bundle_scan

    def again(_text: str) -> None:
        raise AssertionError("decoded a second time")

    monkeypatch.setattr(bundle_scan, "_StdlibScan", again)
    text = json.dumps(base_bundle()["entry"][0]["resource"])
    assert json.loads(text)["resourceType"] != "Bundle"
    assert bundle_scan.scan_bundle(text) is None


def test_entries_sent_without_white_space_keep_every_token_as_written():
    """The split sends entries compacted (``msgspec.json.format``): numbers keep their digits
    and exponent, strings their escapes, so each decodes to what the file's text decodes to."""
    entry = (
        '{ "resource" : { "resourceType" : "Observation", "id" : "o",\n'
        '   "value" : [ 1.50, 1E+2, -0.0, 12345678901234567890.000, 2e-3 ],\n'
        '   "text" : "tab\\there \\u00e9 \\"quoted\\" \\/ \\n",  "empty" : { } , "list": [ ] } }'
    )
    text = _bundle_with(entry)
    raw, whole = _raw_scan(text), stdlib_scan(text)
    assert raw is not None
    last = len(whole.heads) - 1
    assert "1.50,1E+2,-0.0,12345678901234567890.000,2e-3" in raw.text(last)
    assert '\\u00e9 \\"quoted\\" \\/ \\n' in raw.text(last)
    assert same(decode_entry(raw.text(last)), decode_json_value(whole.text(last)))
    assert decode_entry(raw.text(last))["resource"]["value"][0] == Decimal("1.50")


_NEAR_THE_LIMIT = """
import json, sys
from payer_rules.io.fhir import bundle_scan, units
bundle_scan._HEADROOM = int(sys.argv[1])
units._STEP = 4
text = json.dumps(json.loads(sys.stdin.read()))
failed = []
for depth in range(sys.getrecursionlimit() - 300, sys.getrecursionlimit() + 2):
    nested = "[" * depth + "]" * depth
    for entry in (nested, '{"resource": ' + nested + "}"):
        try:
            cut = units.split_bundle(text[: text.rindex("]")] + "," + entry + "]}", "b.json")
            assert cut is None or len(list(cut)) >= 12
        except Exception as exc:
            failed.append((depth, entry[:3], type(exc).__name__))
print(json.dumps(failed))
"""


def test_an_entry_nested_near_the_recursion_limit_is_never_a_traceback():
    """The split streams Claims while it scans; an entry msgspec takes but the stdlib decoder
    (which reads an entry that is no object) finds too deep must not turn up after Claims went
    (a RuntimeError, the run stopped): msgspec is held ``_HEADROOM`` levels shallower, so such
    a Bundle is scanned by the stdlib from the start. Run in a fresh interpreter, whose stack
    depth (what both decoders count from) is the command line's, at every depth near the limit;
    without the headroom it fails."""
    import subprocess

    def failures(headroom: int) -> list[Any]:
        run = subprocess.run(
            [sys.executable, "-c", _NEAR_THE_LIMIT, str(headroom)],
            input=json.dumps(base_bundle()),
            capture_output=True,
            text=True,
            check=True,
        )
        found: list[Any] = json.loads(run.stdout)
        return found

    assert failures(bundle_scan._HEADROOM) == []
    assert failures(0) != []
