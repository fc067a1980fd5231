"""Units of an authorization are used up across claims (:mod:`payer_rules.pas.usage`).

One Da Vinci PAS request certifies 3 units of L1851 (a knee orthosis on CMS's DMEPOS Required
Prior Authorization List, as the Medicare plugin ships it) for member 1EG4TE5MK72 from 2026-05-04
to 2026-05-29. Each claim below bills L1851 quoting the number, each on its own day (two on one
day would be duplicates, MCR402, and a denied line uses nothing); what is left is worked in each
test from those 3 units and the units of the claims before it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli

from .conftest import EXAMPLES
from .test_pas import (
    _request,
    billed_claim,
    claim_response,
    codes,
    listed_for_prior_auth,
    review_action,
    submit,
)

AUTHORIZED = 3  # the request's quantity
_DAYS: dict[str, str] = {}  # each claim's day of service, from 2026-05-04 in the order first asked


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(directory))
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "medicare,codesets")
    _DAYS.clear()
    return directory


def certify(tmp_path: Path) -> str:
    assert listed_for_prior_auth("L1851", dt.date(2026, 5, 4))
    data = _request()
    item = data["entry"][0]["resource"]["item"][0]
    item["quantity"] = {"value": AUTHORIZED}
    del item["servicedDate"]
    item["servicedPeriod"] = {"start": "2026-05-04", "end": "2026-05-29"}
    path = tmp_path / "three.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    bundle, result = submit(path, tmp_path)
    assert result.exit_code == 0, result.output
    response = claim_response(bundle)
    number: str = response["preAuthRef"]
    assert review_action(response["item"][0])[:2] == ("A1", number)
    return number


def run(
    claims: list[dict[str, Any]], tmp_path: Path, *extra: str, command: str = "adjudicate"
) -> dict[str, Any]:
    path = tmp_path / f"claims-{len(list(tmp_path.glob('claims-*.json')))}.json"
    path.write_text(json.dumps(claims), encoding="utf-8")
    out = path.with_suffix(".out")
    result = CliRunner().invoke(
        cli, [command, str(path), "--payer", "medicare", "--format", "json", "-o", str(out), *extra]
    )
    assert result.exit_code == 0, result.output
    return {
        "text": out.read_text(encoding="utf-8"),
        **{r["claim_id"]: r for r in json.loads(out.read_text())},
    }


def honoured(result: dict[str, Any]) -> bool:
    """The line passed the authorization edit on the number (ENG021), else MCR501 and ENG022 stand."""
    found = codes(result)
    if "ENG021" in found:
        assert "MCR501" not in found and "ENG022" not in found
        return True
    assert {"MCR501", "ENG022"} <= found, result["findings"]
    return False


def why(result: dict[str, Any]) -> str:
    [message] = [f["message"] for f in result["findings"] if f["code"] == "ENG022"]
    return str(message)


def claim(number: str, claim_id: str, units: int, **changes: Any) -> dict[str, Any]:
    """A claim for ``units`` of L1851 on a day of its own (a replacement or void: its original's)."""
    extra = {k: changes.pop(k) for k in ("frequency", "original_claim_id") if k in changes}
    own = extra.get("original_claim_id", claim_id)
    day = _DAYS.setdefault(own, (dt.date(2026, 5, 4) + dt.timedelta(days=len(_DAYS))).isoformat())
    return {**billed_claim(number, id=claim_id, units=str(units), service_date=day, **changes), **extra}


def test_units_are_used_up_across_claims_and_runs_and_replays_do_not_count_twice(data_dir, tmp_path):
    number = certify(tmp_path)
    first = [claim(number, "A", 2), claim(number, "B", 2), claim(number, "C", 1)]
    judged = run(first, tmp_path)
    # A: 3 left, bills 2 -> passes. B: 3 - 2 = 1 left, bills 2 -> over. C: 1 left, bills 1 -> passes.
    assert honoured(judged["A"]) and not honoured(judged["B"]) and honoured(judged["C"])
    assert judged["B"]["lines"][0]["status"] == "denied"
    assert (
        f"{number} authorizes {AUTHORIZED} unit(s) of L1851, 2 used by earlier claims (A 2); "
        "this line bills 2" in why(judged["B"])
    )

    # The same claims again (a rerun, or the provider sending them again): each claim's own earlier
    # use is not counted against it. A sees C's 1 of the first run: 3 - 1 = 2 left, bills 2 ->
    # passes; B sees A 2 and C 1: 0 left; C sees A 2: 1 left, bills 1 -> passes.
    again = run(first, tmp_path)
    assert honoured(again["A"]) and not honoured(again["B"]) and honoured(again["C"])
    assert "3 used by earlier claims (A 2, C 1); this line bills 2" in why(again["B"])

    # A replacement of A (frequency 7) billing 1 unit takes the place of A's 2: used are C 1 and
    # the replacement 1, so 3 - 2 = 1 is left for E.
    replaced = run(
        [claim(number, "A-R", 1, frequency="replacement", original_claim_id="A"), claim(number, "E", 1)],
        tmp_path,
    )
    assert honoured(replaced["A-R"]) and honoured(replaced["E"])
    # Now A-R 1, C 1, E 1: nothing is left.
    full = run([claim(number, "F", 1)], tmp_path)["F"]
    assert not honoured(full)
    assert "3 used by earlier claims (A-R 1, C 1, E 1); this line bills 1" in why(full)

    # Voiding C (frequency 8) gives its unit back: F now fits, and G after it does not.
    voided = run(
        [
            claim(number, "C-V", 1, frequency="void", original_claim_id="C"),
            claim(number, "F", 1),
            claim(number, "G", 1),
        ],
        tmp_path,
    )
    assert honoured(voided["F"]) and not honoured(voided["G"])
    assert "3 used by earlier claims (A-R 1, E 1, F 1)" in why(voided["G"])


def test_check_only_reads_what_was_used(data_dir, tmp_path):
    number = certify(tmp_path)
    # scrubbing 3 units twice: each sees all 3 left, and neither uses them
    checked = run([claim(number, "S1", 3), claim(number, "S2", 3)], tmp_path, command="check")
    assert "ENG021" in codes(checked["S1"]) and "ENG021" in codes(checked["S2"])
    assert honoured(run([claim(number, "A", 3)], tmp_path)["A"])
    # after A used all 3, a check of another claim says so
    assert "ENG022" in codes(run([claim(number, "S3", 1)], tmp_path, command="check")["S3"])


def test_jobs_count_what_the_serial_run_counts(data_dir, tmp_path, monkeypatch):
    """Two members, each with their own authorization, their claims interleaved, one member's id
    written in lower case on one claim (the edit compares ids trimmed and upper case, so that
    claim uses the same units): ``--jobs 3`` gives the serial run's bytes."""
    number = certify(tmp_path)
    data = _request()
    item = data["entry"][0]["resource"]["item"][0]
    item["quantity"] = {"value": AUTHORIZED}
    del item["servicedDate"]
    item["servicedPeriod"] = {"start": "2026-05-04", "end": "2026-05-29"}
    for entry in data["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Coverage":
            resource["subscriberId"] = "2FG5UF6NL83"
            for identifier in resource.get("identifier", []):
                identifier["value"] = "2FG5UF6NL83"
    other_path = tmp_path / "other.json"
    other_path.write_text(json.dumps(data), encoding="utf-8")
    bundle, result = submit(other_path, tmp_path)
    assert result.exit_code == 0, result.output
    other = claim_response(bundle)["preAuthRef"]
    claims = []
    for n in range(4):  # 2 units each: the first of each member fits its 3, the rest do not
        claims.append(claim(number, f"M1-{n}", 2, member_id="1EG4TE5MK72" if n % 2 else "1eg4te5mk72"))
        claims.append(claim(other, f"M2-{n}", 2, member_id="2FG5UF6NL83"))
    stored = data_dir / "authorizations.sqlite"
    serial_dir = tmp_path / "serial"
    serial_dir.mkdir()
    shutil.copy(stored, serial_dir / stored.name)
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(serial_dir))
    serial = run(claims, tmp_path)
    assert [honoured(serial[f"M1-{n}"]) for n in range(4)] == [True, False, False, False]
    assert [honoured(serial[f"M2-{n}"]) for n in range(4)] == [True, False, False, False]
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(data_dir))
    assert run(claims, tmp_path, "--jobs", "3")["text"] == serial["text"]
    # and the workers record what the serial run records
    assert recorded(data_dir) == recorded(serial_dir) != []


