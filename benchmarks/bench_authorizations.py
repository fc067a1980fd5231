"""Claims that quote prior authorization numbers: the cost of counting and recording their use.

    uv run python benchmarks/bench_authorizations.py [--claims 2000] [--rounds 3] [--jobs 2]
        [--baseline /work/wt/other-checkout]

Issues one authorization per member (4 units of L1851, a knee orthosis on the DMEPOS Required
Prior Authorization List, from 2026-05-04 to 2026-05-29; ``authorizations.sqlite`` written as
``payer-rules pas submit`` writes it) and judges a batch in which every claim quotes its
member's number: four claims of one unit each per member, each on a day of its own, and for
every fourth member a fifth claim replacing the member's second (frequency 7), so every claim
is honoured (ENG021) and ``payer-rules adjudicate`` records what each used for later runs.

Each round runs ``payer-rules adjudicate batch.ndjson --payer medicare --format ndjson`` serial
and with ``--jobs N``, in this checkout and (``--baseline DIR``, a checkout with its own
``.venv``) in the other, interleaved, each run starting from the same ``authorizations.sqlite``
in a data directory of its side (warmed by one unmeasured run: code-set caches, bytecode).
Reports per side and mode the median CPU seconds of the process tree (``RUSAGE_CHILDREN``) and
wall seconds, per claim too, and ``new_over_baseline`` of both; the result files and the use
recorded (``authorization_units``, every row) must be the same on both sides, or it exits 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from baseline import baseline_program

PROCEDURE = "L1851"
START, END = dt.date(2026, 5, 4), dt.date(2026, 5, 29)
NPI = "1234567893"
_LETTERS = "ACDEFGHJKMNPQRTUVWXY"  # an MBI's letters: no S, L, O, I, B or Z


def mbi(n: int) -> str:
    """A well-formed Medicare Beneficiary Identifier for member ``n`` (C A AN N A AN N A A N N)."""
    digits = f"{n:08d}"
    return (
        f"{1 + n % 9}{_LETTERS[n % 20]}{digits[0]}{digits[1]}{_LETTERS[(n // 20) % 20]}{digits[2]}"
        f"{digits[3]}{_LETTERS[(n // 400) % 20]}{_LETTERS[(n // 8000) % 20]}{digits[6]}{digits[7]}"
    )


def patient(n: int) -> dict[str, str]:
    return {
        "id": f"P{n:06d}",
        "last_name": f"Doe{chr(65 + n % 26)}{chr(65 + (n // 26) % 26)}",
        "first_name": "Jane",
        "birth_date": (dt.date(1940, 1, 1) + dt.timedelta(days=n % 9000)).isoformat(),
        "sex": "F",
    }


def number(n: int) -> str:
    return f"PABENCH{n:07d}"


def write_authorizations(directory: Path, members: int) -> None:
    from payer_rules.pas.store import AuthorizedService, save

    services = []
    for n in range(members):
        p = patient(n)
        services.append(
            AuthorizedService(
                number=number(n),
                payer="medicare",
                member_id=mbi(n),
                npis=(NPI,),
                procedure=PROCEDURE,
                start=START,
                end=END,
                units=Decimal(4),
                item=1,
                request=f"REQ-{n}",
                issued=dt.date(2026, 5, 1),
                patient_last=p["last_name"],
                patient_first=p["first_name"],
                patient_birth=dt.date.fromisoformat(p["birth_date"]),
            )
        )
    save(services, directory)


def write_claims(path: Path, claims: int) -> int:
    """About ``claims`` claims as NDJSON, in date order per member; the number of members."""
    members = max(1, claims // 4)
    with path.open("w", encoding="utf-8") as out:
        for nth in range(4):
            for n in range(members):
                out.write(json.dumps(claim(n, f"A{n:06d}-{nth}", START + dt.timedelta(days=nth))) + "\n")
        for n in range(0, members, 4):  # the second claim again, corrected
            replacement = claim(n, f"A{n:06d}-1R", START + dt.timedelta(days=1))
            replacement.update(frequency="replacement", original_claim_id=f"A{n:06d}-1")
            out.write(json.dumps(replacement) + "\n")
    return members


def claim(n: int, claim_id: str, day: dt.date) -> dict[str, Any]:
    return {
        "id": claim_id,
        "patient": patient(n),
        "coverage": {"payer_id": "medicare", "member_id": mbi(n)},
        "billing_provider": {
            "npi": NPI,
            "name": "Mission Orthotics and Supply",
            "address": {"line1": "200 Valencia St", "city": "San Francisco", "state": "CA", "zip": "94110"},
        },
        "place_of_service": "12",
        "received_date": "2026-06-01",
        "diagnoses": [{"code": "M17.11"}],
        "lines": [
            {
                "procedure": PROCEDURE,
                "units": "1",
                "charge": "950.00",
                "service_date": day.isoformat(),
                "diagnosis_pointers": [1],
            }
        ],
        "prior_authorizations": [number(n)],
    }


def recorded(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("SELECT * FROM authorization_units"))
    finally:
        conn.close()


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--modes", default="serial,jobs")
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout with .venv to compare with")
    args = parser.parse_args()
    scripts = {"new": str(Path(sys.executable).with_name("payer-rules"))}
    if args.baseline is not None:
        scripts["baseline"] = str(baseline_program(parser, args.baseline, "payer-rules"))
    modes = args.modes.split(",")
    with tempfile.TemporaryDirectory(prefix="payer-rules-bench-auth-") as tmp:
        work = Path(tmp)
        pristine = work / "pristine"
        batch = work / "batch.ndjson"
        members = write_claims(batch, args.claims)
        count = sum(1 for _ in batch.open(encoding="utf-8"))
        pristine.mkdir()
        write_authorizations(pristine, members)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        env["PAYER_RULES_LOAD_PLUGINS"] = "medicare,codesets"

        def once(side: str, mode: str) -> tuple[float, float]:
            data = work / side
            data.mkdir(exist_ok=True)
            shutil.copyfile(pristine / "authorizations.sqlite", data / "authorizations.sqlite")
            out = work / f"{side}-{mode}.ndjson"
            command = [scripts[side], "adjudicate", str(batch), "--payer", "medicare", "--format", "ndjson"]
            command += ["-o", str(out), *(["--jobs", str(args.jobs)] if mode == "jobs" else [])]
            return run(command, {**env, "PAYER_RULES_DATA_DIR": str(data)})

        for side in scripts:  # warm: bytecode, code-set caches
            once(side, "serial")
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        outputs: dict[tuple[str, str], tuple[bytes, list[tuple[Any, ...]]]] = {}
        for _ in range(args.rounds):
            for mode in modes:
                for side in scripts:
                    samples.setdefault((side, mode), []).append(once(side, mode))
                    outputs[side, mode] = (
                        (work / f"{side}-{mode}.ndjson").read_bytes(),
                        recorded(work / side / "authorizations.sqlite"),
                    )
    honoured = outputs["new", modes[0]][0].count(b'"ENG021"')
    report: dict[str, Any] = {
        "benchmark": "authorizations",
        "claims": count,
        "members": members,
        "honoured_eng021": honoured,
        "use_rows_recorded": len(outputs["new", modes[0]][1]),
        "rounds": args.rounds,
    }
    different = []
    for mode in modes:
        row: dict[str, Any] = {}
        for side in scripts:
            cpu = statistics.median(c for c, _w in samples[side, mode])
            wall = statistics.median(w for _c, w in samples[side, mode])
            row[f"{side}_cpu_seconds"] = round(cpu, 3)
            row[f"{side}_wall_seconds"] = round(wall, 3)
            row[f"{side}_cpu_us_per_claim"] = round(cpu / count * 1e6)
            row[f"{side}_wall_us_per_claim"] = round(wall / count * 1e6)
        if "baseline" in scripts:
            for what in ("cpu", "wall"):
                ratios = [
                    n / b
                    for n, b in zip(
                        (s[what == "wall"] for s in samples["new", mode]),
                        (s[what == "wall"] for s in samples["baseline", mode]),
                        strict=True,
                    )
                ]
                row[f"{what}_new_over_baseline"] = round(statistics.median(ratios), 3)
            if outputs["new", mode] != outputs["baseline", mode]:
                different.append(mode)
        if outputs["new", mode] != outputs["new", modes[0]]:
            different.append(f"{mode} (new) against {modes[0]}")
        report[mode] = row
    report["same_results_and_use"] = not different
    if different:
        report["different"] = different
    print(json.dumps(report, indent=2))
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
