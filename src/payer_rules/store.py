"""The data directory and its catalogue of imported datasets.

Importers (registered by plugins through ``register_importers``) read official files (CMS,
CDC) and write them into SQLite databases under the data directory. Each import is recorded
in ``catalog.sqlite`` with its kind, version, effective range, row count and the checksums of
its source files, which ``payer-rules data list`` shows.

An import and its catalogue entry are one commit (issue 19). An importer that writes through
:func:`connect_for_import` gets a connection with the catalogue attached; its ``commit()``
only marks the data complete, and ``data import`` commits the data and the catalogue entry in
one SQLite transaction over both files (rollback journals and a super-journal, so a process
killed at any point leaves both as they were, or both new) once the importer has returned its
report (:class:`ImportCatalog`). An importer that writes its database some other way makes
the catalogue entry its commit point: code-set versions are written to a file of their own,
named by content, which nothing reads until the catalogue names it.

The directory is ``PAYER_RULES_DATA_DIR`` when set, else the user data directory that
platformdirs gives for ``payer-rules``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from attrs import define, field, frozen

from payer_rules.errors import InputError

__all__ = [
    "CATALOG",
    "DatasetRecord",
    "ImportCatalog",
    "ImportConnection",
    "ImportOptions",
    "ImportReport",
    "ImporterInfo",
    "connect_for_import",
    "data_dir",
    "file_sha256",
    "imported_on_call",
    "list_datasets",
    "record_import",
]

CATALOG = "catalog.sqlite"


def data_dir(create: bool = True) -> Path:
    """Where imported data lives: ``PAYER_RULES_DATA_DIR`` or the user data directory."""
    configured = os.environ.get("PAYER_RULES_DATA_DIR")
    if configured:
        path = Path(configured)
    else:
        import platformdirs  # imported only when no directory is configured

        path = Path(platformdirs.user_data_dir("payer-rules"))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def file_sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@frozen(kw_only=True)
class ImportOptions:
    """What the user said on the command line besides the files.

    ``catalog`` is set by ``data import``: the catalogue the import is recorded in, in the same
    transaction as its data when the importer writes through :func:`connect_for_import`.
    """

    effective: dt.date | None = None
    data_dir: Path
    catalog: ImportCatalog | None = field(default=None, eq=False)


@frozen(kw_only=True)
class ImportReport:
    """What one import wrote: recorded in the catalogue and printed to the user."""

    kind: str
    version: str
    rows: int
    sources: tuple[Path, ...]
    database: Path
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    notes: str = ""


@frozen(kw_only=True)
class ImporterInfo:
    """An importer a plugin registers through ``register_importers``.

    Args:
        kind: the word after ``payer-rules data import`` (``ncci-ptp``, ``icd10cm``).
        summary: one line for ``--help``.
        run: reads the files and writes the database; raises
            :class:`~payer_rules.errors.InputError` (``file:line: what is wrong``) on bad input.
        provider: filled in by the engine.
    """

    kind: str
    summary: str
    run: Callable[[Sequence[Path], ImportOptions], ImportReport]
    provider: str = ""


def imported_on_call(target: str) -> Callable[[Sequence[Path], ImportOptions], ImportReport]:
    """An importer's ``run`` that imports ``"module:function"`` when it is called.

    Every process registers the importers when it builds its engine, and most never import
    anything: this keeps an importer's parsing code (CSV layouts, header maps) out of their
    start-up.
    """
    module, _, name = target.partition(":")

    def run(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
        import importlib

        function: Callable[[Sequence[Path], ImportOptions], ImportReport] = getattr(
            importlib.import_module(module), name
        )
        return function(paths, options)

    run.__qualname__ = run.__name__ = name
    run.__module__ = module
    return run


@frozen(kw_only=True)
class DatasetRecord:
    kind: str
    version: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    rows: int
    database: str
    sources: tuple[tuple[str, str], ...]  # (file name, sha256)
    imported_at: str
    provider: str


_DATASETS = """CREATE TABLE IF NOT EXISTS {schema}datasets (
    kind TEXT NOT NULL, version TEXT NOT NULL, effective_from TEXT, effective_to TEXT,
    rows INTEGER NOT NULL, database TEXT NOT NULL, sources TEXT NOT NULL,
    imported_at TEXT NOT NULL, provider TEXT NOT NULL,
    PRIMARY KEY (kind, version))"""
_RECORD = "INSERT OR REPLACE INTO {schema}datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
#: The catalogue's schema name on an importer's connection.
_ATTACHED = "payer_rules_catalog"


def _connect_catalog(directory: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(directory / CATALOG)
    conn.execute(_DATASETS.format(schema=""))
    return conn


class ImportConnection(sqlite3.Connection):
    """An importer's connection whose transaction ``data import`` commits with the catalogue.

    ``commit()`` marks the data complete and ``close()`` leaves the connection open for
    :meth:`ImportCatalog.commit`; importers keep their usual ``commit`` / ``rollback`` /
    ``close`` code. Reading after ``commit()`` on the same connection sees the data.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.complete = False

    def commit(self) -> None:
        self.complete = True

    def rollback(self) -> None:
        self.complete = False
        super().rollback()

    def close(self) -> None:
        if not self.complete:
            super().close()


