"""Where things are in a TOML file: tomllib gives no positions for valid TOML, so we scan.

The scanner records the line of every table header (``[pack]``, ``[[rules]]``,
``[[rules.cases]]``) and of every ``key =`` line under it, keyed by the same path a structuring
error reports (``("rules", 3, "max_units")``). It is deliberately simple: it does not need to
parse TOML (tomllib already did), only to find the lines a human would look at.
"""

from __future__ import annotations

import re
import threading
import tomllib
import zlib
from collections.abc import Sequence

__all__ = ["Path", "Positions", "syntax_location"]

#: A location inside the parsed document: table names, array indexes and keys.
Path = tuple[str | int, ...]

#: ``[name]`` / ``[[name]]``: the name is everything up to the first ``]`` (stripped after the
#: match). No two quantifiers here can share a run of spaces, so a line of ``[`` and many spaces
#: is rejected in linear time; ``\s*([^\]]+?)\s*`` backtracked cubically (issue 19).
_HEADER = re.compile(r"\s*(\[\[?)([^\]]*)(\]\]?)[ \t]*(?:#.*)?\Z")
_KEY = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_.-]+)\s*=')
_SCAN = threading.Lock()  # one scan per file, even when threads ask for lines together
_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def _split_dotted(name: str) -> list[str]:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\s]+)', name)
    return [a or b or c for a, b, c in parts]


class Positions:
    """Line numbers of headers and keys, looked up by the longest known prefix of a path.

    The text is scanned on the first lookup, not when a pack is loaded: only a problem, a case
    or ``rulepack docs`` asks for a line, and the table of every key's line cost more memory
    and time than the rules themselves (``benchmarks/bench_rulepack_build.py``). Until then
    the text is kept compressed: a pack's TOML repeats its keys rule after rule, and 15 MB of
    it (50,000 rules) keeps under 1 MB, compressed in about 40 ms.
    """

    def __init__(self, text: str) -> None:
        self._text: bytes | None = zlib.compress(text.encode("utf-8", "surrogatepass"), 1)
        self._lines: dict[Path, int] = {}
        self._counts: dict[Path, int] = {}

    def _scan(self, text: str) -> None:
        counts = self._counts
        current: Path = ()
        in_multiline_string = False
        for number, raw in enumerate(text.splitlines(), 1):
            if raw.count('"""') % 2 == 1 or raw.count("'''") % 2 == 1:
                in_multiline_string = not in_multiline_string
                if not in_multiline_string:
                    continue
            if in_multiline_string:
                continue
            header = _HEADER.match(raw)
            if header and header.group(1) in ("[", "[[") and header.group(2).strip():
                names = _split_dotted(header.group(2))
                path = self._resolve(names[:-1])
                if header.group(1) == "[[":
                    base = (*path, names[-1])
                    index = counts.get(base, 0)
                    counts[base] = index + 1
                    current = (*base, index)
                    self._lines.setdefault(base, number)
                else:
                    current = (*path, names[-1])
                self._lines[current] = number
                continue
            key = _KEY.match(raw)
            if key:
                parts = _split_dotted(key.group(1))
                self._lines.setdefault((*current, *parts), number)

    def _resolve(self, names: Sequence[str]) -> Path:
        """``rules.cases`` → ``("rules", <last index>, "cases")``: arrays resolve to their last item."""
        path: list[str | int] = []
        for name in names:
            path.append(name)
            count = self._counts.get(tuple(path), 0)
            if count:
                path.append(count - 1)
        return tuple(path)

    def line(self, path: Path) -> int | None:
        """The line of ``path`` or of its longest known prefix; ``None`` if nothing matches."""
        packed = self._text
        if packed is not None:
            with _SCAN:
                if self._text is not None:
                    self._scan(zlib.decompress(packed).decode("utf-8", "surrogatepass"))
                    self._text = None
        for end in range(len(path), 0, -1):
            found = self._lines.get(path[:end])
            if found is not None:
                return found
        return None


def syntax_location(exc: tomllib.TOMLDecodeError) -> tuple[int | None, int | None, str]:
    """Line, column and message of a TOML syntax error (attributes on 3.14+, text before)."""
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "colno", None)
    message = getattr(exc, "msg", None) or str(exc)
    match = _AT.search(message)
    if match:
        line, column = int(match.group(1)), int(match.group(2))
        message = message[: match.start()].rstrip()
    return line, column, message
