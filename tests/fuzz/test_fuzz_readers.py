"""Fuzz every claim reader: mutated claim JSON, NDJSON, X12 837P / 837I and FHIR, in process.

For every input: no exception escapes the reader or the engine; every error is located (the
file, and a line, segment, entry or claim) on one bounded line; results = (claims + errors
that stand for claims) x payers; every judged result balances to the cent; no plugin fails on
a claim the reader accepted (ENG004); each input is read and judged within a time bound.
A sample also goes through the CLI, which must exit 0, 1 or 2 without a traceback.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from payer_rules.batch.partition import _read_unit, route_of, routing_key
from payer_rules.batch.units import SharedText, text_units
from payer_rules.cli import cli
from payer_rules.cli.state import get_engine
from payer_rules.engine import RUNNER_CHUNK_SIZE, Engine
from payer_rules.errors import LINE_CHARS, InputError
from payer_rules.io.readers import read_path, read_text
from payer_rules.models import Claim

from ..conftest import EXAMPLES
from ..helpers import assert_balanced
from .conftest import clock, examples, within_bound
from .mutations import damage_text, dumps, mutate_tree, mutate_x12

PAYERS = ("medicare", "medicaid-ca", "bluepeak")
#: Seconds of CPU one input may take to read and judge (a few claims; typically milliseconds).
TIME_BOUND = 10.0


JSON_CLAIMS = [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*/*.json")) if "fhir" not in p.parts]
JSON_CLAIMS = [c for c in JSON_CLAIMS if isinstance(c, dict) and "resourceType" not in c]
X12_FILES = [p.read_text() for p in sorted((EXAMPLES / "x12").glob("*.837"))]
FHIR_BUNDLE = json.loads((EXAMPLES / "fhir" / "claims.json").read_text())

#: Errors about a whole file or Bundle, where no line, segment or claim can be named.
_WHOLE_FILE = re.compile(
    r"empty input|unrecognised content|the Bundle holds no Claim|is not a claim; expected a Claim"
    r"|Bundle\.entry must be a list|not UTF-8|extra data after the first JSON value"
)
#: A located error names a line (``f:12``), a segment, a Bundle entry or a claim.
_LOCATED = re.compile(r"^[^:]+(?::\d+|: (?:segment \d+|entry\[\d+\]|claims\[\d+\]|Claim/|claim ))")


@functools.cache
def engine() -> Engine:
    return Engine.from_installed()


def check(text: str, name: str) -> list[Claim | InputError]:
    """Read and judge ``text``; assert everything issue 19 promises. Returns what was read."""
    judge = engine()  # built once, outside the per-input time bound
    started = clock()
    items = list(read_text(text, name))
    for item in items:
        if isinstance(item, InputError):
            line = str(item)
            assert "\n" not in line and "\r" not in line, line
            assert len(line) <= LINE_CHARS, len(line)
            assert item.location.startswith(name), line
            assert _LOCATED.match(item.location) or _WHOLE_FILE.search(item.message), line
    pairs = list(judge.adjudicate_pairs(items, PAYERS, chunk_size=RUNNER_CHUNK_SIZE))
    units = sum(1 for i in items if not (isinstance(i, InputError) and i.envelope))
    assert len(pairs) == units * len(PAYERS)
    for item, result in pairs:
        assert not any(f.code == "ENG004" for f in result.findings), result.findings[0].message
        if isinstance(item, Claim):
            assert result.claim_id == item.id
            assert_balanced(result)
    within_bound(started, TIME_BOUND)
    return items


@examples(200)
@given(st.data())
def test_fuzz_claim_json(data):
    claim = copy.deepcopy(data.draw(st.sampled_from(JSON_CLAIMS), label="claim"))
    mutated = mutate_tree(data, claim)
    check(damage_text(data, dumps(mutated)), "claims.json")


@examples(80)
@given(st.data())
def test_fuzz_claim_json_list(data):
    claims = [
        copy.deepcopy(c) for c in data.draw(st.lists(st.sampled_from(JSON_CLAIMS), max_size=5), label="list")
    ]
    shape = data.draw(st.sampled_from(["list", "object"]), label="shape")
    tree: Any = claims if shape == "list" else {"claims": claims}
    check(damage_text(data, dumps(mutate_tree(data, tree))), "batch.json")


@examples(100)
@given(st.data())
def test_fuzz_ndjson(data):
    lines = []
    for claim in data.draw(st.lists(st.sampled_from(JSON_CLAIMS), min_size=1, max_size=6), label="claims"):
        text = (
            dumps(mutate_tree(data, copy.deepcopy(claim))) if data.draw(st.booleans()) else json.dumps(claim)
        )
        lines.append(text)
    junk = data.draw(
        st.sampled_from(["", "   ", "[1, 2]", '{"id": ', "[" * 5_000, "null", "\x00"]), label="junk"
    )
    lines.insert(data.draw(st.integers(0, len(lines)), label="junk at"), junk)
    check(damage_text(data, "\n".join(lines) + "\n"), "claims.ndjson")


def _clm_count(text: str) -> int:
    return sum(1 for seg in text.replace("\n", "").split("~") if seg.startswith("CLM*"))


@examples(250)
@given(st.data())
def test_fuzz_x12_837(data):
    original = data.draw(st.sampled_from(X12_FILES), label="file")
    check(mutate_x12(data, original), "claims.837")


@examples(60)
@given(st.data())
def test_fuzz_x12_envelope_keeps_count_in_equal_count_out(data):
    """Damage only the envelope trailers: every CLM still gets exactly one result per payer."""
    original = data.draw(st.sampled_from(X12_FILES), label="file")
    segments = original.split("~")
    for i, seg in enumerate(segments):
        head = seg.strip().split("*")[0]
        if head in ("SE", "GE", "IEA") and data.draw(st.booleans(), label=f"damage {head}"):
            elements = seg.split("*")
            j = data.draw(st.integers(1, len(elements) - 1), label="element")
            elements[j] = data.draw(st.sampled_from(["", "0", "999", "X", "000000099"]), label="value")
            segments[i] = "*".join(elements)
    text = "~".join(segments)
    items = check(text, "claims.837")
    assert sum(1 for i in items if not (isinstance(i, InputError) and i.envelope)) == _clm_count(text)


@examples(200)
@given(st.data())
def test_fuzz_fhir(data):
    bundle = copy.deepcopy(FHIR_BUNDLE)
    if data.draw(st.booleans(), label="one claim"):
        claims = [e["resource"] for e in bundle["entry"] if e["resource"].get("resourceType") == "Claim"]
        target: Any = data.draw(st.sampled_from(claims), label="claim")
        mutate_tree(data, target)
    else:
        mutate_tree(data, bundle)
    check(damage_text(data, dumps(bundle)), "bundle.json")


@examples(200)
@given(st.data())
def test_fuzz_fhir_units_read_as_the_bundle(data):
    """A damaged Bundle cut into work units for ``--jobs`` (:mod:`payer_rules.io.fhir.units`,
    scanned by msgspec or, for what msgspec refuses, by the stdlib) reads unit by unit as the
    serial reader reads the whole file, each Claim routed by the member id it reads with; or it
    is not cut at all (shared whole)."""
    bundle = copy.deepcopy(FHIR_BUNDLE)
    if data.draw(st.booleans(), label="one entry"):
        mutate_tree(data, data.draw(st.sampled_from(bundle["entry"]), label="entry"))
    else:
        mutate_tree(data, bundle)
    text = damage_text(data, dumps(bundle))
    serial = [(str(i), i.claim_id) if isinstance(i, InputError) else i for i in read_text(text, "b.json")]
    units = list(text_units(text, "b.json"))
    if any(isinstance(u, SharedText) for u in units):
        assert units == [SharedText("b.json", text)]
        return
    read = []
    for unit in units:
        item = _read_unit(unit)
        if isinstance(item, Claim):
            assert routing_key(unit) == route_of(item), item.id
        read.append((str(item), item.claim_id) if isinstance(item, InputError) else item)
    assert read == serial


@examples(60)
@given(st.data())
def test_fuzz_cli_end_to_end(data):
    """Through ``payer-rules adjudicate``: exit 0 / 1 / 2, no traceback, one located line per error."""
    kind = data.draw(st.sampled_from(["json", "ndjson", "837", "fhir"]), label="kind")
    if kind == "json":
        text = dumps(mutate_tree(data, copy.deepcopy(data.draw(st.sampled_from(JSON_CLAIMS)))))
    elif kind == "ndjson":
        text = "\n".join(dumps(mutate_tree(data, copy.deepcopy(c))) for c in JSON_CLAIMS[:3])
    elif kind == "837":
        text = mutate_x12(data, data.draw(st.sampled_from(X12_FILES)))
    else:
        text = dumps(mutate_tree(data, copy.deepcopy(FHIR_BUNDLE)))
    formats = ["json", "ndjson", "x12-835", "fhir", "table", "x12-999"]
    fmt = data.draw(st.sampled_from(formats), label="format")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"claims.{'json' if kind == 'fhir' else kind}"
        path.write_text(text, encoding="utf-8")
        items = list(read_path(str(path)))  # as the CLI reads the file (newlines translated)
        get_engine()  # the runner's engine, built outside the per-input time bound
        started = clock()
        result = CliRunner().invoke(cli, ["adjudicate", str(path), "--payer", "medicare", "--format", fmt])
        within_bound(started, TIME_BOUND)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2)
    assert "Traceback" not in result.output
    errors = [i for i in items if isinstance(i, InputError)]
    if fmt != "x12-999":  # a 999 acknowledges envelopes: its exit code is not the readers'
        assert result.exit_code == (1 if errors else 0), result.stderr
    for line in result.stderr.splitlines():
        if fmt == "x12-999" and ": 999 " in line:
            continue  # the per-file summary line
        assert line.startswith("payer-rules: "), line  # errors, and notes such as held-back pends
        assert len(line) <= LINE_CHARS + len("payer-rules: error: ")
    if fmt == "json":
        units = sum(1 for i in items if not (isinstance(i, InputError) and i.envelope))
        assert len(json.loads(result.stdout)) == units
