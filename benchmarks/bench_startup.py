"""Start-up cost of the runner: CPU seconds per command, paired with ``python -c pass``.

Each command runs ``--repeat`` times in a child process; its CPU (user + system, from
``resource.getrusage(RUSAGE_CHILDREN)``) is measured around each run, so a loaded machine's
waiting time does not count. ``python -c pass`` runs in the same loop, interleaved, as the floor
to compare with. Prints the median per command as JSON and exits 1 when ``--help`` costs more
than ``--target`` seconds (0.15).

    uv run python benchmarks/bench_startup.py --repeat 15
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(Path(sys.executable).with_name("payer-rules"))
CLAIM = str(ROOT / "examples" / "claims" / "01-office-visit-2026.json")

COMMANDS: dict[str, tuple[list[str], dict[str, str]]] = {
    "python -c pass": ([sys.executable, "-c", "pass"], {}),
    "--help": ([SCRIPT, "--help"], {}),
    "--version": ([SCRIPT, "--version"], {}),
    "adjudicate --help": ([SCRIPT, "adjudicate", "--help"], {}),
    "completion": (
        [SCRIPT],
        {"_PAYER_RULES_COMPLETE": "bash_complete", "COMP_WORDS": "payer-rules ad", "COMP_CWORD": "1"},
    ),
    "payers": ([SCRIPT, "payers"], {}),
    "adjudicate one claim": ([SCRIPT, "adjudicate", CLAIM, "--payer", "medicare"], {}),
}


def cpu_of(command: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--target", type=float, default=0.15, help="--help budget, CPU seconds")
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for command, env in COMMANDS.values():  # warm the file cache and bytecode once
        cpu_of(command, env)
    for _ in range(args.repeat):
        for name, (command, env) in COMMANDS.items():
            samples[name].append(cpu_of(command, env))
    floor = statistics.median(samples["python -c pass"])
    report = {
        name: {
            "cpu_seconds_median": round(statistics.median(values), 3),
            "cpu_seconds_min": round(min(values), 3),
            "times_python_pass": round(statistics.median(values) / floor, 1) if floor else None,
        }
        for name, values in samples.items()
    }
    help_cpu = report["--help"]["cpu_seconds_median"]
    report["target"] = {"--help_cpu_seconds": args.target, "met": help_cpu <= args.target}
    print(json.dumps(report, indent=2))
    return 0 if help_cpu <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
