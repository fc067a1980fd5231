"""Issue 19: hostile input and faults. One regression test per defect found by fuzzing.

Each test here failed before its fix: a hang, a traceback, a silently wrong amount, an error
line split in two.
"""

from __future__ import annotations

import copy
import json
import re
import time
from decimal import Decimal

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.errors import ECHO_CHARS, LINE_CHARS, InputError, echo, one_line
from payer_rules.io.json_claims import read_json_text
from payer_rules.io.readers import read_claims, read_text
from payer_rules.models import Claim
from payer_rules.money import MAX_AMOUNT
from payer_rules.rulepack.positions import Positions

from .conftest import EXAMPLES

OFFICE_VISIT = EXAMPLES / "claims" / "01-office-visit-2026.json"


def _claim_json(**line: object) -> dict[str, object]:
    data = json.loads(OFFICE_VISIT.read_text())
    data["lines"][0].update(line)
    return data


# -- 1. rulepack header pattern -------------------------------------------------------------


def test_rulepack_header_scan_is_linear_on_bracket_and_spaces():
    # 1,600 spaces took 8 s and 3,000 more than a minute with the backtracking pattern.
    started = time.perf_counter()
    Positions("[" + " " * 50_000 + "\n[pack]\nname = 'x'\n")
    assert time.perf_counter() - started < 1.0


def test_rulepack_header_scan_still_finds_headers_and_keys():
    positions = Positions(
        "[pack]\nname = 'x'\n\n[[rules]]\ncode = 'A'\n[[ rules ]]  # two\n[[rules.cases]]\nx=1\n"
    )
    assert positions.line(("pack", "name")) == 2
    assert positions.line(("rules", 0, "code")) == 5
    assert positions.line(("rules", 1)) == 6
    assert positions.line(("rules", 1, "cases", 0, "x")) == 8


# -- 3. CSV fields over 128 KiB in importers ----------------------------------------------------


@pytest.mark.parametrize("kind", ["clfs", "ncci-mue", "medicaid-ncci-mue"])
def test_import_csv_field_over_the_limit_is_a_located_error(kind, tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "CLFS 2026 Q1V1.csv"
    source.write_text('YEAR,HCPCS,MOD,RATE\n2026,82947,,"' + "x" * 200_000 + '"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["data", "import", kind, str(source)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{source}:2: not a readable CSV record (field larger than field limit" in result.output
    assert len(result.output.splitlines()[-1]) <= LINE_CHARS + 40


# -- 6. amounts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charge", "expected"),
    [
        ("1e400", "out of range; amounts are at most 9,999,999,999.99"),
        ("1e23", "out of range; amounts are at most 9,999,999,999.99"),
        ('"0.001"', "has a fraction of a cent"),
        ("0.001", "has a fraction of a cent"),
        ('"NaN"', "expected a finite number"),
    ],
)
def test_amount_out_of_range_or_below_a_cent_is_a_located_error(charge, expected):
    text = json.dumps(_claim_json(charge="@@")).replace('"@@"', charge)
    (item,) = read_json_text(text, "claims.json")
    assert isinstance(item, InputError)
    assert item.location == "claims.json:1: claim CLM-1001"
    assert expected in item.message
    assert "$.lines[0]" in item.message


def test_the_largest_amount_is_accepted_and_paid_in_cents():
    (item,) = read_json_text(json.dumps(_claim_json(charge=str(MAX_AMOUNT))), "claims.json")
    assert isinstance(item, Claim)
    assert item.lines[0].charge == MAX_AMOUNT


def test_amount_1e400_gives_exit_1_and_a_message_not_a_silent_failure(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_claim_json(charge="@@")).replace('"@@"', "1e400"))
    result = CliRunner().invoke(cli, ["adjudicate", str(path), "--payer", "medicare", "--format", "json"])
    assert result.exit_code == 1
    assert "charge 1E+400 is out of range" in result.stderr
    assert json.loads(result.stdout)[0]["status"] == "error"


