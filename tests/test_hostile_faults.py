"""Issue 19: faults. A run killed with SIGKILL leaves outputs and imported data as they were,
and its ``--jobs`` workers go with it.

Each test starts the real runner in a child process, waits (bounded) until it is mid-way, kills
it with SIGKILL and looks at what is left. Every wait has a deadline; nothing here can hang.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli

from .batch_claims import write_ndjson

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc; kill -9 semantics")

DEADLINE = 60.0


def _runner(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from payer_rules.cli import main; main()", *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_for(
    condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str, every: float = 0.02
) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the run ended (exit {process.returncode}) before {what}: {process.stderr.read()!r}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {what} within {DEADLINE} s")
        time.sleep(every)


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=DEADLINE)
    assert process.returncode == -signal.SIGKILL


def _parts(directory: Path, name: str) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".part")]


def test_output_killed_mid_run_leaves_the_previous_file_untouched(tmp_path):
    claims = write_ndjson(tmp_path / "claims.ndjson", 40_000, bad={})
    out = tmp_path / "results.ndjson"
    out.write_text("previous results\n")
    run = _runner(
        "adjudicate", str(claims), "--payer", "medicare", "--format", "ndjson", "-o", str(out),
        env={"PAYER_RULES_DATA_DIR": str(tmp_path / "data")},
    )  # fmt: skip
    _wait_for(
        lambda: any(p.stat().st_size > 100_000 for p in _parts(tmp_path, out.name)), run, "partial output"
    )
    _kill(run)
    assert out.read_text() == "previous results\n"
    assert _parts(tmp_path, out.name)  # what the killed run was writing
    # the next run of the same output removes it: killed runs' files do not pile up
    small = write_ndjson(tmp_path / "small.ndjson", 3)
    CliRunner().invoke(
        cli, ["adjudicate", str(small), "--payer", "medicare", "--format", "ndjson", "-o", str(out)]
    )
    assert len(out.read_text().splitlines()) == 3
    assert _parts(tmp_path, out.name) == []


def test_output_is_replaced_whole_when_the_run_completes(tmp_path):
    claims = write_ndjson(tmp_path / "claims.ndjson", 30)
    out = tmp_path / "results.ndjson"
    out.write_text("previous results\n")
    out.chmod(0o640)
    result = CliRunner().invoke(
        cli, ["adjudicate", str(claims), "--payer", "medicare", "--format", "ndjson", "-o", str(out)]
    )
    assert result.exit_code == 1  # the generated batch holds unreadable lines: exit 1, output written
    lines = out.read_text().splitlines()
    units = [line for line in claims.read_text().splitlines() if line.strip()]
    assert len(lines) == len(units) and all(json.loads(line)["payer"] == "medicare" for line in lines)
    assert out.stat().st_mode & 0o777 == 0o640
    assert _parts(tmp_path, out.name) == []


def _clfs(path: Path, rows: int, rate: str) -> Path:
    lines = ["YEAR,HCPCS,MOD,EFF_DATE,INDICATOR,RATE"]
    for i in range(rows):
        modifier = f"M{i // 90_000}" if i >= 90_000 else ""
        lines.append(f"2026,{10_000 + i % 90_000:05d},{modifier},20260101,N,{rate}")
    path.write_text("\n".join(lines) + "\n")
    return path


_SMALL_CACHE_IMPORT = """
import payer_rules_medicare.clfs as clfs
original = clfs.connect_for_write
def small_cache(path, options):
    conn = original(path, options)
    conn.execute("PRAGMA cache_size = 16")
    return conn
