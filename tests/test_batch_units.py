"""Work units: a batch split without reading its claims reads, unit by unit, as the serial reader reads it.

The parent of ``--jobs N`` (and Spark's first pass) cuts the input where its claims begin and
end and sends text; the workers read it. Each test compares what the units read as with what
the serial reader yields for the same file: the same claims, the same errors at the same
segments and lines, in the same order.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from payer_rules.batch.partition import (
    KeyedTextUnit,
    TextUnit,
    _read_unit,
    route_of,
    routing_key,
)
from payer_rules.batch.units import iter_units, text_units
from payer_rules.cli import cli
from payer_rules.errors import InputError
from payer_rules.io.json_claims import read_ndjson_lines
from payer_rules.io.readers import read_claims, read_text
from payer_rules.io.x12.reader_837.units import ClaimSegments, split_837
from payer_rules.models import Claim

from .batch_claims import make_claims
from .conftest import EXAMPLES

X12_EXAMPLES = sorted((EXAMPLES / "x12").glob("*.837"))
PROFESSIONAL = (EXAMPLES / "x12" / "professional.837").read_text()
INSTITUTIONAL = (EXAMPLES / "x12" / "institutional.837").read_text()


def shown(items):
    """Items comparable across processes: claims as they are, errors as their text and kind."""
    return [(str(i), i.claim_id, i.envelope) if isinstance(i, InputError) else i for i in items]


def read_units(text: str, name: str):
    """What the workers read the units of ``text`` as, each with the key it routed by."""
    out = []
    for unit in text_units(text, name):
        item = _read_unit(unit)
        if isinstance(item, Claim):
            assert routing_key(unit) == route_of(item), item.id
        out.append(item)
    return out


def test_every_example_837_is_split_into_one_unit_per_claim():
    for path in X12_EXAMPLES:
        text = path.read_text()
        units = split_837(text, path.name)
        assert units is not None, path
        assert len(units) == text.count("~CLM*") + text.count("\nCLM*"), path
        assert shown(read_units(text, path.name)) == shown(read_text(text, path.name)), path


def unit_segments(unit: ClaimSegments) -> list[tuple[int, str]]:
    """A unit's segments as the worker cuts them: ``(number in the file, text)``."""
    envelope = unit.envelope
    out = [envelope.isa]
    for number, block in (envelope.gs, envelope.header, *unit.levels, (unit.number, unit.text)):
        pieces = [p.strip() for p in block.split(envelope.terminator) if p.strip()]
        out.extend((number + n, raw) for n, raw in enumerate(pieces))
    return out


def test_a_unit_carries_the_envelope_and_loops_above_its_claim_with_their_numbers():
    from payer_rules.io.x12.segments import tokenize

    units = split_837(PROFESSIONAL, "p.837")
    assert units is not None
    in_file = {seg.number: seg.raw for seg in tokenize(PROFESSIONAL)}
    first = units[0]
    assert isinstance(first, ClaimSegments) and first.key == "1EG4TE5MK72"
    segments = unit_segments(first)
    ids = [raw.split("*")[0] for _n, raw in segments]
    assert ids[:4] == ["ISA", "GS", "ST", "BHT"]
    assert ids[ids.index("HL") + 1] == "PRV" and "CLM" in ids and "SE" not in ids
    numbers = [n for n, _raw in segments]
    assert numbers == sorted(set(numbers)) and numbers[0] == 1
    # every segment is the file's segment of that number: errors name the same segment
    for unit in units:
        assert all(in_file[n] == raw for n, raw in unit_segments(unit))
        # the claim's own segments run from its CLM to the next CLM, HL or SE
        claim_ids = [raw.split("*")[0] for _n, raw in unit_segments(unit)[-30:]]
        assert "CLM" in claim_ids and claim_ids.count("CLM") == 1
    # the envelope, shared by every claim of its transaction set, is one object (sent once a chunk)
    envelopes = {}
    for unit in units:
        assert envelopes.setdefault(unit.envelope.header[0], unit.envelope) is unit.envelope
    assert len(envelopes) < len(units)
    # each claim of the example has levels of its own: they travel in its text
    assert all(unit.levels == () and unit.text.lstrip().startswith("HL*") for unit in units)


