"""A FHIR Bundle cut into one work unit per Claim reads, unit by unit, as the serial reader reads it.

The main process of ``--jobs N`` decodes a Bundle once and sends each worker only its members'
Claims with the entries they reference (:mod:`payer_rules.io.fhir.units`). Each test builds a
Bundle in a shape the reader's reference rules care about (shared resources, references by
``fullUrl`` and by ``Type/id``, absolute and versioned URLs, contained and logical references,
entries in unusual order, malformed entries) and checks that the units read as the whole file
reads: the same claims, the same located errors (entry index and path), in the same order, each
routed by the member id it reads with; and that ``--jobs 2`` writes what the serial run writes.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from payer_rules.batch.partition import _read_unit, route_of, routing_key
from payer_rules.batch.units import SharedText, text_units
from payer_rules.cli import cli
from payer_rules.errors import InputError
from payer_rules.io.fhir.units import ClaimEntries, split_bundle
from payer_rules.io.fhir.writer import claim_bundle, dumps
from payer_rules.io.json_claims import read_ndjson_lines
from payer_rules.io.readers import read_text
from payer_rules.models import Claim

from .batch_claims import make_claims

NPI = "http://hl7.org/fhir/sid/us-npi"


def shown(items):
    return [(str(i), i.claim_id, i.envelope) if isinstance(i, InputError) else i for i in items]


def base_bundle(count: int = 24) -> dict[str, Any]:
    """Claims of 6 members (about 4 each, interleaved), each with its Patient, Coverage and
    Organization entries after it, as the FHIR writer makes them."""
    raw = make_claims(count, members=6)
    claims = [c for c in read_ndjson_lines(iter(json.dumps(c) for c in raw), "x") if isinstance(c, Claim)]
    bundle: dict[str, Any] = json.loads(dumps(claim_bundle(claims)))
    return bundle


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    found = [e.get("resource") for e in bundle["entry"] if isinstance(e, dict)]
    return [r for r in found if isinstance(r, dict) and r.get("resourceType") == kind]


# -- the shapes --------------------------------------------------------------------------------


def shared(bundle):
    """One Patient per member and one Coverage per member, each referenced by all its Claims."""
    member = {c["id"]: c["subscriberId"] for c in resources(bundle, "Coverage")}
    for claim in resources(bundle, "Claim"):
        coverage = claim["insurance"][0]["coverage"]
        coverage["reference"] = f"Coverage/cov-{member[coverage['reference'].split('/')[1]]}"
    seen: set[str] = set()
    entries = []
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] == "Coverage":
            res["id"] = f"cov-{res['subscriberId']}"
        key = f"{res['resourceType']}/{res['id']}"
        if res["resourceType"] in ("Patient", "Coverage") and key in seen:
            continue
        seen.add(key)
        entries.append(entry)
    bundle["entry"] = entries


def full_urls(bundle):
    """Every entry under a urn:uuid fullUrl, every reference by it."""
    url = {}
    for entry in bundle["entry"]:
        res = entry["resource"]
        key = f"{res['resourceType']}/{res['id']}"
        url.setdefault(key, f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key + str(len(url)))}")
        entry["fullUrl"] = url[key] if key not in url or entry is not None else entry["fullUrl"]
    for reference in _references(bundle):
        reference["reference"] = url.get(reference["reference"], reference["reference"])


def absolute(bundle):
    """References as absolute URLs (no entry has them as fullUrl), some versioned."""
    for n, reference in enumerate(_references(bundle)):
        target = reference["reference"]
        if not target.startswith("#"):
            tail = f"/_history/{n % 3 + 1}" if n % 2 else ""
            reference["reference"] = f"https://fhir.example.org/r4/{target}{tail}"


def contained(bundle):
    """Half of the Claims carry their Coverage (and its Patient) contained, referenced by #id."""
    coverages = {c["id"]: c for c in resources(bundle, "Coverage")}
    for n, claim in enumerate(resources(bundle, "Claim")):
        if n % 2:
            continue
        coverage = copy.deepcopy(coverages[claim["insurance"][0]["coverage"]["reference"].split("/")[1]])
        coverage["id"] = "cov"
        claim.setdefault("contained", []).append(coverage)
        claim["insurance"][0]["coverage"] = {"reference": "#cov"}


