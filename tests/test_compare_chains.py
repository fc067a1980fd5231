"""compare --chain: one batch judged by two payer chains (Medicare then New York Medicaid, Medicare
then a Medigap plan), the difference explained by rule.

Expected amounts are worked here by each payer's published formula from the CMS CY2026 PFS
amount for 99213 in San Francisco, non-facility ($117.58, the figure ``test_cob_examples`` uses):
Medicare pays 80% less 2% sequestration (42 CFR 410.152; the Budget Control Act sequester);
New York Medicaid pays the Medicare deductible in full and the coinsurance up to its own rate
(80% of Medicare) less Medicare's payment (SSL §367-a(1)(d)); California Medicaid pays the
cost sharing up to its own rate (87.5% of Medicare) less Medicare's payment (42 U.S.C.
1396a(n)(2)); the Medigap Plan F (standard COB, NAIC MDL-120 §7) pays the lesser of its own
benefit (the Medicare-approved amount) and the cost sharing Medicare left.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from attrs import evolve
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.cli.state import use_engine
from payer_rules.compare.diff import PayerLine, chain_outcome, compare_chains
from payer_rules.engine import Engine
from payer_rules.io.claims import claim_to_json
from payer_rules.io.readers import read_path
from payer_rules.models import Claim

from .conftest import EXAMPLES
from .helpers import assert_balanced

FEE = Decimal("117.58")
ZERO = Decimal(0)
CHAIN_A = "medicare,medicaid-ny"
CHAIN_B = "medicare,silverleaf"


def cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


@pytest.fixture(autouse=True)
def _installed(engine: Engine) -> None:
    use_engine(engine)


def dual(*, qmb: bool = True) -> Claim:
    [claim] = [
        c
        for c in read_path(str(EXAMPLES / "cob" / "01-dual-eligible-crossover.json"))
        if isinstance(c, Claim)
    ]
    return evolve(claim, coverage=evolve(claim.coverage, qmb=qmb))


def write(tmp_path: Path, claim: Claim) -> str:
    path = tmp_path / f"{claim.id}-{claim.coverage.qmb}.json"
    path.write_text(claim_to_json(claim))
    return str(path)


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def medicare_line() -> tuple[Decimal, Decimal]:
    """(paid, coinsurance) of Medicare on the example line, deductible met on the claim."""
    coinsurance = cents(FEE * Decimal("0.20"))
    paid = FEE - coinsurance - cents((FEE - coinsurance) * Decimal("0.02"))
    return paid, coinsurance


def test_json_compares_the_two_chains_by_formula_and_names_the_rules(tmp_path: Path) -> None:
    out = invoke(
        "compare", write(tmp_path, dual()), "--chain", CHAIN_A, "--chain", CHAIN_B, "--format", "json"
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["payers"] == ["medicare>medicaid-ny", "medicare>silverleaf"]
    assert data["chains"] == {
        "medicare>medicaid-ny": ["medicare", "medicaid-ny"],
        CHAIN_B.replace(",", ">"): ["medicare", "silverleaf"],
    }
    [claim] = data["claims"]
    [line] = claim["lines"]
    a, b = line["payers"]["medicare>medicaid-ny"], line["payers"]["medicare>silverleaf"]
    medicare_paid, coinsurance = medicare_line()
    ny_allowed = cents(FEE * Decimal("0.80"))
    ny_pays = min(coinsurance, max(ZERO, ny_allowed - medicare_paid))
    gap_pays = min(FEE, coinsurance)
    assert [s["payer"] for s in a["steps"]] == ["medicare", "medicaid-ny"]
    assert Decimal(a["steps"][0]["paid"]) == Decimal(b["steps"][0]["paid"]) == medicare_paid
    assert Decimal(a["steps"][1]["paid"]) == ny_pays
    assert Decimal(b["steps"][1]["paid"]) == gap_pays
    assert Decimal(a["paid"]) == medicare_paid + ny_pays
    assert Decimal(b["paid"]) == medicare_paid + gap_pays
    assert Decimal(a["patient_responsibility"]) == 0  # a QMB is never billed (CO-23)
    assert Decimal(b["patient_responsibility"]) == coinsurance - gap_pays
    assert line["differs"] is True
    assert "MCD801" in a["rule_codes"] and "MCD802" in a["rule_codes"]
    assert "COM801" in b["rule_codes"] and "MCD801" not in b["rule_codes"]
    assert "only this chain applied: MCD801, MCD802" in a["explanation"]
    assert "COM801" in b["explanation"] and "COM801" not in a["explanation"]
    summary = {s["payer"]: s for s in data["summary"]}
    assert Decimal(summary["medicare>medicaid-ny"]["expected_reimbursement"]) == medicare_paid + ny_pays
    assert Decimal(summary["medicare>silverleaf"]["billed"]) == Decimal("150.00")  # billed once per chain
    # allowed: the primary's (Medicare allows the fee, under the $150 charge), not New York
    # Medicaid's own 80% of it, a ceiling on what the chain pays rather than the line's price
    assert Decimal(a["allowed"]) == Decimal(b["allowed"]) == FEE
    assert [Decimal(s["allowed"]) for s in a["steps"]] == [FEE, ny_allowed]
    assert Decimal(summary["medicare>medicaid-ny"]["allowed"]) == FEE
    assert Decimal(summary["medicare>silverleaf"]["allowed"]) == FEE
    assert a["explanation"].startswith(
        f"medicare paid {medicare_paid} of {FEE} allowed, "
        f"then medicaid-ny paid {ny_pays} of {ny_allowed} allowed: "
    )


def test_the_patient_owes_what_the_last_payer_left(tmp_path: Path) -> None:
    """Not a QMB, California: Medi-Cal pays up to its rate, the member owes the rest."""
    out = invoke(
        "compare",
        write(tmp_path, dual(qmb=False)),
        "--chain",
        "medicare,medicaid-ca",
        "--chain",
        CHAIN_B,
        "--format",
        "csv",
    )
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == [
        "claim_id", "line", "procedure", "chain", "status", "allowed", "paid", "patient_responsibility",
        "differs", "rule_codes", "reasons", "basis", "paid_by_payer", "explanation", "allowed_by_payer",
    ]  # fmt: skip
    by_chain = {r["chain"]: r for r in rows}
    medicare_paid, coinsurance = medicare_line()
    ca_pays = min(coinsurance, max(ZERO, cents(FEE * Decimal("0.875")) - medicare_paid))
    ca = by_chain["medicare>medicaid-ca"]
    assert Decimal(ca["paid"]) == medicare_paid + ca_pays
    assert Decimal(ca["patient_responsibility"]) == coinsurance - ca_pays
    assert ca["paid_by_payer"] == f"medicare={medicare_paid} medicaid-ca={ca_pays}"
    assert Decimal(ca["allowed"]) == FEE
    assert ca["allowed_by_payer"] == f"medicare={FEE} medicaid-ca={cents(FEE * Decimal('0.875'))}"
    gap = by_chain["medicare>silverleaf"]
    assert Decimal(gap["patient_responsibility"]) == 0
    assert ca["differs"] == gap["differs"] == "yes"


def test_a_chain_in_compare_is_the_chain_of_adjudicate(engine: Engine, tmp_path: Path) -> None:
    """The same numbers as `adjudicate --payer medicare --then medicaid-ny`, and every result balances."""
    claim = dual(qmb=False)
    results = [r for _, r in engine.adjudicate_pairs([claim], ["medicare", "medicaid-ny"], chain=True)]
    for r in results:
        assert_balanced(r)
    [row] = compare_chains([("medicare>medicaid-ny", results)])
    [outcome] = row.outcomes
    assert outcome.paid == sum((r.paid for r in results), ZERO)
    assert outcome.patient_responsibility == results[-1].patient_responsibility
    assert results[0].billed == results[0].paid + sum(
        (a.amount for ln in results[0].lines for a in ln.adjustments), ZERO
    )
    out = invoke("compare", write(tmp_path, claim), "--chain", CHAIN_A, "--format", "json")
    assert out.exit_code == 0, out.output
    one = json.loads(out.stdout)["claims"][0]["lines"][0]["payers"]["medicare>medicaid-ny"]
    assert [Decimal(s["paid"]) for s in one["steps"]] == [r.paid for r in results]


def _step(payer: str, status: str, paid: str, patient: str) -> PayerLine:
    return PayerLine(
        payer=payer,
        status=status,
        allowed=Decimal(paid) + Decimal(patient),
        paid=Decimal(paid),
        patient_responsibility=Decimal(patient),
        reasons=(),
        rule_codes=(),
    )


def test_the_chain_allowed_is_what_the_payer_that_settled_the_line_first_allowed() -> None:
    # _step's allowed is paid + patient: a 100 line, 80 / 20; the secondary allows its own 70
    primary_then_secondary = chain_outcome(
        "a>b", [_step("a", "paid", "80", "20"), _step("b", "paid", "15", "55")]
    )
    assert (primary_then_secondary.allowed, primary_then_secondary.paid) == (Decimal(100), Decimal(95))
    secondary_denied = chain_outcome("a>b", [_step("a", "paid", "80", "20"), _step("b", "denied", "0", "0")])
    assert secondary_denied.allowed == Decimal(100)
    # the primary denied it: the secondary priced it first
    as_primary = chain_outcome("a>b", [_step("a", "denied", "0", "0"), _step("b", "paid", "60", "40")])
    assert as_primary.allowed == Decimal(100)
    pended = chain_outcome("a>b", [_step("a", "pended", "0", "30"), _step("b", "pended", "0", "0")])
    assert pended.allowed == Decimal(30)  # none settled: the primary's
    assert [s.allowed for s in primary_then_secondary.steps] == [Decimal(100), Decimal(70)]


def test_a_secondary_denial_leaves_the_patient_what_the_primary_left() -> None:
    denied = chain_outcome("a>b", [_step("a", "paid", "80", "20"), _step("b", "denied", "0", "0")])
    assert (denied.status, denied.paid, denied.patient_responsibility) == ("paid", Decimal(80), Decimal(20))
    settled = chain_outcome("a>b", [_step("a", "paid", "80", "20"), _step("b", "paid", "15", "5")])
    assert (settled.paid, settled.patient_responsibility) == (Decimal(95), Decimal(5))
    as_primary = chain_outcome("a>b", [_step("a", "denied", "0", "0"), _step("b", "paid", "60", "40")])
    assert (as_primary.status, as_primary.patient_responsibility) == ("paid", Decimal(40))
    waiting = chain_outcome("a>b", [_step("a", "pended", "0", "0"), _step("b", "pended", "0", "0")])
    assert waiting.status == "pended"
    both_denied = chain_outcome("a>b", [_step("a", "denied", "0", "0"), _step("b", "denied", "0", "0")])
    assert both_denied.status == "denied"


def test_table_and_html_show_the_chains_and_why(engine: Engine, tmp_path: Path) -> None:
    claim = write(tmp_path, dual())
    table = invoke("compare", claim, "--chain", CHAIN_A, "--chain", CHAIN_B)
    assert table.exit_code == 0, table.output
    assert "medicare>medicaid-ny" in table.stdout and "rules only this chain applied: MCD801" in table.stdout
    assert "chain" in table.stdout.split("Summary")[1]
    target = tmp_path / "chains.html"
    html = invoke(
        "compare", claim, "--chain", CHAIN_A, "--chain", CHAIN_B, "--format", "html", "-o", str(target)
    )
    assert html.exit_code == 0, html.output
    page = target.read_text()
    assert "Claims compared across payer chains" in page
    names = {p: engine.payer(p).name for p in ("medicare", "medicaid-ny", "silverleaf")}
    assert f"{names['medicare']}, then {names['silverleaf']}" in page
    assert f"{names['medicare']}, then {names['medicaid-ny']}" in page
    assert 'class="explain"' in page and "MCD802" in page
    assert 'data-payer="medicare&gt;medicaid-ny"' in page


def test_chain_usage_errors(tmp_path: Path) -> None:
    claim = write(tmp_path, dual())
    both = invoke("compare", claim, "--payer", "medicare", "--chain", CHAIN_A)
    assert both.exit_code == 2 and "not both" in both.stderr
    neither = invoke("compare", claim)
    assert neither.exit_code == 2
    typo = invoke("compare", claim, "--chain", "medicare,medicaid-nyy")
    assert typo.exit_code == 2 and "did you mean 'medicaid-ny'" in typo.stderr
    twice = invoke("compare", claim, "--chain", "medicare,medicare")
    assert twice.exit_code == 2 and "once in a chain" in twice.stderr
    stdin = invoke("compare", "-", "--chain", CHAIN_A, "--jobs", "2")
    assert stdin.exit_code == 2 and "not stdin" in stdin.stderr


def test_jobs_give_the_serial_chain_comparison(tmp_path: Path) -> None:
    folders = [str(EXAMPLES / "cob"), str(EXAMPLES / "medicaid")]
    args = ["compare", *folders, "--chain", CHAIN_A, "--chain", CHAIN_B, "--format", "json"]
    serial = invoke(*args)
    parallel = invoke(*args, "--jobs", "2")
    assert serial.exit_code == parallel.exit_code == 0, parallel.output
    assert parallel.stdout == serial.stdout
    assert len(json.loads(serial.stdout)["claims"]) > 3


def test_what_if_through_a_chain_moves_each_payer_and_the_patient(tmp_path: Path) -> None:
    """A charge of $100 under the $117.58 fee: Medicare allows the lesser (42 CFR 414.21), so the
    crossover moves with it. Not a QMB: the member owes what Medi-Cal leaves."""
    out = invoke(
        "what-if",
        write(tmp_path, dual(qmb=False)),
        "--payer",
        "medicare",
        "--then",
        "medicaid-ca",
        "--change",
        "line1.charge=100.00",
        "--format",
        "json",
    )
    assert out.exit_code == 0, out.output
    medicare, medicaid = json.loads(out.stdout)
    assert (medicare["chain"], medicare["position"], medicaid["position"]) == ("medicare>medicaid-ca", 0, 1)
    paid_before, coins_before = medicare_line()
    ca_before = min(coins_before, max(ZERO, cents(FEE * Decimal("0.875")) - paid_before))
    allowed = Decimal("100.00")
    coins = cents(allowed * Decimal("0.20"))
    paid = allowed - coins - cents((allowed - coins) * Decimal("0.02"))
    ca = min(coins, max(ZERO, cents(allowed * Decimal("0.875")) - paid))
    assert (Decimal(medicare["before"]["paid"]), Decimal(medicare["after"]["paid"])) == (paid_before, paid)
    assert (Decimal(medicaid["before"]["paid"]), Decimal(medicaid["after"]["paid"])) == (ca_before, ca)
    assert "chain_after" not in medicare
    assert Decimal(medicaid["chain_before"]["paid"]) == paid_before + ca_before
    assert Decimal(medicaid["chain_after"]["paid"]) == paid + ca
    assert Decimal(medicaid["chain_before"]["patient_responsibility"]) == coins_before - ca_before
    assert Decimal(medicaid["chain_after"]["patient_responsibility"]) == coins - ca
    assert any("MCD801" in f and f"pays {ca}" in f for f in medicaid["findings_added"])
    table = invoke(
        "what-if", write(tmp_path, dual()), "--payer", "medicare", "--then", "medicaid-ca",
        "--change", "line1.charge=100.00",
    )  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "chain medicare>medicaid-ca: paid together" in table.stdout
    two = invoke(
        "what-if", write(tmp_path, dual()), "--payer", "medicare", "--payer", "bluepeak",
        "--then", "medicaid-ca", "--change", "line1.charge=100.00",
    )  # fmt: skip
    assert two.exit_code == 2 and "--then follows one --payer" in two.stderr


@pytest.mark.parametrize(
    "chain", [["medicare", "medicaid-ny"], ["medicare", "silverleaf"], ["bluepeak", "medicare"]]
)
def test_money_holds_across_every_chain_on_the_example_batches(engine: Engine, chain: list[str]) -> None:
    """Every example claim through each chain: each payer's result balances; per line the chain
    pays at most the charge, and what the payers paid plus what the patient still owes is at
    most the charge."""
    claims = [
        c
        for folder in ("claims", "cob", "medicaid", "commercial-payers")
        for path in sorted((EXAMPLES / folder).glob("*.json"))
        for c in read_path(str(path))
        if isinstance(c, Claim)
    ]
    assert len(claims) > 10
    session_free = [[r for _, r in engine.adjudicate_pairs([c], chain, chain=True)] for c in claims]
    for results in session_free:
        for r in results:
            assert_balanced(r)
        for row in compare_chains([(">".join(chain), results)]):
            [outcome] = row.outcomes
            billed = results[0].lines[row.line - 1].billed if row.line else results[0].billed
            assert ZERO <= outcome.paid <= billed, row
            assert outcome.patient_responsibility >= ZERO
            assert outcome.paid + outcome.patient_responsibility <= billed, row


def test_a_chain_with_an_empty_place_is_refused() -> None:
    out = invoke("compare", str(EXAMPLES / "claims"), "--chain", "medicare,,medicaid-ny")
    assert out.exit_code == 2
    assert "empty payer between commas" in out.output
