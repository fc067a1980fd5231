"""Output files that are either complete or not there: written beside the target, then renamed.

A run killed half-way used to leave a truncated ``--output`` that looked finished (an NDJSON of
29,055 complete lines, an empty 835) where the previous file had been (issue 19). Here the
results go to a hidden temporary file in the target's directory (same file system, so the
rename is atomic) and replace the target only when the run completes; until then the previous
file stays as it was. A killed run leaves at most a ``.NAME.*.part`` file beside it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["atomic_output"]


def _mode_for(target: Path) -> int:
    """The target's own permissions, else what ``open()`` would give a new file (0666 & ~umask)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(target: Path, *, encoding: str = "utf-8", newline: str | None = "") -> Iterator[TextIO]:
    """A text stream whose content becomes ``target`` when the block ends without an exception.

    On an exception (or ``KeyboardInterrupt``) the temporary file is removed and ``target`` is
    untouched. ``OSError`` from creating the temporary file propagates for the caller to report.
    """
    import tempfile  # only when a file is written: it pulls in random and shutil

    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent or Path("."))
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