def reversed_order(bundle):
    """Every resource before the Claims that reference it, the Claims last, in reverse."""
    bundle["entry"].reverse()


def claims_first(bundle):
    """All the Claims first, what they reference after all of them."""
    bundle["entry"].sort(key=lambda e: e["resource"]["resourceType"] != "Claim")


def malformed(bundle):
    """Entries that are no resource, and Claims that cannot be read, among good ones."""
    claims = resources(bundle, "Claim")
    claims[1]["item"][0]["servicedDate"] = "2026-02-30"
    claims[3]["insurance"][0]["coverage"] = {"reference": "Coverage/none"}  # member from the patient
    claims[4]["insurance"] = "not a list"
    claims[6]["patient"] = {"reference": 5}
    claims[7]["insurance"] = []
    del claims[8]["id"]
    coverages = resources(bundle, "Coverage")
    coverages[len(coverages) // 2]["subscriberId"] = 12345
    entries = bundle["entry"]
    entries.insert(2, "not an entry")
    entries.insert(5, {"fullUrl": "urn:uuid:no-resource"})
    entries.insert(7, {"resource": [1, 2]})
    entries.insert(9, {"resource": {"resourceType": "Patient"}})


def relative_full_url(bundle):
    """A later entry whose fullUrl is ``Patient/P001``: it, not the Patient with id P001, answers
    ``Patient/P001`` (fullUrls first); and two entries under one fullUrl (the first answers)."""
    patient = next(p for p in resources(bundle, "Patient") if p["id"] == "P001")
    later = copy.deepcopy(patient)
    later["id"] = "P001-b"
    later["birthDate"] = "1941-02-03"
    bundle["entry"].append({"fullUrl": "Patient/P001", "resource": later})
    organization = resources(bundle, "Organization")[0]
    twin = copy.deepcopy(organization)
    twin["address"][0]["postalCode"] = "10001"
    bundle["entry"].insert(0, {"fullUrl": f"Organization/{organization['id']}", "resource": twin})


def logical(bundle):
    """The insurer, the billing provider and a Coverage's beneficiary by identifier only."""
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Organization",
                "id": "cms",
                "identifier": [{"system": "urn:payer", "value": "medicare"}],
            }
        }
    )
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Patient",
                "id": "by-id",
                "identifier": [{"system": "urn:member", "value": "M003"}],
            }
        }
    )
    for n, claim in enumerate(resources(bundle, "Claim")):
        claim["insurer"] = {"identifier": {"system": "urn:payer", "value": "medicare"}}
        if n % 3 == 0:
            claim["provider"] = {"identifier": {"system": NPI, "value": "1234567893"}}
    for coverage in resources(bundle, "Coverage"):
        if coverage["subscriberId"] == "M003":
            del coverage["subscriberId"]
            coverage["beneficiary"] = {"identifier": {"system": "urn:member", "value": "M003"}}
            coverage["payor"] = [{"identifier": {"system": "urn:payer", "value": "medicare"}}]


def practitioner_role(bundle):
    """Billing providers as PractitionerRoles naming a Practitioner and an Organization."""
    for n, claim in enumerate(resources(bundle, "Claim")):
        if n % 2:
            continue
        org = claim["provider"]["reference"]
        bundle["entry"].append(
            {
                "resource": {
                    "resourceType": "PractitionerRole",
                    "id": f"role-{n}",
                    "practitioner": {"reference": f"Practitioner/doc-{n}"},
                    "organization": {"reference": org},
                }
            }
        )
        bundle["entry"].insert(
            0,
            {
                "resource": {
                    "resourceType": "Practitioner",
                    "id": f"doc-{n}",
                    "identifier": [{"system": NPI, "value": "1467555555"}],
                    "name": [{"family": "Hale", "given": ["Ann"]}],
                }
            },
        )
        claim["provider"] = {"reference": f"PractitionerRole/role-{n}"}


def claim_cites_claim(bundle):
    """Claims citing Claims: a related claim, and a Coverage reference that lands on a Claim."""
    claims = resources(bundle, "Claim")
    for n, claim in enumerate(claims[1:], 1):
        claim["related"] = [{"claim": {"reference": f"Claim/{claims[n - 1]['id']}"}}]
    claims[5]["insurance"][0]["coverage"] = {"reference": f"Claim/{claims[2]['id']}"}