def _segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def _join(segments: list[str]) -> str:
    return "~\n".join(segments) + "~\n"


def _fix_counts(segments: list[str]) -> list[str]:
    """SE01 recounted, so that a change inside a claim leaves the envelope clean."""
    out, start = [], 0
    for seg in segments:
        if seg.startswith("ST*"):
            start = len(out)
        if seg.startswith("SE*"):
            parts = seg.split("*")
            parts[1] = str(len(out) - start + 1)
            seg = "*".join(parts)
        out.append(seg)
    return out


def _shared_levels() -> str:
    """The professional example with its second transaction set rearranged: one billing provider
    (HL 1) over three subscribers, two claims under the first (HL 2), a patient level (HL 4) with
    a claim under the second (HL 3), one claim under the third (HL 5)."""
    segments = _segments(PROFESSIONAL)
    st = segments.index("ST*837*0002*005010X222A1")
    se = next(i for i in range(st, len(segments)) if segments[i].startswith("SE*"))
    txn = segments[st:se]
    hl = [i for i, s in enumerate(txn) if s.startswith("HL*")]
    clm = [i for i, s in enumerate(txn) if s.startswith("CLM*")]
    subscribers = [txn[hl[1] + 1 : clm[0]], txn[hl[3] + 1 : clm[1]], txn[hl[5] + 1 : clm[2]]]
    claims = [txn[clm[0] : hl[2]], txn[clm[1] : hl[4]], txn[clm[2] :]]
    body = [
        *txn[: hl[1]],
        "HL*2*1*22*0",
        *subscribers[0],
        *claims[0],
        *claims[1],
        "HL*3*1*22*1",
        *[s for s in subscribers[1] if not s.startswith("DMG")],
        "HL*4*3*23*0",
        "PAT*19",
        "NM1*QC*1*Roe*Jane",
        "DMG*D8*20100101*F",
        *claims[2],
        "HL*5*1*22*0",
        *subscribers[2],
        *[s.replace("CLM-1002", "CLM-1006") for s in claims[0]],
    ]
    return _join(_fix_counts([*segments[:st], *body, *segments[se:]]))


SHARED_LEVELS = _shared_levels()


def test_levels_shared_by_claims_travel_once_and_read_as_in_the_file():
    units = split_837(SHARED_LEVELS, "s.837")
    assert units is not None
    by_id = {unit.text.split("CLM*", 1)[1].split("*", 1)[0]: unit for unit in units}
    first, second, patient, third = (by_id[f"CLM-100{n}"] for n in (2, 3, 4, 6))
    # the first claim carries its levels in its text; the second, under the same subscriber, the
    # levels themselves, the very tuple any later claim beneath them would carry
    assert first.levels == () and first.text.lstrip().startswith("HL*1**20*1~")
    assert [block.split("~")[0].strip() for _n, block in second.levels] == ["HL*1**20*1", "HL*2*1*22*0"]
    assert second.text.lstrip().startswith("CLM*CLM-1003*")
    assert patient.levels == third.levels and patient.levels is third.levels
    assert [block.split("~")[0].strip() for _n, block in patient.levels] == ["HL*1**20*1"]
    assert patient.text.lstrip().startswith("HL*3*1*22*1~") and "HL*4*3*23*0~" in patient.text
    assert [u.key for u in (first, second, patient, third)] == [
        "1EG4TE5MK72",
        "1EG4TE5MK72",
        "1EG4TE5MK73",
        "1EG4TE5MK74",
    ]
    serial = list(read_text(SHARED_LEVELS, "s.837"))
    assert all(isinstance(i, Claim) for i in serial)
    assert shown(read_units(SHARED_LEVELS, "s.837")) == shown(serial)
    assert next(i for i in serial if i.id == "CLM-1004").patient.first_name == "Jane"


