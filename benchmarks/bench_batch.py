"""Large batches: serial, ``--jobs N`` and Spark local[N] on one generated batch, in every input format.

    uv run python benchmarks/bench_batch.py [--claims 20000] [--jobs 2] [--modes serial,jobs,spark]
        [--formats ndjson,json,x12,fhir] [--repeat 1] [--baseline DIR]

Writes the batch to NDJSON first (claims as ``bench_adjudicate.py`` makes them, about four per
member so accumulators carry across claims), then the same claims as a JSON list, an X12 837P
(one interchange, one transaction set holding every claim) and a FHIR Bundle (a Claim with its
Patient, Coverage and Organization per claim). Each format is then run in each mode, in its own
process tree, the modes interleaved (paired) ``--repeat`` times:

* ``serial``  ``payer-rules adjudicate batch.<format> --payer medicare --format ndjson -o ...``
* ``jobs``    the same with ``--jobs N``
* ``spark``   ``payer_rules.spark.adjudicate_dataframe`` on ``spark.read.text(batch.ndjson)`` in
  ``local[N]``, the ``result`` column written as text (Spark's start-up reported apart; NDJSON only)

For each run: wall seconds, claims per second, CPU seconds of the whole process tree (workers,
JVM and Python workers included) as microseconds per claim, the CPU of the main process alone
(``parent_cpu_share``: with ``--jobs`` the main process should only split the input and write),
and the peak RSS of the tree (the sum of its processes, sampled every 0.2 s). Per format, the
``--jobs`` speed-up over serial is the median over the pairs, by wall time and by CPU time
(``jobs_speedup_cpu``: the serial run's CPU over what the ``--jobs`` run's wall would be on N idle
cores: its start-up alone, then the rest of the tree's CPU over N cores, or the main process's,
whichever is longer). CPU is the figure to compare on a shared machine; wall time is what a user
waits.

``--baseline DIR`` (another checkout with its own ``.venv``, e.g. ``git worktree add DIR main``)
runs its ``payer-rules`` too, interleaved with this checkout's in every pair (serial, jobs, then
the baseline's serial and jobs; the baseline first in every other pair), so that a neighbour's
load falls on both alike; its figures are reported under ``baseline`` beside this checkout's,
and every run of both must write the same result lines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import baseline_program
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


def write_formats(batch: Path, formats: list[str]) -> dict[str, Path]:
    """The NDJSON batch's claims in each of ``formats``, written beside it (once)."""
    paths = {"ndjson": batch}
    todo = [f for f in formats if f != "ndjson"]
    if not todo:
        return paths
    from payer_rules.io.fhir.writer import claim_bundle, dumps
    from payer_rules.io.readers import read_claims
    from payer_rules.io.x12.writer_837 import claims_to_837
    from payer_rules.models import Claim

    claims: list[Claim] | None = None
    for fmt in todo:
        path = batch.with_suffix({"json": ".json", "x12": ".837", "fhir": ".fhir.json"}[fmt])
        paths[fmt] = path
        if path.exists():
            continue
        if fmt == "json":
            with batch.open(encoding="utf-8") as lines:
                path.write_text("[\n" + ",\n".join(line.rstrip("\n") for line in lines) + "\n]\n")
            continue
        if claims is None:
            claims = [c for c in read_claims([str(batch)]) if isinstance(c, Claim)]
        if fmt == "x12":
            path.write_text(claims_to_837(claims), encoding="utf-8")
        else:
            path.write_text(dumps(claim_bundle(claims), indent=True), encoding="utf-8")
    return paths


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
        #: the main process's CPU when its first child was seen (its start-up, before workers)
        self.fork_cpu: float | None = None
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total = 0
            tree = _tree(self.pid)
            if self.fork_cpu is None and len(tree) > 1:
                self.fork_cpu = self.cpu.get(self.pid, 0.0)
            for p in tree:
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
    parent = monitor.cpu.get(proc.pid, 0.0)
    report: dict[str, Any] = {
        "mode": name,
        "seconds": round(wall, 2),
        "claims_per_second": round(claims / wall),
        "cpu_seconds": round(cpu, 2),
        "cpu_us_per_claim": round(cpu / claims * 1e6),
        "parent_cpu_seconds": round(parent, 2),
        "parent_cpu_share": round(parent / cpu, 3) if cpu else None,
        "startup_cpu_seconds": round(monitor.fork_cpu, 2) if monitor.fork_cpu is not None else None,
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
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--modes", default="serial,jobs")
    parser.add_argument("--formats", default="ndjson,json,x12,fhir")
    parser.add_argument("--repeat", type=int, default=1, help="pairs of runs per format (median reported)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the batch and outputs here")
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout with .venv to compare")
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
    formats = args.formats.split(",")
    modes = args.modes.split(",")
    sources = write_formats(batch, formats)
    clis = {"": [str(Path(sys.executable).with_name("payer-rules"))]}
    if args.baseline is not None:
        clis["baseline"] = [str(baseline_program(parser, args.baseline, "payer-rules"))]
    summary: dict[str, Any] = {}
    for fmt in formats:
        commands: dict[tuple[str, str], list[str]] = {}
        outputs: dict[tuple[str, str], Path] = {}
        for side, cli in clis.items():
            base = [*cli, "adjudicate", str(sources[fmt]), "--payer", "medicare", "--format", "ndjson", "-o"]
            prefix = f"{side}-" if side else ""
            outputs[side, "serial"] = workdir / f"{prefix}serial-{fmt}.ndjson"
            outputs[side, "jobs"] = workdir / f"{prefix}jobs-{fmt}.ndjson"
            commands[side, "serial"] = [*base, str(outputs[side, "serial"])]
            commands[side, "jobs"] = [*base, str(outputs[side, "jobs"]), "--jobs", str(args.jobs)]
        outputs["", "spark"] = workdir / "spark"
        commands["", "spark"] = [
            sys.executable,
            __file__,
            "--jobs",
            str(args.jobs),
            "--spark-job",
            str(batch),
            str(outputs["", "spark"]),
        ]
        ran = [m for m in modes if m != "spark" or fmt == "ndjson"]
        order = [(side, m) for side in clis for m in ran if m != "spark" or not side]
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {key: [] for key in order}
        for repeat in range(args.repeat):
            # the sides take turns going first
            turn = order if repeat % 2 == 0 else sorted(order, key=lambda key: key[0] == "")
            for side, mode in turn:
                name = (
                    f"jobs {args.jobs}"
                    if mode == "jobs"
                    else f"spark local[{args.jobs}]"
                    if mode == "spark"
                    else mode
                )
                report = measure(f"{side} {name}".strip(), commands[side, mode], args.claims)
                report["input"] = fmt
                runs[side, mode].append(report)
                print(json.dumps(report), flush=True)
        digests = {key: output_digest(outputs[key]) for key in order}
        entry: dict[str, Any] = {
            "runs": [r for key in order for r in runs[key]],
            # every mode must write the same result lines; serial and --jobs in the same order
            "same_results": len({d["lines"] for d in digests.values()}) <= 1,
            "same_order": len({d["ordered"] for d in digests.values() if d["ordered"]}) <= 1,
        }
        for side in clis:
            if (side, "serial") in runs and (side, "jobs") in runs:
                figures = _speedups(runs[side, "serial"], runs[side, "jobs"], args.jobs)
                if side:
                    entry[side] = figures
                else:
                    entry.update(figures)
        summary[fmt] = entry
    print(
        json.dumps(
            {
                "benchmark": "batch",
                "claims": args.claims,
                "jobs": args.jobs,
                "python": sys.version.split()[0],
                "formats": summary,
            },
            indent=2,
        )
    )


def _speedups(serial: list[dict[str, Any]], jobs: list[dict[str, Any]], cores: int) -> dict[str, float]:
    """The ``--jobs`` figures over serial, each the median over the pairs."""
    pairs = list(zip(serial, jobs, strict=True))
    figures = {
        "jobs_speedup_wall": statistics.median(s["seconds"] / j["seconds"] for s, j in pairs),
        "jobs_speedup_cpu": statistics.median(s["cpu_seconds"] / _idle_wall(j, cores) for s, j in pairs),
        "jobs_parent_cpu_share": statistics.median(j["parent_cpu_share"] for _, j in pairs),
        "jobs_cpu_over_serial": statistics.median(j["cpu_seconds"] / s["cpu_seconds"] for s, j in pairs),
    }
    return {key: round(value, 3 if key == "jobs_parent_cpu_share" else 2) for key, value in figures.items()}


def _idle_wall(run: dict[str, Any], jobs: int) -> float:
    """The wall time a ``--jobs`` run would take on ``jobs`` idle cores, from its CPU seconds.

    Start-up (the main process before its first worker) runs alone; then the tree's remaining
    CPU spreads over the cores, unless the main process alone takes longer.
    """
    startup = run["startup_cpu_seconds"] or 0.0
    parent_rest = run["parent_cpu_seconds"] - startup
    return float(startup + max(parent_rest, (run["cpu_seconds"] - startup) / jobs))


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
