"""Per-claim time as the number of rules grows: compiled indexes keep it flat.

    uv run python benchmarks/bench_rulepacks.py [--rules 200] [--factor 10] [--claims 3000]
        [--baseline DIR [--rounds 3]]

Writes synthetic packs with N rules of three indexed kinds (unit limits, diagnosis coverage,
procedure pairs) on distinct codes, then with factor x N, compiles each once and times judging
the same claims (validate + authorize + price through the engine, scrubber mode). Prints JSON.

``--baseline DIR`` (a checkout of the code before a change) judges the same claims over the
same packs with that checkout's packages too, in a fresh process per side and round,
alternated, and reports CPU microseconds per claim (median of the rounds, each the best of
three passes) and the after / before ratios. Each side also hashes every result's JSON: the
run fails unless both sides answered every claim byte for byte alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from payer_rules.engine import Engine
from payer_rules.models import Claim, Coverage, Diagnosis, Person, Provider, ServiceLine

HEAD = """[pack]
name = "bench-{n}"
prefix = "BEN"
version = "1"
payers = ["bench"]
effective_from = 2026-01-01
source = "synthetic"

[payer]
id = "bench"
name = "Benchmark payer"
"""

RULE = """
[[rules]]
code = "BEN{code:06d}"
name = "{kind}-{code}"
kind = "{kind}"
severity = "deny"
status = "stable"
effective_from = 2026-01-01
citation = "synthetic"
summary = "s"
message = "line {{line}}: {{procedure}}"
carc = "50"
group = "CO"
{body}
"""


def _code(i: int) -> str:
    return f"{10000 + i:05d}"


def write_pack(directory: Path, n: int) -> None:
    parts = [HEAD.format(n=n)]
    for i in range(n):
        kind = ("unit-limit", "diagnosis-coverage", "procedure-pair")[i % 3]
        if kind == "unit-limit":
            body = f'procedures = ["{_code(i)}"]\nmax_units = 4\nper = "day"'
        elif kind == "diagnosis-coverage":
            body = f'procedures = ["{_code(i)}"]\ncovered = ["E11.9", "R73.03"]'
        else:
            body = f'pairs = [{{ column1 = "{_code(i)}", column2 = "{_code(i + 1)}", modifier = 1 }}]'
        parts.append(RULE.format(code=i + 1, kind=kind, body=body))
    (directory / "bench.toml").write_text("".join(parts))


def claims(count: int, n_codes: int) -> list[Claim]:
    out = []
    for c in range(count):
        lines = tuple(
            ServiceLine(
                procedure=_code((c * 7 + k * 3) % n_codes),
                units=Decimal(1 + (c + k) % 6),
                charge=Decimal("50.00"),
                service_date=dt.date(2026, 3, 1 + c % 28),
            )
            for k in range(3)
        )
        out.append(
            Claim(
                id=f"B{c}",
                patient=Person(id=f"P{c % 500}", birth_date=dt.date(1960, 1, 1)),
                coverage=Coverage(payer_id="bench", member_id=f"M{c % 500}"),
                billing_provider=Provider(npi="1234567893"),
                diagnoses=(Diagnosis(code=("E11.9", "S93.401A")[c % 2]),),
                lines=lines,
                received_date=dt.date(2026, 4, 1),
            )
        )
    return out


def measure(n: int, batch: list[Claim], repeat: int = 3) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        write_pack(Path(tmp), n)
        start = time.perf_counter()
        engine = Engine.from_installed(rulepack_dirs=[Path(tmp)], load_entrypoints=False)
        build = time.perf_counter() - start
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            for claim in batch:
                engine.check(claim, "bench")
            best = min(best, time.perf_counter() - start)
    return {"rules": n, "build_seconds": round(build, 3), "per_claim_us": round(best / len(batch) * 1e6, 1)}


def child(directory: Path, n_codes: int, count: int, repeat: int = 3) -> None:
    """One side of a paired run: CPU per claim over the pack in ``directory``, and a digest of
    every result."""
    from payer_rules.io.json_results import result_to_json

    batch = claims(count, n_codes)
    engine = Engine.from_installed(rulepack_dirs=[directory], load_entrypoints=False)
    digest = hashlib.sha256()
    for claim in batch:
        digest.update(result_to_json(engine.check(claim, "bench")).encode())
        digest.update(b"\n")
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for claim in batch:
            engine.check(claim, "bench")
        best = min(best, time.process_time() - start)
    print(json.dumps({"per_claim_us": best / count * 1e6, "digest": digest.hexdigest()}))


def paired(args: argparse.Namespace) -> dict[str, object]:
    here = Path(__file__).resolve()
    sys.path.insert(0, str(here.parent))
    from bench_rulepack_build import source_path

    sides = {
        "after": dict(os.environ),
        "before": {**os.environ, "PYTHONPATH": source_path(args.baseline.resolve())},
    }
    sizes = {"small": args.rules, "large": args.rules * args.factor}
    found: dict[str, dict[str, list[float]]] = {side: {size: [] for size in sizes} for side in sides}
    digests: dict[str, set[str]] = {side: set() for side in sides}
    with tempfile.TemporaryDirectory() as tmp:
        for size, n in sizes.items():
            (Path(tmp) / size).mkdir()
            write_pack(Path(tmp) / size, n)
        for _ in range(args.rounds):
            for size in sizes:
                for side, env in sides.items():  # alternated: noise falls on both alike
                    out = subprocess.run(
                        [sys.executable, str(here), "--rules", str(args.rules), "--claims", str(args.claims),
                         "--child", str(Path(tmp) / size)],
                        env={**env, "PAYER_RULES_DATA_DIR": str(Path(tmp) / f"data-{side}")},
                        check=True, capture_output=True, text=True,
                    ).stdout  # fmt: skip
                    answer = json.loads(out)
                    found[side][size].append(answer["per_claim_us"])
                    digests[side].add(f"{size}:{answer['digest']}")
    if digests["after"] != digests["before"]:
        raise SystemExit(f"the results differ: {sorted(digests['after'])} vs {sorted(digests['before'])}")
    result: dict[str, object] = {"claims": args.claims, "rounds": args.rounds, "results_identical": True}
    for side in sides:
        result[side] = {
            size: {"rules": sizes[size], "per_claim_us": round(statistics.median(found[side][size]), 1)}
            for size in sizes
        }
    for size in sizes:
        after = statistics.median(found["after"][size])
        before = statistics.median(found["before"][size])
        result[f"{size}_ratio"] = round(after / before, 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=300)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--claims", type=int, default=3000)
    parser.add_argument("--baseline", type=Path, help="a checkout of the code before a change")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rules, args.claims)
        return
    if args.baseline:
        print(json.dumps(paired(args), indent=2))
        return
    # the same claims (codes drawn from the first N) for both sizes, so only the rule count changes
    batch = claims(args.claims, args.rules)
    small = measure(args.rules, batch)
    large = measure(args.rules * args.factor, batch)
    ratio = large["per_claim_us"] / small["per_claim_us"]
    print(
        json.dumps(
            {
                "claims": args.claims,
                "lines_per_claim": 3,
                "small": small,
                "large": large,
                "per_claim_ratio": round(ratio, 3),
                "flat_within_20_percent": ratio <= 1.2,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