def test_a_line_denied_by_another_edit_uses_nothing(data_dir, tmp_path):
    number = certify(tmp_path)
    first = claim(number, "D1", 1)
    duplicate = {**claim(number, "D2", 1), "lines": first["lines"]}  # same service, same day
    judged = run([first, duplicate, claim(number, "D3", 2)], tmp_path)
    assert "MCR402" in codes(judged["D2"]) and judged["D2"]["lines"][0]["status"] == "denied"
    # D2 was honoured on the number, but denied as a duplicate: only D1's 1 is used, 3 - 1 = 2
    # are left for D3's 2.
    assert honoured(judged["D1"]) and honoured(judged["D3"])
    assert not honoured(run([claim(number, "D4", 1)], tmp_path)["D4"])  # D1 1 + D3 2 = 3 used


def test_another_payer_judging_the_same_claim_leaves_the_first_payers_use_alone(
    data_dir, tmp_path, monkeypatch
):
    """The number was issued for Medicare, so only Medicare's judgment uses its units; BluePeak
    judging the same claim afterwards (as in a comparison or a chain) is another payer's
    judgment and does not take the place of Medicare's use."""
    from payer_rules.context import Session
    from payer_rules.engine import Engine
    from payer_rules.io.claims import claim_from_dict
    from payer_rules.pas.usage import AuthorizationLedger

    number = certify(tmp_path)
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "medicare,commercial,codesets")
    engine = Engine.from_installed()
    assert {"medicare", "bluepeak"} <= set(engine.payers)
    session = Session(authorizations=AuthorizationLedger(record=True))
    first = claim_from_dict(claim(number, "CH-1", 3))
    assert "ENG021" in {f.code for f in engine.adjudicate(first, "medicare", session=session).findings}
    engine.adjudicate(first, "bluepeak", session=session)
    session.authorizations.flush()  # where a runner's run ends
    # CH-1 used all 3 units with Medicare, in this run and as recorded for the next
    for ledger in (session, Session()):
        second = claim_from_dict(claim(number, "CH-2", 1))
        codes_2 = {f.code for f in engine.adjudicate(second, "medicare", session=ledger).findings}
        assert {"MCR501", "ENG022"} <= codes_2


