"""Pausing the cyclic collector for a batch loses nothing: a batch leaves no cyclic garbage."""

from __future__ import annotations

import gc
import io
import json
import subprocess
import sys

from payer_rules.batch.collector import paused_collector
from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.io.json_claims import read_ndjson_lines
from payer_rules.io.writers import WRITERS

from .batch_claims import write_ndjson

PAYERS = ["medicare", "medicaid-ny", "medicaid-tx", "bluepeak"]


def test_a_batch_against_several_payers_leaves_no_cyclic_garbage(tmp_path):
    engine = Engine.from_installed()
    # with unreadable lines among the claims: error results are part of every batch
    lines = write_ndjson(tmp_path / "batch.ndjson", 300).read_text().splitlines(keepends=True)
    list(engine.adjudicate_many(read_ndjson_lines(iter(lines[:20]), "warm.ndjson"), PAYERS))
    gc.collect()
    gc.disable()
    try:
        out = io.StringIO()
        writer = WRITERS["ndjson"](out)
        count = 0
        for item, result in engine.adjudicate_pairs(
            read_ndjson_lines(iter(lines), "batch.ndjson"), PAYERS, session=Session()
        ):
            writer.write(result, item)
            count += 1
        writer.close()
        assert count == len([ln for ln in lines if ln.strip()]) * len(PAYERS)
        statuses = {json.loads(text)["status"] for text in out.getvalue().splitlines()}
        assert statuses >= {"paid", "denied", "error"}
        # every record the batch made was freed by reference counting alone
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_paused_collector_restores_the_collector_and_still_collects_young_generations():
    gc.enable()
    before = gc.get_count()
    with paused_collector(every=3) as tick:
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0
        a: list[object] = []
        a.append(a)  # a cycle, as a careless plugin might leave
        del a
        for _ in range(3):
            tick()
        assert gc.get_count()[0] < before[0] + 5  # the third tick collected
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_paused_collector_leaves_a_process_s_own_freeze_alone():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_collector():
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen  # still frozen: it was not ours to undo
    finally:
        gc.unfreeze()


def test_what_a_paused_batch_leaves_alive_goes_to_the_oldest_generation_unscanned():
    gc.collect()
    with paused_collector():
        kept = [[i] for i in range(2000)]  # a session's history, a table read on first use
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert not any(id(item) in young for item in kept)
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(item) in oldest for item in kept)
    assert gc.get_freeze_count() == 0
    assert gc.collect() >= 1  # the cycle the batch left is still found by a full collection


def test_the_console_script_freezes_what_is_alive_before_the_process_exits():
    script = (
        "import gc\n"
        "from payer_rules.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(gc.get_freeze_count() > 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "True"
