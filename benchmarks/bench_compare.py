"""A consultant's comparison at scale: N claims (default 100,000) across several payers.

    uv run python benchmarks/bench_compare.py [--claims 100000] [--payer A --payer B ...] [--jobs 1]

Writes a generated batch as NDJSON first, then runs `payer-rules compare --format json` on it
in a child process (so peak memory is the comparison's own) and reports wall time, claims per
second and the child's peak RSS. Default payers: up to three installed ones.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_adjudicate import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--payer", action="append", default=None)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--format", default="json")
    args = parser.parse_args()
    payers = args.payer
    if not payers:
        listing = subprocess.run(
            ["payer-rules", "payers", "--json"], capture_output=True, text=True, check=True
        )
        listed = json.loads(listing.stdout)
        payers = [p["id"] for p in listed][:3]
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "batch.ndjson"
        with batch.open("w") as out:
            for start in range(0, args.claims, 10_000):
                for claim in generate(min(10_000, args.claims - start), seed=start + 1):
                    claim["id"] = f"B-{start:07d}-{claim['id']}"
                    out.write(json.dumps(claim) + "\n")
        target = Path(tmp) / f"comparison.{args.format}"
        command = [
            "payer-rules",
            "compare",
            str(batch),
            "--format",
            args.format,
            "--output",
            str(target),
            "--jobs",
            str(args.jobs),
        ]
        for payer in payers:
            command += ["--payer", payer]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
        elapsed = time.perf_counter() - start
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(
            json.dumps(
                {
                    "benchmark": "compare",
                    "claims": args.claims,
                    "payers": payers,
                    "jobs": args.jobs,
                    "exit_code": done.returncode,
                    "seconds": round(elapsed, 1),
                    "claims_per_second": round(args.claims / elapsed),
                    "results_per_second": round(args.claims * len(payers) / elapsed),
                    "peak_rss_mb_largest_child": round(child.ru_maxrss / 1024, 1),
                    "output_mb": round(target.stat().st_size / 1e6, 1) if target.exists() else None,
                    "stderr_tail": done.stderr[-300:],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
