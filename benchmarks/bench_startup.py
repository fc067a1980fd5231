"""Start-up cost of the runner: CPU seconds per command, paired with ``python -c pass``.

Each command runs ``--repeat`` times in a child process; its CPU (user + system, from
``resource.getrusage(RUSAGE_CHILDREN)``) is measured around each run, so a loaded machine's
waiting time does not count. ``python -c pass`` runs in the same loop, interleaved, as the floor
to compare with. ``--baseline DIR`` (another checkout with its own ``.venv``, e.g. the main
checkout or a worktree of an older commit) runs each command there too, interleaved with this
one, and reports both and their ratio; the outputs of both must be the same bytes.

Children run with bytecode written to a private ``PYTHONPYCACHEPREFIX`` (as an installed
package has its ``.pyc`` files) and a private ``PAYER_RULES_DATA_DIR``, warmed by one run of
each command, so every measured run is a later run after install. Prints the median per
command as JSON and exits 1 when ``--help`` costs more than ``--help-target`` seconds (0.15) or
one claim more than ``--claim-target`` (0.35).

    uv run python benchmarks/bench_startup.py --repeat 15 [--baseline /work/main]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from baseline import baseline_program

ROOT = Path(__file__).resolve().parent.parent
CLAIM = str(ROOT / "examples" / "claims" / "01-office-visit-2026.json")
CLAIM_2025 = str(ROOT / "examples" / "claims" / "07-preventive-visit-2025.json")
COMMERCIAL_CLAIM = str(ROOT / "examples" / "commercial-payers" / "01-office-visit-with-venipuncture.json")

#: name -> (arguments after the script, extra environment)
COMMANDS: dict[str, tuple[list[str], dict[str, str]]] = {
    "--help": (["--help"], {}),
    "--version": (["--version"], {}),
    "adjudicate --help": (["adjudicate", "--help"], {}),
    "completion": (
        [],
        {"_PAYER_RULES_COMPLETE": "bash_complete", "COMP_WORDS": "payer-rules ad", "COMP_CWORD": "1"},
    ),
    "payers": (["payers"], {}),
    "adjudicate one claim": (["adjudicate", CLAIM, "--payer", "medicare"], {}),
    "adjudicate one 2025 claim": (["adjudicate", CLAIM_2025, "--payer", "medicare"], {}),
    "adjudicate one commercial claim": (["adjudicate", COMMERCIAL_CLAIM, "--payer", "bluepeak"], {}),
}


def run(command: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout with .venv to compare with")
    parser.add_argument("--help-target", type=float, default=0.15, help="--help budget, CPU seconds")
    parser.add_argument("--claim-target", type=float, default=0.35, help="one-claim budget, CPU seconds")
    args = parser.parse_args()
    scripts = {"new": str(Path(sys.executable).with_name("payer-rules"))}
    if args.baseline is not None:
        scripts["baseline"] = str(baseline_program(parser, args.baseline, "payer-rules"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        # No SOURCE_DATE_EPOCH games: none of these commands prints the time.
        envs = {side: {**env, "PAYER_RULES_DATA_DIR": str(Path(tmp) / side)} for side in scripts}
        floor: list[float] = []
        samples: dict[tuple[str, str], list[float]] = {}
        outputs: dict[tuple[str, str], bytes] = {}
        for name, (argv, extra) in COMMANDS.items():  # warm: bytecode, code-set caches, file cache
            for side, script in scripts.items():
                outputs[name, side] = run([script, *argv], {**envs[side], **extra})[1]
        for _ in range(args.repeat):
            floor.append(run([sys.executable, "-c", "pass"], env)[0])
            for name, (argv, extra) in COMMANDS.items():
                for side, script in scripts.items():
                    cpu, out = run([script, *argv], {**envs[side], **extra})
                    samples.setdefault((name, side), []).append(cpu)
                    outputs[name, side] = out
    base = statistics.median(floor)
    report: dict[str, object] = {"python -c pass": round(base, 3)}
    different = []
    for name in COMMANDS:
        row: dict[str, object] = {}
        for side in scripts:
            values = samples[name, side]
            row[f"{side}_cpu_seconds_median"] = round(statistics.median(values), 3)
            row[f"{side}_cpu_seconds_min"] = round(min(values), 3)
        if "baseline" in scripts:
            row["new_over_baseline"] = round(
                statistics.median(samples[name, "new"]) / statistics.median(samples[name, "baseline"]), 2
            )
            if outputs[name, "new"] != outputs[name, "baseline"] and name != "--version":
                different.append(name)
        report[name] = row
    help_cpu = statistics.median(samples["--help", "new"])
    claim_cpu = statistics.median(samples["adjudicate one claim", "new"])
    met = help_cpu <= args.help_target and claim_cpu <= args.claim_target
    report["target"] = {
        "--help_cpu_seconds": args.help_target,
        "one_claim_cpu_seconds": args.claim_target,
        "met": met,
    }
    if "baseline" in scripts:
        report["same_output_as_baseline"] = not different
        if different:
            report["different_output"] = different
    print(json.dumps(report, indent=2))
    return 0 if met and not different else 1


if __name__ == "__main__":
    sys.exit(main())
