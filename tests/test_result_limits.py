"""A computed amount beyond what the outputs hold is that claim's error (ENG027), in every runner.

The readers keep each amount read within 9,999,999,999.99 and units within 99,999,999, but a
rate times units is not bounded by that: a pack's fee schedule without the lesser-of-charge cap
at 999,999,999.99 a unit times 99,999,999 units allows 99,999,998,999,000,000.01, 19 digits,
where an X12 835 amount (R) holds 18 and a ``decimal(18,2)`` column 16 before the point.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.engine.own_rules import amount_beyond
from payer_rules.io.json_claims import read_json_text
from payer_rules.results import Adjustment, ClaimResult, ClaimStatus, Group, LineResult, LineStatus

from .x12_helpers import pyx12_errors

#: A payer whose pack prices 99213 at 999,999,999.99 a unit without the lesser-of-charge cap: 99,999,999
#: units (the most a line may bill) allow 99,999,998,999,000,000.01, 17 digits before the point.
BIG_PACK = """
[pack]
name = "bigpay"
prefix = "BIG"
version = "2026.1.0"
payers = ["bigpay"]
effective_from = 2026-01-01
source = "a test payer"

[payer]
id = "bigpay"
name = "Big Pay"
kind = "commercial"

[[rules]]
code = "BIG301"
name = "no-fee"
kind = "fee-schedule"
severity = "pend"
status = "stable"
effective_from = 2026-01-01
summary = "Prices lines from its fee schedule."
citation = "a test payer's fee schedule"
message = "line {line}: {procedure} has no amount"
carc = "133"
group = "OA"
lesser_of_charge = false
fees = [{ procedure = "99213", amount = "999999999.99" }]
"""

#: The same, seen once a year per member (BIG107).
PACK = (
    BIG_PACK
    + """
[[rules]]
code = "BIG107"
name = "once-a-year"
kind = "frequency-limit"
severity = "deny"
status = "stable"
effective_from = 2026-01-01
summary = "99213 more than once a calendar year."
citation = "a test payer's policy"
message = "line {line}: {procedure} already paid on {last_date}"
carc = "119"
group = "CO"
procedures = ["99213"]
per_year = true
"""
)

RATE = Decimal("999999999.99")
#: decimal(18,2), and an 835 amount: 18 digits, 16 before the point.
LIMIT = Decimal("9999999999999999.99")


def _claim(claim_id: str, units: int, member: str, day: str) -> str:
    return json.dumps(
        {
            "id": claim_id,
            "patient": {"id": member, "last_name": "Doe", "first_name": "Jane", "birth_date": "1960-01-01"},
            "coverage": {"payer_id": "bigpay", "member_id": member},
            "billing_provider": {"npi": "1234567893", "name": "Clinic"},
            "place_of_service": "11",
            "received_date": "2026-05-20",
            "diagnoses": [{"code": "M17.11"}],
            "lines": [{"procedure": "99213", "units": str(units), "charge": "10.00", "service_date": day}],
        }
    )


@pytest.fixture
def run(tmp_path, monkeypatch):
    """``payer-rules adjudicate`` (or ``command``) over HUGE (M1), LATER (M1, a week on), S1 and
    S2 (M2), or ``claims``."""
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # the 835's envelope dates the run
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "bigpay.toml").write_text(PACK, encoding="utf-8")
    claims = tmp_path / "claims.ndjson"
    claims.write_text(
        "\n".join(
            [
                _claim("HUGE", 99999999, "M1", "2026-05-04"),
                _claim("LATER", 2, "M1", "2026-05-11"),
                _claim("S1", 2, "M2", "2026-05-04"),
                _claim("S2", 2, "M2", "2026-05-11"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )

    def adjudicate(*args: str, claims: Path = claims, command: str = "adjudicate") -> str:
        quiet = ("-q",) if command == "adjudicate" else ()
        out = CliRunner().invoke(
            cli,
            [command, str(claims), "--payer", "bigpay", "--rulepacks", str(packs), *quiet, *args],
            catch_exceptions=False,
        )
        assert out.exit_code == 0, out.output
        return out.stdout

    return adjudicate


def test_the_uncapped_amount_is_beyond_what_an_835_holds():
    allowed = RATE * 99999999
    assert allowed == Decimal("99999998999000000.01")
    assert len(allowed.as_tuple().digits) == 19 > 18
    assert allowed > LIMIT and RATE * 2 <= LIMIT


def test_serial_ndjson_gives_that_claim_a_located_error_and_judges_the_others(run):
    results = {r["claim_id"]: r for r in map(json.loads, run("--format", "ndjson").splitlines())}
    huge = results["HUGE"]
    assert (huge["status"], huge["billed"], huge["paid"], huge["lines"]) == ("error", "0.00", "0.00", [])
    [finding] = huge["findings"]
    assert (finding["code"], finding["severity"], finding["group"], finding["carc"]) == (
        "ENG027",
        "reject",
        "CO",
        "16",
    )
    assert finding["message"].startswith(
        f"claim HUGE: bigpay's line 1 allowed {RATE * 99999999} is beyond what a result may carry"
    )
    assert "at most 9,999,999,999,999,999.99" in finding["message"]
    assert huge["origin"] == "claim HUGE"
    # 2 units fit: allowed and paid 2 x the rate, the charge's excess a negative CO-45
    assert (results["S1"]["status"], Decimal(results["S1"]["paid"])) == ("paid", RATE * 2)
    assert results["S1"]["lines"][0]["adjustments"] == [
        {"group": "CO", "carc": "45", "amount": str(Decimal("10.00") - RATE * 2)}
    ]


def test_the_claim_in_error_is_not_in_the_members_history(run):
    """Like any claim in error, it was not adjudicated: the member's later 99213 is the first
    of the year (paid), where M2's second one is denied by the once-a-year edit."""
    results = {r["claim_id"]: r for r in map(json.loads, run("--format", "ndjson").splitlines())}
    assert results["LATER"]["status"] == "paid"
    assert results["S2"]["status"] == "denied"
    assert [f["code"] for f in results["S2"]["findings"]] == ["BIG107"]


