"""What building the rulepacks costs every process (and so every worker), per rule.

    uv run python benchmarks/bench_rulepack_build.py [--rules 50000] [--rounds 3] [--payer]
        [--baseline DIR]

Writes one synthetic pack of ``--rules`` rules (``bench_rulepacks.write_pack``: unit limits,
diagnosis coverage and procedure pairs on distinct codes), then, in a fresh child process per
build, builds an engine over it and judges one claim (so every pack is loaded, checked and
compiled) and reports the CPU seconds of that build and the memory it keeps: resident memory
after the build, less before, with freed memory handed back first (``gc.collect`` and glibc's
``malloc_trim``), so the figure is what the compiled rules hold, not the parser's peak.

Each side has its own data directory (where parsed packs are cached, ``rulepack/parsed.py``):
its first build, which parses the pack and fills the cache, is reported apart
(``first_build_s``); the medians are of the builds after it, as every later process and worker
pays them.

``--payer`` builds the engine as ``adjudicate --payer bench`` does (only the packs that may
apply to the run's payers are loaded: each pack is first looked at, then loaded).

``--baseline DIR`` (a checkout of the code before a change, e.g. ``git worktree add DIR main``)
builds with that checkout's packages too, alternated with the current code round by round on
the same pack: before and after in one run. Prints one JSON object with each side's median
build seconds, milliseconds and kilobytes per rule, and the after / before ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _trim() -> None:
    gc.collect()
    # not glibc: no malloc_trim, and the figure then includes memory freed but not returned
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def child(directory: str, rules: int, payer: bool = False) -> None:
    sys.path.insert(0, str(HERE))
    import bench_rulepacks as b

    from payer_rules.engine import Engine
    from payer_rules.plugins import get_plugin_manager

    claim = b.claims(1, rules)[0]
    warm = Engine.from_installed(rulepack_dirs=[], load_entrypoints=False)  # imports, not rules
    with contextlib.suppress(Exception):  # no such payer without the pack: only imports matter
        warm.check(claim, "bench")
    _trim()
    before = _rss()
    start = time.process_time()
    if payer:  # as adjudicate --payer bench builds it
        dirs = [Path(directory)]
        manager = get_plugin_manager(rulepack_dirs=dirs, load_entrypoints=False, payers=["bench"])
        engine = Engine(manager)
    else:
        engine = Engine.from_installed(rulepack_dirs=[Path(directory)], load_entrypoints=False)
    engine.check(claim, "bench")
    took = time.process_time() - start
    _trim()
    kept = _rss() - before
    print(json.dumps({"build_s": took, "kept_bytes": kept}))


def source_path(tree: Path) -> str:
    return os.pathsep.join(str(p) for p in [tree / "src", *sorted(tree.glob("plugins/*/src"))])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout of the code before a change")
    parser.add_argument("--payer", action="store_true", help="build for payer bench alone (--payer bench)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rules, args.payer)
        return
    sys.path.insert(0, str(HERE))
    import bench_rulepacks as b

    sides = {"after": dict(os.environ)}
    if args.baseline:
        sides["before"] = {**os.environ, "PYTHONPATH": source_path(args.baseline.resolve())}
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    cold: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        pack_dir = Path(tmp) / "pack"
        pack_dir.mkdir()
        b.write_pack(pack_dir, args.rules)

        def build(side: str) -> dict[str, float]:
            env = {**sides[side], "PAYER_RULES_DATA_DIR": str(Path(tmp) / f"data-{side}")}
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--rules",
                    str(args.rules),
                    "--child",
                    str(pack_dir),
                    *(["--payer"] if args.payer else []),
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            found: dict[str, float] = json.loads(out)
            return found

        for side in sides:  # the first build of a pack parses it and fills the cache
            cold[side] = build(side)
        for _ in range(args.rounds):
            for side in sides:  # alternated: noise falls on both alike
                runs[side].append(build(side))
    result: dict[str, object] = {"rules": args.rules, "rounds": args.rounds, "payer": args.payer}
    for side, found in runs.items():
        took = statistics.median(r["build_s"] for r in found)
        kept = statistics.median(r["kept_bytes"] for r in found)
        result[side] = {
            "build_s": round(took, 2),
            "ms_per_rule": round(took / args.rules * 1e3, 4),
            "kb_per_rule": round(kept / args.rules / 1e3, 2),
            "kept_mb": round(kept / 1e6, 1),
            "build_s_all": [round(r["build_s"], 2) for r in found],
            "first_build_s": round(cold[side]["build_s"], 2),
        }
    if "before" in result:
        after, before = result["after"], result["before"]
        assert isinstance(after, dict) and isinstance(before, dict)
        result["time_ratio"] = round(after["build_s"] / before["build_s"], 3)
        result["memory_ratio"] = round(after["kept_mb"] / before["kept_mb"], 3)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