def test_a_claim_a_plugin_fails_on_leaves_nothing_held_for_the_next_with_its_id(monkeypatch):
    """``hold`` runs while a claim is authorized, ``settle`` once it is judged; when a later stage
    raises, what was held must go, or a resubmission with the same id and payer quoting no number
    of ours would be credited with the failed claim's units."""
    from payer_rules.context import Session
    from payer_rules.engine import Engine
    from payer_rules.io.claims import claim_from_dict

    engine = Engine.from_installed()
    billed = claim_from_dict(json.loads((EXAMPLES / "claims" / "01-office-visit-2026.json").read_text()))
    session = Session()

    def fails(the_claim, context, *_args):
        context.session.authorizations.hold(the_claim, "medicare", {1: ("A-1", 1, Decimal(1))})
        raise RuntimeError("a plugin's bug")

    monkeypatch.setattr(engine._pipeline, "run", fails)
    with pytest.raises(RuntimeError):
        engine.adjudicate(billed, "medicare", session=session)
    assert session.authorizations._held is None


def recorded(directory: Path) -> list[tuple[Any, ...]]:
    """Every row of use recorded in ``directory``'s ``authorizations.sqlite``, sorted."""
    conn = sqlite3.connect(directory / "authorizations.sqlite")
    try:
        rows = conn.execute("SELECT claim_id, line, units, number, item, payer FROM authorization_units")
        return sorted(rows)
    finally:
        conn.close()