clfs.connect_for_write = small_cache
from payer_rules.cli import main
main()
"""


def test_import_killed_mid_write_leaves_the_previous_dataset_in_force(tmp_path):
    data = tmp_path / "data"
    env = {"PAYER_RULES_DATA_DIR": str(data)}
    small = _clfs(tmp_path / "CLFS 2026 Q1V1.csv", 3, "11.11")
    cli_main = "from payer_rules.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", cli_main, "data", "import", "clfs", str(small)],
        env={**os.environ, **env}, capture_output=True, timeout=DEADLINE, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    big = _clfs(tmp_path / "CLFS 2026 Q1V2.csv", 200_000, "99.99")
    # A small page cache makes SQLite write pages into the database file while the import runs
    # (not all at commit), so the kill lands while the file holds a half-written import.
    run = subprocess.Popen(
        [sys.executable, "-c", _SMALL_CACHE_IMPORT, "data", "import", "clfs", str(big)],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    # SQLite creates the journal when the import first writes to the database file; kill it then
    _wait_for(
        lambda: (data / "medicare-clfs.sqlite-journal").exists(), run, "an import writing", every=0.0005
    )
    _kill(run)
    assert (data / "medicare-clfs.sqlite-journal").exists()  # killed mid-write: a hot journal is left

    from payer_rules_medicare.imported import imported

    tables = imported(data)
    assert tables.clfs is not None
    rates = tables.clfs.execute("SELECT DISTINCT rate FROM clfs").fetchall()
    count = tables.clfs.execute("SELECT count(*) FROM clfs").fetchone()[0]
    assert (rates, count) == ([("11.11",)], 3)
    listed = CliRunner(env=env).invoke(cli, ["data", "list", "--json"])
    assert [d["version"] for d in json.loads(listed.output)["datasets"]] == ["CLFS 2026 Q1V1"]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        found += [int(c) for c in text.split()]
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited; only its entry is left


def test_jobs_workers_do_not_outlive_a_killed_parent(tmp_path):
    claims = write_ndjson(tmp_path / "claims.ndjson", 60_000, bad={})
    run = _runner(
        "adjudicate", str(claims), "--payer", "medicare", "--format", "ndjson", "-o", str(tmp_path / "out"),
        "--jobs", "2", env={"PAYER_RULES_DATA_DIR": str(tmp_path / "data")},
    )  # fmt: skip
    workers: list[int] = []

    def started() -> bool:
        workers[:] = _children(run.pid)
        return len(workers) >= 2 and any(p.stat().st_size > 0 for p in _parts(tmp_path, "out"))

    _wait_for(started, run, "two working --jobs workers")
    _kill(run)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "workers outlived their parent"


_PTP_HEADER = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)


def test_failed_import_of_a_new_ptp_version_keeps_the_previous_table(tmp_path):
    # A new version used to drop the table and commit at once (executescript commits), so a bad
    # row later in the new files left no PTP edits at all.
    from payer_rules.errors import InputError
    from payer_rules.store import ImportOptions
    from payer_rules_medicare.imported import imported
    from payer_rules_medicare.ncci.ptp import import_ptp

    data = tmp_path / "data"
    old = tmp_path / "ccipra-v322r0-f1.txt"
    old.write_text(_PTP_HEADER + "99213\t36415\t\t20100101\t*\t0\tMutually exclusive procedures\r\n")
    import_ptp([old], ImportOptions(data_dir=data))
    new = tmp_path / "ccipra-v323r0-f1.txt"
    new.write_text(_PTP_HEADER + "99214\t36415\t\t20100101\t*\t1\tx\r\n99214\t364\t\t20100101\t*\t7\tx\r\n")
    with pytest.raises(InputError, match="bad PTP edit"):
        import_ptp([new], ImportOptions(data_dir=data))
    tables = imported(data)
    assert tables.ptp is not None
    assert tables.ptp.execute("SELECT col1, col2 FROM ptp").fetchall() == [("99213", "36415")]


def test_atomic_output_keeps_the_target_on_an_error_and_leaves_no_part(tmp_path):
    from payer_rules.io.atomic import atomic_output

    target = tmp_path / "out.835"
    target.write_text("previous")

    def interrupted() -> None:
        with atomic_output(target) as handle:
            handle.write("half")
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        interrupted()
    assert target.read_text() == "previous"
    assert _parts(tmp_path, target.name) == []
    with atomic_output(target) as handle:
        handle.write("whole")
    assert target.read_text() == "whole"


# -- data import: the data and its catalogue entry are one commit ----------------------------------

_KILL_WHILE_RECORDING = """
import os, signal
import payer_rules.store as store
def killed(path):
    os.kill(os.getpid(), signal.SIGKILL)  # as the catalogue entry is being made