def escaped_keys(text: str) -> str:
    """Keys spelled with \\u escapes: the text holds no ``"reference"`` to find."""
    return text.replace('"reference"', '"refer\\u0065nce"', 7)


SHAPES: dict[str, Callable[[dict[str, Any]], None]] = {
    "as written": lambda bundle: None,
    "shared patient and coverage": shared,
    "by fullUrl": full_urls,
    "absolute and versioned": absolute,
    "contained": contained,
    "reversed": reversed_order,
    "claims first": claims_first,
    "malformed entries": malformed,
    "relative fullUrl": relative_full_url,
    "logical": logical,
    "practitioner role": practitioner_role,
    "claim cites claim": claim_cites_claim,
}


def _references(value: Any):
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def bundle_text(*shapes: str, escaped: bool = False) -> str:
    bundle = base_bundle()
    for shape in shapes:
        SHAPES[shape](bundle)
    text = json.dumps(bundle, indent=1)
    return escaped_keys(text) if escaped else text


def read_units(text: str, name: str):
    out = []
    for unit in text_units(text, name):
        assert not isinstance(unit, SharedText)
        item = _read_unit(unit)
        if isinstance(item, Claim):
            assert routing_key(unit) == route_of(item), item.id
        out.append(item)
    return out


CASES = [
    *[(shape,) for shape in SHAPES],
    ("shared patient and coverage", "by fullUrl", "reversed"),
    ("shared patient and coverage", "contained", "claims first"),
    ("logical", "absolute and versioned", "malformed entries"),
]


@pytest.mark.parametrize("shapes", CASES, ids=["+".join(c) for c in CASES])
def test_the_units_of_a_bundle_read_as_the_bundle(shapes):
    text = bundle_text(*shapes)
    assert split_bundle(text, "b.json") is not None  # cut, not shared whole
    serial = shown(read_text(text, "b.json"))
    assert sum(isinstance(i, Claim) for i in serial) >= 12
    assert shown(read_units(text, "b.json")) == serial


def test_keys_spelled_with_escapes_are_found_in_the_decoded_entry():
    text = bundle_text("shared patient and coverage", escaped=True)
    assert "\\u0065" in text
    assert shown(read_units(text, "b.json")) == shown(read_text(text, "b.json"))


def test_a_unit_carries_its_claim_and_what_it_references_only():
    text = bundle_text("shared patient and coverage")
    units = list(split_bundle(text, "b.json") or [])
    assert units and all(isinstance(u, ClaimEntries) for u in units)
    bundle = json.loads(text)
    for unit in units:
        kinds = sorted(bundle["entry"][n]["resource"]["resourceType"] for n, _text in unit.entries)
        assert kinds == ["Claim", "Coverage", "Organization", "Patient"], unit.claim
        assert [n for n, _text in unit.entries] == sorted(n for n, _text in unit.entries)
        assert all(json.loads(t) == bundle["entry"][n] for n, t in unit.entries)


def test_a_claim_that_would_carry_too_many_entries_is_read_where_it_is_cut(monkeypatch):
    import payer_rules.io.fhir.units as fhir_units

    monkeypatch.setattr(fhir_units, "MAX_ENTRIES", 8)  # the first claims only: the rest cite a chain
    text = bundle_text("claim cites claim")
    units = list(split_bundle(text, "b.json") or [])
    assert any(isinstance(u, (Claim, InputError)) for u in units)
    assert any(isinstance(u, ClaimEntries) for u in units)
    assert shown(read_units(text, "b.json")) == shown(read_text(text, "b.json"))


@pytest.mark.parametrize(
    "text",
    [
        "\ufeff" + bundle_text(),
        '{"resourceType": "Bundle", "entry": [}',
        '{"resourceType": "Bundle", "entry": 3}',
        '{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]}',
        '{"resourceType": "Bundle", "entry": [], "entry": []}',
        bundle_text() + " extra",
        json.dumps(base_bundle()["entry"][0]["resource"]),
    ],
    ids=["byte-order mark", "invalid", "entry not a list", "no claims", "two entry keys", "extra", "a Claim"],
)
def test_what_the_reader_reports_outside_a_claim_is_shared_whole(text):
    assert split_bundle(text, "b.json") is None
    assert [type(u) for u in text_units(text, "b.json")] == [SharedText]