def test_jobs_give_the_serial_results(run):
    assert run("--format", "ndjson", "--jobs", "2") == run("--format", "ndjson")


def test_the_835_leaves_that_claim_out_and_stays_valid(run, tmp_path):
    out = tmp_path / "out.835"
    run("--format", "x12-835", "--output", str(out))
    text = out.read_text(encoding="utf-8")
    segments = [s.strip().split("*") for s in text.split("~") if s.strip()]
    assert sorted(s[1] for s in segments if s[0] == "CLP") == ["LATER", "S1", "S2"]
    assert all(len(a.lstrip("-").replace(".", "")) <= 18 for s in segments for a in _amounts(s))
    assert pyx12_errors(out) == []


def _amounts(segment: list[str]) -> list[str]:
    return [e for e in segment[1:] if e.lstrip("-").replace(".", "").isdigit()]


def test_payments_that_together_pass_the_limit_go_in_two_transactions(run, tmp_path):
    """Each claim fits, but an 835 transaction's BPR02 is their sum: the claim that would take it
    beyond 18 digits starts another transaction for the same payer and payee."""
    paid = RATE * 6000001
    assert paid <= LIMIT < paid * 2
    claims = tmp_path / "two.ndjson"
    claims.write_text(
        _claim("A", 6000001, "M3", "2026-05-04") + "\n" + _claim("B", 6000001, "M4", "2026-05-04") + "\n"
    )
    out = tmp_path / "two.835"
    run("--format", "x12-835", "--output", str(out), claims=claims)
    segments = [s.strip().split("*") for s in out.read_text(encoding="utf-8").split("~") if s.strip()]
    assert [Decimal(s[2]) for s in segments if s[0] == "BPR"] == [paid, paid]
    assert [s[1] for s in segments if s[0] in ("ST", "CLP")] == ["835", "A", "835", "B"]
    assert all(len(a.lstrip("-").replace(".", "")) <= 18 for s in segments for a in _amounts(s))
    assert pyx12_errors(out) == []
    # the same with --jobs: the parts are joined by the same writer
    jobs = tmp_path / "jobs.835"
    run("--format", "x12-835", "--output", str(jobs), "--jobs", "2", claims=claims)
    assert jobs.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def _result(allowed: Decimal, billed: Decimal = Decimal("10.00")) -> ClaimResult:
    line = LineResult(
        line=1,
        procedure="99213",
        modifiers=(),
        units=Decimal(1),
        status=LineStatus.PAID,
        billed=billed,
        allowed=allowed,
        paid=allowed,
        adjustments=(Adjustment(group=Group.CO, carc="45", amount=billed - allowed),),
    )
    return ClaimResult(
        claim_id="C",
        payer="p",
        status=ClaimStatus.PAID,
        as_of=None,
        billed=billed,
        allowed=allowed,
        paid=allowed,
        patient_responsibility=Decimal(0),
        lines=(line,),
    )