store.file_sha256 = killed
from payer_rules.cli import main
main()
"""


def _import_clfs(data: Path, path: Path, script: str = "from payer_rules.cli import main; main()"):
    return subprocess.run(
        [sys.executable, "-c", script, "data", "import", "clfs", str(path)],
        env={**os.environ, "PAYER_RULES_DATA_DIR": str(data)},
        capture_output=True,
        timeout=DEADLINE,
        check=False,
    )


def _clfs_state(data: Path) -> tuple[list[tuple[str, ...]], list[str]]:
    """The CLFS rates in force and the versions the catalogue lists (as ``data list`` shows)."""
    from payer_rules_medicare.imported import imported

    tables = imported(data)
    assert tables.clfs is not None
    rates = tables.clfs.execute("SELECT DISTINCT rate FROM clfs ORDER BY rate").fetchall()
    listed = CliRunner(env={"PAYER_RULES_DATA_DIR": str(data)}).invoke(cli, ["data", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    return rates, [d["version"] for d in json.loads(listed.output)["datasets"]]


def test_import_killed_while_recording_leaves_data_and_catalogue_as_they_were(tmp_path):
    # The catalogue entry used to be written after the data's commit: killed in between, the
    # new rates were in force while the catalogue still named (and checksummed) the old file.
    data = tmp_path / "data"
    done = _import_clfs(data, _clfs(tmp_path / "CLFS 2026 Q1V1.csv", 3, "11.11"))
    assert done.returncode == 0, done.stderr
    run = _import_clfs(data, _clfs(tmp_path / "CLFS 2026 Q1V2.csv", 3, "22.22"), _KILL_WHILE_RECORDING)
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert _clfs_state(data) == ([("11.11",)], ["CLFS 2026 Q1V1"])
    # and the next import goes through whole
    done = _import_clfs(data, _clfs(tmp_path / "CLFS 2026 Q1V3.csv", 3, "33.33"))
    assert done.returncode == 0, done.stderr
    assert _clfs_state(data) == ([("33.33",)], ["CLFS 2026 Q1V1", "CLFS 2026 Q1V3"])


def test_import_whose_catalogue_entry_fails_keeps_the_previous_dataset(tmp_path):
    import sqlite3

    data = tmp_path / "data"
    done = _import_clfs(data, _clfs(tmp_path / "CLFS 2026 Q1V1.csv", 3, "11.11"))
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(data / "catalog.sqlite") as conn:  # a catalogue the entry cannot go into
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON datasets BEGIN SELECT RAISE(ABORT, 'read only'); END"
        )
    conn.close()
    failed = _import_clfs(data, _clfs(tmp_path / "CLFS 2026 Q1V2.csv", 3, "22.22"))
    assert failed.returncode == 1
    stderr = failed.stderr.decode()
    assert "Traceback" not in stderr
    assert f"payer-rules: error: {data / 'catalog.sqlite'}: could not record the import" in stderr
    assert _clfs_state(data) == ([("11.11",)], ["CLFS 2026 Q1V1"])


def test_stale_parts_are_removed_only_when_their_writer_is_gone(tmp_path):
    from payer_rules.io import atomic

    target = tmp_path / "out.835"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    dead = int(gone.stdout)
    host = atomic._host()
    stale = tmp_path / f".out.835.{dead}@{host}.abc123.part"
    kept = [
        tmp_path / f".out.835.{os.getpid()}@{host}.live01.part",  # a live writer of the same target
        tmp_path / f".out.835.{dead}@otherhost.abc123.part",  # another host's process: not ours to judge
        tmp_path / f".out.835.x.{dead}@{host}.abc123.part",  # not a name atomic_output gives
        tmp_path / f".other.835.{dead}@{host}.abc123.part",  # another target's
        tmp_path / ".out.835.k2j3l4.part",  # no owner in the name
    ]
    for path in [stale, *kept]:
        path.write_text("half")
    with atomic.atomic_output(target) as handle:
        handle.write("whole")
    assert target.read_text() == "whole"
    assert not stale.exists()
    assert all(p.exists() for p in kept)


def test_an_import_with_the_catalogue_attached_commits_both_files_through_a_super_journal(tmp_path):
    # SQLite commits attached databases atomically only when none of them is synchronous = OFF;
    # the importers' OFF made the data and the catalogue entry two commits (found by strace: no
    # super-journal was written).
    from payer_rules.store import ImportCatalog, ImportOptions, connect_for_import

    catalog = ImportCatalog(tmp_path, "test")
    conn = connect_for_import(tmp_path / "x.sqlite", ImportOptions(data_dir=tmp_path, catalog=catalog))
    try:
        synchronous = {
            row[1]: conn.execute(f"PRAGMA {row[1]}.synchronous").fetchone()[0]
            for row in conn.execute("PRAGMA database_list")
        }
        journal = {
            row[1]: conn.execute(f"PRAGMA {row[1]}.journal_mode").fetchone()[0]
            for row in conn.execute("PRAGMA database_list")
        }
    finally:
        catalog.abandon()
    assert len(synchronous) == 2 and all(level != 0 for level in synchronous.values()), synchronous
    assert set(journal.values()) == {"delete"}, journal
