"""The Medicare tables imported into the data directory, opened once per process.

Each importer writes one SQLite database under the data directory (``payer-rules data import``).
The hooks ask :func:`imported` for the tables of the current data directory: the databases are
opened read-only on first use and kept for the life of the process, keyed by the directory and
the files' modification times, so a later import is picked up and nothing is re-read per claim.
Opening is a few ``sqlite3.connect`` calls (milliseconds, whatever the table size); lookups are
indexed queries, so memory stays at SQLite's page cache, not the size of the tables.

When a database is absent the caller falls back to the starter pack (``data/starter.toml``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from attrs import frozen

from payer_rules.store import data_dir

__all__ = [
    "CLFS_DB",
    "MPFS_DB",
    "MUE_DB",
    "PTP_DB",
    "ImportedTables",
    "connect_for_write",
    "imported",
]

MPFS_DB = "medicare-mpfs.sqlite"
CLFS_DB = "medicare-clfs.sqlite"
PTP_DB = "medicare-ncci-ptp.sqlite"
MUE_DB = "medicare-ncci-mue.sqlite"
_ALL = (MPFS_DB, CLFS_DB, PTP_DB, MUE_DB)


@frozen
class ImportedTables:
    """Read-only connections to whichever Medicare databases have been imported."""

    directory: Path
    mpfs: sqlite3.Connection | None
    clfs: sqlite3.Connection | None
    ptp: sqlite3.Connection | None
    mue: sqlite3.Connection | None


def _open(path: Path) -> sqlite3.Connection | None:
    if not path.is_file():
        return None
    # check_same_thread=False: the engine is shared across threads; the sqlite3 module
    # serialises use of one connection, and these connections only read.
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    return conn


def _stamp(directory: Path) -> tuple[int, ...]:
    stamps = []
    for name in _ALL:
        try:
            stamps.append(os.stat(directory / name).st_mtime_ns)
        except FileNotFoundError:
            stamps.append(0)
    return tuple(stamps)


_lock = threading.Lock()
_cache: dict[Path, tuple[tuple[int, ...], ImportedTables]] = {}


#: How often the configured data directory is looked at again for a newer import. Checking
#: costs several ``stat`` calls and a platformdirs lookup; doing it per claim cost a third of
#: the adjudication time.
RECHECK_SECONDS = 2.0
_recent: dict[str | None, tuple[float, ImportedTables]] = {}


def imported(directory: Path | None = None) -> ImportedTables:
    """The imported tables of ``directory`` (default: the configured data directory).

    For the configured directory the answer is reused for :data:`RECHECK_SECONDS`, so a new
    import reaches a running process within seconds without a filesystem check per claim.
    """
    if directory is not None:
        return _imported_at(directory)
    key = os.environ.get("PAYER_RULES_DATA_DIR")
    now = time.monotonic()
    hit = _recent.get(key)
    if hit is not None and now - hit[0] < RECHECK_SECONDS:
        return hit[1]
    tables = _imported_at(data_dir(create=False))
    _recent[key] = (now, tables)
    return tables


def _imported_at(directory: Path) -> ImportedTables:
    stamp = _stamp(directory)
    cached = _cache.get(directory)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        cached = _cache.get(directory)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        tables = ImportedTables(
            directory=directory,
            mpfs=_open(directory / MPFS_DB),
            clfs=_open(directory / CLFS_DB),
            ptp=_open(directory / PTP_DB),
            mue=_open(directory / MUE_DB),
        )
        _cache[directory] = (stamp, tables)
        return tables


def connect_for_write(path: Path) -> sqlite3.Connection:
    """A connection for an importer: bulk-load pragmas, the caller commits."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -65536")
    return conn
