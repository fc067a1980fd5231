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

import contextlib
import os
import sqlite3
import threading
import time
from pathlib import Path

from attrs import field, frozen

from payer_rules.store import ImportOptions, connect_for_import, data_dir

__all__ = [
    "ASC_DB",
    "ASP_DB",
    "CLFS_DB",
    "IPPS_DB",
    "MEDICARE_FILES",
    "MPFS_DB",
    "MUE_DB",
    "NCD_DB",
    "PTP_DB",
    "ImportedTables",
    "TableFiles",
    "connect_for_write",
    "imported",
]

MPFS_DB = "medicare-mpfs.sqlite"
CLFS_DB = "medicare-clfs.sqlite"
PTP_DB = "medicare-ncci-ptp.sqlite"
MUE_DB = "medicare-ncci-mue.sqlite"
ASP_DB = "medicare-asp.sqlite"
#: CMS ASC addenda AA / BB / EE / FF by quarter, and the ASCs' wage index records.
ASC_DB = "medicare-asc.sqlite"
NCD_DB = "medicare-ncd-lab.sqlite"
#: Inpatient: Table 5 weights by fiscal year and provider records (PSF or your own TOML).
IPPS_DB = "medicare-ipps.sqlite"


@frozen(cache_hash=True)  # a key of imported()'s cache, asked per claim
class TableFiles:
    """Which database file in the data directory holds each table (``None``: none is read).

    Medicare reads its own five; Medicaid NCCI reads the same PTP / MUE layouts from Medicaid's
    files, through the same opening and caching.
    """

    mpfs: str | None = MPFS_DB
    clfs: str | None = CLFS_DB
    ptp: str | None = PTP_DB
    mue: str | None = MUE_DB
    asp: str | None = None
    asc: str | None = None
    ncd: str | None = None
    ipps: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        files = (self.mpfs, self.clfs, self.ptp, self.mue, self.asp, self.asc, self.ncd, self.ipps)
        return tuple(name for name in files if name is not None)


MEDICARE_FILES = TableFiles(asp=ASP_DB, asc=ASC_DB, ncd=NCD_DB, ipps=IPPS_DB)


@frozen
class ImportedTables:
    """Read-only connections to whichever Medicare databases have been imported."""

    directory: Path
    mpfs: sqlite3.Connection | None
    clfs: sqlite3.Connection | None
    ptp: sqlite3.Connection | None
    mue: sqlite3.Connection | None
    asp: sqlite3.Connection | None = None
    asc: sqlite3.Connection | None = None
    ncd: sqlite3.Connection | None = None
    ipps: sqlite3.Connection | None = None
    #: Lookups built over these connections on first use and shared with them (the NCCI
    #: indexes of :mod:`payer_rules_medicare.ncci.lookup`); a new import brings new ones.
    derived: dict[str, object] = field(factory=dict, eq=False, repr=False)


def _open(directory: Path, name: str | None) -> sqlite3.Connection | None:
    if name is None:
        return None
    path = directory / name
    if not path.is_file():
        return None
    if path.with_name(f"{name}-journal").exists():
        # An import was killed mid-write: a read-only connection cannot roll its hot journal
        # back ("attempt to write a readonly database"); a writable one does on first read.
        with contextlib.closing(sqlite3.connect(path)) as recover:
            recover.execute("SELECT count(*) FROM sqlite_master").fetchone()
    # check_same_thread=False: the engine is shared across threads; the sqlite3 module
    # serialises use of one connection, and these connections only read.
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    return conn


def _stamp(directory: Path, files: TableFiles) -> tuple[int, ...]:
    stamps = []
    for name in files.names:
        try:
            stamps.append(os.stat(directory / name).st_mtime_ns)
        except FileNotFoundError:
            stamps.append(0)
    return tuple(stamps)


_lock = threading.Lock()
_cache: dict[tuple[Path, TableFiles], tuple[tuple[int, ...], ImportedTables]] = {}


#: How often the configured data directory is looked at again for a newer import. Checking
#: costs several ``stat`` calls and a platformdirs lookup; doing it per claim cost a third of
#: the adjudication time.
RECHECK_SECONDS = 2.0
_recent: dict[tuple[str | None, TableFiles], tuple[float, ImportedTables]] = {}


def imported(directory: Path | None = None, files: TableFiles = MEDICARE_FILES) -> ImportedTables:
    """The imported tables of ``directory`` (default: the configured data directory).

    For the configured directory the answer is reused for :data:`RECHECK_SECONDS`, so a new
    import reaches a running process within seconds without a filesystem check per claim.
    """
    if directory is not None:
        return _imported_at(directory, files)
    key = (os.environ.get("PAYER_RULES_DATA_DIR"), files)
    now = time.monotonic()
    hit = _recent.get(key)
    if hit is not None and now - hit[0] < RECHECK_SECONDS:
        return hit[1]
    tables = _imported_at(data_dir(create=False), files)
    _recent[key] = (now, tables)
    return tables


def _imported_at(directory: Path, files: TableFiles) -> ImportedTables:
    stamp = _stamp(directory, files)
    cached = _cache.get((directory, files))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        cached = _cache.get((directory, files))
        if cached is not None and cached[0] == stamp:
            return cached[1]
        tables = ImportedTables(
            directory=directory,
            mpfs=_open(directory, files.mpfs),
            clfs=_open(directory, files.clfs),
            ptp=_open(directory, files.ptp),
            mue=_open(directory, files.mue),
            asp=_open(directory, files.asp),
            asc=_open(directory, files.asc),
            ncd=_open(directory, files.ncd),
            ipps=_open(directory, files.ipps),
        )
        _cache[(directory, files)] = (stamp, tables)
        return tables


def connect_for_write(path: Path, options: ImportOptions) -> sqlite3.Connection:
    """A connection for an importer, inside one transaction: the caller commits, or nothing
    it wrote is ever seen. Use :func:`execute_script`, never ``executescript`` (which commits)
    once it has written.

    An import that fails or is killed leaves the previous dataset in force: SQLite's rollback
    journal undoes the partial write the next time the database is opened; under ``data
    import`` the data and its catalogue entry are committed together
    (:func:`payer_rules.store.connect_for_import`, issue 19).
    """
    return connect_for_import(path, options)


def execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Each statement of ``script`` inside the open transaction (``executescript`` commits first)."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):  # not a ';' inside a string literal
            if statement.strip(" \t\r\n;"):
                conn.execute(statement)
            statement = ""
