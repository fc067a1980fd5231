"""compare and what-if: differences named by rule code, summaries, the HTML report in a browser."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from payer_rules import hookimpl
from payer_rules.cli import cli
from payer_rules.cli.state import use_engine
from payer_rules.engine import Engine
from payer_rules.payers import PayerInfo, PayerKind
from payer_rules.plugins import get_plugin_manager
from payer_rules.results import (
    Adjudication,
    Adjustment,
    Finding,
    Group,
    LineAdjudication,
    PricedLine,
    Pricing,
    Severity,
    Source,
)

from .conftest import EXAMPLES

SRC = Source(name="generous-test-payer", version="1.0", citation="test contract")

#: The example files numbered 01-09: the figures below are theirs, whatever examples are added later.
ORIGINAL_EXAMPLES = [str(p) for p in sorted((EXAMPLES / "claims").glob("0*.json"))]


def _claims_in(paths: list[str]) -> int:
    """How many claims the files hold: the counts below follow the examples folder."""
    from payer_rules.io.json_claims import read_json_text

    return sum(len(list(read_json_text(Path(p).read_text(), p))) for p in paths)


class GenerousPayer:
    """Pays 60% of charges, no medical-necessity edits, denies 99214 (rule GEN001)."""

    @hookimpl
    def register_payers(self, register):
        register(PayerInfo(id="generous", name="Generous Health", kind=PayerKind.COMMERCIAL))

    @hookimpl
    def validate(self, claim, context):
        if context.payer.id != "generous":
            return ()
        return [
            Finding(
                code="GEN001",
                severity=Severity.DENY,
                message="99214 needs records",
                source=SRC,
                line=n,
                carc="252",
                group=Group.CO,
            )
            for n, ln in enumerate(claim.lines, 1)
            if ln.procedure == "99214"
        ]

    @hookimpl
    def price(self, claim, context):
        if context.payer.id != "generous":
            return None
        return Pricing(
            lines=tuple(
                PricedLine(line=n, allowed=ln.charge * Decimal("0.6")) for n, ln in enumerate(claim.lines, 1)
            ),
            source=SRC,
        )

    @hookimpl
    def adjudicate(self, claim, context, pricing):
        if context.payer.id != "generous":
            return None
        return Adjudication(
            lines=tuple(
                LineAdjudication(
                    line=p.line, adjustments=(Adjustment(group=Group.PR, carc="3", amount="5.00"),)
                )
                for p in pricing.lines
            ),
            source=SRC,
        )


@pytest.fixture(autouse=True)
def _two_payers():
    use_engine(Engine(get_plugin_manager(plugins=[GenerousPayer()])))


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_json_comparison_names_the_rule_behind_every_difference():
    out = invoke(
        "compare", *ORIGINAL_EXAMPLES, "--payer", "medicare", "--payer", "generous", "--format", "json"
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["payers"] == ["medicare", "generous"]
    lines = {(c["claim_id"], ln["line"]): ln for c in data["claims"] for ln in c["lines"]}
    sprain = lines[("CLM-1003", 1)]
    assert sprain["differs"] is True
    assert sprain["payers"]["medicare"]["rule_codes"] == ["MCR101"]
    assert sprain["payers"]["generous"]["status"] == "paid"
    visit = lines[("CLM-2001", 1)]
    assert visit["payers"]["generous"]["rule_codes"] == ["GEN001"]
    for ln in lines.values():
        if ln["differs"]:
            denied = [p for p in ln["payers"].values() if p["status"] in ("denied", "rejected", "pended")]
            assert all(p["rule_codes"] for p in denied)
    summary = {s["payer"]: s for s in data["summary"]}
    claims = _claims_in(ORIGINAL_EXAMPLES)
    assert summary["medicare"]["claims"] == claims
    assert summary["generous"]["top_denial_rules"][0]["code"] == "GEN001"
    assert summary["medicare"]["top_denial_carcs"][0]["carc"] in {"CO-50", "CO-16", "PR-50"}
    # clean-claim rate: medicare denies or rejects 3 claims (1003, 1004, 1005), generous 1
    assert summary["medicare"]["clean_claim_rate"] == str(_rate(claims - 3, claims))
    assert summary["generous"]["clean_claim_rate"] == str(_rate(claims - 1, claims))


def _rate(count: int, claims: int) -> Decimal:
    return (Decimal(100) * count / claims).quantize(Decimal("0.1"))


def test_csv_has_one_header_and_one_kind_of_row_and_loads_in_pandas(tmp_path):
    summary_path = tmp_path / "summary.csv"
    out = invoke(
        "compare",
        *ORIGINAL_EXAMPLES,
        "--payer",
        "medicare",
        "--payer",
        "generous",
        "--format",
        "csv",
        "--summary",
        str(summary_path),
    )
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.stdout)))
    header, body = rows[0], rows[1:]
    assert all(len(row) == len(header) for row in body)  # every row as wide as the header
    assert not any(row[0].startswith("#") for row in body)  # no summary rows mixed in
    records = [dict(zip(header, row, strict=True)) for row in body]
    assert {r["payer"] for r in records} == {"medicare", "generous"}
    assert {r["status"] for r in records} <= {"paid", "partial", "denied", "rejected", "pended", "error"}
    paid_generous = [r for r in records if r["payer"] == "generous" and r["status"] == "paid"]
    assert paid_generous and all(r["basis"] == "" for r in paid_generous)  # basis is its own column
    # written and read back by the csv module, byte for byte
    again = io.StringIO()
    csv.writer(again, lineterminator="\n").writerows(rows)
    assert again.getvalue() == out.stdout

    pandas = pytest.importorskip("pandas")
    frame = pandas.read_csv(io.StringIO(out.stdout), dtype={"claim_id": str, "procedure": str})
    assert list(frame.columns) == header
    assert set(frame["payer"]) == {"medicare", "generous"}
    assert frame["paid"].dtype.kind == "f" and frame["allowed"].dtype.kind == "f"
    assert frame["line"].dtype.kind in "if"

    summary = pandas.read_csv(summary_path)
    assert list(summary["payer"]) == ["medicare", "generous"]
    claims = _claims_in(ORIGINAL_EXAMPLES)
    assert list(summary["claims"]) == [claims, claims]
    rates = [float(_rate(claims - 3, claims)), float(_rate(claims - 1, claims))]
    assert list(summary["clean_claim_rate"]) == rates  # as in the JSON summary
    # the summary figures are the sums of the result rows' money
    for payer in ("medicare", "generous"):
        paid = sum(Decimal(r["paid"]) for r in records if r["payer"] == payer)
        (row,) = [r for r in csv.DictReader(summary_path.open()) if r["payer"] == payer]
        assert Decimal(row["expected_reimbursement"]) == paid


def test_table_names_rule_and_summary():
    table = invoke("compare", str(EXAMPLES / "claims"), "--payer", "medicare", "--payer", "generous")
    assert "MCR101" in table.stdout and "Summary" in table.stdout


def test_same_payer_twice_is_a_usage_error():
    out = invoke("compare", str(EXAMPLES / "claims"), "--payer", "medicare", "--payer", "medicare")
    assert out.exit_code == 2 and "once" in out.stderr


def test_what_if_adding_ga_moves_liability_to_the_patient():
    out = invoke(
        "what-if",
        str(EXAMPLES / "claims" / "03-glucose-ankle-sprain.json"),
        "--payer",
        "medicare",
        "--change",
        "line1.modifiers+=GA",
        "--format",
        "json",
    )
    (move,) = json.loads(out.stdout)
    assert move["moved"] is True
    assert move["before"]["patient_responsibility"] == "0.00"
    assert move["after"]["patient_responsibility"] == "25.00"
    assert any("PR-50" in f for f in move["findings_added"])


def test_what_if_moving_the_date_of_service_across_fy2026():
    out = invoke(
        "what-if",
        str(EXAMPLES / "claims" / "05-diabetes-in-remission-before-fy2026.json"),
        "--payer",
        "medicare",
        "--change",
        "line1.service_date=2025-10-01",
        "--format",
        "json",
    )
    (move,) = json.loads(out.stdout)
    assert move["before"]["status"] == "rejected"
    assert move["after"]["status"] != "rejected"
    assert any("MCR001" in f for f in move["findings_removed"])


def test_what_if_place_of_service_and_bad_changes():
    out = invoke(
        "what-if",
        str(EXAMPLES / "claims" / "01-office-visit-2026.json"),
        "--payer",
        "medicare",
        "--change",
        "place_of_service=22",
        "--format",
        "json",
    )
    (move,) = json.loads(out.stdout)
    assert Decimal(move["after"]["paid"]) < Decimal(move["before"]["paid"])
    bad = invoke(
        "what-if",
        str(EXAMPLES / "claims" / "01-office-visit-2026.json"),
        "--payer",
        "medicare",
        "--change",
        "line9.units=2",
    )
    assert bad.exit_code == 2 and "has 1 line" in bad.stderr
    bad = invoke(
        "what-if",
        str(EXAMPLES / "claims" / "01-office-visit-2026.json"),
        "--payer",
        "medicare",
        "--change",
        "line1.service_date=2026-13-01",
    )
    assert bad.exit_code == 2 and "not valid" in bad.stderr


def test_html_report_is_self_contained(tmp_path):
    target = tmp_path / "report.html"
    out = invoke(
        "compare",
        str(EXAMPLES / "claims"),
        "--payer",
        "medicare",
        "--payer",
        "generous",
        "--format",
        "html",
        "--output",
        str(target),
    )
    assert out.exit_code == 0, out.output
    page = target.read_text()
    assert "<svg" in page and "MCR101" in page and "GEN001" in page
    assert "http://" not in page and "https://" not in page.replace("https://json-schema", "")


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Debian's chromium is not installed (the README test block installs it)",
)
def test_html_report_draws_its_charts_in_a_real_browser(tmp_path):
    target = tmp_path / "report.html"
    invoke(
        "compare",
        str(EXAMPLES / "claims"),
        "--payer",
        "medicare",
        "--payer",
        "generous",
        "--format",
        "html",
        "--output",
        str(target),
    )
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=3000",
            "--dump-dom",
            target.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    drawn = int(dom.split('data-bars-drawn="')[1].split('"')[0])
    assert drawn >= 3  # two reimbursement bars plus at least one denial-reason segment
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={shot}",
            "--window-size=1200,1400",
            target.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 10_000


def test_jobs_2_gives_byte_identical_json(tmp_path):
    from .batch_claims import write_ndjson

    batch = write_ndjson(tmp_path / "batch.ndjson", 600)
    serial = invoke("compare", str(batch), "--payer", "medicare", "--payer", "generous", "--format", "json")
    parallel = invoke(
        "compare", str(batch), "--payer", "medicare", "--payer", "generous", "--format", "json", "--jobs", "2"
    )
    assert serial.exit_code == parallel.exit_code, parallel.output
    assert serial.stdout == parallel.stdout
    assert serial.stderr == parallel.stderr  # the same located errors for the bad lines
    assert len(json.loads(serial.stdout)["claims"]) >= 600