def test_structural_validation_shares_the_file_whole(monkeypatch):
    monkeypatch.setenv("PAYER_RULES_FHIR_VALIDATE", "1")
    assert split_bundle(bundle_text(), "b.json") is None


@pytest.mark.parametrize("fmt", ["ndjson", "x12-835"])
def test_jobs_2_writes_what_the_serial_run_writes(tmp_path, monkeypatch, fmt):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    files = []
    for n, shapes in enumerate(CASES[-3:]):
        path = tmp_path / f"b{n}.json"
        path.write_text(bundle_text(*shapes))
        files.append(str(path))
    args = ["adjudicate", *files, "--payer", "medicare", "--format", fmt]
    serial = CliRunner().invoke(cli, args, catch_exceptions=False)
    parallel = CliRunner().invoke(cli, [*args, "--jobs", "2"], catch_exceptions=False)
    assert "entry[" in serial.stderr and serial.exit_code == 1
    assert (parallel.exit_code, parallel.stdout, parallel.stderr) == (
        serial.exit_code,
        serial.stdout,
        serial.stderr,
    )


# -- the member id a unit routes by ---------------------------------------------------------


def _subscriber_ids(n: int) -> st.SearchStrategy[Any]:
    """The ``subscriberId`` of Coverage ``n``: its own member id, or an empty or odd value."""
    return st.one_of(st.sampled_from([f"M{n}", "", 0, n + 1, False, True, None]), st.just([f"L{n}"]))


@st.composite
def _routed_bundles(draw: st.DrawFn) -> dict[str, Any]:
    """A Claim whose focal insurance points, in one of the ways a reference can, at Coverages
    whose ``subscriberId`` (absent, empty, not a string ...) and identifiers vary."""
    entries: list[Any] = []
    for n in range(draw(st.integers(0, 3))):
        coverage: dict[str, Any] = {
            "resourceType": draw(st.sampled_from(["Coverage", "Coverage", "Patient"])),
            "id": f"c{n % 2}",
        }
        if draw(st.integers(0, 3)) > 0:
            coverage["subscriberId"] = draw(_subscriber_ids(n))
        if draw(st.booleans()):
            coverage["identifier"] = [
                {"system": "urn:m", "value": draw(st.sampled_from([f"I{n}", "I1", ""]))}
            ]
        entry: dict[str, Any] = {"resource": coverage}
        if draw(st.booleans()):
            entry["fullUrl"] = draw(
                st.sampled_from([f"Coverage/c{1 - n % 2}", f"urn:uuid:c{n}", "Coverage/c0"])
            )
        entries.append(entry)
    # mostly the usual Type/id, which the split resolves itself, and each other way a reference may go
    usual = ["Coverage/c0", "Coverage/c1"] * 4
    refs = st.sampled_from([*usual, "Coverage/", "#c0", "urn:uuid:c0", "http://x/Coverage/c1", "", "a/b/c"])
    insurance: list[Any] = []
    for _ in range(draw(st.integers(0, 3))):
        coverage_ref: Any = draw(
            st.one_of(
                st.builds(lambda r: {"reference": r}, refs),
                st.sampled_from([{"identifier": {"system": "urn:m", "value": "I1"}}, "Coverage/c0", None]),
            )
        )
        item: Any = {"coverage": coverage_ref}
        if draw(st.booleans()):
            item["focal"] = draw(st.sampled_from([True, False, 1, 0, None]))
        insurance.append(draw(st.sampled_from([item, item, item, "not an object"])))
    claim: dict[str, Any] = {"resourceType": "Claim", "id": "x", "insurance": insurance}
    if draw(st.integers(0, 5)) == 0:
        del claim["insurance"]
    if draw(st.booleans()):
        claim["patient"] = {"reference": draw(refs)}
    if draw(st.booleans()):
        claim["contained"] = [{"resourceType": "Coverage", "id": "c0", "subscriberId": "K1"}]
    positions = draw(st.integers(0, len(entries)))
    entries.insert(positions, {"resource": claim})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _routed(insurance: list[Any], *coverages: dict[str, Any]) -> dict[str, Any]:
    claim = {"resourceType": "Claim", "id": "x", "insurance": insurance}
    entries = [{"resource": claim}, *({"resource": {"resourceType": "Coverage", **c}} for c in coverages)]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _ref(target: str, **more: Any) -> dict[str, Any]:
    return {"coverage": {"reference": target}, **more}