@define
class ImportCatalog:
    """The catalogue one ``data import`` records into (see the module docstring).

    :param directory: the data directory (``catalog.sqlite`` in it).
    :param provider: the importer's plugin and version, recorded with the import.
    """

    directory: Path
    provider: str
    _held: list[ImportConnection] = field(factory=list, init=False)

    def hold(self, conn: ImportConnection) -> None:
        self._held.append(conn)

    def commit(self, report: ImportReport) -> DatasetRecord:
        """The importer's data and its catalogue entry, committed together; the entry."""
        record = dataset_record(report, self.provider)
        complete = [c for c in self._held if c.complete]
        try:
            if not complete:  # the importer wrote no data through connect_for_import
                self.abandon()
                replaced = _database_of(self.directory, record.kind, record.version)
                record_import(report, self.provider, self.directory, record=record)
                _drop_unreferenced(self.directory, replaced)
                return record
            *others, last = complete
            last.execute(_RECORD.format(schema=f"{_ATTACHED}."), _row(record))
            for conn in [*others, last]:  # one database each; the last one with the catalogue
                sqlite3.Connection.commit(conn)
        except sqlite3.Error as exc:
            raise InputError(
                str(self.directory / CATALOG),
                f"could not record the import ({exc}); the previous dataset stays in force",
            ) from exc
        finally:
            self.abandon()
        return record

    def abandon(self) -> None:
        """Roll back and close every connection still held (a failed import)."""
        for conn in self._held:
            conn.complete = False
            with contextlib.suppress(sqlite3.Error):
                conn.rollback()
            conn.close()
        self._held.clear()


def _database_of(directory: Path, kind: str, version: str) -> str | None:
    """The database file the catalogue names for ``kind`` ``version``, if any."""
    if not (directory / CATALOG).exists():
        return None
    conn = _connect_catalog(directory)
    try:
        row = conn.execute("SELECT database FROM datasets WHERE kind = ? AND version = ?", (kind, version))
        found = row.fetchone()
    finally:
        conn.close()
    return str(found[0]) if found else None


def _drop_unreferenced(directory: Path, database: str | None) -> None:
    """Remove a database the catalogue no longer names: a version imported again from other
    files went to a new file (see the module docstring), and nothing reads the old one."""
    if database is None or Path(database).name != database:
        return
    conn = _connect_catalog(directory)
    try:
        named = conn.execute("SELECT 1 FROM datasets WHERE database = ? LIMIT 1", (database,)).fetchone()
    finally:
        conn.close()
    if named is None:
        with contextlib.suppress(OSError):
            (directory / database).unlink(missing_ok=True)


def connect_for_import(path: Path, options: ImportOptions) -> sqlite3.Connection:
    """A connection for an importer, inside one transaction: the caller commits, or nothing it
    wrote is ever seen (SQLite's rollback journal undoes a killed import's partial write the
    next time the database is opened). Under ``data import`` the catalogue is attached and the
    commit waits for the catalogue entry (:class:`ImportConnection`).

    Use it with ``executescript`` only before writing: ``executescript`` commits first.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog = options.catalog
    conn = sqlite3.connect(path, factory=ImportConnection if catalog is not None else sqlite3.Connection)
    conn.execute("PRAGMA main.journal_mode = DELETE")
    # SQLite commits several files atomically (through a super-journal) only for databases whose
    # synchronous setting is not OFF; with the catalogue attached OFF would commit the files one
    # after the other (issue 19). Without it, OFF risks only a power cut, not a killed process.
    conn.execute(f"PRAGMA main.synchronous = {'NORMAL' if catalog is not None else 'OFF'}")
    conn.execute("PRAGMA main.cache_size = -65536")
    if catalog is not None:
        assert isinstance(conn, ImportConnection)
        catalog.directory.mkdir(parents=True, exist_ok=True)
        # ATTACH is refused inside a transaction: before BEGIN
        conn.execute(f"ATTACH DATABASE ? AS {_ATTACHED}", (str(catalog.directory / CATALOG),))
        conn.execute(_DATASETS.format(schema=f"{_ATTACHED}."))
        catalog.hold(conn)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def dataset_record(report: ImportReport, provider: str) -> DatasetRecord:
    """The catalogue entry for ``report``, with the source files' checksums."""
    return DatasetRecord(
        kind=report.kind,
        version=report.version,
        effective_from=report.effective_from,
        effective_to=report.effective_to,
        rows=report.rows,
        database=str(report.database.name),
        sources=tuple((p.name, file_sha256(p)) for p in report.sources if p.is_file()),
        imported_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        provider=provider,
    )


def _row(record: DatasetRecord) -> tuple[object, ...]:
    return (
        record.kind,
        record.version,
        record.effective_from.isoformat() if record.effective_from else None,
        record.effective_to.isoformat() if record.effective_to else None,
        record.rows,
        record.database,
        json.dumps(record.sources),
        record.imported_at,
        record.provider,
    )


def record_import(
    report: ImportReport, provider: str, directory: Path, *, record: DatasetRecord | None = None
) -> DatasetRecord:
    """Record (or replace) an import in the catalogue, in a transaction of its own."""
    record = record or dataset_record(report, provider)
    conn = _connect_catalog(directory)
    try:
        with conn:
            conn.execute(_RECORD.format(schema=""), _row(record))
    finally:
        conn.close()
    return record


def list_datasets(directory: Path | None = None) -> list[DatasetRecord]:
    directory = directory or data_dir()
    if not (directory / CATALOG).exists():
        return []
    conn = _connect_catalog(directory)
    try:
        rows = conn.execute(
            "SELECT kind, version, effective_from, effective_to, rows, database, sources, "
            "imported_at, provider FROM datasets ORDER BY kind, effective_from, version"
        ).fetchall()
    finally:
        conn.close()
    return [
        DatasetRecord(
            kind=r[0],
            version=r[1],
            effective_from=dt.date.fromisoformat(r[2]) if r[2] else None,
            effective_to=dt.date.fromisoformat(r[3]) if r[3] else None,
            rows=r[4],
            database=r[5],
            sources=tuple((a, b) for a, b in json.loads(r[6])),
            imported_at=r[7],
            provider=r[8],
        )
        for r in rows
    ]
