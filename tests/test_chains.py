"""Payer chains: the secondary judged with the primary's result, as if read from the primary's
remittance on an 837 (loops 2320 / 2330 / 2430)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from attrs import evolve
from click.testing import CliRunner

from payer_rules.chains import CHAIN_WAITING
from payer_rules.cli import cli
from payer_rules.engine import Engine
from payer_rules.io.readers import read_path
from payer_rules.io.x12.reader_837 import read_837_text
from payer_rules.io.x12.writer_837 import claims_to_837
from payer_rules.models import Claim, Coverage, Person, Provider
from payer_rules.results import ClaimResult, ClaimStatus, LineStatus

from .conftest import EXAMPLES
from .helpers import assert_balanced, make_claim

DUAL = EXAMPLES / "medicaid" / "01-adult-office-visit.json"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def dual_claim() -> Claim:
    [claim] = [c for c in read_path(str(DUAL)) if isinstance(c, Claim)]
    return claim


def money(result: ClaimResult) -> tuple[object, ...]:
    return (
        result.status,
        result.billed,
        result.allowed,
        result.paid,
        result.patient_responsibility,
        tuple((ln.status, ln.allowed, ln.paid, ln.adjustments) for ln in result.lines),
        tuple((f.code, f.line, f.message) for f in result.findings),
    )


def test_a_chain_judges_the_secondary_as_the_primarys_remittance_read_by_hand(engine: Engine) -> None:
    claim = dual_claim()
    pairs = list(engine.adjudicate_pairs([claim], ["medicare", "medicaid-ny"], chain=True))
    (_, primary), (seen, secondary) = pairs
    assert primary.payer == "medicare" and secondary.payer == "medicaid-ny"
    # By hand: the primary's remittance written into an 837's 2320 / 2430 loops and read back.
    assert isinstance(seen, Claim)
    [by_hand] = [c for c in read_837_text(claims_to_837([seen]), "by-hand.837") if isinstance(c, Claim)]
    [other] = [o for o in by_hand.coverage.other_coverage if o.payer_id.lower() == "medicare"]
    assert other.payment is not None
    assert other.payment.paid == primary.paid
    assert other.payment.line_paid == tuple(ln.paid for ln in primary.lines)
    assert (
        sum(a.amount for a in other.payment.line_adjustments[0])
        == primary.lines[0].billed - primary.lines[0].paid
    )
    assert money(engine.adjudicate(by_hand, "medicaid-ny")) == money(secondary)
    for result in (primary, secondary):
        assert_balanced(result)


def test_without_a_chain_the_same_claim_lacks_the_primarys_payment(engine: Engine) -> None:
    claim = dual_claim()
    chained = [r for _, r in engine.adjudicate_pairs([claim], ["medicare", "medicaid-ca"], chain=True)]
    apart = [r for _, r in engine.adjudicate_pairs([claim], ["medicare", "medicaid-ca"])]
    assert money(chained[0]) == money(apart[0])  # the primary is judged alike
    # The secondary saw the primary's adjudication only in the chain: a crossover (MCD801).
    assert "MCD801" in [f.code for f in chained[1].findings]
    assert "MCD801" not in [f.code for f in apart[1].findings]


def test_a_secondary_waits_while_the_primary_has_pended_the_claim(engine: Engine) -> None:
    # A code no Medicare schedule prices pends at Medicare (ENG003 / OA-133): Medicaid must wait.
    claim = make_claim(
        "W-1",
        lines=[{"procedure": "0001U", "charge": Decimal("300.00")}],
        coverage=Coverage(payer_id="medicaid-ny", member_id="NY1"),
        patient=Person(id="P-W", birth_date=dt.date(1980, 5, 5)),
        billing_provider=Provider(npi="1234567893", tax_id="123456789"),
    )
    (_, primary), (_, secondary) = engine.adjudicate_pairs([claim], ["medicare", "medicaid-ny"], chain=True)
    assert primary.status is ClaimStatus.PENDED
    assert secondary.status is ClaimStatus.PENDED
    assert [f.code for f in secondary.findings] == [CHAIN_WAITING]
    assert all(ln.status is LineStatus.PENDED and ln.paid == 0 for ln in secondary.lines)
    assert "medicare" in secondary.findings[0].message
    assert_balanced(secondary)


def test_an_existing_other_coverage_entry_for_the_primary_is_filled_in(engine: Engine) -> None:
    claim = dual_claim()
    listed = evolve(claim, coverage=evolve(claim.coverage, other_coverage=()))
    from payer_rules.models import OtherCoverage

    listed = evolve(
        listed,
        coverage=evolve(
            listed.coverage, other_coverage=(OtherCoverage(payer_id="MEDICARE", member_id="1EG4TE5MK72"),)
        ),
    )
    (_, _), (seen, _) = engine.adjudicate_pairs([listed], ["medicare", "medicaid-ny"], chain=True)
    assert isinstance(seen, Claim)
    [entry] = seen.coverage.other_coverage
    assert entry.member_id == "1EG4TE5MK72" and entry.payment is not None


def test_then_on_the_command_line_and_its_usage_errors(tmp_path: Path) -> None:
    out = tmp_path / "chain.835"
    result = CliRunner().invoke(
        cli,
        [
            "adjudicate",
            str(DUAL),
            "--payer",
            "medicare",
            "--then",
            "medicaid-ca",
            "-o",
            str(out),
            "--format",
            "x12-835",
        ],
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    # one transaction set per payer; Medicaid's says the claim was processed as secondary (CLP02 = 2)
    clp = [seg.split("*") for seg in text.split("~") if seg.strip().startswith("CLP")]
    assert sorted(c[2] for c in clp) == ["1", "2"]
    refused = CliRunner().invoke(
        cli, ["adjudicate", str(DUAL), "--payer", "medicare", "--payer", "bluepeak", "--then", "medicaid-ny"]
    )
    assert refused.exit_code == 2
    assert "--then follows one --payer" in refused.output


def test_jobs_give_the_same_chain_results_as_one_process(tmp_path: Path) -> None:
    args = [
        "adjudicate",
        str(EXAMPLES / "medicaid"),
        "--payer",
        "medicare",
        "--then",
        "medicaid-ny",
        "--format",
        "ndjson",
    ]
    serial = CliRunner().invoke(cli, args)
    parallel = CliRunner().invoke(cli, [*args, "--jobs", "2"])
    assert serial.exit_code == parallel.exit_code == 0, serial.output + parallel.output
    assert serial.stdout == parallel.stdout
    assert '"payer":"medicaid-ny"' in serial.stdout


def test_jobs_write_the_secondary_on_the_835_as_serial_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 835's CLP02 says "processed as secondary" (2) from the claim the secondary judged, which
    carries the primary's payment; the workers rendered it from the claim as read (1)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    args = ["adjudicate", str(EXAMPLES / "claims"), "--payer", "bluepeak", "--then", "medicare"]
    args += ["--format", "x12-835"]
    serial = CliRunner().invoke(cli, args)
    parallel = CliRunner().invoke(cli, [*args, "--jobs", "2"])
    assert serial.exit_code == parallel.exit_code, serial.output + parallel.output
    secondary = [
        s for s in serial.stdout.split("~") if s.strip().startswith("CLP*") and s.split("*")[2] == "2"
    ]
    assert secondary, "no claim on the 835 was processed as secondary"
    assert serial.stdout == parallel.stdout
