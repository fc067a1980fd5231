"""Open time and memory of a full ICD-10-CM year, and lookup throughput.

    uv run python benchmarks/bench_codesets.py [--xml PATH]

Measures, each in a fresh state: parsing the CDC tabular XML (what the first run after an
install does), writing it to SQLite (the importer), opening the SQLite version (an imported
year), reading the cached derived table (``payer_rules.codesets.cache``: every run of the
shipped years after the first), deriving FY2025 from FY2026 and the addenda, and lookups per
second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import tempfile
import time
import tracemalloc
from pathlib import Path

from payer_rules.codesets import CodeSetRegistry, CodeSetVersion
from payer_rules.codesets.cache import dump_table, load_table
from payer_rules.codesets.importers.icd10cm import parse_icd10cm
from payer_rules.codesets.store import read_table, write_version


def measure(label: str, fn, *, memory: bool = True):  # type: ignore[no-untyped-def]
    """Time one run untraced, then (tracemalloc slows Python several times) memory in another."""
    gc.collect()
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    held = ""
    if memory:
        del value
        gc.collect()
        tracemalloc.start()
        value = fn()
        held = f"{tracemalloc.get_traced_memory()[0] / 2**20:7.1f} MiB held"
        tracemalloc.stop()
    print(f"{label:<44} {seconds * 1000:8.0f} ms  {held}")
    return value


def main() -> None:
    from payer_rules_codesets import releases

    parser = argparse.ArgumentParser()
    parser.add_argument("--xml", type=Path, default=None)
    args = parser.parse_args()
    xml = args.xml or releases.tabular_xml()
    data = measure("parse tabular XML (FY2026)", lambda: parse_icd10cm(xml))
    print(f"  {len(data.billable)} billable codes, {len(data.headers or ())} headers")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "fy2026.sqlite"
        measure("write SQLite (importer)", lambda: write_version(data, db), memory=False)
        print(f"  {db.stat().st_size / 2**20:.1f} MiB on disk")
        table = measure("open SQLite into sets and dicts", lambda: read_table(db))
    payload = dump_table(table)
    assert payload is not None
    print(f"  cached table: {len(payload) / 2**20:.1f} MiB")
    measure("read the cached table (titles on first use)", lambda: load_table(payload))
    releases.load_fy2026.cache_clear()
    fy2026 = CodeSetVersion.from_table(
        table, system="icd-10-cm", name="FY2026", effective_from=dt.date(2025, 10, 1), effective_to=None
    )
    measure("derive FY2025 from FY2026 + addenda", lambda: releases.load_fy2025.__wrapped__())
    registry = CodeSetRegistry([fy2026])
    codes = sorted(table.billable)[:50_000] + ["E11", "S93401", "K2199"] * 1000
    day = dt.date(2026, 1, 5)
    start = time.perf_counter()
    for code in codes:
        registry.lookup("icd-10-cm", code, day)
    rate = len(codes) / (time.perf_counter() - start)
    print(f"{'lookups':<44} {rate:8.0f} per second")


if __name__ == "__main__":
    main()
