"""837P in -> adjudication against Medicare -> 835 out, against pyx12's parse-and-validate.

    uv run python benchmarks/bench_x12.py [--claims 10000] [--process] [--baseline DIR]

Generates a 10,000-claim 837P (005010X222A1), then in one run times (1) payer-rules reading it,
adjudicating every claim against Medicare and writing the 835, and (2) pyx12 parsing and
validating the same file (``x12n_document`` with a 999 written). Prints JSON with both
throughputs (CPU seconds of this process, so waiting on a loaded machine does not count) and
the ratio, and the SHA-256 of the 835 (written with a fixed production time).

``--process`` also times whole processes, CPU seconds (``RUSAGE_CHILDREN``), interleaved
``--repeat`` times: ``payer-rules adjudicate FILE --payer medicare --format x12-835`` against
pyx12's own ``x12valid FILE``, start-up included. ``--baseline DIR`` (another checkout with its
own ``.venv``) runs its ``payer-rules`` the same way, in the same loop, and checks that both
wrote the same 835 bytes (``SOURCE_DATE_EPOCH`` fixes the production time).
Not a unit test: no assertion on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from baseline import baseline_program

from payer_rules.context import Session
from payer_rules.engine import RUNNER_CHUNK_SIZE, Engine
from payer_rules.io.readers import read_text
from payer_rules.io.x12.writer_835 import X12_835Writer
from payer_rules.io.x12.writer_837 import claims_to_837
from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine, Sex

DIAGNOSES = ["E11.9", "I10", "E78.5", "S93.401A", "J06.9", "R73.03", "Z00.00", "K21.9"]
PROCEDURES = [("99213", "150.00"), ("99214", "220.00"), ("82947", "25.00"), ("99213", "140.00")]


def generate(count: int, seed: int = 7) -> list[Claim]:
    rng = random.Random(seed)
    billing = Provider(
        npi="1234567893",
        name="MISSION FAMILY MEDICINE",
        tax_id="941234567",
        taxonomy="207Q00000X",
        address=Address(line1="100 MAIN ST", city="SAN FRANCISCO", state="CA", zip="941101234"),
    )
    claims = []
    for i in range(count):
        day = dt.date(2026, rng.randint(1, 10), rng.randint(1, 28))
        lines = []
        for _ in range(rng.randint(1, 3)):
            code, charge = rng.choice(PROCEDURES)
            lines.append(ServiceLine(procedure=code, charge=Decimal(charge), service_date=day))
        member = f"M{i % 2500:05d}"
        claims.append(
            Claim(
                id=f"B{i:07d}",
                patient=Person(
                    id=member,
                    last_name="DOE",
                    first_name=f"P{i % 2500}",
                    birth_date=dt.date(1950, 6, 1),
                    sex=Sex.FEMALE,
                    address=Address(line1="1 ELM ST", city="SAN FRANCISCO", state="CA", zip="941101234"),
                ),
                coverage=Coverage(payer_id="medicare", member_id=member, filing_indicator="MB"),
                billing_provider=billing,
                service_facility_zip="941101234",
                received_date=dt.date(2026, 11, 30),
                diagnoses=(Diagnosis(code=rng.choice(DIAGNOSES)),),
                lines=tuple(lines),
            )
        )
    return claims


NOW = dt.datetime(2026, 12, 1, 12, 0)
EPOCH = str(int(NOW.replace(tzinfo=dt.UTC).timestamp()))


def ours(text: str, engine: Engine) -> tuple[int, str, float]:
    start = time.process_time()
    out = io.StringIO()
    writer = X12_835Writer(out, now=NOW)
    count = 0
    for item, result in engine.adjudicate_pairs(
        read_text(text, "bench.837"), ["medicare"], session=Session(), chunk_size=RUNNER_CHUNK_SIZE
    ):
        writer.write(result, item)
        count += 1
    writer.close()
    return count, out.getvalue(), time.process_time() - start


def child_cpu(command: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def processes(path: Path, tmp: Path, repeat: int, baseline: Path | None) -> dict[str, object]:
    """Whole processes, CPU seconds: payer-rules (and ``baseline``, another checkout's) against x12valid."""
    bin_dir = Path(sys.executable).parent
    scripts = {"payer_rules": bin_dir / "payer-rules"}
    if baseline is not None:
        scripts["baseline"] = baseline
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"SOURCE_DATE_EPOCH": EPOCH, "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
    adjudicate = ["adjudicate", str(path), "--payer", "medicare", "--format", "x12-835", "-o"]
    commands = {
        side: (
            [str(script), *adjudicate, str(tmp / f"{side}.835")],
            {**env, "PAYER_RULES_DATA_DIR": str(tmp / f"data-{side}")},
        )
        for side, script in scripts.items()
    }
    commands["x12valid"] = ([str(bin_dir / "x12valid"), "--quiet", str(path)], env)
    for command, child_env in commands.values():  # warm: bytecode, code-set caches, file cache
        child_cpu(command, child_env)
    samples: dict[str, list[float]] = {side: [] for side in commands}
    for _ in range(repeat):
        for side, (command, child_env) in commands.items():
            samples[side].append(child_cpu(command, child_env))
    medians = {side: statistics.median(values) for side, values in samples.items()}
    report: dict[str, object] = {side: round(value, 3) for side, value in medians.items()}
    report["payer_rules_over_x12valid"] = round(medians["payer_rules"] / medians["x12valid"], 3)
    written = (tmp / "payer_rules.835").read_bytes()
    report["sha256_835"] = hashlib.sha256(written).hexdigest()
    if baseline is not None:
        report["baseline_over_x12valid"] = round(medians["baseline"] / medians["x12valid"], 3)
        report["same_835_as_baseline"] = written == (tmp / "baseline.835").read_bytes()
    return report


def pyx12(path: Path) -> tuple[bool, float]:
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    start = time.process_time()
    ok = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=str(path), fd_997=io.StringIO(), fd_html=None
    )
    return bool(ok), time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--process", action="store_true", help="also time whole processes")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each process")
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout with .venv to compare")
    args = parser.parse_args()
    baseline = baseline_program(parser, args.baseline, "payer-rules") if args.baseline is not None else None
    text = claims_to_837(generate(args.claims))
    engine = Engine.from_installed()
    ours(claims_to_837(generate(200, seed=1)), engine)  # warm caches
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.837"
        path.write_text(text)
        results, written, our_time = ours(text, engine)
        valid, their_time = pyx12(path)
        whole = processes(path, Path(tmp), args.repeat, baseline) if args.process else None
    report = {
        "claims": args.claims,
        "segments_837": text.count("~"),
        "bytes_837": len(text),
        "payer_rules": {
            "cpu_seconds": round(our_time, 3),
            "claims_per_second": round(args.claims / our_time),
            "results": results,
            "bytes_835": len(written),
            "sha256_835": hashlib.sha256(written.encode()).hexdigest(),
            "does": "parse 837P + adjudicate against medicare + write 835",
        },
        "pyx12": {
            "cpu_seconds": round(their_time, 3),
            "claims_per_second": round(args.claims / their_time),
            "valid": valid,
            "does": "parse + validate 837P (x12n_document, 999 written)",
        },
        "ratio": round(their_time / our_time, 2),
        "payer_rules_over_pyx12": round(our_time / their_time, 3),
    }
    if whole is not None:
        report["whole_process_cpu_seconds"] = whole
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