@pytest.mark.parametrize("source", ["professional", "institutional", "shared levels"])
def test_every_one_segment_change_reads_the_same_split_or_whole(source):
    """Each segment deleted, duplicated or given a bad element: the units read as the file does.

    Changes inside claims and loops keep the split (a bad date, a missing subscriber, a claim
    without lines ...); envelope damage makes the split give up and the file is read whole.
    """
    text = {"professional": PROFESSIONAL, "institutional": INSTITUTIONAL, "shared levels": SHARED_LEVELS}
    base = _segments(text[source])
    changed = range(1, len(base))
    if source == "shared levels":  # the transaction set rearranged
        st = base.index("ST*837*0002*005010X222A1")
        changed = range(st, base.index("GE*1*2"))
    split = whole = 0
    for i in changed:
        seg = base[i]
        parts = seg.split("*")
        variants = [
            base[:i] + base[i + 1 :],
            [*base[:i], seg, *base[i:]],
            [*base[:i], "*".join([parts[0], "20269999", *parts[2:]]), *base[i + 1 :]],
            [*base[:i], "*".join([*parts[:-1], "X"]), *base[i + 1 :]],
        ]
        for variant in variants:
            for segments in (variant, _fix_counts(variant)):
                text = _join(segments)
                serial = shown(read_text(text, "v.837"))
                if split_837(text, "v.837") is None:
                    whole += 1
                else:
                    split += 1
                assert shown(read_units(text, "v.837")) == serial, (i, segments)
    assert split > whole > 0  # both paths were taken, the split most often


@pytest.mark.parametrize(
    ("layout", "splits"),
    [
        ("one line", True),
        ("CR LF", True),
        ("line feed as terminator", True),
        ("spaces before the terminator", True),
        ("blank segment", False),
        ("line break before the terminator", False),
        ("lower-case id", False),
    ],
)
def test_every_layout_reads_the_same_split_or_whole(layout, splits):
    """The scan counts terminators to number segments and finds ids by pattern: layouts it does
    not vouch for are read whole, and every layout reads as the serial reader reads it."""
    segments = _segments(PROFESSIONAL)
    text = {
        "one line": "~".join(segments) + "~",
        "CR LF": "~\r\n".join(segments) + "~\r\n",
        "line feed as terminator": "\n".join(s.removesuffix("~") for s in segments).replace(":~", ":\n", 1)
        + "\n",
        "spaces before the terminator": segments[0] + "~\n" + " ~\n".join(segments[1:]) + " ~\n",
        "blank segment": _join(segments).replace("~\nHL*2*", "~\n~\nHL*2*", 1),
        "line break before the terminator": _join(segments).replace("~\nHL*2*", "\n~\nHL*2*", 1),
        "lower-case id": _join(segments).replace("~\nN3*", "~\nn3*", 1),
    }[layout]
    assert (split_837(text, "l.837") is not None) is splits
    serial = shown(read_text(text, "l.837"))
    assert any(isinstance(i, Claim) for i in serial)
    assert shown(read_units(text, "l.837")) == serial


def test_envelope_errors_are_the_files_own_so_it_is_read_whole_from_there():
    """The claims before the error go out as they were cut; the serial reader's items follow."""
    segments = _segments(PROFESSIONAL)
    bad_count = [s.replace("SE*27*0001", "SE*26*0001") for s in segments]
    no_iea = [s for s in segments if not s.startswith("IEA")]
    not_837 = [s.replace("ST*837*0002*005010X222A1", "ST*835*0002*005010X221A1") for s in segments]
    no_se = [s for s in segments if not s.startswith("SE*69*0002")]
    for variant, cut in ((bad_count, 1), (no_iea, 14), (not_837, 1), (no_se, 3)):
        text = _join(variant)
        assert split_837(text, "e.837") is None
        serial = list(read_text(text, "e.837"))
        assert any(isinstance(i, InputError) and i.envelope for i in serial) or not_837 == variant
        units = list(text_units(text, "e.837"))
        assert [isinstance(u, ClaimSegments) for u in units[: cut + 1]] == [True] * cut + [False]
        assert shown(_read_unit(u) for u in units) == shown(serial)


def test_text_the_tokenizer_refuses_is_read_whole():
    segments = _segments(PROFESSIONAL)
    for variant in (
        [*segments[:5], "nm1*bad", *segments[5:]],
        [*segments[:5], "N3*a line\nbreak", *segments[5:]],
    ):
        assert split_837(_join(variant), "t.837") is None
    assert split_837(_join(segments).rstrip("~\n"), "t.837") is None  # last segment unterminated
    assert split_837(_join(segments) + "trailing text", "t.837") is None


