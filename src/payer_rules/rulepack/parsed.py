"""Pack files parsed once: the TOML document cached on disk, keyed by the file's text.

``tomllib`` is pure Python, and parsing is most of what building the rulepacks costs every
process and every ``--jobs`` worker (50,000 rules: about 3 s of 7;
``benchmarks/bench_rulepack_build.py``). :func:`parse` keeps the parsed document in
``<data dir>/cache/`` and later processes read it back with :mod:`marshal` in a fraction of the
time. Checking and compiling the rules still happen in every process, on the same document.

The file name is a digest of the pack's path (so a changed pack replaces its own entry) and
a key: a digest of this format's version, the Python version (``tomllib`` and ``marshal``
belong to the interpreter) and the text itself, so a changed pack is never read stale. Only a
document that parsed is cached (a syntax error is raised as before, by ``tomllib``). The
payload holds built-in types only; dates and decimals, which :mod:`marshal` cannot hold, are
stored as text with their places and put back on reading. A document holding any other type
(times, date-times) is not cached. Equal strings are written once (marshal refers back to the
first), so reading makes one string object per distinct key or value, and one date or decimal
per distinct text, rather than one per place: less to build and less to free. A file that
cannot be read is parsed again; a cache directory that cannot be written leaves the document
in memory only.

Within a run, :class:`ParsedFiles` parses each file once for the readers that look at it twice
(``--payer X``: :func:`~payer_rules.rulepack.loader.may_apply`, then
:func:`~payer_rules.rulepack.loader.load_pack`; the commercial plugin's ``payer.toml`` files:
which payers they define, then each definition), by the file's identity (device, inode,
modification time, size), so a file changed in between is read again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import os
import sys
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import define, field

from payer_rules.cache_files import Budget, cache_directory, read_or_build

__all__ = ["ParsedFiles", "parse"]

#: Bumped whenever the payload's layout changes.
FORMAT = b"payer-rules parsed pack 2\n"
SUFFIX = ".pack"
_DATE, _DECIMAL = 0, 1
#: What the cache keeps of parsed packs: every pack installed, many times over, while packs
#: written to temporary directories (each a new entry) do not pile up.
BUDGET = Budget(pattern=f"pack-*{SUFFIX}", max_age_days=30, max_entries=512, max_bytes=256 << 20)


def _key(text: str) -> str:
    digest = hashlib.sha256(FORMAT)
    digest.update(f"{sys.version_info[0]}.{sys.version_info[1]} marshal {marshal.version}\0".encode())
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:24]


def parse(text: str, origin: str, *, directory: Path | None = None) -> dict[str, Any]:
    """``tomllib.loads(text, parse_float=Decimal)``, read from the cache when it holds ``text``.

    :param origin: the pack's path; names its cache entry.
    :param directory: where parsed packs live; ``<data dir>/cache`` by default.
    :raises tomllib.TOMLDecodeError: as ``tomllib`` raises it.
    """
    directory = cache_directory(directory)
    stem = "pack-" + hashlib.sha256(os.path.abspath(origin).encode("utf-8", "surrogatepass")).hexdigest()[:12]
    path = directory / f"{stem}-{_key(text)}{SUFFIX}"
    return read_or_build(
        path,
        stem,
        load=load,
        build=lambda: tomllib.loads(text, parse_float=Decimal),
        dump=dump,
        budget=BUDGET,
    )


#: What tells one state of a file from another: device, inode, modification time (ns), size.
FileIdentity = tuple[int, int, int, int]


@define
class ParsedFiles:
    """TOML files parsed once for the readers of one run (one engine build).

    A first reader that only looks (``keep=True``) leaves the text and document for the reader
    that loads the file, which takes them: a document is handed to one loader only, and the
    memo holds nothing once each kept file is loaded (it lives as long as the build anyway).
    """

    _kept: dict[FileIdentity, tuple[str, dict[str, Any]]] = field(factory=dict)

    def read(self, path: str | os.PathLike[str], *, keep: bool = False) -> tuple[str, dict[str, Any]]:
        """The text of the file at ``path`` and its document (:func:`parse`, ``origin`` the path).

        :param keep: leave them for the next reader of the same file (by identity); without it,
            what an earlier reader left is taken.
        :raises OSError: the file cannot be read (as ``Path.read_text`` raises it).
        :raises UnicodeDecodeError: it is not UTF-8.
        :raises tomllib.TOMLDecodeError: it is not TOML.
        """
        origin = os.fspath(path)
        identity = _identity(origin)
        found = self._kept.get(identity) if keep else self._kept.pop(identity, None)
        if found is None:
            text = Path(origin).read_text(encoding="utf-8")
            found = (text, parse(text, origin))
            if keep:
                self._kept[identity] = found
        return found

    def forget(self, path: str | os.PathLike[str]) -> None:
        """Drop what was kept for the file at ``path`` (no reader will load it)."""
        try:
            self._kept.pop(_identity(os.fspath(path)), None)
        except OSError:
            return


def _identity(path: str) -> FileIdentity:
    status = os.stat(path)
    return (status.st_dev, status.st_ino, status.st_mtime_ns, status.st_size)


class _Uncacheable(Exception):
    """A value the payload cannot hold exactly (a time or date-time)."""


def dump(doc: dict[str, Any]) -> bytes | None:
    """The bytes of a cache file for a parsed document; ``None`` for one it cannot hold."""
    places: list[tuple[tuple[str | int, ...], int, str]] = []
    strings: dict[str, str] = {}
    once = strings.setdefault

    def plain(value: Any, at: tuple[str | int, ...]) -> Any:
        if isinstance(value, dict):
            return {once(k, k): plain(v, (*at, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v, (*at, i)) for i, v in enumerate(value)]
        if isinstance(value, str):
            return once(value, value)
        if isinstance(value, (bool, int)):
            return value
        if isinstance(value, Decimal):
            places.append((at, _DECIMAL, once(str(value), str(value))))
            return None
        if type(value) is dt.date:
            text = value.isoformat()
            places.append((at, _DATE, once(text, text)))
            return None
        raise _Uncacheable

    try:
        body = plain(doc, ())
    except _Uncacheable:
        return None
    return FORMAT + marshal.dumps((body, places))


def load(data: bytes) -> dict[str, Any]:
    """The document in a cache file's bytes (``ValueError`` when they are not one)."""
    if not data.startswith(FORMAT):
        msg = "not a parsed pack of this format"
        raise ValueError(msg)
    body, places = marshal.loads(data[len(FORMAT) :])
    if not isinstance(body, dict):
        msg = "not a parsed pack"
        raise ValueError(msg)
    made: dict[tuple[int, str], Any] = {}  # one date or decimal per distinct text
    for at, kind, text in places:
        parent: Any = body
        for step in at[:-1]:
            parent = parent[step]
        value = made.get((kind, text))
        if value is None:
            value = made[kind, text] = dt.date.fromisoformat(text) if kind == _DATE else Decimal(text)
        parent[at[-1]] = value
    return body
