"""Medicare NCCI PTP lookups against a 10,000-edit and a four-million-edit table, paired.

    uv run python benchmarks/bench_medicare_ptp.py [--rows 4000000] [--claims 3000] [--rounds 5]

Both tables hold the same *relevant* edits: ``--small`` (10,000) edits whose column-1 codes are
the ones the claims use, with effective dates, deletion dates (some inside the claims' months),
re-added edits and modifier indicators 0 / 1 / 9. The large table adds filler edits of other
column-1 codes (interleaved with the relevant ones in key order) up to ``--rows``. Every claim
is the same in both runs, so the only difference is the size of the table.

1. Synthesises each table in the official layout (four tab-delimited part files with CMS's
   preamble rows, CRLF) and imports it with ``payer-rules data import ncci-ptp`` semantics into
   its own data directory (``--keep DIR`` keeps them there and reuses them on the next run).
2. Starts one worker process per table; each opens its store (timed: the first ``imported()``
   call and the first lookup), warms up, then, told by the parent, adjudicates the batch once
   against Medicare. The parent alternates the two workers for ``--rounds`` rounds, so machine
   noise falls on both alike, and takes each worker's median CPU time per claim.

``--baseline DIR`` (a checkout of the code before a change, e.g. ``git worktree add DIR main``)
runs two more workers importing that checkout's packages, alternated with the others on the
same tables: before and after, side by side in one run.

Prints one JSON object: per-claim CPU microseconds for each table (the whole adjudication, and
``ptp_us_per_claim``, the PTP edit alone), ``ratio`` / ``ptp_ratio`` (large over small), open
seconds, peak RSS of each worker, and ``same_findings`` (every worker's findings, hashed, are
identical: the same claims give the same findings whatever the table size, and before / after).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

PREAMBLE = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)
RATIONALES = [
    "Standards of medical / surgical practice",
    "Misuse of Column Two code with Column One code",
    "CPT Manual or CMS manual coding instruction",
    "Mutually exclusive procedures",
]
PER_COLUMN_ONE = 400
#: Relevant column-1 codes are every STRIDE-th code from 10000 (closer for more than 125 of
#: them); filler column-1 codes fill the gaps, so the relevant edits are spread through the
#: large table's key space.
STRIDE = 400
#: Column-2 codes of the relevant edits that are not themselves column-1 codes.
OTHER_CODES = [f"{60000 + i:05d}" for i in range(PER_COLUMN_ONE * 2)]


def relevant_column_one(small: int) -> list[str]:
    count = max(1, small // PER_COLUMN_ONE)
    stride = min(STRIDE, 50000 // count)  # below OTHER_CODES
    return [f"{10000 + i * stride:05d}" for i in range(count)]


def relevant_edits(small: int, seed: int = 11) -> dict[str, list[str]]:
    """Column-1 code -> its edit lines (without CRLF): ``small`` edits that claims will hit."""
    rng = random.Random(seed)
    column_one = relevant_column_one(small)
    universe = column_one + OTHER_CODES
    out: dict[str, list[str]] = {}
    for col1 in column_one:
        lines = []
        for col2 in sorted(rng.sample(universe, PER_COLUMN_ONE + 1)):
            if col2 == col1 or len(lines) >= PER_COLUMN_ONE:
                continue
            indicator = rng.choice("0111119")
            rationale = rng.choice(RATIONALES)
            shape = rng.random()
            if shape < 0.7:  # in force throughout
                lines.append(f"{col1}\t{col2}\t\t20{rng.randint(0, 24):02d}0101\t*\t{indicator}\t{rationale}")
            elif shape < 0.8:  # deleted before the claims' months
                lines.append(
                    f"{col1}\t{col2}\t*\t19960101\t20{rng.randint(10, 24)}1231\t{indicator}\t{rationale}"
                )
            elif shape < 0.9:  # deleted mid-period: claims before 1 April hit it, later ones not
                lines.append(f"{col1}\t{col2}\t\t20150101\t20260331\t{indicator}\t{rationale}")
            else:  # deleted, then re-added from 1 April with another modifier indicator
                again = "0" if indicator != "0" else "1"
                lines.append(f"{col1}\t{col2}\t\t20150101\t20260331\t{indicator}\t{rationale}")
                lines.append(f"{col1}\t{col2}\t\t20260401\t*\t{again}\t{rationale}")
        out[col1] = lines
    return out


def filler_edits(rows: int, small: int, seed: int = 13) -> Iterator[tuple[str, list[str]]]:
    """Column-1 codes no claim uses, ``PER_COLUMN_ONE`` edits each, until ``rows`` in all."""
    rng = random.Random(seed)
    relevant = set(relevant_column_one(small))
    code = 10000
    written = 0
    while written < rows:
        col1 = f"{code:05d}" if code < 100000 else f"{code - 100000:04d}T"
        code += 1
        if col1 in relevant:
            continue
        count = min(PER_COLUMN_ONE, rows - written)
        start = rng.randrange(20000, 99000 - count)
        lines = [
            f"{col1}\t{start + k:05d}\t\t20{rng.randint(0, 24):02d}0101\t*\t1\t{RATIONALES[k % 4]}"
            for k in range(count)
        ]
        written += count
        yield col1, lines


def synthesise(directory: Path, small: int, rows: int) -> list[Path]:
    """Four part files in column-1 order: the relevant edits, plus filler up to ``rows``."""
    blocks = dict(relevant_edits(small))
    filler = max(0, rows - sum(len(v) for v in blocks.values()))
    blocks.update(filler_edits(filler, small))
    order = sorted(blocks)
    per_part = -(-len(order) // 4)
    files = []
    for part in range(4):
        path = directory / f"ccipra-v322r0-f{part + 1}.txt"
        with path.open("w", encoding="cp1252", newline="") as fh:
            fh.write(PREAMBLE)
            for col1 in order[part * per_part : (part + 1) * per_part]:
                fh.write("".join(f"{line}\r\n" for line in blocks[col1]))
        files.append(path)
    return files


def import_table(small: int, rows: int, workdir: Path) -> dict[str, object]:
    from payer_rules.store import ImportOptions
    from payer_rules_medicare.ncci.ptp import import_ptp

    source = workdir / "src"
    source.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    files = synthesise(source, small, rows)
    made = time.perf_counter() - start
    data = workdir / "data"
    start = time.perf_counter()
    report = import_ptp(files, ImportOptions(data_dir=data))
    took = time.perf_counter() - start
    for f in files:
        f.unlink()
    return {
        "rows": report.rows,
        "synthesise_s": round(made, 1),
        "import_s": round(took, 1),
        "db_mb": round(report.database.stat().st_size / 1e6, 1),
    }


def make_claims(count: int, small: int, seed: int = 5) -> list[object]:
    """Claims of 2-6 lines: an office visit, a relevant column-1 code and codes it may edit."""
    from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine

    rng = random.Random(seed)
    column_one = relevant_column_one(small)
    universe = column_one + OTHER_CODES
    claims = []
    for i in range(count):
        day = dt.date(2026, rng.randint(1, 6), rng.randint(1, 28))
        procedures = ["99213", rng.choice(column_one), *rng.sample(universe, rng.randint(0, 4))]
        lines = tuple(
            ServiceLine(
                procedure=p,
                charge=Decimal("150.00"),
                service_date=day,
                modifiers=rng.choice([(), (), ("59",), ("RT",)]),
            )
            for p in procedures
        )
        claims.append(
            Claim(
                id=f"B-{i:06d}",
                patient=Person(id=f"P-{i % 500}"),
                coverage=Coverage(payer_id="medicare", member_id=f"M{i % 500}"),
                billing_provider=Provider(npi="1234567893", address=Address(zip="94110")),
                service_facility_zip="94110",
                received_date=dt.date(2026, 7, 1),
                diagnoses=(Diagnosis(code="I10"),),
                lines=lines,
            )
        )
    return claims


def worker(data_dir: str, claims: int, small: int) -> None:
    """Open the store, warm up, then run one pass per ``pass`` line on stdin (JSON per reply)."""
    os.environ["PAYER_RULES_DATA_DIR"] = data_dir
    import payer_rules_medicare.hooks as hooks
    from payer_rules.context import Session
    from payer_rules.engine import Engine
    from payer_rules_medicare.imported import imported

    ptp_cpu = [0.0]
    unwrapped = hooks.ptp_findings

    def timed(*args: object) -> Iterator[object]:
        start = time.process_time()
        found = list(unwrapped(*args))  # type: ignore[arg-type]
        ptp_cpu[0] += time.process_time() - start
        return iter(found)

    hooks.ptp_findings = timed  # type: ignore[assignment]
    engine = Engine.from_installed()
    batch = make_claims(claims, small)
    start = time.perf_counter()
    tables = imported(Path(data_dir))
    assert tables.ptp is not None
    first = relevant_column_one(small)[0]
    tables.ptp.execute("SELECT * FROM ptp WHERE col1 = ? AND col2 IN ('60000', '60001')", (first,)).fetchall()
    opened = time.perf_counter() - start
    for claim in batch[:200]:  # warm up: page cache, code paths
        engine.adjudicate(claim, "medicare", session=Session())
    print(json.dumps({"open_s": round(opened, 4)}), flush=True)
    for command in sys.stdin:
        if command.strip() != "pass":
            break
        session = Session()
        ptp_cpu[0] = 0.0
        digest = hashlib.sha256()
        denials = 0
        start = time.process_time()
        for claim in batch:
            result = engine.adjudicate(claim, "medicare", session=session)
            for f in result.findings:
                if f.code == "MCR301":
                    denials += 1
                digest.update(f"{result.claim_id}|{f.code}|{f.line}|{f.message}\n".encode())
        took = time.process_time() - start
        print(
            json.dumps(
                {
                    "cpu_s": took,
                    "ptp_cpu_s": ptp_cpu[0],
                    "ptp_denials": denials,
                    "findings_sha256": digest.hexdigest(),
                }
            ),
            flush=True,
        )
    print(
        json.dumps({"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}),
        flush=True,
    )


def prepare(label: str, small: int, rows: int, root: Path) -> dict[str, object]:
    """Import the table once into ``root/label-rows`` (reused when it is already there)."""
    work = root / f"{label}-{small}-{rows}"
    done = work / "import.json"
    if done.exists():
        return {**json.loads(done.read_text()), "data_dir": str(work / "data")}
    code = (
        f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        f"import bench_medicare_ptp as b, pathlib; "
        f"print(json.dumps(b.import_table({small}, {rows}, pathlib.Path({str(work)!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    done.write_text(out)
    return {**json.loads(out), "data_dir": str(work / "data")}


def source_path(tree: Path) -> str:
    """PYTHONPATH that makes a worker import the packages of another checkout (the baseline)."""
    return os.pathsep.join(str(p) for p in [tree / "src", *sorted(tree.glob("plugins/*/src"))])


def run(args: argparse.Namespace, root: Path) -> dict[str, object]:
    tables = {
        "small": prepare("small", args.small, args.small, root),
        "large": prepare("large", args.small, args.rows, root),
    }
    trees: dict[str, dict[str, str]] = {"": dict(os.environ)}
    if args.baseline:
        trees["baseline_"] = {**os.environ, "PYTHONPATH": source_path(args.baseline.resolve())}
    workers = {
        f"{prefix}{label}": subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--claims",
                str(args.claims),
                "--small",
                str(args.small),
                "--worker",
                str(table["data_dir"]),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for prefix, env in trees.items()
        for label, table in tables.items()
    }

    def ask(label: str, line: str | None) -> dict[str, object]:
        proc = workers[label]
        assert proc.stdin is not None and proc.stdout is not None
        if line is not None:
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
        reply: dict[str, object] = json.loads(proc.stdout.readline())
        return reply

    out: dict[str, object] = {"claims": args.claims, "rounds": args.rounds}
    results: dict[str, dict[str, object]] = {}
    passes: dict[str, list[dict[str, object]]] = {label: [] for label in workers}
    for label in workers:
        table = tables[label.removeprefix("baseline_")]
        results[label] = {k: v for k, v in table.items() if k != "data_dir"} | ask(label, None)
    for _ in range(args.rounds):
        for label in workers:  # alternate: small, large, (baseline small, baseline large) ...
            passes[label].append(ask(label, "pass"))
    for label in workers:
        results[label] |= ask(label, "quit")
        workers[label].wait()
        for key, total in (("per_claim_us", "cpu_s"), ("ptp_us_per_claim", "ptp_cpu_s")):
            cpu = [float(str(p[total])) for p in passes[label]]
            results[label][key] = round(statistics.median(cpu) / args.claims * 1e6, 2)
            results[label][f"{key}_all"] = [round(c / args.claims * 1e6, 1) for c in cpu]
        results[label]["ptp_denials"] = passes[label][-1]["ptp_denials"]
        results[label]["findings_sha256"] = passes[label][-1]["findings_sha256"]
        out[label] = results[label]

    def ratio(label: str, key: str) -> float:
        large, small = results[f"{label}large"][key], results[f"{label}small"][key]
        return round(float(str(large)) / float(str(small)), 3)

    for prefix in trees:
        out[f"{prefix}ratio"] = ratio(prefix, "per_claim_us")
        out[f"{prefix}ptp_ratio"] = ratio(prefix, "ptp_us_per_claim")
    out["same_findings"] = len({str(p["findings_sha256"]) for ps in passes.values() for p in ps}) == 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--claims", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="import the tables here and reuse them on later runs")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of the code before a change: run it too, alternated, on the same tables",
    )
    parser.add_argument("--worker", metavar="DATA_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.claims, args.small)
        return
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        out = run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = run(args, Path(tmp))
    print(json.dumps(out, indent=2))
    if not out["same_findings"]:
        sys.exit("the tables (or the baseline) gave different findings for the same claims")


if __name__ == "__main__":
    main()