@settings(max_examples=400, deadline=None)
@given(bundle=_routed_bundles())
@example(
    _routed(
        [_ref("Coverage/c1"), _ref("Coverage/c0", focal=True)],
        {"id": "c0", "subscriberId": "M0"},
        {"id": "c1", "subscriberId": "M1"},
    )
)
@example(
    _routed(
        [_ref("Coverage/c0", focal=True), _ref("Coverage/c1", focal=True)],
        {"id": "c0", "subscriberId": "M0"},
        {"id": "c1", "subscriberId": "M1"},
    )
)
@example(_routed([_ref("Coverage/c0")], {"id": "c0", "subscriberId": "", "identifier": [{"value": "I0"}]}))
@example(_routed([_ref("Coverage/c0")], {"id": "c0", "subscriberId": 0}))
def test_a_unit_routes_by_the_member_id_the_reader_finds(bundle):
    """The split finds the usual Claim's member id without the reader's index
    (``units._subscriber_route``); whatever the references and Coverages, it is the one
    :func:`~payer_rules.io.fhir.reader.member_id_of` finds over the whole Bundle."""
    from payer_rules.io.fhir.reader import ReferenceIndex, member_id_of

    text = json.dumps(bundle, indent=1)
    units = list(split_bundle(text, "b.json") or [])
    assert len(units) == 1
    unit = units[0]
    assert isinstance(unit, ClaimEntries)
    claim = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim")
    assert unit.key == member_id_of(claim, ReferenceIndex.of_entries(bundle["entry"]))


# -- units taken while the Bundle is still being scanned -----------------------------------------


@pytest.mark.parametrize("step", [1, 3, 17])
@pytest.mark.parametrize("shapes", CASES, ids=["+".join(c) for c in CASES])
def test_units_taken_while_the_bundle_is_scanned_read_as_the_bundle(shapes, step, monkeypatch):
    """A Claim goes once every entry it reaches is scanned and nothing later can change where its
    references lead (a later ``fullUrl`` equal to a ``Type/id`` it resolved, a Patient it names
    further on): scanned a few entries at a time, every shape reads as the whole file reads,
    routed by the member id it reads with."""
    from payer_rules.io.fhir import units

    monkeypatch.setattr(units, "_STEP", step)
    text = bundle_text(*shapes)
    assert shown(read_units(text, "b.json")) == shown(read_text(text, "b.json"))


def test_the_first_claims_go_before_the_last_entries_are_scanned(monkeypatch):
    """Streaming is real: with Claims before the entries they reference and entries scanned 8
    at a time, the first unit comes while most of the Bundle is unscanned; with every Claim
    first, the first goes only once the entries after all the Claims are reached."""
    from payer_rules.io.fhir import bundle_scan, units

    monkeypatch.setattr(units, "_STEP", 8)
    seen: list[int] = []
    advance = bundle_scan.RawScan.advance

    def counted(self: bundle_scan.RawScan, end: int) -> None:
        advance(self, end)
        seen.append(len(self.heads))

    monkeypatch.setattr(bundle_scan.RawScan, "advance", counted)
    text = bundle_text("shared patient and coverage")
    first = next(iter(split_bundle(text, "b.json") or []))
    assert isinstance(first, ClaimEntries)
    size = len(json.loads(text)["entry"])
    assert seen and seen[-1] < size / 2, (seen, size)

    seen.clear()
    text = bundle_text("claims first")
    next(iter(split_bundle(text, "b.json") or []))
    claims = sum(e["resource"]["resourceType"] == "Claim" for e in json.loads(text)["entry"])
    assert seen[-1] > claims


