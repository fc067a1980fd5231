"""Institutional (UB-04) claim data read alike from 837I, FHIR and JSON, and refused by location."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from attrs import evolve

from payer_rules.errors import InputError
from payer_rules.io.converters import claim_converter
from payer_rules.io.fhir.writer import claim_bundle, dumps
from payer_rules.io.readers import read_text
from payer_rules.io.x12.writer_837 import claims_to_837
from payer_rules.models import (
    Claim,
    ClaimType,
    CodeSystem,
    Diagnosis,
    OccurrenceCode,
    OccurrenceSpan,
    Procedure,
    Provider,
    ValueCode,
)

from .conftest import EXAMPLES

OUTPATIENT = (EXAMPLES / "x12" / "outpatient-hospital.837").read_text()
INPATIENT = (EXAMPLES / "x12" / "institutional.837").read_text()


def read(text: str, name: str = "t.837") -> list[Claim | InputError]:
    return list(read_text(text, name))


def one_claim(text: str, name: str = "t.837") -> Claim:
    [item] = read(text, name)
    assert isinstance(item, Claim), str(item)
    return item


def one_error(text: str, name: str = "t.837") -> str:
    errors = [str(i) for i in read(text, name) if isinstance(i, InputError)]
    assert len(errors) == 1, errors
    return errors[0]


def with_segments(text: str, after: str, *segments: str) -> str:
    """``text`` with ``segments`` inserted after the segment starting ``after``, SE01 recounted."""
    start = text.index(after)
    end = text.index("~", start) + 1
    text = text[:end] + "".join(f"\n{s}~" for s in segments) + text[end:]
    se = text.index("\nSE*") + 1
    count = int(text[se:].split("*")[1])
    return text[:se] + f"SE*{count + len(segments)}*" + text[se:].split("*", 2)[2]


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# -- 837I ---------------------------------------------------------------------------------------------


def test_837i_outpatient_example_reads_every_ub04_field():
    c = one_claim(OUTPATIENT)
    assert c.claim_type is ClaimType.INSTITUTIONAL
    assert c.bill_type == "131"
    assert c.provider_ccn == "050454"  # 2010BB REF*G2
    assert c.statement_from == c.statement_to == dt.date(2026, 3, 5)
    assert (c.admission_type, c.admission_source, c.discharge_status) == ("1", "1", "01")
    assert c.condition_codes == ("G0",)
    assert c.occurrence_codes == (OccurrenceCode(code="11", date=dt.date(2026, 3, 5)),)
    assert c.attending_provider == Provider(npi="1987654328", name="ANA REYES")
    assert [(ln.revenue_code, ln.procedure, ln.code_system) for ln in c.lines] == [
        ("0450", "99284", CodeSystem.CPT),
        ("0320", "71046", CodeSystem.CPT),
        ("0300", "85025", CodeSystem.CPT),
        ("0250", "0250", CodeSystem.REVENUE),
    ]
    assert c.lines[3].units == Decimal(2)


INPATIENT_MORE = with_segments(
    INPATIENT,
    "HI*BBR:",
    "HI*BBQ:0DTJ0ZZ:D8:20260303",
    "HI*BI:70:RD8:20260301-20260303*BI:74:RD8:20260302-20260302",
    "HI*BH:11:D8:20260228*BH:42:D8:20260304",
    "HI*BE:80:::3*BE:A1:::1736",
    "HI*BG:01*BG:39",
)
INPATIENT_MORE = with_segments(INPATIENT_MORE, "NM1*71*", "NM1*72*1*STONE*MAYA****XX*1538197264")
INPATIENT_MORE = with_segments(INPATIENT_MORE, "NM1*PR*2*MEDICARE", "REF*G2*05T123")


def test_837i_reads_spans_values_conditions_operating_and_ccn():
    c = one_claim(INPATIENT_MORE)
    assert c.provider_ccn == "05T123"
    assert c.procedures == (
        Procedure(code="0DTJ4ZZ", date=dt.date(2026, 3, 2)),
        Procedure(code="0DTJ0ZZ", date=dt.date(2026, 3, 3)),
    )
    assert c.occurrence_spans == (
        OccurrenceSpan(code="70", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 3)),
        OccurrenceSpan(code="74", start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2)),
    )
    assert c.occurrence_codes == (
        OccurrenceCode(code="11", date=dt.date(2026, 2, 28)),
        OccurrenceCode(code="42", date=dt.date(2026, 3, 4)),
    )
    assert c.value_codes == (
        ValueCode(code="80", amount=Decimal(3)),
        ValueCode(code="A1", amount=Decimal(1736)),
    )
    assert c.condition_codes == ("01", "39")
    assert c.operating_provider == Provider(npi="1538197264", name="MAYA STONE")
    assert c.admission_date == dt.date(2026, 3, 1)
    assert [d.present_on_admission for d in c.diagnoses] == ["Y", "Y"]
    assert c.admitting_diagnosis == Diagnosis(code="R1031")


@pytest.mark.parametrize("text", [INPATIENT_MORE, OUTPATIENT], ids=["inpatient", "outpatient"])
def test_837i_round_trip_keeps_every_institutional_field(text):
    claim = one_claim(text)
    back = one_claim(claims_to_837([claim]))
    assert back == claim


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "HI*BH:11:D8:20260305",
            "HI*BH:11",
            "segment 28 (HI*BH:11): claim OPH-4001: HI01 occurrence code 11 has no date; "
            "expected BH:11:D8:CCYYMMDD",
        ),
        (
            "HI*BH:11:D8:20260305",
            "HI*BI:70:RD8:20260305-20260301",
            "claim OPH-4001: the range '20260305-20260301' ends before it starts",
        ),
        (
            "HI*BH:11:D8:20260305",
            "HI*BE:80",
            "claim OPH-4001: HI01 value code 80 has no amount; expected BE:80:::amount (HI C022-5)",
        ),
        (
            "HI*BH:11:D8:20260305",
            "HI*BE:80:::three",
            "HI01 value code 80 amount 'three' is not a number",
        ),
        (
            "HI*ABF:I10",
            "HI*ABF:I10:::::::X",
            "segment 27 (HI*ABF:I10:::::::X): claim OPH-4001: HI01 I10: present-on-admission indicator "
            "'X' is not valid; expected Y, N, U, W or 1 (exempt)",
        ),
        (
            "CL1*1*1*01",
            "CL1*1*1*1",
            "segment 24 (CL1*1*1*1): claim OPH-4001: patient discharge status '1' is not valid; "
            "expected two digits",
        ),
        (
            "CLM*OPH-4001*1218***13:A:1",
            "CLM*OPH-4001*1218***X:A:1",
            "(CLM*OPH-4001*1218***X:A:1**A*Y*Y): claim OPH-4001: type of bill 'X1' is not valid",
        ),
        (
            "REF*G2*050454",
            "REF*G2*0504",
            "segment 21 (REF*G2*0504): claim OPH-4001: CCN '0504' is not valid; expected 6 characters",
        ),
    ],
)
def test_837i_bad_institutional_values_are_located(old, new, expected):
    error = one_error(replaced(OUTPATIENT, old, new))
    assert error.startswith("t.837: segment ")
    assert expected in error


# -- FHIR ---------------------------------------------------------------------------------------------


def test_fhir_institutional_round_trip_keeps_every_field():
    from fhir.resources.R4B.bundle import Bundle

    claims = [one_claim(INPATIENT_MORE), one_claim(OUTPATIENT)]
    bundle = claim_bundle(claims)
    Bundle.model_validate(bundle)
    back = [i for i in read_text(dumps(bundle), "claims.fhir.json")]
    for original, read_back in zip(claims, back, strict=True):
        assert isinstance(read_back, Claim), str(read_back)
        for name in (
            "bill_type",
            "statement_from",
            "statement_to",
            "admission_date",
            "admission_type",
            "admission_source",
            "discharge_status",
            "diagnoses",
            "admitting_diagnosis",
            "procedures",
            "condition_codes",
            "occurrence_codes",
            "occurrence_spans",
            "value_codes",
            "attending_provider",
            "operating_provider",
            "provider_ccn",
            "lines",
        ):
            assert getattr(read_back, name) == getattr(original, name), name


def test_fhir_reads_carin_style_supporting_info_and_prn_identifier():
    bundle = claim_bundle([one_claim(OUTPATIENT)])
    claim = bundle["entry"][0]["resource"]
    org = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Organization")
    org["identifier"] = [
        org["identifier"][0],
        {
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PRN"}]},
            "value": "100007",
        },
    ]
    claim["supportingInfo"].append(
        {
            "sequence": 99,
            "category": {"coding": [{"code": "info"}]},
            "code": {"coding": [{"system": "http://example.org/other", "code": "ignored"}]},
        }
    )
    c = next(i for i in read_text(dumps(bundle), "b.json"))
    assert isinstance(c, Claim), str(c)
    assert c.provider_ccn == "100007"
    assert c.bill_type == "131" and c.condition_codes == ("G0",)


def _bundle_with(change) -> str:
    bundle = claim_bundle([one_claim(INPATIENT_MORE)])
    change(bundle["entry"][0]["resource"])
    return dumps(bundle)


def _info(claim, system_or_category):
    for info in claim["supportingInfo"]:
        codings = info.get("code", {}).get("coding", []) + info["category"]["coding"]
        if any(system_or_category in (c.get("system"), c.get("code")) for c in codings):
            return info
    raise AssertionError(system_or_category)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda c: _info(c, "typeofbill")["code"]["coding"][0].update(code="9"),
            "type of bill '9' is not valid; expected 3 characters as 111, 131 (UB-04 FL 4) "
            "@ $.supportingInfo[0].code",
        ),
        (
            lambda c: _info(c, "http://terminology.hl7.org/CodeSystem/v2-0350").pop("timingDate"),
            "occurrence code 11 has no date; expected timingDate @ $.supportingInfo[",
        ),
        (
            lambda c: _info(c, "http://terminology.hl7.org/CodeSystem/v2-0351")["timingPeriod"].update(
                end="2026-02-01"
            ),
            "occurrence span 70 ends (2026-02-01) before it starts (2026-03-01); expected start <= end "
            "@ $.supportingInfo[",
        ),
        (
            lambda c: _info(c, "http://terminology.hl7.org/CodeSystem/v2-0153")["valueQuantity"].update(
                value="three"
            ),
            "expected an amount for value code 80, got 'three' @ $.supportingInfo[",
        ),
        (
            lambda c: c["diagnosis"][0]["onAdmission"]["coding"][0].update(code="Q"),
            "present-on-admission indicator 'Q' is not valid; expected Y, N, U, W or 1 (exempt) "
            "@ $.diagnosis[0].onAdmission",
        ),
        (
            lambda c: _info(c, "admtype")["code"]["coding"][0].update(code="11"),
            "admission type '11' is not valid; expected one digit",
        ),
    ],
)
def test_fhir_bad_institutional_values_are_located(change, expected):
    [error] = read_text(_bundle_with(change), "b.json")
    assert isinstance(error, InputError)
    assert str(error).startswith("b.json: entry[0] Claim/INP-3001: ")
    assert expected in str(error)


# -- JSON ---------------------------------------------------------------------------------------------


def _json_claim() -> dict[str, object]:
    claim = one_claim(INPATIENT_MORE)
    data: dict[str, object] = claim_converter().unstructure(claim)
    return data


def test_json_reads_every_institutional_field():
    claim = one_claim(INPATIENT_MORE)
    back = one_claim(json.dumps(_json_claim()), "c.json")
    assert back == claim


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("bill_type",), "1", "type of bill '1' is not valid"),
        (("provider_ccn",), "ABCDEF", "CCN 'ABCDEF' is not valid; expected 6 characters, e.g. 050454"),
        (
            ("occurrence_spans", 0, "end"),
            "2026-02-01",
            "occurrence span 70 ends (2026-02-01) before it starts (2026-03-01)",
        ),
        (("value_codes", 0, "amount"), "three", "@ $.value_codes[0].amount"),
        (("occurrence_codes", 0, "date"), "2026-02-30", "@ $.occurrence_codes[0].date"),
        (("discharge_status",), "1", "patient discharge status '1' is not valid"),
        (("diagnoses", 0, "present_on_admission"), "X", "present-on-admission indicator 'X'"),
    ],
)
def test_json_bad_institutional_values_are_located(path, value, expected):
    data = _json_claim()
    target: object = data
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]
    [error] = read_text(json.dumps(data), "c.json")
    assert isinstance(error, InputError)
    assert str(error).startswith("c.json:1: claim INP-3001: ")
    assert expected in str(error)


def test_occurrence_span_refuses_an_end_before_its_start():
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        OccurrenceSpan(code="70", start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 1))
    span = OccurrenceSpan(code="70", start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2))
    assert evolve(span, code="74").code == "74"
