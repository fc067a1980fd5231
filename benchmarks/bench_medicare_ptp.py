"""Medicare with a full-size NCCI PTP table: per-claim time, store open time and memory.

    uv run python benchmarks/bench_medicare_ptp.py [--rows 4000000] [--claims 3000]

1. Synthesises a practitioner PTP table in the official layout (four tab-delimited part files
   with CMS's preamble rows, CRLF) of ``--rows`` edits, and a 10,000-edit table, and imports each
   with ``payer-rules data import ncci-ptp`` semantics into its own data directory.
2. In a fresh process per table: times opening the store (the first ``imported()`` call and the
   first PTP query), then adjudicates the same claims (office visits with synthetic procedure
   pairs that hit edits) against Medicare, and reports seconds per claim and peak RSS.

Prints one JSON object: rows, import seconds, database size, and for each table open time, per-claim
microseconds and peak RSS; ``slowdown`` is full-table per-claim time over the 10k-table one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
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


def codes(count: int) -> list[str]:
    return [f"{10000 + i:05d}" for i in range(count)]


def synthesise(directory: Path, rows: int, seed: int = 11) -> list[Path]:
    """Four part files of ``rows`` edits: each column-1 code edits ``PER_COLUMN_ONE`` column-2 codes."""
    rng = random.Random(seed)
    column_one = codes(max(1, rows // PER_COLUMN_ONE))
    universe = codes(len(column_one) + PER_COLUMN_ONE * 4)
    per_part = -(-len(column_one) // 4)
    files = []
    written = 0
    for part in range(4):
        path = directory / f"ccipra-v322r0-f{part + 1}.txt"
        with path.open("w", encoding="cp1252", newline="") as fh:
            fh.write(PREAMBLE)
            for col1 in column_one[part * per_part : (part + 1) * per_part]:
                chosen = sorted(rng.sample(universe, min(PER_COLUMN_ONE, rows - written)))
                lines = []
                for col2 in chosen:
                    if col2 == col1:
                        continue
                    deleted = "*" if rng.random() < 0.8 else f"20{rng.randint(10, 24)}1231"
                    indicator = rng.choice("0111119")
                    lines.append(
                        f"{col1}\t{col2}\t\t20{rng.randint(0, 24):02d}0101\t{deleted}\t{indicator}\t"
                        f"{rng.choice(RATIONALES)}\r\n"
                    )
                fh.write("".join(lines))
                written += len(lines)
                if written >= rows:
                    break
        files.append(path)
    return files


def import_table(rows: int, workdir: Path) -> dict[str, object]:
    from payer_rules.store import ImportOptions
    from payer_rules_medicare.ncci.ptp import import_ptp

    source = workdir / "src"
    source.mkdir()
    start = time.perf_counter()
    files = synthesise(source, rows)
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
        "data_dir": str(data),
        "import_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def make_claims(count: int, table_rows: int, seed: int = 5) -> list[object]:
    """Claims of 2-6 lines: an office visit plus synthetic codes drawn so that pairs hit edits."""
    from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine

    rng = random.Random(seed)
    column_one = codes(max(1, table_rows // PER_COLUMN_ONE))
    universe = codes(len(column_one) + PER_COLUMN_ONE * 4)
    claims = []
    for i in range(count):
        day = dt.date(2026, rng.randint(1, 6), rng.randint(1, 28))
        procedures = ["99213", rng.choice(column_one), *rng.sample(universe, rng.randint(0, 4))]
        lines = tuple(
            ServiceLine(
                procedure=p,
                charge=Decimal("150.00"),
                service_date=day,
                modifiers=rng.choice([(), (), ("59",)]),
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


def measure(data_dir: str, claims: int, table_rows: int) -> dict[str, object]:
    """Run in a fresh process: open time, per-claim time, peak RSS with this data directory."""
    os.environ["PAYER_RULES_DATA_DIR"] = data_dir
    from payer_rules.context import Session
    from payer_rules.engine import Engine
    from payer_rules_medicare.imported import imported

    engine = Engine.from_installed()
    start = time.perf_counter()
    tables = imported(Path(data_dir))
    assert tables.ptp is not None
    tables.ptp.execute("SELECT * FROM ptp WHERE col1 = '10000' AND col2 IN ('10001', '10002')").fetchall()
    opened = time.perf_counter() - start
    batch = make_claims(claims, table_rows)
    for claim in batch[:200]:  # warm up: page cache, code paths
        engine.adjudicate(claim, "medicare", session=Session())
    # The best of three passes, in CPU time: other processes on the machine add only noise.
    passes = []
    for _ in range(3):
        session = Session()
        denials = 0
        start = time.process_time()
        for claim in batch:
            result = engine.adjudicate(claim, "medicare", session=session)
            denials += sum(1 for f in result.findings if f.code == "MCR301")
        passes.append(time.process_time() - start)
    took = min(passes)
    return {
        "open_s": round(opened, 4),
        "per_claim_us": round(took / len(batch) * 1e6, 1),
        "ptp_denials": denials,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--claims", type=int, default=3000)
    parser.add_argument("--measure", nargs=2, metavar=("DATA_DIR", "TABLE_ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], args.claims, int(args.measure[1]))))
        return
    out: dict[str, object] = {"claims": args.claims}
    with tempfile.TemporaryDirectory() as tmp:
        for label, rows in (("small", args.small), ("full", args.rows)):
            work = Path(tmp) / label
            work.mkdir()
            code = (
                f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                f"import bench_medicare_ptp as b, pathlib; "
                f"print(json.dumps(b.import_table({rows}, pathlib.Path({str(work)!r}))))"
            )
            imported = json.loads(
                subprocess.run(
                    [sys.executable, "-c", code], check=True, capture_output=True, text=True
                ).stdout
            )
            measured = json.loads(
                subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--claims",
                        str(args.claims),
                        "--measure",
                        str(imported["data_dir"]),
                        str(args.rows),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            imported.pop("data_dir")
            out[label] = {**imported, **measured}
    small, full = out["small"], out["full"]
    assert isinstance(small, dict) and isinstance(full, dict)
    out["slowdown"] = round(full["per_claim_us"] / small["per_claim_us"], 3)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
