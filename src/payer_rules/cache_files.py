"""Derived data kept in ``<data dir>/cache/``: read back if present and intact, else built and kept.

Shared by the code-set tables (``codesets/cache.py``) and parsed rulepacks (``rulepack/parsed.py``).
An entry is one file named ``STEM-KEY.SUFFIX``; writing one removes the entries of the same stem
with other keys, so a changed source replaces its own entry. A damaged entry is built again and a
read-only data directory works from memory.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


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
) -> T:
    """The value kept at ``path``; else ``build()``, kept there when ``dump`` can hold it."""
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
        return load(path.read_bytes())
    value = build()
    payload = dump(value)
    if payload is not None:
        with contextlib.suppress(OSError):  # a read-only data directory: work from memory
            _write(path, payload)
            for old in path.parent.glob(f"{stem}-*{path.suffix}"):
                if old != path:
                    old.unlink(missing_ok=True)
    return value


def _write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(payload)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
