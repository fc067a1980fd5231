"""Money is Decimal end to end: every writer prints an amount with its exact digits.

The amounts are chosen so a float cannot hold them: ``12345678901234567.89`` has 19 significant
digits (a double keeps 15 to 17; ``float`` of it is ``1.2345678901234568e16``) and ``100.10``
has a significant trailing zero (FHIR's ``decimal`` keeps precision: ``float`` makes it
``100.1``). A claim's own amounts stop at ``MAX_AMOUNT``; results are built here directly so the
writers are held to amounts past anything a float keeps.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from attrs import evolve

from payer_rules.compare.report import CsvComparison, HtmlComparison, JsonComparison
from payer_rules.compare.run import run_comparison
from payer_rules.io.fhir.writer import FhirWriter, claim_bundle, dumps
from payer_rules.io.json_results import result_to_json
from payer_rules.io.readers import read_claims, read_text
from payer_rules.io.x12.writer_835 import X12_835Writer
from payer_rules.models import Claim
from payer_rules.results import Adjustment, ClaimResult, ClaimStatus, Group, LineResult, LineStatus

from .conftest import EXAMPLES

BIG = Decimal("12345678901234567.89")
DIME = Decimal("100.10")
#: What the member owes on line 1 (PR-1, deductible): the line's payment is the charge less it.
DEDUCTIBLE = DIME


def _two_line_claim() -> Claim:
    return next(
        c
        for c in read_claims([str(EXAMPLES / "claims")])
        if isinstance(c, Claim) and c.id == "CLM-2001" and len(c.lines) == 2
    )


def _result(claim: Claim, payer: str = "medicare", *, big: Decimal = BIG) -> ClaimResult:
    """Line 1 billed ``big``, allowed in full, PR-1 ``DEDUCTIBLE``; line 2 billed and paid 100.10."""
    line1 = LineResult(
        line=1,
        procedure=claim.lines[0].procedure,
        modifiers=(),
        units=Decimal("1"),
        status=LineStatus.PAID,
        billed=big,
        allowed=big,
        paid=big - DEDUCTIBLE,
        adjustments=(Adjustment(group=Group.PR, carc="1", amount=DEDUCTIBLE),),
    )
    line2 = LineResult(
        line=2,
        procedure=claim.lines[1].procedure,
        modifiers=(),
        units=Decimal("1"),
        status=LineStatus.PAID,
        billed=DIME,
        allowed=DIME,
        paid=DIME,
    )
    return ClaimResult(
        claim_id=claim.id,
        payer=payer,
        status=ClaimStatus.PAID,
        as_of=claim.lines[0].service_date,
        billed=big + DIME,
        allowed=big + DIME,
        paid=big - DEDUCTIBLE + DIME,
        patient_responsibility=DEDUCTIBLE,
        lines=(line1, line2),
    )


def test_the_amounts_are_ones_a_float_loses():
    assert Decimal(str(float(BIG))) != BIG
    assert str(float(DIME)) != str(DIME)


def test_fhir_money_values_are_the_decimals_digits():
    claim = _two_line_claim()
    out = io.StringIO()
    writer = FhirWriter(out)
    writer.write(_result(claim), claim)
    writer.close()
    text = out.getvalue()
    data = json.loads(text, parse_float=Decimal)
    response, eob = (e["resource"] for e in data["entry"])
    totals = {t["category"]["coding"][0]["code"]: t["amount"]["value"] for t in eob["total"]}
    assert totals == {
        "submitted": BIG + DIME,  # 12345678901234667.99
        "eligible": BIG + DIME,
        "benefit": BIG - DEDUCTIBLE + DIME,  # 12345678901234567.89
    }
    assert '"value":12345678901234667.99,' in text
    assert response["payment"]["amount"]["value"] == BIG
    line2 = {a["category"]["coding"][0]["code"]: a["amount"]["value"] for a in eob["item"][1]["adjudication"]}
    assert line2 == {"submitted": DIME, "eligible": DIME, "benefit": DIME}
    assert '"value":100.10,' in text and "100.1," not in text
    line1 = eob["item"][0]["adjudication"]
    deductible = next(a for a in line1 if a["category"]["coding"][0]["code"] == "deductible")
    assert deductible["amount"]["value"] == DEDUCTIBLE
    assert eob["item"][0]["quantity"] == {"value": 1}


def test_fhir_output_still_validates_as_r4():
    from fhir.resources.R4B.bundle import Bundle

    claim = _two_line_claim()
    out = io.StringIO()
    writer = FhirWriter(out)
    writer.write(_result(claim, big=Decimal("9999999999.90")), claim)
    writer.close()
    Bundle.model_validate(json.loads(out.getvalue(), parse_float=Decimal))


def test_fhir_claim_bundle_keeps_charges_and_fractional_units_exactly():
    claim = _two_line_claim()
    lines = (
        evolve(claim.lines[0], charge=Decimal("9999999999.90")),
        evolve(claim.lines[1], charge=DIME, units=Decimal("0.125")),
    )
    claim = evolve(claim, lines=lines)
    text = dumps(claim_bundle([claim]))
    assert '"net":{"value":9999999999.90,"currency":"USD"}' in text
    assert '"net":{"value":100.10,"currency":"USD"}' in text
    assert '"quantity":{"value":0.125}' in text
    [back] = read_text(text, "b.json")
    assert isinstance(back, Claim)
    assert [str(ln.charge) for ln in back.lines] == ["9999999999.90", "100.10"]
    assert back.lines[1].units == Decimal("0.125")


def test_fhir_dumps_refuses_what_is_not_a_finite_decimal():
    # orjson reports the hook's refusal as its own JSONEncodeError, a TypeError
    with pytest.raises(TypeError):
        dumps({"value": Decimal("NaN")})
    with pytest.raises(TypeError):
        dumps({"value": object()})
    assert dumps({"value": Decimal("-0.50")}) == '{"value":-0.50}'


def test_json_and_ndjson_results_carry_amounts_as_exact_strings():
    result = _result(_two_line_claim())
    for text in (result_to_json(result), result_to_json(result, indent=2)):
        data = json.loads(text)
        assert data["billed"] == "12345678901234667.99"
        assert data["paid"] == "12345678901234567.89"
        assert data["lines"][1]["paid"] == "100.10"
        assert data["lines"][0]["adjustments"][0]["amount"] == "100.10"


def test_835_amounts_are_exact():
    # An X12 R element carries at most 18 digits, hence the smaller "large" amount here.
    big = Decimal("9999999999999.99")
    out = io.StringIO()
    writer = X12_835Writer(out, now=None)
    writer.write(_result(_two_line_claim(), big=big), _two_line_claim())
    writer.close()
    segments = [s.strip() for s in out.getvalue().split("~")]
    clp = next(s for s in segments if s.startswith("CLP*"))
    # CLP03 charge, CLP04 payment, CLP05 patient responsibility; X12 R drops trailing zeros
    assert clp.split("*")[3:6] == [str(big + DIME), str(big - DEDUCTIBLE + DIME), "100.1"]
    svc = [s for s in segments if s.startswith("SVC*")]
    assert [s.split("*")[2:4] for s in svc] == [[str(big), str(big - DEDUCTIBLE)], ["100.1", "100.1"]]


def test_comparison_writers_print_exact_amounts():
    claim = _two_line_claim()
    pairs = [(claim, _result(claim, "medicare")), (claim, _result(claim, "other", big=BIG + 1))]
    csv_out, json_out, html_out = io.StringIO(), io.StringIO(), io.StringIO()
    for writer in (
        CsvComparison(csv_out, ["medicare", "other"]),
        JsonComparison(json_out, ["medicare", "other"]),
        HtmlComparison(html_out, ["medicare", "other"]),
    ):
        run_comparison(pairs, ["medicare", "other"], writer, {})
    paid_medicare = BIG - DEDUCTIBLE  # line 1: 12345678901234467.79
    paid_other = BIG + 1 - DEDUCTIBLE
    assert f"1,{claim.lines[0].procedure},medicare,paid,{BIG},{paid_medicare}," in csv_out.getvalue()
    assert f"1,{claim.lines[0].procedure},other,paid,{BIG + 1},{paid_other}," in csv_out.getvalue()
    data = json.loads(json_out.getvalue())
    [line1] = [r for r in data["claims"][0]["lines"] if r["line"] == 1]
    assert line1["payers"]["medicare"]["paid"] == str(paid_medicare)
    summary = {s["payer"]: s for s in data["summary"]}
    assert summary["medicare"]["billed"] == str(BIG + DIME)
    assert summary["other"]["expected_reimbursement"] == str(BIG + 1 - DEDUCTIBLE + DIME)
    html = html_out.getvalue()
    assert f"{paid_other:,.2f}" in html  # 12,345,678,901,234,468.79
    assert f"{BIG + DIME:,.2f}" in html


def test_spark_rows_carry_the_decimals_exactly() -> None:
    """``decimal(18,2)`` columns: 16 digits before the point, more than a claim's totals reach."""
    pa = pytest.importorskip("pyarrow", reason="the Spark rows are Arrow record batches (payer-rules[spark])")
    from payer_rules.spark import _arrow_result_schema, _result_row

    big = Decimal("9999999999999999.99") - DIME  # billed = big + 100.10: the column's largest value
    claim = _two_line_claim()
    row = _result_row(0, 0, 0, _result(claim, big=big))
    batch = pa.RecordBatch.from_pylist([row], schema=_arrow_result_schema())
    [out] = batch.to_pylist()
    assert out["billed"] == Decimal("9999999999999999.99")
    assert out["paid"] == big - DEDUCTIBLE + DIME
    assert [ln["paid"] for ln in out["lines"]] == [big - DEDUCTIBLE, DIME]
    assert json.loads(out["result"])["lines"][1]["billed"] == "100.10"


