"""The progress bar: total, rate and time left on a terminal; nothing off one."""

from __future__ import annotations

import io

from rich.console import Console

from payer_rules.cli.progress import Progress, estimate_claims

from .batch_claims import write_ndjson


def test_ndjson_inputs_give_a_total_and_the_bar_shows_rate_and_time_left(tmp_path):
    batch = write_ndjson(tmp_path / "batch.ndjson", 300)
    claims = estimate_claims([str(batch)])
    assert claims == sum(1 for line in batch.read_text().splitlines() if line.strip())
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    progress = Progress([str(batch)], payers=2, console=console)
    for _ in range(200):
        progress.tick()
    progress.done()
    drawn = screen.getvalue()
    assert f"200/{claims * 2}" in drawn
    assert "results/s" in drawn and "left" in drawn


def test_unknown_total_for_json_and_directories(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    assert estimate_claims([str(tmp_path / "a.json")]) is None
    assert estimate_claims([str(tmp_path)]) is None
    assert estimate_claims(["-"]) is None


def test_nothing_is_drawn_off_a_terminal(capsys):
    progress = Progress(["-"], payers=1)
    for _ in range(1000):
        progress.tick()
    progress.done()
    assert capsys.readouterr().err == ""
