"""Throughput and latency of `payer-rules serve` on loopback, checked against the CLI.

    uv run python benchmarks/bench_service.py [--single 2000] [--batches 20] [--concurrency 8]
                                              [--workers 1] [--baseline DIR] [--load wrk]
                                              [--log-level warning|info]

Starts the service on a free 127.0.0.1 port, posts a bounded number of requests with an async
httpx client (single-claim requests, then 100-claim batches), and prints JSON: claims per
second and p50 / p99 latency for each kind. Every result is compared with what
`payer-rules adjudicate --format json` gives for the same claims; the run fails on a mismatch.

The claims are generated as in bench_adjudicate.py, one member each, so a claim's result does
not depend on which request (or which CLI run) carried it. Client and server share the
machine's cores: the figures are a floor for a service with a machine of its own.

Server CPU per request (``server_cpu_ms_per_request``) is the CPU time the server's process
tree spent over each phase (``/proc/PID/task/TID/schedstat``, nanoseconds on a CPU; the
``stat`` ticks, 10 ms, where the kernel keeps no schedstat), divided by its requests: the
client's cost is not in it, nor is waiting on a loaded machine. It is set beside the CPU the
same claims cost judged in this process (``in_process_cpu_ms_per_claim``). ``--baseline DIR``
(another checkout with its own ``.venv``) starts that checkout's server too and drives both with
the same requests: the single-claim requests in blocks of ``--block`` taken by each server in
turn (which goes first alternates), so that a neighbour's load on a shared machine falls on
both alike; ``baseline_ratio`` is new / baseline per single-claim request for each round.
The servers log at WARNING, so no request writes a line; ``--log-level info`` (``serve``'s
default) has every request write its request and result lines (to a file), as a deployment does.

The httpx client is Python: on two cores it costs more CPU per request than the server and runs
on the same cores, so the server's figure carries the client's disturbance (caches and the
scheduler's turns). ``--load wrk`` also drives the single-claim requests with wrk (C, one
thread, ``--concurrency`` connections; ``apt-get install wrk``), cycling through the same
bodies for ``--wrk-seconds`` per block, each server in turn as above, after the httpx phases
have checked every result against the CLI's; wrk counts what is not a 2xx and the
connections it lost, and the run fails on any. It reports ``wrk_single_claim`` (and
``baseline_wrk_single_claim``, ``wrk_baseline_ratio``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline import baseline_program
from bench_adjudicate import generate

MAX_DISTINCT = 2500  # generate() repeats members after this many claims
RUN_CLI = "from payer_rules.cli import main; main()"
#: What every single-claim and batch request posts to, from either client.
PATH = "/v1/adjudicate?payer=medicare"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_results(claims: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "claims.json"
        path.write_text(json.dumps(claims))
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                RUN_CLI,
                "adjudicate",
                str(path),
                "--payer",
                "medicare",
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return {r["claim_id"]: r for r in json.loads(out.stdout)}


def start_server(
    port: int, workers: int, log: Path, python: str = sys.executable, log_level: str = "warning"
) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [
                python,
                "-c",
                RUN_CLI,
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                log_level,
                "--max-claims",
                "1000",
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise SystemExit("server not ready in 60 s")


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int, task: str) -> float:
    """CPU seconds of one thread: schedstat's nanoseconds, else stat's user + system ticks."""
    try:
        with open(f"/proc/{pid}/task/{task}/schedstat") as handle:
            return int(handle.read().split()[0]) / 1e9
    except (OSError, IndexError, ValueError):
        return _ticks(f"/proc/{pid}/task/{task}/stat")


def _ticks(path: str) -> float:
    """User + system CPU seconds in a ``stat`` file (10 ms ticks)."""
    with open(path) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process (all its threads, those that have ended included) and all its
    descendants, from ``/proc``: the process's ``stat`` total, with each live thread's ticks
    replaced by its schedstat nanoseconds."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += _ticks(f"/proc/{p}/stat")
            tasks = os.listdir(f"/proc/{p}/task")
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        for task in tasks:
            try:
                total += _cpu(p, task) - _ticks(f"/proc/{p}/task/{task}/stat")
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
            except (OSError, IndexError, ValueError):
                continue  # a thread that ended meanwhile: the process total holds it
    return total


def in_process_cpu(claims: list[dict[str, Any]]) -> float:
    """CPU seconds per claim judging ``claims`` one request's worth at a time, in this process."""
    from payer_rules.context import Session
    from payer_rules.engine import RUNNER_CHUNK_SIZE, Engine
    from payer_rules.io.json_results import result_to_dict
    from payer_rules.io.readers import read_text

    engine = Engine.from_installed()
    texts = [json.dumps(claim) for claim in claims]
    best = float("inf")
    for _ in range(3):
        started = resource.getrusage(resource.RUSAGE_SELF)
        for text in texts:
            for _item, result in engine.adjudicate_pairs(
                read_text(text, "request.json"), ["medicare"], session=Session(), chunk_size=RUNNER_CHUNK_SIZE
            ):
                result_to_dict(result)
        ended = resource.getrusage(resource.RUSAGE_SELF)
        spent = (ended.ru_utime - started.ru_utime) + (ended.ru_stime - started.ru_stime)
        best = min(best, spent / len(texts))
    return best


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def phase(
    server: subprocess.Popen[bytes],
    url: str,
    bodies: list[list[dict[str, Any]]],
    concurrency: int,
    expected: dict[str, dict[str, Any]],
    max_seconds: float,
) -> dict[str, Any]:
    """:func:`drive`, with the server's CPU over it."""
    before = tree_cpu(server.pid)
    report = asyncio.run(drive(url, bodies, concurrency, expected, max_seconds))
    spent = tree_cpu(server.pid) - before
    report["server_cpu_ms_per_request"] = round(spent / max(report["requests"], 1) * 1000, 3)
    report["server_cpu_s"] = spent
    return report


def merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One report for the blocks of a phase: sums, rates and percentiles over them all."""
    latencies = [ms for part in parts for ms in part["latencies"]]
    requests = sum(part["requests"] for part in parts)
    claims = sum(part["claims"] for part in parts)
    seconds = sum(part["seconds"] for part in parts)
    spent = sum(part["server_cpu_s"] for part in parts)
    return {
        "requests": requests,
        "claims": claims,
        "seconds": round(seconds, 3),
        "claims_per_s": round(claims / seconds, 1),
        "requests_per_s": round(requests / seconds, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "mismatches": sum(part["mismatches"] for part in parts),
        "server_cpu_ms_per_request": round(spent / max(requests, 1) * 1000, 3),
    }


async def drive(
    url: str,
    bodies: list[list[dict[str, Any]]],
    concurrency: int,
    expected: dict[str, dict[str, Any]],
    max_seconds: float,
) -> dict[str, Any]:
    """Post every body (a list of claims) with at most ``concurrency`` in flight."""
    latencies: list[float] = []
    mismatches: list[str] = []
    claims = 0
    queue = list(reversed(bodies))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        deadline = started + max_seconds

        async def worker() -> None:
            nonlocal claims
            while queue and time.perf_counter() < deadline:
                body = queue.pop()
                content = json.dumps(body[0] if len(body) == 1 else body)
                sent = time.perf_counter()
                response = await client.post(
                    PATH,
                    content=content,
                    headers={"content-type": "application/json"},
                )
                latencies.append(time.perf_counter() - sent)
                response.raise_for_status()
                for result in response.json()["results"]:
                    claims += 1
                    if result != expected[result["claim_id"]]:
                        mismatches.append(result["claim_id"])

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "claims": claims,
        "seconds": round(elapsed, 3),
        "claims_per_s": round(claims / elapsed, 1),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "mismatches": len(mismatches),
        "latencies": latencies,
    }


#: wrk's script: POST each body of the file (one a line) in turn, as the httpx client does
_WRK_SCRIPT = """
local bodies = {}
for line in io.lines("%s") do bodies[#bodies + 1] = line end
local n = 0
request = function()
  n = n %% #bodies + 1
  local headers = {["Content-Type"] = "application/json"}
  return wrk.format("POST", "%s", headers, bodies[n])
end
"""


def wrk_phase(
    server: subprocess.Popen[bytes], url: str, script: Path, concurrency: int, seconds: int
) -> dict[str, Any]:
    """Single-claim requests from wrk for ``seconds``, with the server's CPU over them."""
    before = tree_cpu(server.pid)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{max(seconds, 1)}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    spent = tree_cpu(server.pid) - before
    found = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if found is None:
        raise SystemExit(f"wrk printed no request count:\n{out}")
    requests = int(found.group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    # connections refused, reset or timed out are not counted as responses at all
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": requests,
        "server_cpu_s": spent,
        "non_2xx": (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0),
        "server_cpu_ms_per_request": round(spent / max(requests, 1) * 1000, 3),
    }


def wrk_merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    requests = sum(part["requests"] for part in parts)
    spent = sum(part["server_cpu_s"] for part in parts)
    return {
        "requests": requests,
        "non_2xx": sum(part["non_2xx"] for part in parts),
        "server_cpu_ms_per_request": round(spent / max(requests, 1) * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--single", type=int, default=2000, help="single-claim requests")
    parser.add_argument("--batches", type=int, default=20, help="100-claim batch requests")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--workers", type=int, default=1, help="serve --workers")
    parser.add_argument("--max-seconds", type=float, default=120, help="stop issuing requests after this")
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout with .venv to compare")
    parser.add_argument("--rounds", type=int, default=2, help="alternate new and baseline this many times")
    parser.add_argument(
        "--load", choices=("httpx", "wrk"), default="httpx", help="also drive single-claim requests with wrk"
    )
    parser.add_argument("--wrk-seconds", type=int, default=4, help="whole seconds of each wrk block")
    parser.add_argument(
        "--log-level",
        choices=("warning", "info"),
        default="warning",
        help="serve --log-level: info (serve's default) adds each request's log lines, written to a file",
    )
    parser.add_argument(
        "--block", type=int, default=250, help="single-claim requests a server takes before the other's turn"
    )
    args = parser.parse_args()
    count = max(args.single, args.batches * args.batch_size)
    if count > MAX_DISTINCT:
        raise SystemExit(f"at most {MAX_DISTINCT} distinct claims; lower --single or --batches")

    claims = generate(count)
    expected = cli_results(claims)
    pythons = {"new": sys.executable}
    if args.baseline is not None:
        pythons["baseline"] = str(baseline_program(parser, args.baseline, "python"))
    rounds = args.rounds if args.baseline is not None else 1
    size = args.batch_size
    singles = [[c] for c in claims[: args.single]]
    batches = [claims[i * size : (i + 1) * size] for i in range(args.batches)]
    runs: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {side: [] for side in pythons}
    wrk_runs: dict[str, list[dict[str, Any]]] = {side: [] for side in pythons}
    if args.load == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("--load wrk needs wrk on PATH (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        servers = {}
        try:
            for side, python in pythons.items():
                port = _free_port()
                url = f"http://127.0.0.1:{port}"
                log = Path(tmp) / f"{side}.log"
                servers[side] = (start_server(port, args.workers, log, python, args.log_level), url)
                # Warm up every worker (lazy imports, first-use caches) before timing.
                warm = [[c] for c in claims[:50]]
                asyncio.run(drive(url, warm, args.concurrency, expected, args.max_seconds))
            block = max(args.block, 1) if len(servers) > 1 else max(len(singles), 1)
            for _ in range(rounds):
                parts: dict[str, list[dict[str, Any]]] = {side: [] for side in servers}
                for turn, start in enumerate(range(0, len(singles), block)):
                    order = list(servers.items())
                    for side, (server, url) in order if turn % 2 == 0 else reversed(order):
                        part = singles[start : start + block]
                        parts[side].append(
                            phase(server, url, part, args.concurrency, expected, args.max_seconds)
                        )
                for side, (server, url) in servers.items():
                    batch = phase(server, url, batches, min(args.concurrency, 4), expected, args.max_seconds)
                    runs[side].append((merged(parts[side]), batch))
            if args.load == "wrk":
                bodies_file = Path(tmp) / "bodies.ndjson"
                bodies_file.write_text("".join(json.dumps(body[0]) + "\n" for body in singles))
                script = Path(tmp) / "post.lua"
                script.write_text(_WRK_SCRIPT % (bodies_file, PATH))
                for turn in range(rounds * 2):
                    order = list(servers.items())
                    for side, (server, url) in order if turn % 2 == 0 else reversed(order):
                        wrk_runs[side].append(
                            wrk_phase(server, url, script, args.concurrency, args.wrk_seconds)
                        )
        finally:
            for server, _url in servers.values():
                server.terminate()
                server.wait(timeout=30)
    in_process = in_process_cpu(claims[: min(args.single, 500)])
    report: dict[str, Any] = {
        "benchmark": "service",
        "workers": args.workers,
        "concurrency": args.concurrency,
        "log_level": args.log_level,
        "cpus": os.cpu_count(),
        "in_process_cpu_ms_per_claim": round(in_process * 1000, 3),
    }
    for side, phases in runs.items():
        # the round with the least server CPU per single-claim request: the least disturbed
        single, batch = min(phases, key=lambda pair: pair[0]["server_cpu_ms_per_request"])
        batch = {key: value for key, value in batch.items() if key not in {"latencies", "server_cpu_s"}}
        prefix = "" if side == "new" else "baseline_"
        report[f"{prefix}single_claim"] = single
        report[f"{prefix}batch_{size}"] = batch
    if "baseline" in runs:
        report["baseline_ratio"] = [
            round(new[0]["server_cpu_ms_per_request"] / base[0]["server_cpu_ms_per_request"], 3)
            for new, base in zip(runs["new"], runs["baseline"], strict=True)
        ]
    for side, parts in wrk_runs.items():
        if parts:
            report[("" if side == "new" else "baseline_") + "wrk_single_claim"] = wrk_merged(parts)
    if wrk_runs.get("baseline"):
        report["wrk_baseline_ratio"] = [
            round(new["server_cpu_ms_per_request"] / base["server_cpu_ms_per_request"], 3)
            for new, base in zip(wrk_runs["new"], wrk_runs["baseline"], strict=True)
        ]
    if any(part["non_2xx"] for parts in wrk_runs.values() for part in parts):
        raise SystemExit("wrk saw answers that were not 2xx")
    mismatches = sum(single["mismatches"] + batch["mismatches"] for p in runs.values() for single, batch in p)
    report["matches_cli"] = mismatches == 0
    print(json.dumps(report, indent=2))
    if not report["matches_cli"]:
        raise SystemExit("results differ from the CLI's")


if __name__ == "__main__":
    main()