def test_a_later_full_url_equal_to_a_resolved_type_and_id_holds_the_claim_back(monkeypatch):
    """``Patient/P1`` resolves to the Patient with id P1 until an entry whose fullUrl is
    ``Patient/P1`` turns up, even at the very end: the Claim waits, and reads with that one."""
    from payer_rules.io.fhir import units

    monkeypatch.setattr(units, "_STEP", 1)
    bundle = base_bundle()
    patient = next(p for p in resources(bundle, "Patient") if p["id"] == "P001")
    later = copy.deepcopy(patient)
    later["id"] = "P001-late"
    later["birthDate"] = "1939-12-31"
    bundle["entry"].append({"fullUrl": "Patient/P001", "resource": later})
    text = json.dumps(bundle, indent=1)
    serial = shown(read_text(text, "b.json"))
    assert any(isinstance(c, Claim) and c.patient.birth_date.year == 1939 for c in serial)
    assert shown(read_units(text, "b.json")) == serial


def test_a_type_with_a_colon_makes_every_full_url_a_key_that_may_come_later(monkeypatch):
    """``urn:x/1`` is both the ``Type/id`` of a resource of type ``urn:x`` and a fullUrl with a
    scheme: the Claim's provider resolves to the later entry under that fullUrl, so the Claim
    waits for it even though every fullUrl begins with a scheme."""
    from payer_rules.io.fhir import units

    monkeypatch.setattr(units, "_STEP", 1)
    bundle = base_bundle()
    claim = resources(bundle, "Claim")[0]
    provider = next(
        o
        for o in resources(bundle, "Organization")
        if f"Organization/{o['id']}" == claim["provider"]["reference"]
    )
    late = copy.deepcopy(provider)
    late["identifier"] = [{"system": NPI, "value": "1234567893"}]
    claim["provider"] = {"reference": "urn:x/1"}
    bundle["entry"].insert(0, {"fullUrl": "urn:uuid:odd", "resource": {"resourceType": "urn:x", "id": "1"}})
    bundle["entry"].append({"fullUrl": "urn:x/1", "resource": late})
    text = json.dumps(bundle, indent=1)
    serial = shown(read_text(text, "b.json"))
    assert any(isinstance(c, Claim) and c.billing_provider.npi == "1234567893" for c in serial)
    assert shown(read_units(text, "b.json")) == serial


@pytest.mark.parametrize("step", [1, 4096])
def test_a_claim_reaching_too_many_entries_is_read_with_the_whole_bundle(step, monkeypatch):
    """A Claim reaching more than ``MAX_ENTRIES`` entries is read where it is cut, as serially:
    with every entry of the Bundle, so what lies two references away (its billing provider's
    Organization, behind a PractitionerRole) is read too, not cut off with the walk."""
    from payer_rules.io.fhir import units

    monkeypatch.setattr(units, "_STEP", step)
    bundle = base_bundle()
    claim = resources(bundle, "Claim")[0]
    organization = claim["provider"]["reference"]
    claim["careTeam"] = [
        {"sequence": n + 1, "provider": {"reference": f"Practitioner/d{n}"}}
        for n in range(units.MAX_ENTRIES + 10)
    ]
    claim["provider"] = {"reference": "PractitionerRole/r1"}
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "PractitionerRole",
                "id": "r1",
                "organization": {"reference": organization},
            }
        }
    )
    bundle["entry"] += [
        {"resource": {"resourceType": "Practitioner", "id": f"d{n}"}} for n in range(units.MAX_ENTRIES + 10)
    ]
    text = json.dumps(bundle, indent=1)
    serial = shown(read_text(text, "b.json"))
    assert isinstance(serial[0], Claim) and serial[0].billing_provider.npi
    assert shown(read_units(text, "b.json")) == serial


def test_a_claim_behind_a_repeated_resource_key_is_cut_as_the_reader_reads_it():
    """``{"resource": 1, "resource": {...Claim...}}``: the stdlib keeps the last value, so the
    entry is a Claim; msgspec refuses the first and the entry is decoded by the stdlib, and it
    is still found to be a Claim (it was lost before)."""
    text = json.dumps(base_bundle(), indent=1)
    marker = '{\n   "fullUrl": "urn:payer-rules:Claim/T-00001",\n   "resource": {'
    assert marker in text
    text = text.replace(marker, marker.replace('"resource": {', '"resource": 1, "resource": {'), 1)
    serial = shown(read_text(text, "b.json"))
    assert sum(isinstance(c, Claim) for c in serial) == 24
    assert shown(read_units(text, "b.json")) == serial
