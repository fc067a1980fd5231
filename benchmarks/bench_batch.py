"""Large batches: serial, ``--jobs N`` and Spark local[N] on one generated NDJSON batch.

    uv run python benchmarks/bench_batch.py [--claims 1000000] [--jobs 2] [--modes serial,jobs,spark]

Writes the batch to NDJSON first (claims as ``bench_adjudicate.py`` makes them, about four per
member so accumulators carry across claims), then runs each mode in its own process tree:

* ``serial``  ``payer-rules adjudicate batch.ndjson --payer medicare --format ndjson -o ...``
* ``jobs``    the same with ``--jobs N``
* ``spark``   ``payer_rules.spark.adjudicate_dataframe`` on ``spark.read.text(batch.ndjson)`` in
  ``local[N]``, the ``result`` column written as text (Spark's start-up reported apart)

For each: wall seconds, claims per second, CPU seconds of the whole process tree (workers, JVM
and Python workers included) as microseconds per claim, and the peak RSS of the tree (the sum
of its processes, sampled every 0.2 s). CPU per claim is the figure to compare on a shared
machine; wall time is what a user waits.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_adjudicate import DIAGNOSES, PROCEDURES

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")


def write_batch(path: Path, count: int, seed: int = 7) -> None:
    """``count`` claims as NDJSON, streamed; ``count // 4`` members, a member's claims in date order."""
    rng = random.Random(seed)
    members = max(1, count // 4)
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            member = i % members
            month = 1 + (i * 11) // count
            day = f"2026-{month:02d}-{rng.randint(1, 28):02d}"
            lines = []
            for _ in range(rng.randint(1, 3)):
                code, charge = rng.choice(PROCEDURES)
                lines.append(
                    {"procedure": code, "charge": charge, "service_date": day, "diagnosis_pointers": [1]}
                )
            claim = {
                "id": f"B-{i:07d}",
                "patient": {"id": f"P-{member:07d}", "birth_date": "1950-06-01", "sex": "F"},
                "coverage": {"payer_id": "medicare", "member_id": f"M{member:07d}"},
                "billing_provider": {"npi": "1234567893", "address": {"zip": "94110"}},
                "service_facility_zip": "94110",
                "received_date": "2026-11-30",
                "diagnoses": [{"code": rng.choice(DIAGNOSES)}],
                "lines": lines,
            }
            out.write(json.dumps(claim))
            out.write("\n")


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except OSError:
            continue
    return found


class TreeMonitor(threading.Thread):
    """Peak RSS (sum over the tree) and CPU seconds (last seen per process) of a process tree."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss = 0
        self.cpu: dict[int, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total = 0
            for p in _tree(self.pid):
                try:
                    with open(f"/proc/{p}/stat") as handle:
                        fields = handle.read().rsplit(")", 1)[1].split()
                    with open(f"/proc/{p}/statm") as handle:
                        total += int(handle.read().split()[1]) * _PAGE
                except (OSError, IndexError):
                    continue
                self.cpu[p] = (int(fields[11]) + int(fields[12])) / _TICKS
            self.peak_rss = max(self.peak_rss, total)
            self.done.wait(0.2)


def measure(name: str, command: list[str], claims: int) -> dict[str, Any]:
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    monitor = TreeMonitor(proc.pid)
    monitor.start()
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - start
    monitor.done.set()
    monitor.join()
    if proc.returncode not in (0, 1):
        msg = f"{name} failed with exit code {proc.returncode}"
        raise SystemExit(msg)
    cpu = sum(monitor.cpu.values())
    report: dict[str, Any] = {
        "mode": name,
        "seconds": round(wall, 2),
        "claims_per_second": round(claims / wall),
        "cpu_seconds": round(cpu, 1),
        "cpu_us_per_claim": round(cpu / claims * 1e6),
        "peak_rss_mb": round(monitor.peak_rss / 2**20),
    }
    if stdout.strip():
        report.update(json.loads(stdout.strip().splitlines()[-1]))
    return report


def spark_job(batch: str, out: str, cores: int) -> None:
    """Run inside the measured process: Spark local[cores] over the batch."""
    from payer_rules.spark import adjudicate_dataframe, local_session

    begin = time.perf_counter()
    spark = local_session(f"local[{cores}]", app_name="payer-rules-bench")
    started = time.perf_counter()
    claims = spark.read.text(batch).withColumnRenamed("value", "claim")
    results = adjudicate_dataframe(claims, ["medicare"], partitions=cores * 4)
    results.select("result").write.mode("overwrite").text(out)
    finished = time.perf_counter()
    spark.stop()
    print(
        json.dumps(
            {"spark_startup_seconds": round(started - begin, 2), "job_seconds": round(finished - started, 2)}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--modes", default="serial,jobs,spark")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the batch and outputs here")
    parser.add_argument("--spark-job", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.spark_job:
        spark_job(*args.spark_job, cores=args.jobs)
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="payer-rules-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    batch = workdir / f"batch-{args.claims}.ndjson"
    if not batch.exists():
        begin = time.perf_counter()
        write_batch(batch, args.claims)
        print(f"wrote {batch} ({batch.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - begin:.0f} s")
    cli = [str(Path(sys.executable).with_name("payer-rules"))]
    base = [*cli, "adjudicate", str(batch), "--payer", "medicare", "--format", "ndjson", "-o"]
    commands = {
        "serial": [*base, str(workdir / "serial.ndjson")],
        "jobs": [*base, str(workdir / "jobs.ndjson"), "--jobs", str(args.jobs)],
        "spark": [
            sys.executable,
            __file__,
            "--jobs",
            str(args.jobs),
            "--spark-job",
            str(batch),
            str(workdir / "spark"),
        ],
    }
    reports = []
    for mode in args.modes.split(","):
        name = (
            f"jobs {args.jobs}"
            if mode == "jobs"
            else f"spark local[{args.jobs}]"
            if mode == "spark"
            else mode
        )
        reports.append(measure(name, commands[mode], args.claims))
        print(json.dumps(reports[-1]), flush=True)
    outputs = {
        "serial": workdir / "serial.ndjson",
        "jobs": workdir / "jobs.ndjson",
        "spark": workdir / "spark",
    }
    ran = [mode for mode in args.modes.split(",") if outputs[mode].exists()]
    summary = {mode: output_digest(outputs[mode]) for mode in ran}
    print(
        json.dumps(
            {
                "benchmark": "batch",
                "claims": args.claims,
                "python": sys.version.split()[0],
                "runs": reports,
                # every mode must write the same result lines; serial and --jobs in the same order
                "same_results": len({d["lines"] for d in summary.values()}) <= 1,
                "same_order": len({d["ordered"] for d in summary.values() if d["ordered"]}) <= 1,
            },
            indent=2,
        )
    )


def output_digest(path: Path) -> dict[str, str | None]:
    """Digests of a run's result lines: as a set (any mode) and in order (a single file)."""
    files = sorted(path.glob("part-*")) if path.is_dir() else [path]
    ordered = hashlib.sha256() if not path.is_dir() else None
    as_set, count = 0, 0
    for file in files:
        with file.open("rb") as handle:
            for line in handle:
                line = line.rstrip(b"\n")
                count += 1
                as_set = (as_set + int.from_bytes(hashlib.blake2b(line, digest_size=8).digest())) % 2**64
                if ordered is not None:
                    ordered.update(line + b"\n")
    return {"lines": f"{count}:{as_set:016x}", "ordered": ordered.hexdigest() if ordered else None}


if __name__ == "__main__":
    main()
