"""Derived data kept in ``<data dir>/cache/``: read back if present and intact, else built and kept.

Shared by the code-set tables (``codesets/cache.py``) and parsed rulepacks (``rulepack/parsed.py``).
An entry is one file named ``STEM-KEY.SUFFIX``; writing one removes the entries it replaces (by
default those of the same stem with other keys), so a changed source replaces its own entry. A
damaged entry is built again and a read-only data directory works from memory.

Sources that come and go (a pack in a temporary directory has a new path, so a new stem, every
time) would leave their entries behind for good; a :class:`Budget` bounds a kind of entry.
An entry's modification time is when it was last used (reading refreshes it, at most once an
hour), and writing an entry prunes the others of its kind: those unused for longer than the
budget's age, then the least recently used beyond its count or size.

Entries a newer version no longer reads (another format, a release no longer installed) are
removed by a ``tidy`` callback (:func:`remove_unused`) when an entry is written, and when one is
read and its time refreshed, so a cache an upgrade left behind is cleared within the hour
without a directory listing at every start.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from attrs import frozen

__all__ = ["Budget", "cache_directory", "prune", "read_or_build", "remove_unused"]

T = TypeVar("T")

#: Reading an entry refreshes its time when it is older than this (seconds): a use is recorded
#: without writing the file's metadata on every start.
TOUCH_AFTER = 3600.0


@frozen
class Budget:
    """How much of one kind of entry the cache keeps.

    Args:
        pattern: the entries it covers, as a glob in the cache directory (``pack-*.pack``).
        max_age_days: an entry unused for longer is removed.
        max_entries, max_bytes: beyond these, the least recently used entries are removed.
    """

    pattern: str
    max_age_days: float
    max_entries: int
    max_bytes: int


def cache_directory(directory: Path | None) -> Path:
    """``directory``, or ``<data dir>/cache`` when none is given."""
    if directory is not None:
        return directory
    from payer_rules.store import data_dir

    return data_dir(create=False) / "cache"


def read_or_build(
    path: Path,
    stem: str,
    *,
    load: Callable[[bytes], T],
    build: Callable[[], T],
    dump: Callable[[T], bytes | None],
    budget: Budget | None = None,
    tidy: Callable[[Path], object] | None = None,
    replaces: str | None = None,
) -> T:
    """The value kept at ``path``; else ``build()``, kept there when ``dump`` can hold it.

    :param budget: what to keep of ``path``'s kind, pruned when an entry is written.
    :param tidy: removes what no current version uses (given ``path``, which it keeps); called
        when an entry is written, and when one is read and its time refreshed.
    :param replaces: the entries (a glob in the cache directory) a new entry at ``path``
        supersedes; ``STEM-*SUFFIX`` by default.
    """
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
        value = load(path.read_bytes())
        if _touch(path) and tidy is not None:
            with contextlib.suppress(OSError):
                tidy(path)
        return value
    value = build()
    payload = dump(value)
    if payload is not None:
        with contextlib.suppress(OSError):  # a read-only data directory: work from memory
            _write(path, payload)
            for old in path.parent.glob(replaces or f"{stem}-*{path.suffix}"):
                if old != path:
                    old.unlink(missing_ok=True)
            if budget is not None:
                prune(path.parent, budget, keep=path)
            if tidy is not None:
                tidy(path)
    return value


def _touch(path: Path) -> bool:
    """Refresh ``path``'s time when it is older than :data:`TOUCH_AFTER`; whether it did."""
    with contextlib.suppress(OSError):  # a read-only cache is still read
        if time.time() - path.stat().st_mtime > TOUCH_AFTER:
            os.utime(path)
            return True
    return False


def remove_unused(directory: Path, patterns: Iterable[str], in_use: Callable[[Path], bool]) -> list[Path]:
    """Remove the entries matching any of ``patterns`` (globs in ``directory``) not ``in_use``.

    :returns: the entries removed.
    """
    removed: list[Path] = []
    for pattern in patterns:
        for path in directory.glob(pattern):
            if not in_use(path):
                with contextlib.suppress(OSError):  # removed meanwhile by another process
                    path.unlink()
                    removed.append(path)
    return removed


def prune(
    directory: Path, budget: Budget, *, keep: Path | None = None, now: float | None = None
) -> list[Path]:
    """Remove the entries of ``budget``'s kind it does not keep; ``keep`` always stays.

    :returns: the entries removed.
    """
    now = time.time() if now is None else now
    entries: list[tuple[float, int, Path]] = []
    for path in directory.glob(budget.pattern):
        with contextlib.suppress(OSError):  # removed meanwhile by another process
            status = path.stat()
            entries.append((status.st_mtime, status.st_size, path))
    entries.sort(key=lambda e: (e[2] != keep, -e[0]))  # ``keep``, then the most recently used
    removed: list[Path] = []
    count = size = 0
    for used, bytes_, path in entries:
        count += 1
        size += bytes_
        stale = now - used > budget.max_age_days * 86400
        over = count > budget.max_entries or size > budget.max_bytes
        if path != keep and (stale or over):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
            count -= 1
            size -= bytes_
    return removed


def _write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(payload)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
