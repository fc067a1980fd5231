"""999 and 277CA acknowledgments: what they say for good and bad 837s, and pyx12 accepts both."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.engine import Engine
from payer_rules.io.readers import read_claims, read_path
from payer_rules.io.x12.ack_999 import acknowledge_837
from payer_rules.io.x12.segments import Segment, tokenize
from payer_rules.io.x12.writer_277ca import X12_277CAWriter
from payer_rules.results import ClaimStatus

from .conftest import EXAMPLES
from .x12_helpers import pyx12_errors

PROFESSIONAL = EXAMPLES / "x12" / "professional.837"
INSTITUTIONAL = EXAMPLES / "x12" / "institutional.837"
NOW = dt.datetime(2026, 12, 7, 9, 30)


def segments(text: str) -> list[list[str]]:
    return [s.elements for s in tokenize(text) if isinstance(s, Segment)]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def broken_837(tmp_path: Path) -> Path:
    """The professional example with four planted faults in its first transaction set."""
    text = PROFESSIONAL.read_text()
    first_st_end = text.index("SE*")
    head, tail = text[:first_st_end], text[first_st_end:]
    head = head.replace("BHT*0019", "XYZ*1~BHT*0019", 1)  # a segment no 837 has
    head = head.replace("NM1*IL*1", "NM1*IL*9", 1)  # NM102 must be 1 or 2
    head = head.replace("DTP*472*D8*2026", "DTP*472*D8*2026X", 1)  # not a date
    tail = tail.replace("SE*", "SE*9", 1)  # the segment count no longer matches
    path = tmp_path / "broken.837"
    path.write_text(head + tail)
    return path


# -- 999 -------------------------------------------------------------------------------------------


def test_999_accepts_every_transaction_set_of_a_clean_file(tmp_path: Path) -> None:
    text = PROFESSIONAL.read_text()
    transaction_sets = sum(1 for s in segments(text) if s[0] == "ST")
    ack = acknowledge_837(text, now=NOW)
    segs = segments(ack.text)
    assert [s[1] for s in segs if s[0] == "IK5"] == ["A"] * transaction_sets
    assert (ack.accepted, ack.rejected) == (transaction_sets, 0)
    assert not [s for s in segs if s[0] in ("IK3", "IK4")]
    # the answer goes back the other way: the 837's receiver sends it to the 837's sender
    isa_in = next(s for s in segments(text) if s[0] == "ISA")
    isa_out = segs[0]
    assert (isa_out[6].strip(), isa_out[8].strip()) == (isa_in[8].strip(), isa_in[6].strip())
    assert segs[1][0] == "GS" and segs[1][1] == "FA" and segs[1][8] == "005010X231A1"
    out = tmp_path / "clean.999"
    out.write_text(ack.text)
    assert pyx12_errors(out) == []


def test_999_names_each_segment_and_element_in_error(tmp_path: Path) -> None:
    ack = acknowledge_837(broken_837(tmp_path).read_text(), now=NOW)
    segs = segments(ack.text)
    first = segs[segs.index(next(s for s in segs if s[0] == "ST")) :]
    first = first[: next(i for i, s in enumerate(first) if s[0] == "SE") + 1]
    ik3 = [s for s in first if s[0] == "IK3"]
    ik4 = [s for s in first if s[0] == "IK4"]
    assert [ik3[0][1], ik3[0][4]] == ["XYZ", "1"]  # unrecognized segment ID
    by_element = {(s[1], s[2]): s[3] for s in ik4}
    assert by_element[("2", "1065")] == "7"  # NM102 invalid code value
    assert by_element[("3", "1251")] == "8"  # DTP03 invalid date
    assert [s[1:] for s in first if s[0] == "IK5"] == [["R", "4"]]  # segment count does not match
    assert next(s for s in first if s[0] == "AK9")[1] == "R"
    transaction_sets = sum(1 for s in segments(PROFESSIONAL.read_text()) if s[0] == "ST")
    assert (ack.accepted, ack.rejected) == (transaction_sets - 1, 1)  # the others are fine
    out = tmp_path / "broken.999"
    out.write_text(ack.text)
    assert pyx12_errors(out) == []


# -- 277CA -----------------------------------------------------------------------------------------


def write_277ca(engine: Engine, inputs: list[str], payers: list[str]) -> tuple[str, list[ClaimStatus]]:
    out = io.StringIO()
    writer = X12_277CAWriter(out, now=NOW)
    statuses = []
    for item, result in engine.adjudicate_pairs(read_claims(inputs), payers):
        writer.write(result, item)
        statuses.append(result.status)
    writer.close()
    return out.getvalue(), statuses


def test_277ca_acknowledges_each_claim_and_pyx12_accepts_it(engine: Engine, tmp_path: Path) -> None:
    text, statuses = write_277ca(
        engine, [str(PROFESSIONAL), str(INSTITUTIONAL), str(EXAMPLES / "claims")], ["medicare", "bluepeak"]
    )
    segs = segments(text)
    claim_status = [s[1] for s in segs if s[0] == "STC" and s[1].startswith(("A2", "A3", "A7"))]
    rejected = sum(1 for s in statuses if s in (ClaimStatus.REJECTED, ClaimStatus.ERROR))
    assert len(claim_status) == len(statuses)
    assert sum(1 for c in claim_status if c.startswith(("A3", "A7"))) == rejected > 0
    assert sum(1 for c in claim_status if c == "A2:20") == len(statuses) - rejected
    # one transaction set per payer, each with the totals of what it accepted and rejected
    assert [s[1] for s in segs if s[0] == "ST"] == ["277", "277"]
    assert sum(int(s[2]) for s in segs if s[0] == "QTY" and s[1] in ("90", "AA")) == len(statuses)
    out = tmp_path / "claims.277ca"
    out.write_text(text)
    assert pyx12_errors(out) == []


def test_277ca_rejection_carries_the_status_code_of_the_front_end_edit(engine: Engine) -> None:
    # A FY2026 diagnosis before it took effect: Medicare rejects it (MCR001, CO-16 / M76).
    example = EXAMPLES / "claims" / "05-diabetes-in-remission-before-fy2026.json"
    claims = list(read_path(str(example)))
    text, statuses = write_277ca(engine, [str(example)], ["medicare"])
    assert statuses == [ClaimStatus.REJECTED] * len(claims)
    stc = [s for s in segments(text) if s[0] == "STC" and s[1].startswith("A7")]
    assert [s[1] for s in stc] == ["A7:255"] * len(claims)  # diagnosis code
    assert all(s[3] == "U" for s in stc)


# -- the command line ------------------------------------------------------------------------------


def test_ack_dir_writes_a_999_per_x12_input_and_a_277ca(tmp_path: Path) -> None:
    acks = tmp_path / "acks"
    result = CliRunner().invoke(
        cli,
        ["adjudicate", str(EXAMPLES / "x12"), "--payer", "medicare", "--format", "json", "--ack", str(acks)],
    )
    assert result.exit_code == 0, result.output
    x12_files = sorted(p.name for p in (EXAMPLES / "x12").iterdir() if p.read_text().startswith("ISA"))
    assert len(x12_files) >= 2
    assert sorted(p.name for p in acks.iterdir()) == sorted(
        ["claims.277ca", *(f"{n}.999" for n in x12_files)]
    )
    for path in acks.iterdir():
        assert pyx12_errors(path) == [], path


def test_format_x12_999_needs_no_payer_work_and_refuses_non_x12(tmp_path: Path) -> None:
    broken = broken_837(tmp_path)
    result = CliRunner().invoke(cli, ["check", str(broken), "--payer", "medicare", "--format", "x12-999"])
    assert result.exit_code == 0, result.output
    assert "IK5*R*4~" in result.stdout
    assert "1 rejected" in result.stderr
    refused = CliRunner().invoke(
        cli, ["check", str(EXAMPLES / "claims"), "--payer", "medicare", "--format", "x12-999"]
    )
    assert refused.exit_code == 2
    assert "no input is X12" in refused.output


def test_ack_with_jobs_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["adjudicate", str(PROFESSIONAL), "--payer", "medicare", "--ack", str(tmp_path), "--jobs", "2"]
    )
    assert result.exit_code == 2
    assert "--ack" in result.output


def test_format_x12_999_on_an_unreadable_envelope_is_a_located_error(tmp_path: Path) -> None:
    broken = tmp_path / "cut.837"
    broken.write_text("ISA*00*broken~GS*HC~")
    result = CliRunner().invoke(cli, ["check", str(broken), "--payer", "medicare", "--format", "x12-999"])
    assert result.exit_code == 1
    assert f"{broken}: no 999 could be made: no functional group" in result.stderr
    assert "Traceback" not in result.output
    assert "ST*999" not in result.stdout


@pytest.mark.parametrize("failure", ["validator", "no functional group"])
def test_ack_dir_when_no_999_can_be_made_exits_1_with_a_located_error(tmp_path, monkeypatch, failure) -> None:
    """The run's claims are fine, but no 999 can be made for the file: the run fails (exit 1),
    naming the file, instead of exiting 0 with an acknowledgment missing."""
    from payer_rules.io.x12 import ack_999

    def fails(text: str, **kwargs: object) -> ack_999.Acknowledgment:
        if failure == "validator":
            raise KeyError("pyx12 met something it could not map")
        return ack_999.Acknowledgment("", accepted=0, rejected=0, groups=0)

    monkeypatch.setattr(ack_999, "acknowledge_837", fails)
    acks = tmp_path / "acks"
    result = CliRunner().invoke(
        cli, ["adjudicate", str(PROFESSIONAL), "--payer", "medicare", "--format", "json", "--ack", str(acks)]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    expected = "no 999 could be made: " + (
        "the X12 validator (pyx12) failed" if failure == "validator" else "no functional group"
    )
    assert f"payer-rules: error: {PROFESSIONAL}: {expected}" in result.stderr
    assert len(json.loads(result.stdout)) == PROFESSIONAL.read_text().count("CLM*")  # every claim judged
    assert sorted(p.name for p in acks.iterdir()) == ["claims.277ca"]  # no 999 that looks finished
