"""The data directory and its catalogue of imported datasets.

Importers (registered by plugins through ``register_importers``) read official files (CMS,
CDC) and write them into SQLite databases under the data directory. Each import is recorded
in ``catalog.sqlite`` with its kind, version, effective range, row count and the checksums of
its source files, which ``payer-rules data list`` shows.

The directory is ``PAYER_RULES_DATA_DIR`` when set, else the user data directory that
platformdirs gives for ``payer-rules``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from attrs import frozen

__all__ = [
    "CATALOG",
    "DatasetRecord",
    "ImportOptions",
    "ImportReport",
    "ImporterInfo",
    "data_dir",
    "file_sha256",
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
    """What the user said on the command line besides the files."""

    effective: dt.date | None = None
    data_dir: Path


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


def _connect_catalog(directory: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(directory / CATALOG)
    conn.execute(
        """CREATE TABLE IF NOT EXISTS datasets (
            kind TEXT NOT NULL, version TEXT NOT NULL, effective_from TEXT, effective_to TEXT,
            rows INTEGER NOT NULL, database TEXT NOT NULL, sources TEXT NOT NULL,
            imported_at TEXT NOT NULL, provider TEXT NOT NULL,
            PRIMARY KEY (kind, version))"""
    )
    return conn


def record_import(report: ImportReport, provider: str, directory: Path) -> DatasetRecord:
    """Record (or replace) an import in the catalogue, with the source files' checksums."""
    record = DatasetRecord(
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
    with _connect_catalog(directory) as conn:
        conn.execute(
            "INSERT OR REPLACE INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.kind,
                record.version,
                record.effective_from.isoformat() if record.effective_from else None,
                record.effective_to.isoformat() if record.effective_to else None,
                record.rows,
                record.database,
                json.dumps(record.sources),
                record.imported_at,
                record.provider,
            ),
        )
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