@pytest.mark.parametrize(
    ("charge", "expected"),
    [
        ("1E23", "SV102 line charge '1E23' is not a number"),
        ("1" * 21, "SV102 line charge has 21 digits; X12 allows at most 18"),
        ("99999999999", "out of range; amounts are at most 9,999,999,999.99"),
        ("10.001", "has a fraction of a cent"),
    ],
)
def test_x12_charge_beyond_the_limits_is_refused_at_its_segment(charge, expected):
    text = (EXAMPLES / "x12" / "professional.837").read_text()
    big = re.sub(r"(SV1\*HC:\w+\*)[0-9.]+", rf"\g<1>{charge}", text, count=1)
    assert big != text
    errors = [i for i in read_text(big, "p.837") if isinstance(i, InputError)]
    assert len(errors) == 1
    assert expected in errors[0].message
    assert errors[0].location.startswith(f"p.837: segment 27 (SV1*HC:99213*{charge[:10]}")


# -- 7. X12: count in = count out ------------------------------------------------------------------


def _x12(name: str = "professional.837") -> str:
    return (EXAMPLES / "x12" / name).read_text()


def _clm_ids(text: str) -> list[str]:
    return [seg.split("*")[1] for seg in text.replace("\n", "").split("~") if seg.startswith("CLM*")]


def test_x12_envelope_errors_add_no_result_rows(tmp_path):
    text = _x12()
    claims = _clm_ids(text)
    broken = re.sub(r"SE\*\d+\*", "SE*999*", text)
    broken = re.sub(r"GE\*\d+\*", "GE*7*", broken)
    broken = re.sub(r"IEA\*\d+\*\d+", "IEA*3*000000099", broken)
    path = tmp_path / "broken.837"
    path.write_text(broken)
    result = CliRunner().invoke(
        cli, ["adjudicate", str(path), "--payer", "medicare", "--payer", "medicaid-ca", "--format", "json"]
    )
    assert result.exit_code == 1
    results = json.loads(result.stdout)
    assert len(results) == len(claims) * 2
    assert [r["claim_id"] for r in results[::2]] == claims
    assert all(r["claim_id"] for r in results)
    errors = result.stderr.splitlines()
    assert any("SE01 says" in e for e in errors) and any("IEA02 control number" in e for e in errors)


@pytest.mark.parametrize("guide", ["005010X224A2", "005010X291", "005010X292", "005010X298"])
def test_x12_unsupported_guide_gets_one_error_per_claim(guide):
    text = _x12().replace("005010X222A1", guide)
    claims = _clm_ids(text)
    items = list(read_text(text, "d.837"))
    per_claim = [i for i in items if isinstance(i, InputError) and not i.envelope]
    assert [e.claim_id for e in per_claim] == claims
    assert all(guide in e.message and "segment" in e.location for e in per_claim)
    assert all(e.location.split("(")[1].startswith("CLM*") for e in per_claim)
    assert not any(isinstance(i, Claim) for i in items)


def test_fhir_sub_cent_charge_is_refused_with_its_path():
    bundle = json.loads((EXAMPLES / "fhir" / "claims.json").read_text())
    claim = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim")
    claim["item"][0]["net"]["value"] = Decimal("0.001")
    claim["item"][0].pop("unitPrice", None)
    text = json.dumps(bundle, default=str).replace('"0.001"', "0.001")
    first = next(iter(read_text(text, "b.json")))
    assert isinstance(first, InputError)
    assert "fraction of a cent" in first.message and "$.item[0]" in first.message


# -- 9. error text quotes input escaped and bounded ----------------------------------------------


def test_one_line_escapes_line_breaks_and_bounds_length():
    assert one_line("a\nb\rc\td\x1b\u2028") == "a\\nb\\rc\\td\\x1b\\u2028"
    long = one_line("x" * 20_000)
    assert len(long) == LINE_CHARS and long.endswith("\N{HORIZONTAL ELLIPSIS}")


