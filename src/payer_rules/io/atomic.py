"""Output files that are either complete or not there: written beside the target, then renamed.

A run killed half-way used to leave a truncated ``--output`` that looked finished (an NDJSON of
29,055 complete lines, an empty 835) where the previous file had been (issue 19). Here the
results go to a hidden temporary file in the target's directory (same file system, so the
rename is atomic) and replace the target only when the run completes; until then the previous
file stays as it was. A killed run leaves at most a ``.NAME.PID@HOST.*.part`` file beside it,
which the next write of the same target removes (:func:`remove_stale_parts`), so they do not
pile up.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["atomic_output", "remove_stale_parts"]


def _mode_for(target: Path) -> int:
    """The target's own permissions, else what ``open()`` would give a new file (0666 & ~umask)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@functools.cache
def _host() -> str:
    """This machine in a temporary file's name: a writer's process id means nothing on another
    host (an output directory on a shared file system)."""
    import socket

    return re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname())[:32] or "localhost"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: another user's process, alive
        return True
    return True


def remove_stale_parts(target: Path) -> list[Path]:
    """Remove the temporary files a killed writer of ``target`` left; returns what it removed.

    Only files named as :func:`atomic_output` names them for ``target``
    (``.NAME.PID@HOST.*.part``), written on this host by a process that no longer exists, are
    removed. A file of a live process (another run writing the same target now), of another
    host, or of any other name is left alone; a reused process id only keeps a file longer.
    """
    prefix = f".{target.name}."
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".part")):
            continue
        owner = name[len(prefix) : -len(".part")].split(".", 1)[0]
        pid, at, host = owner.partition("@")
        if not at or host != _host() or not pid.isdigit() or _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_output(target: Path, *, encoding: str = "utf-8", newline: str | None = "") -> Iterator[TextIO]:
    """A text stream whose content becomes ``target`` when the block ends without an exception.

    On an exception (or ``KeyboardInterrupt``) the temporary file is removed and ``target`` is
    untouched; what a killed writer of ``target`` left is removed first
    (:func:`remove_stale_parts`). ``OSError`` from creating the temporary file propagates for
    the caller to report.
    """
    import tempfile  # only when a file is written: it pulls in random and shutil

    remove_stale_parts(target)
    prefix = f".{target.name}.{os.getpid()}@{_host()}."
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=target.parent or Path("."))
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
