"""The in-process NCCI indexes (``ncci/lookup.py``): the same answers as the table, by date.

Tables here are hand-written in CMS's layouts. Expected answers follow the NCCI Policy Manual's
rule, worked in each test: an edit applies from its effective date through its deletion date
(both inclusive); indicator 0 is never bypassed, 1 is bypassed by an NCCI-associated modifier,
9 never applies; the column-2 line is the one denied, whatever the order of the lines.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from payer_rules.engine import Engine
from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine
from payer_rules.store import ImportOptions
from payer_rules_medicare.imported import imported
from payer_rules_medicare.ncci.lookup import MueIndex, PtpIndex, mue_index, ptp_index
from payer_rules_medicare.ncci.mue import import_mue
from payer_rules_medicare.ncci.ptp import NO_DELETION, import_ptp

PTP_HEADER = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)
FIRST = "Standards of medical / surgical practice"
AGAIN = "Misuse of column two code with column one code"
EDITS = [
    # an indicator-0 edit in force 2025-07-01 .. 2026-03-31, re-added from 2026-04-01 as indicator 1
    f"20610\t76942\t\t20250701\t20260331\t0\t{FIRST}",
    f"20610\t76942\t\t20260401\t*\t1\t{AGAIN}",
    # indicator 9: the edit does not apply
    f"11042\t97597\t\t20100101\t*\t9\t{FIRST}",
    # column-2 codes whose concatenation "1100012345" holds "00012" across the two codes
    f"64450\t11000\t\t20100101\t*\t0\t{FIRST}",
    f"64450\t12345\t\t20100101\t*\t0\t{FIRST}",
]


def write_ptp(directory: Path, lines: list[str]) -> Path:
    path = directory / "ccipra-v322r0-f1.txt"
    path.write_text(PTP_HEADER + "".join(f"{line}\r\n" for line in lines))
    return path


@pytest.fixture
def ptp_data(tmp_path) -> Path:
    data = tmp_path / "data"
    import_ptp([write_ptp(tmp_path, EDITS)], ImportOptions(data_dir=data))
    return data


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def claim(day: dt.date, *lines: tuple[str, tuple[str, ...]]) -> Claim:
    return Claim(
        id="L-1",
        patient=Person(id="P-1"),
        coverage=Coverage(payer_id="medicare", member_id="M1"),
        billing_provider=Provider(npi="1234567893", address=Address(zip="94110")),
        rendering_provider=Provider(npi="1987654328"),
        service_facility_zip="94110",
        received_date=day + dt.timedelta(days=20),
        diagnoses=(Diagnosis(code="M17.11"),),
        lines=tuple(
            ServiceLine(procedure=code, modifiers=mods, charge=Decimal("100.00"), service_date=day)
            for code, mods in lines
        ),
    )


def ptp_denials(engine: Engine, c: Claim) -> list[tuple[int | None, str]]:
    result = engine.adjudicate(c, "medicare")
    return [(f.line, f.message) for f in result.findings if f.code == "MCR301"]


@pytest.mark.parametrize(
    ("day", "modifiers", "denied", "rationale"),
    [
        (dt.date(2025, 6, 30), (), False, None),  # the day before the effective date
        (dt.date(2025, 7, 1), ("59",), True, FIRST),  # the effective date; indicator 0: 59 does not bypass
        (dt.date(2026, 3, 31), ("59",), True, FIRST),  # the deletion date still applies
        (dt.date(2026, 4, 1), ("59",), False, None),  # re-added with indicator 1: 59 bypasses
        (dt.date(2026, 4, 1), (), True, AGAIN),  # ... and without a modifier it applies
    ],
)
@pytest.mark.parametrize("column_two_first", [False, True])
def test_dates_and_modifier_indicators_decide_in_either_line_order(
    engine, ptp_data, monkeypatch, day, modifiers, denied, rationale, column_two_first
):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(ptp_data))
    lines = [("20610", ()), ("76942", modifiers)]
    if column_two_first:
        lines.reverse()
    found = ptp_denials(engine, claim(day, *lines))
    if not denied:
        assert found == []
        return
    column_two_line = 1 if column_two_first else 2
    ((line, message),) = found
    assert line == column_two_line
    assert "20610/76942" in message
    assert f"Rationale: {rationale}" in message


def test_indicator_9_never_applies(engine, ptp_data, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(ptp_data))
    assert ptp_denials(engine, claim(dt.date(2026, 5, 4), ("11042", ()), ("97597", ()))) == []


def test_a_code_is_found_only_at_its_own_place(ptp_data):
    tables = imported(ptp_data)
    index = ptp_index(tables)
    assert index is not None
    edits = index.column_one({"64450", "00012", "20610", "9921"})
    assert set(edits) == {"64450", "20610"}  # 00012 is column 1 of nothing; 9921 is no code
    assert edits["64450"].edit_on("00012", 20260101) is None  # inside "11000" + "12345"
    assert edits["64450"].edit_on("12345", 20260101) is not None
    assert edits["64450"].edit_on("1234", 20260101) is None
    (deleted, again) = edits["20610"].edits("76942")
    assert (deleted.effective, deleted.deletion, deleted.indicator) == (20250701, 20260331, 0)
    assert (again.effective, again.deletion, again.indicator, again.rationale) == (
        20260401,
        NO_DELETION,
        1,
        AGAIN,
    )
    assert ptp_index(tables) is index  # made once per connection


def _oracle(conn: sqlite3.Connection, col1: str, col2: str, day: int) -> tuple[int, int, int, str] | None:
    """The rule read straight from the table: the earliest-effective edit in force on ``day``."""
    row = conn.execute(
        "SELECT effective, deletion, modifier, coalesce(r.text, '') FROM ptp "
        "LEFT JOIN rationale r ON r.id = ptp.rationale "
        "WHERE col1 = ? AND col2 = ? AND effective <= ? AND ? <= deletion ORDER BY effective LIMIT 1",
        (col1, col2, day, day),
    ).fetchone()
    return None if row is None else (row[0], row[1], row[2], row[3])


@pytest.mark.parametrize("capacity", [1, 3, 1_000_000])
def test_the_index_answers_as_the_table_for_every_pair_and_day(tmp_path, capacity):
    rng = random.Random(7)
    codes = [f"{c:05d}" for c in rng.sample(range(10000, 99999), 12)] + ["0001U", "G0101"]
    lines = []
    for col1 in codes:
        for col2 in rng.sample(codes, 8):
            if col2 == col1:
                continue
            start = rng.choice([20100101, 20250101, 20260401])
            end = rng.choice(["*", "20250630", "20260331", "20261231"])
            lines.append(
                f"{col1}\t{col2}\t\t{start}\t{end}\t{rng.choice('019')}\t{rng.choice([FIRST, AGAIN])}"
            )
            if end != "*" and rng.random() < 0.5:  # re-added after its deletion
                lines.append(f"{col1}\t{col2}\t\t{int(end) + 1}\t*\t{rng.choice('019')}\t{AGAIN}")
    data = tmp_path / "data"
    import_ptp([write_ptp(tmp_path, lines)], ImportOptions(data_dir=data))
    days = [20091231, 20100101, 20250101, 20250630, 20250701, 20260331, 20260401, 20261231, 20270101]
    with closing(sqlite3.connect(data / "medicare-ncci-ptp.sqlite")) as conn:
        index = PtpIndex(conn, capacity=capacity)
        checked = 0
        for _ in range(2):  # the second round answers from the cache (or after evictions)
            for col1 in codes:
                for col2 in codes:
                    edits = index.column_one([col1])
                    for day in days:
                        expected = _oracle(conn, col1, col2, day)
                        hit = edits[col1].edit_on(col2, day) if col1 in edits else None
                        got = (
                            None
                            if hit is None
                            else (hit.effective, hit.deletion, hit.indicator, hit.rationale)
                        )
                        assert got == expected, (col1, col2, day)
                        checked += expected is not None
        assert checked > 100


MUE_HEAD = (
    '"HCPCS/\r\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\r\n'
)


def test_mue_index_takes_the_release_in_force_and_remembers_absent_codes(tmp_path):
    january = tmp_path / "MCR_MUE_PractitionerServices_Eff_01-01-2026.csv"
    january.write_text(MUE_HEAD + "36415,2,1 Line Edit,Clinical: Data\r\n")
    july = tmp_path / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"
    july.write_text(MUE_HEAD + "36415,3,2 Date of Service Edit: Policy,Clinical: Data\r\n")
    data = tmp_path / "data"
    import_mue([january, july], ImportOptions(data_dir=data))
    tables = imported(data)
    index = mue_index(tables)
    assert isinstance(index, MueIndex) and mue_index(tables) is index
    assert index.release_on(dt.date(2025, 12, 31)) is None
    for day, start, limit in [
        (dt.date(2026, 1, 1), "2026-01-01", (2, 1)),
        (dt.date(2026, 6, 30), "2026-01-01", (2, 1)),
        (dt.date(2026, 7, 1), "2026-07-01", (3, 2)),
    ]:
        release = index.release_on(day)
        assert release is not None and release[0] == start
        for _ in range(2):  # asked again: from the cache, the same answer
            assert index.limits(release[0], {"36415", "99213"}) == {"36415": limit}


def test_a_new_import_brings_a_new_index(engine, tmp_path, monkeypatch):
    data = tmp_path / "data"
    import_ptp([write_ptp(tmp_path, EDITS[:1])], ImportOptions(data_dir=data))
    first = ptp_index(imported(data))
    newer = tmp_path / "newer"
    newer.mkdir()
    path = newer / "ccipra-v323r0-f1.txt"
    path.write_text(PTP_HEADER + f"20610\t76942\t\t20100101\t*\t0\t{FIRST}\r\n")
    import_ptp([path], ImportOptions(data_dir=data))
    second = ptp_index(imported(data))
    assert second is not first
    assert second is not None
    hit = second.column_one(["20610"])["20610"].edit_on("76942", 20250101)
    assert hit is not None and hit.effective == 20100101


def test_claims_without_a_table_or_pairs_are_untouched(engine, tmp_path, monkeypatch):
    c = claim(dt.date(2026, 5, 4), ("20610", ()), ("76942", ()))
    assert ptp_denials(engine, c) == []  # nothing imported
    assert ptp_index(imported(tmp_path)) is None
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path))
    assert ptp_denials(engine, attrs.evolve(c, lines=c.lines[:1])) == []