def test_a_run_records_what_its_claims_used_with_one_connection(data_dir, tmp_path, monkeypatch):
    """Four claims quote the number and one replaces the first: the run opens
    ``authorizations.sqlite`` to write once, at its end, and later claims of the run still count
    what earlier ones used."""
    from payer_rules.pas import store

    number = certify(tmp_path)
    opened: list[Path] = []
    connect = store._connect

    def counted(path: Path) -> sqlite3.Connection:
        opened.append(path)
        return connect(path)

    monkeypatch.setattr(store, "_connect", counted)
    claims = [
        claim(number, "A", 1),
        claim(number, "B", 1),
        claim(number, "A-R", 1, frequency="replacement", original_claim_id="A"),
        claim(number, "C", 1),
        claim(number, "D", 1),
    ]
    judged = run(claims, tmp_path)
    # A 1 (3 - 0 left), B 1 (3 - 1); A-R takes A's place: 3 - 1 (B) left; C: 3 - 2 (B, A-R) = 1
    # left; D: B, A-R and C used all 3.
    assert [honoured(judged[c]) for c in ("A", "B", "A-R", "C", "D")] == [True, True, True, True, False]
    assert opened == [data_dir / "authorizations.sqlite"]
    # what the next run counts: B, A-R and C one unit each (A replaced, D's denied line used nothing)
    assert recorded(data_dir) == [(c, 1, "1", number, 1, "medicare") for c in ("A-R", "B", "C")]
    assert "3 used by earlier claims (A-R 1, B 1, C 1)" in why(run([claim(number, "E", 1)], tmp_path)["E"])


def test_a_write_that_fails_records_none_of_the_run_and_says_where(data_dir, tmp_path):
    """The third claim's row is refused (a trigger standing in for a full disk): none of the
    run's use is recorded, the run fails with one line naming the file, and the claims judged
    again afterwards count as if the failed run had never been."""
    number = certify(tmp_path)
    stored = data_dir / "authorizations.sqlite"
    conn = sqlite3.connect(stored)
    with conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON authorization_units WHEN NEW.claim_id = 'C' "
            "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
        )
    conn.close()
    claims = [claim(number, "A", 1), claim(number, "B", 1), claim(number, "C", 1)]
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(claims), encoding="utf-8")
    out = tmp_path / "failed.json"
    result = CliRunner().invoke(cli, ["adjudicate", str(path), "--payer", "medicare", "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert (
        f"payer-rules: error: {stored}: could not record what 3 claim(s) used of prior authorizations "
        "(the disk is full); none of it was recorded" in result.output
    )
    assert "Traceback" not in result.output and not out.exists()
    assert recorded(data_dir) == []
    conn = sqlite3.connect(stored)
    with conn:
        conn.execute("DROP TRIGGER refuse")
    conn.close()
    again = run(claims, tmp_path)
    assert all(honoured(again[c]) for c in ("A", "B", "C"))  # 3 units, one each
    assert recorded(data_dir) == [(c, 1, "1", number, 1, "medicare") for c in ("A", "B", "C")]


def test_a_run_stopped_part_way_records_whole_claims_and_a_rerun_counts_them_once(
    data_dir, tmp_path, monkeypatch
):
    """The writer fails after the claims were judged: what they used is recorded (as each claim
    used to be at once), and judging them all again gives the bytes of judging them again after a
    run that finished."""
    from payer_rules.io import writers

    number = certify(tmp_path)
    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    shutil.copy(data_dir / "authorizations.sqlite", clean_dir)
    claims = [claim(number, "A", 2), claim(number, "B", 2), claim(number, "C", 1)]

    class Broken(writers.WRITERS["json"]):  # type: ignore[misc,valid-type]
        def write(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("the output's disk is gone")

    monkeypatch.setitem(writers.WRITERS, "json", Broken)
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(claims), encoding="utf-8")
    failed = CliRunner().invoke(cli, ["adjudicate", str(path), "--payer", "medicare", "--format", "json"])
    assert isinstance(failed.exception, RuntimeError)
    # A 2 of 3; B's 2 do not fit the 1 left (denied, nothing used); C 1
    assert recorded(data_dir) == [(c, 1, u, number, 1, "medicare") for c, u in (("A", "2"), ("C", "1"))]
    monkeypatch.undo()
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "medicare,codesets")
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(data_dir))
    again = run(claims, tmp_path)
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(clean_dir))
    run(claims, tmp_path)
    assert again["text"] == run(claims, tmp_path)["text"]  # judged again after a run that finished
    assert recorded(clean_dir) == recorded(data_dir)
