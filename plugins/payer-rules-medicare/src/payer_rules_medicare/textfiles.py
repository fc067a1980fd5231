"""Reading CMS's text files: their encodings, captions above the header, and located errors."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from payer_rules.errors import InputError, echo

__all__ = ["Columns", "csv_records", "csv_rows", "header_name", "read_text"]


def read_text(path: Path) -> str:
    """The file as text: UTF-8 when it is, else Windows-1252 (CMS's usual encoding)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def csv_rows(path: Path) -> list[list[str]]:
    """Every CSV record of the file (quoted fields may span lines, as the MUE header does)."""
    return csv_records(path)[0]


def csv_records(path: Path) -> tuple[list[list[str]], list[int]]:
    """The CSV records and, for each, the file line it ends on (for located errors)."""
    reader = csv.reader(read_text(path).splitlines(keepends=True))
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:  # a field over csv.field_size_limit() (128 KiB), a stray quote ...
        raise InputError(
            f"{path}:{reader.line_num}", f"not a readable CSV record ({exc}); expected CMS's CSV layout"
        ) from None
    return rows, lines


def header_name(*cells: str) -> str:
    """A column name from the cells stacked above it, upper case, single-spaced."""
    return re.sub(r"\s+", " ", " ".join(c for c in cells if c and c.strip())).strip().upper()


def _listing(names: list[str], most: int = 12) -> str:
    """Column names for an error message: each quoted and bounded, at most ``most`` of them."""
    shown = [echo(n, 40) for n in names if n]
    more = len(shown) - most
    return ", ".join(shown[:most]) + (f" and {more} more" if more > 0 else "")


class Columns:
    """Find columns by the words in their header, so inserted or reordered columns do no harm."""

    def __init__(self, path: Path, line: int, names: list[str]) -> None:
        self.path = path
        self.line = line
        self.names = names

    def find(self, *words: str, exclude: tuple[str, ...] = (), required: bool = True) -> int | None:
        hits = [
            i
            for i, name in enumerate(self.names)
            if all(w in name for w in words) and not any(x in name for x in exclude)
        ]
        if hits:
            return hits[0]
        if required:
            wanted = " ".join(words)
            raise InputError(
                f"{self.path}:{self.line}",
                f"no column headed {wanted!r} (columns: {_listing(self.names)})",
            )
        return None

    def need(self, *words: str, exclude: tuple[str, ...] = ()) -> int:
        found = self.find(*words, exclude=exclude)
        assert found is not None
        return found

    def exact(self, name: str) -> int:
        for i, n in enumerate(self.names):
            if n == name:
                return i
        raise InputError(
            f"{self.path}:{self.line}", f"no column headed {name!r} (columns: {_listing(self.names)})"
        )


def cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def numbered(rows: list[list[str]], start: int = 0) -> Iterator[tuple[int, list[str]]]:
    """Rows with 1-based record numbers (a record number equals the line number in CMS's CSVs
    except after a quoted field that spans lines)."""
    for index in range(start, len(rows)):
        yield index + 1, rows[index]
