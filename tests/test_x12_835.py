"""835 out: balanced, grouped per payer, accepted by pyx12; and the real 837 samples."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from attrs import evolve
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.io.readers import read_path
from payer_rules.io.x12.segments import Segment, tokenize
from payer_rules.io.x12.writer_835 import X12_835Writer
from payer_rules.models import Claim, Frequency, OtherCoverage, OtherPayment

from .conftest import EXAMPLES, SHARED_DATA
from .x12_helpers import pyx12_errors

PROFESSIONAL = EXAMPLES / "x12" / "professional.837"
SAMPLES = SHARED_DATA / "x12"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def write_835(engine: Engine, claims: list[Claim | InputError], path: Path) -> str:
    out = io.StringIO()
    writer = X12_835Writer(out, now=dt.datetime(2026, 11, 24, 10, 30))
    for item, result in engine.adjudicate_pairs(claims, ["medicare"]):
        writer.write(result, item)
    writer.close()
    path.write_text(out.getvalue())
    return out.getvalue()


def segments(text: str) -> list[list[str]]:
    return [s.elements for s in tokenize(text) if isinstance(s, Segment)]


def assert_balanced(text: str) -> None:
    segs = segments(text)
    bpr_total = Decimal(0)
    clp_total = Decimal(0)
    claim: list[str] | None = None
    cas_sum = Decimal(0)

    def close_claim() -> None:
        if claim is not None:
            assert Decimal(claim[3]) == Decimal(claim[4]) + cas_sum, claim

    for s in segs:
        if s[0] == "BPR":
            bpr_total += Decimal(s[2])
        elif s[0] == "CLP":
            close_claim()
            claim, cas_sum = s, Decimal(0)
            clp_total += Decimal(s[4])
        elif s[0] == "CAS":
            cas_sum += sum((Decimal(s[i]) for i in range(3, len(s), 3)), Decimal(0))
        elif s[0] == "SE":
            close_claim()
            claim = None
    assert bpr_total == max(clp_total, Decimal(0))


def test_835_for_the_examples_is_balanced_and_valid(engine, tmp_path):
    claims = list(read_path(str(PROFESSIONAL)))
    text = write_835(engine, claims, tmp_path / "out.835")
    assert_balanced(text)
    assert pyx12_errors(tmp_path / "out.835") == []
    results = {r.claim_id: r for r in engine.adjudicate_many(claims, ["medicare"])}
    statuses = {s[1]: s[2] for s in segments(text) if s[0] == "CLP"}
    for claim_id, status in statuses.items():
        expected = "4" if results[claim_id].status in ("denied", "rejected") else "1"
        assert status == expected, claim_id
    assert any(s[:2] == ["AMT", "B6"] for s in segments(text))
    remarks = sum(len(set(ln.rarcs)) for r in results.values() for ln in r.lines)
    assert sum(1 for s in segments(text) if s[:2] == ["LQ", "HE"]) == remarks


def test_835_statuses_secondary_and_reversal(engine, tmp_path):
    [first, second, *_] = [c for c in read_path(str(PROFESSIONAL)) if isinstance(c, Claim)]
    secondary = evolve(
        second,
        id="SEC-1",
        coverage=evolve(
            second.coverage,
            other_coverage=(OtherCoverage(payer_id="ACME", payment=OtherPayment(paid=Decimal("10.00"))),),
        ),
    )
    void = evolve(first, id="VOID-1", frequency=Frequency.VOID, original_claim_id="MEDICARECLM-1001")
    text = write_835(engine, [secondary, void, second], tmp_path / "cob.835")
    clp = {s[1]: s for s in segments(text) if s[0] == "CLP"}
    assert clp["SEC-1"][2] == "2"
    assert clp["VOID-1"][2] == "22" and Decimal(clp["VOID-1"][3]) < 0
    assert_balanced(text)
    assert pyx12_errors(tmp_path / "cob.835") == []


def test_one_transaction_per_payer_and_payee(engine, tmp_path):
    claims = [c for c in read_path(str(PROFESSIONAL)) if isinstance(c, Claim)]
    other = evolve(
        claims[0], id="OTHER-PAYEE", billing_provider=evolve(claims[0].billing_provider, npi="1987654328")
    )
    text = write_835(engine, [*claims, other], tmp_path / "two.835")
    assert sum(1 for s in segments(text) if s[0] == "ST") == 2
    assert pyx12_errors(tmp_path / "two.835") == []


def test_cli_adjudicate_to_835(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "medicare")
    out = tmp_path / "out.835"
    result = CliRunner().invoke(
        cli,
        ["adjudicate", str(PROFESSIONAL), "--payer", "medicare", "--format", "x12-835", "--output", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert pyx12_errors(out) == []


def test_cli_check_refuses_835(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "medicare")
    result = CliRunner().invoke(
        cli, ["check", str(PROFESSIONAL), "--payer", "medicare", "--format", "x12-835"]
    )
    assert result.exit_code == 2
    assert "use it with adjudicate, not check" in result.output


# -- the real samples ------------------------------------------------------------------------------


def _sample_837s() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    found = []
    for path in sorted(SAMPLES.rglob("*")):
        if not path.is_file():
            continue
        head = path.read_text(encoding="utf-8", errors="replace")[:400]
        if "*837*" in head or "~837~" in head or "ST*837" in head or "\nST~837" in head:
            found.append(path)
    return found


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"shared X12 samples not found at {SAMPLES}")
@pytest.mark.parametrize("path", _sample_837s(), ids=lambda p: p.name)
def test_every_sample_837_gives_results_or_located_errors(engine, path, tmp_path):
    items = list(read_path(str(path)))
    assert items
    for item in items:
        if isinstance(item, InputError):
            assert str(item).startswith(f"{path}: segment ") or str(item).startswith(f"{path}:"), str(item)
    text = write_835(engine, items, tmp_path / "out.835")
    if text:
        assert_balanced(text)
        assert pyx12_errors(tmp_path / "out.835") == []


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"shared X12 samples not found at {SAMPLES}")
def test_cli_adjudicates_the_sample_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "medicare")
    out = tmp_path / "samples.835"
    result = CliRunner().invoke(
        cli, ["adjudicate", str(SAMPLES), "--payer", "medicare", "--format", "x12-835", "--output", str(out)]
    )
    assert result.exit_code == 1  # some samples are broken on purpose: located errors, no traceback
    assert "Traceback" not in result.output
    assert "x12_bad_segment_identifier.txt: segment 6 (" in result.output
    assert pyx12_errors(out) == []


def test_source_date_epoch_makes_the_835_reproducible(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from payer_rules.cli import cli

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    claims = Path(__file__).resolve().parents[1] / "examples" / "x12" / "professional.837"
    args = ["adjudicate", str(claims), "--payer", "medicare", "--format", "x12-835"]
    runs = [CliRunner().invoke(cli, args).stdout for _ in range(2)]
    assert runs[0] == runs[1] and "*260101*0000*" in runs[0]


def test_835_says_it_as_medicare_does(engine, tmp_path):
    """MOA MA130 on an unprocessable claim, LQ M38 on a GA denial, LQ M144 on a global-period
    denial, MOA MA28 on an unassigned non-participating claim; pyx12 accepts the file."""
    claims = {c.id: c for c in read_path(str(PROFESSIONAL)) if isinstance(c, Claim)}
    rejected, abn, visit = claims["CLM-1005"], claims["CLM-1004"], claims["CLM-1001"]
    # G0121 (screening colonoscopy, GLOB DAYS 000 in the starter pack's CY2025) and an office
    # visit by the same physician the same day
    day = dt.date(2025, 6, 2)
    same_day = evolve(
        visit,
        id="GLOBAL-1",
        lines=(
            evolve(visit.lines[0], procedure="G0121", service_date=day),
            evolve(visit.lines[0], charge=Decimal("120"), service_date=day),
        ),
    )
    unassigned = evolve(
        visit,
        id="UNASSIGNED-1",
        accept_assignment=False,
        billing_provider=evolve(visit.billing_provider, participating=False),
    )
    text = write_835(engine, [rejected, abn, same_day], tmp_path / "medicare.835")
    assert pyx12_errors(tmp_path / "medicare.835") == []
    # pyx12's remark-code list lacks MA28 (a current CMS RARC since 1997); the rest is accepted
    text += write_835(engine, [unassigned], tmp_path / "unassigned.835")
    assert pyx12_errors(tmp_path / "unassigned.835") == [
        "(MA28) is not a valid code for Claim Payment Remark Code (MOA03)"
    ]
    assert_balanced(text)
    by_claim: dict[str, list[list[str]]] = {}
    current = ""
    for s in segments(text):
        if s[0] == "CLP":
            current = s[1]
        if current:
            by_claim.setdefault(current, []).append(s)
    moa = {cid: [s for s in segs if s[0] == "MOA"] for cid, segs in by_claim.items()}
    assert moa["CLM-1005"] and moa["CLM-1005"][0][3] == "MA130"
    assert ["LQ", "HE", "M38"] in by_claim["CLM-1004"]
    assert ["LQ", "HE", "M144"] in by_claim["GLOBAL-1"]
    assert moa["UNASSIGNED-1"] and "MA28" in moa["UNASSIGNED-1"][0]
    assert moa["CLM-1004"] == [] and moa["GLOBAL-1"] == []
    # MOA sits after the claim's NM1 segments and before its dates (loop 2100 order)
    names = [s[0] for s in by_claim["CLM-1005"]]
    assert names.index("MOA") > max(i for i, n in enumerate(names) if n == "NM1")
    assert names.index("MOA") < names.index("DTM")