def test_the_limit_itself_fits_and_a_cent_more_does_not():
    assert amount_beyond(_result(LIMIT)) is None
    assert amount_beyond(_result(-LIMIT, Decimal("-10.00"))) is None
    beyond = LIMIT + Decimal("0.01")
    assert amount_beyond(_result(beyond)) == f"line 1 allowed {beyond}"


def test_an_adjustment_beyond_the_limit_is_found_either_sign():
    """No reader accepts a negative charge, but a plugin's result is not read: every amount is
    checked, either sign. Here only the CO-45 (charge less allowed) is beyond."""
    result = _result(LIMIT, Decimal("-1.00"))
    assert amount_beyond(result) == f"line 1 adjustment CO-45 {-LIMIT - Decimal('1.00')}"


def test_the_engine_api_and_what_if_leave_the_session_as_it_was(tmp_path):
    """Engine.adjudicate (what-if, the service's and compare's runners go through it): the
    error result, and nothing of the claim kept in the session."""
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "bigpay.toml").write_text(PACK, encoding="utf-8")
    engine = Engine.from_installed(rulepack_dirs=[packs])
    [claim] = read_json_text(_claim("HUGE", 99999999, "M1", "2026-05-04"), "huge.json")
    session = Session()
    result = engine.adjudicate(claim, "bigpay", session=session)
    assert result.status is ClaimStatus.ERROR and [f.code for f in result.findings] == ["ENG027"]
    assert session.services("bigpay", claim.member_key) == ()
    [fits] = read_json_text(_claim("FITS", 2, "M1", "2026-05-04"), "fits.json")
    assert engine.adjudicate(fits, "bigpay", session=session).paid == RATE * 2
    assert len(session.services("bigpay", claim.member_key)) == 1


def test_a_secondary_waits_for_the_primary_in_error(run):
    """In a chain the primary's ENG027 is a claim it could not judge: the secondary pends it
    (ENG020, as registered for ``explain``) instead of coordinating with nothing."""
    results = [json.loads(r) for r in run("--format", "ndjson", "--then", "medicare").splitlines()]
    primary, secondary = (r for r in results if r["claim_id"] == "HUGE")
    assert [f["code"] for f in primary["findings"]] == ["ENG027"]
    assert secondary["payer"] == "medicare" and secondary["status"] == "pended"
    [waiting] = [f for f in secondary["findings"] if f["code"] == "ENG020"]
    rule = Engine.from_installed().rule("ENG020")
    assert (waiting["severity"], waiting["carc"], waiting["group"]) == (rule.severity, rule.carc, rule.group)


def _finding(result: dict) -> str:
    [finding] = result["findings"]
    return f"{finding['code']}: {finding['message']}"


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_what_if_and_the_service_give_the_serial_error(run, tmp_path):
    serial = {r["claim_id"]: r for r in map(json.loads, run("--format", "ndjson").splitlines())}
    expected = _finding(serial["HUGE"])
    assert expected.startswith("ENG027: claim HUGE: bigpay's line 1 allowed 99999998999000000.01")
    # what-if: the units that go beyond
    claim = tmp_path / "huge.json"
    claim.write_text(_claim("HUGE", 2, "M1", "2026-05-04"), encoding="utf-8")
    out = run("--change", "line1.units=99999999", "--format", "json", claims=claim, command="what-if")
    [move] = json.loads(out)
    assert (move["before"]["status"], move["after"]["status"]) == ("paid", "error")
    assert move["findings_added"] == [expected.replace("ENG027: ", "ENG027 CO-16 (line -): ", 1)]
    # the service: the same result JSON as the runner
    from starlette.testclient import TestClient

    from payer_rules.service.app import create_app

    engine = Engine.from_installed(rulepack_dirs=[tmp_path / "packs"])
    with TestClient(create_app(engine)) as client:
        response = client.post(
            "/v1/adjudicate?payer=bigpay",
            content=_claim("HUGE", 99999999, "M1", "2026-05-04"),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [serial["HUGE"]]
