"""Throughput of `adjudicate` on a generated batch: claims per second in one process.

    uv run python benchmarks/bench_adjudicate.py [--claims 10000] [--payer medicare]

Generates a batch of varied professional claims (office visits, labs, denials, rejections) as
claim JSON, then times reading + adjudicating + writing JSON results, as the CLI does (with the
cyclic collector paused for the batch, see ``payer_rules.batch.collector``).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import sys
import time
from collections.abc import Iterator
from typing import Any

from payer_rules.batch.collector import paused_collector
from payer_rules.context import Session
from payer_rules.engine import RUNNER_CHUNK_SIZE, Engine
from payer_rules.io.json_claims import read_json_text
from payer_rules.io.writers import NdjsonWriter

DIAGNOSES = ["E11.9", "I10", "E78.5", "S93.401A", "J06.9", "R73.03", "Z00.00", "K21.9"]
PROCEDURES = [("99213", "150.00"), ("99214", "220.00"), ("82947", "25.00"), ("99213", "140.00")]


def generate(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    claims = []
    for i in range(count):
        day = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
        lines = []
        for _ in range(rng.randint(1, 3)):
            code, charge = rng.choice(PROCEDURES)
            lines.append(
                {"procedure": code, "charge": charge, "service_date": day, "diagnosis_pointers": [1]}
            )
        claims.append(
            {
                "id": f"B-{i:07d}",
                "patient": {"id": f"P-{i % 2500:05d}", "birth_date": "1950-06-01", "sex": "F"},
                "coverage": {"payer_id": "medicare", "member_id": f"M{i % 2500:05d}"},
                "billing_provider": {"npi": "1234567893", "address": {"zip": "94110"}},
                "service_facility_zip": "94110",
                "received_date": "2026-11-30",
                "diagnoses": [{"code": rng.choice(DIAGNOSES)}],
                "lines": lines,
            }
        )
    return claims


def run(text: str, engine: Engine, payers: list[str]) -> tuple[int, Iterator[None]]:
    out = io.StringIO()
    writer = NdjsonWriter(out)
    count = 0
    with paused_collector() as tick:  # as the runner does for a batch
        claims = read_json_text(text, "bench.json")
        for result in engine.adjudicate_many(claims, payers, session=Session(), chunk_size=RUNNER_CHUNK_SIZE):
            writer.write(result)
            count += 1
            tick()
    writer.close()
    return count, iter(())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--payer", action="append", default=None)
    args = parser.parse_args()
    payers = args.payer or ["medicare"]
    text = json.dumps(generate(args.claims))
    engine = Engine.from_installed()
    run(json.dumps(generate(200, seed=1)), engine, payers)  # warm caches
    start = time.perf_counter()
    results, _ = run(text, engine, payers)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "benchmark": "adjudicate",
                "claims": args.claims,
                "payers": payers,
                "results": results,
                "seconds": round(elapsed, 3),
                "claims_per_second": round(args.claims / elapsed),
                "peak_rss_mb": round(peak_mb, 1),
                "python": sys.version.split()[0],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