def test_json_list_elements_travel_as_text_located_by_their_line(tmp_path):
    claims = make_claims(6)
    claims[2]["lines"][0]["service_date"] = "2026-02-30"
    del claims[4]["patient"]
    text = "[\n" + ",\n".join(json.dumps(c, indent=1) for c in claims) + "\n]\n"
    units = list(text_units(text, "l.json"))
    assert all(isinstance(u, KeyedTextUnit) for u in units)
    assert [u.key for u in units] == [c["coverage"]["member_id"] if "patient" in c else None for c in claims]
    assert shown(read_units(text, "l.json")) == shown(read_text(text, "l.json"))
    broken = text.replace('"id": "T-00003"', '"id": T-00003', 1)
    assert shown(read_units(broken, "l.json")) == shown(read_text(broken, "l.json"))


def test_other_json_shapes_are_read_whole():
    one = json.dumps(make_claims(1)[0])
    assert [type(u) for u in text_units(one, "o.json")] == [Claim]
    wrapped = json.dumps({"claims": make_claims(2)})
    assert [type(u) for u in text_units(wrapped, "w.json")] == [Claim, Claim]


def test_iter_units_keeps_ndjson_lines_as_text_and_errors_in_place(tmp_path):
    path = tmp_path / "b.ndjson"
    path.write_text("\n".join(json.dumps(c) for c in make_claims(3)) + "\n", encoding="utf-8")
    units = list(iter_units([str(path), str(tmp_path / "missing.json")]))
    assert [type(u) for u in units] == [TextUnit, TextUnit, TextUnit, InputError]
    assert shown(_read_unit(u) for u in units) == shown(
        read_claims([str(path), str(tmp_path / "missing.json")])
    )


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _batch_files(tmp_path: Path) -> list[str]:
    """837P, 837I, a JSON list and a FHIR Bundle, with bad claims and an envelope error among them."""
    from payer_rules.io.fhir.writer import claim_bundle, dumps
    from payer_rules.io.x12.writer_837 import claims_to_837

    raw = make_claims(120)
    text = "\n".join(json.dumps(c) for c in raw)
    claims = [c for c in read_ndjson_lines(iter(text.splitlines()), "x") if isinstance(c, Claim)]
    raw[70]["lines"][0]["service_date"] = "2026-02-30"
    x12 = claims_to_837(claims[:60])
    segments = _segments(x12)
    # a bad claim inside the split: a service date that is no date
    dtp = next(i for i, s in enumerate(segments) if s.startswith("DTP*472"))
    segments[dtp] = "DTP*472*D8*20260231"
    (tmp_path / "p.837").write_text(_join(segments))
    # an envelope error: this file is read whole by the parent
    bad_envelope = _join(segments).replace("GE*1*1~", "GE*2*1~")
    (tmp_path / "q.837").write_text(bad_envelope)
    (tmp_path / "l.json").write_text("[\n" + ",\n".join(json.dumps(c) for c in raw[60:]) + "\n]\n")
    (tmp_path / "f.json").write_text(dumps(claim_bundle(claims[60:90]), indent=True))
    return [
        str(tmp_path / "p.837"),
        str(EXAMPLES / "x12" / "institutional.837"),
        str(EXAMPLES / "x12" / "inpatient.837"),
        str(tmp_path / "q.837"),
        str(tmp_path / "l.json"),
        str(tmp_path / "f.json"),
        str(EXAMPLES / "fhir" / "claims.json"),
        str(EXAMPLES / "x12" / "professional.837"),
    ]


@pytest.mark.parametrize("fmt", ["ndjson", "json", "x12-835"])
def test_jobs_2_is_the_serial_run_to_the_byte_on_837_json_and_fhir(tmp_path, monkeypatch, fmt):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    inputs = _batch_files(tmp_path)
    args = ["adjudicate", *inputs, "--payer", "medicare", "--format", fmt]
    serial = run(*args)
    assert serial.exit_code == 1
    assert "GE01" in serial.stderr and "20260231" in serial.stderr and "2026-02-30" in serial.stderr
    parallel = run(*args, "--jobs", "2")
    assert parallel.exit_code == serial.exit_code
    assert parallel.stdout == serial.stdout
    assert parallel.stderr == serial.stderr