def test_echo_bounds_one_value_and_deep_nesting():
    assert len(echo("y" * 10_000)) == ECHO_CHARS
    deep: list[object] = []
    for _ in range(5_000):
        deep = [deep]
    assert len(echo(deep)) <= ECHO_CHARS


def test_input_error_is_one_line_whatever_it_quotes():
    error = InputError("f.json:1\nforged.json:2", "bad value 'a\nb'" + "z" * 50_000)
    text = str(error)
    assert "\n" not in text and len(text) <= LINE_CHARS
    assert "f.json:1\\nforged.json:2" in text


def test_newline_in_a_pack_prefix_stays_on_one_line(tmp_path):
    pack = tmp_path / "p.toml"
    text = (EXAMPLES.parent / "rulepacks" / "examples" / "therapy-units.toml").read_text()
    pack.write_text(text.replace('prefix = "DCT"', 'prefix = "DC\\nT"'))
    result = CliRunner().invoke(cli, ["rulepack", "check", str(pack)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith(("payer-rules: error:", str(pack))) for line in lines), lines
    assert "'DC\\nT'" in result.stderr


def test_json_string_with_control_characters_is_echoed_escaped():
    data = _claim_json(service_date="2026-02-30\n\x1b[31mforged")
    (item,) = read_json_text(json.dumps(data), "claims.json")
    assert isinstance(item, InputError)
    assert "\n" not in str(item) and "\x1b" not in str(item) and "\\n" in str(item)


# -- 2. reader crashes become located errors for the unit they cover ---------------------------


def test_json_nested_100000_deep_is_a_located_error():
    (item,) = read_text("[" * 100_000 + "]" * 100_000, "deep.json")
    assert isinstance(item, InputError)
    assert item.location.startswith("deep.json:1:")
    assert "nested deeper than this reader allows" in item.message


def test_ndjson_line_nested_deep_fails_alone():
    good = json.dumps(json.loads(OFFICE_VISIT.read_text()))
    items = list(read_text(f"{good}\n{'[' * 100_000}\n{good}\n", "c.ndjson"))
    assert [type(i).__name__ for i in items] == ["Claim", "InputError", "Claim"]
    assert items[1].location.startswith("c.ndjson:2:")


def test_json_integer_of_5000_digits_is_a_located_error():
    (item,) = read_text('{"id": ' + "9" * 5_000 + "}", "long.json")
    assert isinstance(item, InputError) and "digits" in item.message


def _bundle() -> dict[str, object]:
    return json.loads((EXAMPLES / "fhir" / "claims.json").read_text())


def test_fhir_bundle_entry_not_a_list_is_located():
    bundle = _bundle()
    bundle["entry"] = {"resource": {}}
    (item,) = read_text(json.dumps(bundle), "b.json")
    assert isinstance(item, InputError) and "$.entry" in item.message


def test_fhir_claim_insurance_items_not_objects_fail_that_claim_only():
    bundle = _bundle()
    claims = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim"]
    claims[0]["insurance"] = ["Coverage/1"]
    items = list(read_text(json.dumps(bundle), "b.json"))
    assert len(items) == len(claims)
    assert isinstance(items[0], InputError) and "$.insurance[0]" in items[0].message
    assert all(isinstance(i, Claim) for i in items[1:])


def test_fhir_claim_with_wrongly_typed_elements_fails_alone():
    bundle = _bundle()
    claims = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim"]
    claims[0]["careTeam"] = [5]
    claims[0]["identifier"] = 7
    items = list(read_text(json.dumps(bundle), "b.json"))
    assert isinstance(items[0], InputError) and items[0].location.startswith("b.json: entry[")
    assert all(isinstance(i, Claim) for i in items[1:])


def test_directory_of_good_bad_good_files_judges_the_good_ones(tmp_path):
    good = json.loads(OFFICE_VISIT.read_text())
    (tmp_path / "1-good.json").write_text(json.dumps(good))
    (tmp_path / "2-deep.json").write_text("[" * 100_000)
    bundle = _bundle()
    bundle["entry"] = "nope"
    (tmp_path / "3-fhir.json").write_text(json.dumps(bundle))
    second = copy.deepcopy(good)
    second["id"] = "CLM-SECOND"
    (tmp_path / "4-good.json").write_text(json.dumps(second))
    items = list(read_claims([str(tmp_path)]))
    assert [type(i).__name__ for i in items] == ["Claim", "InputError", "InputError", "Claim"]
    result = CliRunner().invoke(
        cli,
        ["adjudicate", str(tmp_path), "--payer", "medicare", "--payer", "medicaid-ca", "--format", "json"],
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    results = json.loads(result.stdout)
    assert len(results) == 4 * 2
    assert [r["claim_id"] for r in results if r["status"] != "error"] == ["CLM-1001"] * 2 + ["CLM-SECOND"] * 2


# -- limits: NDJSON line length, whole-file size ----------------------------------------------------


def test_ndjson_line_over_the_limit_fails_alone(tmp_path, monkeypatch):
    from payer_rules.io import json_claims, readers

    monkeypatch.setattr(json_claims, "MAX_LINE_CHARS", 5_000)
    monkeypatch.setattr(readers, "MAX_LINE_CHARS", 5_000)
    monkeypatch.setattr(readers, "_READ_CHUNK", 1_024)
    good = json.dumps(json.loads(OFFICE_VISIT.read_text()))
    path = tmp_path / "c.ndjson"
    path.write_text(f"{good}\n" + '{"id": "' + "x" * 20_000 + '"}\n' + f"{good}\n")
    items = list(read_claims([str(path)]))
    assert [type(i).__name__ for i in items] == ["Claim", "InputError", "Claim"]
    assert items[1].location == f"{path}:2" and "longer than 5,000 characters" in items[1].message


def test_whole_file_over_the_size_limit_is_refused_by_name(tmp_path, monkeypatch):
    from payer_rules.io import readers

    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.json"
    path.write_text(OFFICE_VISIT.read_text())
    (item,) = read_claims([str(path)])
    assert isinstance(item, InputError) and "may be at most 100 bytes" in item.message


# -- found by the fuzz suite ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["99999999999999999999", "\u00b2"])
def test_mue_value_beyond_an_integer_is_a_located_error(value, tmp_path):
    from payer_rules.store import ImportOptions
    from payer_rules_medicare.ncci.mue import import_mue

    path = tmp_path / "MCR_MUE_PractitionerServices_Eff_01-01-2026.csv"
    path.write_text(
        '"HCPCS/CPT Code","Practitioner Services MUE Values","MUE Adjudication Indicator","MUE Rationale"\n'
        f'"82947","{value}","3 Date of Service Edit: Clinical","Clinical: Data"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r":2: expected an MUE row"):
        import_mue([path], ImportOptions(data_dir=tmp_path / "data"))


def test_clfs_rate_out_of_range_is_refused_at_import(tmp_path):
    from payer_rules.store import ImportOptions
    from payer_rules_medicare.clfs import import_clfs

    path = tmp_path / "CLFS 2026 Q1V1.csv"
    path.write_text("YEAR,HCPCS,MOD,RATE\n2026,82947,,1e400\n")
    with pytest.raises(InputError, match=r":2: RATE: expected an amount up to 9,999,999,999.99, got '1e400'"):
        import_clfs([path], ImportOptions(data_dir=tmp_path / "data"))


def test_999_for_an_envelope_pyx12_cannot_read_is_a_located_error(tmp_path):
    text = _x12()
    broken = "~".join(s for s in text.split("~") if not s.strip().startswith(("ST*837", "GS*")))
    bad = tmp_path / "bad.837"
    bad.write_text(broken)
    good = tmp_path / "good.837"
    good.write_text(text)
    result = CliRunner().invoke(
        cli, ["adjudicate", str(bad), str(good), "--payer", "medicare", "--format", "x12-999"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    assert f"payer-rules: error: {bad}: no 999 could be made" in result.stderr
    assert result.stdout.count("ST*999*") >= 1  # the good file is still acknowledged


@pytest.mark.parametrize("keep", [1, 5, 10, 15])
def test_isa_with_missing_elements_is_one_located_error(keep, tmp_path):
    text = _x12()
    isa, rest = text.split("~", 1)
    path = tmp_path / "short-isa.837"
    path.write_text("*".join(isa.split("*")[: keep + 1]) + "~" + rest)
    result = CliRunner().invoke(cli, ["adjudicate", str(path), "--payer", "medicare", "--format", "json"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"payer-rules: error: {path}: segment 1 (ISA*")
    assert [r["status"] for r in json.loads(result.stdout)] == ["error"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ({"units": -1}, "units -1 is out of range; expected a number of units from 0 to 99,999,999"),
        ({"charge": "-5.00"}, "charge -5.00 is negative; expected a charge of 0.00 or more"),
    ],
)
def test_negative_units_or_charge_is_a_located_input_error(line, expected):
    # found by the long fuzz run: a negative allowed amount failed inside a commercial payer (ENG004)
    (item,) = read_json_text(json.dumps(_claim_json(**line)), "claims.json")
    assert isinstance(item, InputError)
    assert expected in item.message and "$.lines[0]" in item.message


def test_fhir_string_element_of_the_wrong_type_fails_that_claim_alone():
    # found by the long fuzz run: a list as postalCode reached the payers and one failed (ENG004)
    bundle = _bundle()
    organizations = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Organization"
    ]
    organizations[0]["address"] = [{"city": "San Francisco", "postalCode": ["94110"]}]
    items = list(read_text(json.dumps(bundle), "b.json"))
    errors = [i for i in items if isinstance(i, InputError)]
    assert errors and all("address.postalCode: expected a string, got ['94110']" in e.message for e in errors)


def test_fhir_resource_type_of_the_wrong_type_is_echoed_bounded():
    (item,) = read_text('{"resourceType": ' + "[" * 500 + "]" * 500 + "}", "b.json")
    assert isinstance(item, InputError) and item.message.endswith(
        "is not a claim; expected a Claim or a Bundle of Claims"
    )


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("diagnosis", float("inf")),  # json.dumps writes Infinity, which Python's decoder reads
        ("diagnosis", float("nan")),
        ("diagnosis", 1.5),
        ("diagnosis", "1"),
        ("diagnosis", 0),
        ("diagnosis", None),
        ("diagnosisSequence", float("inf")),
        ("diagnosisSequence", -2),
        ("diagnosisSequence", True),
    ],
)
def test_fhir_sequence_that_is_not_a_positive_int_fails_that_claim_alone(where, value):
    # found by the long fuzz run: diagnosis[0].sequence Infinity raised OverflowError out of the reader
    bundle = _bundle()
    claims = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim"]
    if where == "diagnosis":
        claims[0]["diagnosis"][0]["sequence"] = value
        path = "$.diagnosis[0].sequence"
    else:
        claims[0]["item"][0]["diagnosisSequence"] = [value]
        path = "$.item[0].diagnosisSequence[0]"
    items = list(read_text(json.dumps(bundle), "b.json"))
    assert len(items) == len(claims)
    assert isinstance(items[0], InputError), items[0]
    assert items[0].message.startswith("expected a positive integer (FHIR positiveInt), got ")
    assert items[0].message.endswith(path)
    assert all(isinstance(i, Claim) for i in items[1:])


@pytest.mark.parametrize("component", ["*", "~"])
def test_isa_whose_isa16_is_a_delimiter_is_one_located_error(component, tmp_path):
    # found by the long fuzz run: ISA16 '*' (the element separator) made an 18th ISA element
    # and an IndexError out of the reader
    text = _x12()
    isa, rest = text.split("~", 1)
    path = tmp_path / "isa16.837"
    path.write_text(isa[:-1] + component + "~" + rest)
    result = CliRunner().invoke(cli, ["adjudicate", str(path), "--payer", "medicare", "--format", "json"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"payer-rules: error: {path}: segment 1 (ISA*")
    assert [r["status"] for r in json.loads(result.stdout)] == ["error"]


_DATE_RANGE = "is out of range; expected a date from 1900-01-01 to 2199-12-31"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_a_date_beyond_the_range_fails_its_claim_in_every_reader(day):
    # found by the long fuzz run: a date of service 9999-12-31 failed inside a Medicaid payer
    # (its filing limit fell in year 10000) as ENG004, instead of a located input error
    claim = json.loads(OFFICE_VISIT.read_text())
    claim["lines"][0]["service_date"] = day
    (item,) = read_text(json.dumps(claim), "a.json")
    assert isinstance(item, InputError)
    assert item.message == f"service_date {day} {_DATE_RANGE} @ $.lines[0]"
    bundle = _bundle()
    claims = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim"]
    claims[0]["item"][0]["servicedDate"] = day
    items = list(read_text(json.dumps(bundle), "b.json"))
    assert isinstance(items[0], InputError) and _DATE_RANGE in items[0].message
    assert all(isinstance(i, Claim) for i in items[1:])
    text = _x12().replace("DTP*472*D8*20251112", f"DTP*472*D8*{day.replace('-', '')}", 1)
    errors = [i for i in read_text(text, "c.837") if isinstance(i, InputError)]
    assert len(errors) == 1 and _DATE_RANGE in errors[0].message and "segment " in errors[0].location


def test_dates_at_the_range_ends_are_judged_by_every_payer():
    from payer_rules.engine import Engine

    engine = Engine.from_installed()
    for day in ("1900-01-01", "2199-12-31"):
        claim = json.loads(OFFICE_VISIT.read_text())
        claim["lines"][0]["service_date"] = day
        claim["received_date"] = day
        (item,) = read_text(json.dumps(claim), "a.json")
        assert isinstance(item, Claim)
        for payer in ("medicare", "medicaid-ca", "medicaid-ny", "bluepeak", "harborline"):
            result = engine.adjudicate(item, payer)
            assert not any(f.code == "ENG004" for f in result.findings), (day, payer, result.findings)


@pytest.mark.parametrize("option", ["--received-date", "--as-of"])
def test_a_date_option_beyond_the_range_is_a_usage_error(option, tmp_path):
    result = CliRunner().invoke(
        cli, ["adjudicate", str(OFFICE_VISIT), "--payer", "medicare", option, "9999-12-31"]
    )
    assert result.exit_code == 2
    assert "9999-12-31 is out of range; expected a date from 1900-01-01 to 2199-12-31" in result.output


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ('"text": "Dr. Ana Reyes"', '"text": 1e400', "name.text"),
        ('"text": "Dr. Ana Reyes"', '"text": ["Dr. Ana Reyes"]', "name.text"),
    ],
)
def test_fhir_provider_name_of_the_wrong_type_fails_that_claim_alone(old, new, path, tmp_path):
    # found by the long fuzz run: a number as a Practitioner's name.text reached the 835 writer,
    # which failed with AttributeError and ended the run
    text = (EXAMPLES / "fhir" / "claims.json").read_text()
    assert old in text
    bad = tmp_path / "b.json"
    bad.write_text(text.replace(old, new, 1))
    items = list(read_claims([str(bad)]))
    errors = [i for i in items if isinstance(i, InputError)]
    assert len(errors) == 1 and f"{path}: expected a string, got " in errors[0].message
    result = CliRunner().invoke(cli, ["adjudicate", str(bad), "--payer", "medicare", "--format", "x12-835"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