def test_the_service_answers_exact_amounts_as_json_and_as_fhir() -> None:
    pytest.importorskip("starlette", reason="the service needs the serve extra (starlette, uvicorn)")
    pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Starlette suggests httpx2 for its TestClient
        from starlette.testclient import TestClient

    from payer_rules.engine import Engine
    from payer_rules.io.claims import claim_to_json
    from payer_rules.service.app import create_app

    charge = Decimal("9999999999.90")  # MAX_AMOUNT's size, a trailing zero a float drops
    claim = _two_line_claim()
    claim = evolve(claim, lines=(evolve(claim.lines[0], charge=charge), claim.lines[1]))
    with TestClient(create_app(Engine.from_installed())) as client:
        url = "/v1/adjudicate?payer=medicare"
        body = claim_to_json(claim).encode()
        as_json = client.post(url, content=body, headers={"content-type": "application/json"})
        fhir = client.post(
            url, content=body, headers={"content-type": "application/json", "accept": "application/fhir+json"}
        )
    assert as_json.status_code == fhir.status_code == 200, as_json.text[:300]
    [result] = as_json.json()["results"]
    assert result["lines"][0]["billed"] == "9999999999.90"
    billed = charge + claim.lines[1].charge
    assert result["billed"] == f"{billed:.2f}"
    assert '"net":{"value":9999999999.90,"currency":"USD"}' in fhir.text
    data = json.loads(fhir.text, parse_float=Decimal)
    submitted = next(
        t for t in data["entry"][1]["resource"]["total"] if t["category"]["coding"][0]["code"] == "submitted"
    )
    assert submitted["amount"]["value"] == billed