def _bundle_text(count: int = 40) -> str:
    from payer_rules.io.fhir.writer import claim_bundle, dumps

    raw = make_claims(count)
    claims = [c for c in read_ndjson_lines(iter(json.dumps(c) for c in raw), "x") if isinstance(c, Claim)]
    bundle = claim_bundle(claims)
    claims_in = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim"]
    if count > 9:
        claims_in[1]["item"][0]["servicedDate"] = "2026-02-30"  # a bad claim
        claims_in[5]["insurance"] = []  # no member: its claim cannot be read
        claims_in[9]["patient"] = {"reference": "Patient/nobody"}  # member id from the Coverage
    return dumps(bundle, indent=True)


FHIR_TEXTS = {
    "bundle": _bundle_text(),
    "example": (EXAMPLES / "fhir" / "claims.json").read_text(),
    "one claim": json.dumps(json.loads(_bundle_text(1))["entry"][0]["resource"]),
    "no claims": json.dumps({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]}),
    "not a claim": '{"resourceType": "Patient", "id": "p"}',
    "byte-order mark": "\ufeff" + _bundle_text(2),
    "invalid": '{"resourceType": "Bundle", "entry": [}',
    "entries not a list": '{"resourceType": "Bundle", "entry": 3}',
}


@pytest.mark.parametrize("case", sorted(FHIR_TEXTS))
def test_a_shared_fhir_file_is_judged_once_per_claim_across_the_workers(case):
    """A file shared whole (what cannot be cut into Claims, see ``test_batch_fhir_units.py``, and
    any file so given): every worker decodes the file; each reads its own members' Claims;
    together, the serial items."""
    from payer_rules.batch.partition import bucket_of
    from payer_rules.batch.units import SharedText, shared_items
    from payer_rules.io.fhir.units import ClaimEntries

    text = FHIR_TEXTS[case]
    units = list(text_units(text, "f.json"))
    cut = case in ("bundle", "example")
    assert [type(u) for u in units] == ([ClaimEntries] * len(units) if cut else [SharedText])
    units = [SharedText("f.json", text)]
    serial = shown(read_text(text, "f.json"))
    for jobs in (1, 2, 3):
        owned = []
        for slot in range(jobs):

            def owns(place, key, slot=slot, jobs=jobs):
                return bucket_of(key, place, jobs) == slot

            mine = list(shared_items(units[0], owns))
            for _place, item, key in mine:
                if isinstance(item, Claim):
                    assert key == route_of(item)
            owned.extend(mine)
        owned.sort(key=lambda found: found[0])
        assert [place for place, _item, _key in owned] == list(range(len(serial)))
        assert shown(item for _place, item, _key in owned) == serial


def test_a_fhir_claim_routes_by_the_member_id_it_is_read_with():
    from payer_rules.io.fhir.reader import PendingClaim, fhir_items

    data = json.loads(_bundle_text())
    pending = [p for p in fhir_items(data, "f.json") if isinstance(p, PendingClaim)]
    read = [(p.member_id(), p.read()) for p in pending]
    assert all(key == claim.coverage.member_id for key, claim in read if isinstance(claim, Claim))
    assert sum(isinstance(claim, InputError) for _key, claim in read) == 2
    assert [key for key, claim in read if isinstance(claim, InputError)][1] is None  # no insurance


def test_an_835_is_rendered_claim_by_claim_in_the_workers_and_added_up_in_order(monkeypatch):
    """Each worker renders its claims' CLP loops; the main process adds them per payer and payee:
    the serial 835 to the byte, ST03 option and held-back pends included."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    args = [
        "adjudicate",
        str(EXAMPLES / "claims"),
        str(EXAMPLES / "x12"),
        "--payer",
        "medicare",
        "--format",
        "x12-835",
        "--x12-st03",
    ]
    serial = run(*args)
    parallel = run(*args, "--jobs", "2")
    assert "ST*835*0001*005010X221A1~" in serial.stdout and serial.stdout.count("CLP*") > 10
    assert "held back from the 835" in serial.stderr
    assert (parallel.exit_code, parallel.stdout, parallel.stderr) == (
        serial.exit_code,
        serial.stdout,
        serial.stderr,
    )
