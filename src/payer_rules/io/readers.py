"""Find and read claim inputs: files, directories and stdin, by extension and content."""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from payer_rules.errors import InputError
from payer_rules.io.json_claims import MAX_LINE_CHARS, decode_json_value, read_json_text, read_ndjson_lines
from payer_rules.models import Claim

CLAIM_SUFFIXES = {".json", ".ndjson", ".jsonl", ".837", ".837p", ".837i", ".x12", ".edi"}
#: Read from a directory only when their content starts with an X12 ISA (test suites name 837s .txt).
SNIFFED_SUFFIXES = {".txt"}


def _is_x12_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISA")
    except OSError:
        return False


def expand_inputs(inputs: Iterable[str]) -> Iterator[str | InputError]:
    """Files as given, directories as their claim files in name order, ``-`` for stdin."""
    for item in inputs:
        if item == "-":
            yield item
            continue
        path = Path(item)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and (
                    p.suffix.lower() in CLAIM_SUFFIXES
                    or (p.suffix.lower() in SNIFFED_SUFFIXES and _is_x12_file(p))
                )
            )
            if not found:
                yield InputError(item, "directory holds no claim files (.json, .ndjson, .837, .x12, .edi)")
            yield from (str(p) for p in found)
        elif path.is_file():
            yield item
        else:
            yield InputError(item, "no such file or directory")


def read_claims(inputs: Iterable[str]) -> Iterator[Claim | InputError]:
    """Every claim in every input, in order; unreadable inputs become located errors."""
    for item in expand_inputs(inputs):
        if isinstance(item, InputError):
            yield item
            continue
        yield from read_path(item)


_READ_CHUNK = 1 << 20


def is_utf8(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8, read in chunks (memory stays flat)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_READ_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except (OSError, UnicodeDecodeError):
        return False
    return True


def is_other_format(path: Path) -> bool:
    """X12 or FHIR content under an NDJSON name: those are told by content, not by name."""
    with path.open(encoding="utf-8") as handle:
        head = handle.read(4096).lstrip("\ufeff \t\r\n")
    return head.startswith("ISA") or '"resourceType"' in head


#: The largest JSON, X12 or FHIR file read (bytes): these are read whole, and parsing takes
#: several times the file's size in memory. Larger batches go in NDJSON, which streams.
MAX_FILE_BYTES = 256 * 1024 * 1024


def iter_lines(path: Path) -> Iterator[str]:
    """A UTF-8 file's lines without their endings, streamed, split as ``str.splitlines`` does.

    A line longer than :data:`MAX_LINE_CHARS` comes out cut to that length plus one character,
    for the reader to refuse, without ever being held whole.
    """
    carry = ""
    cut = False  # inside an over-long line: drop what is left of it
    with path.open(encoding="utf-8", newline="") as handle:
        while chunk := handle.read(_READ_CHUNK):
            lines = (carry + chunk).splitlines(keepends=True)
            # The last piece may be cut short (or be a "\r" whose "\n" is in the next chunk).
            carry = lines.pop()
            for raw in lines:
                if cut:
                    cut = False
                    continue
                yield raw.splitlines()[0]
            if len(carry) > MAX_LINE_CHARS:
                if not cut:
                    yield carry[: MAX_LINE_CHARS + 1]
                cut, carry = True, ""
    if carry and not cut:
        yield carry.splitlines()[0]


def streamable_ndjson(item: str) -> bool:
    """An NDJSON file (by name) that is UTF-8 and not X12 or FHIR by content: read line by line."""
    path = Path(item)
    return (
        item != "-"
        and path.suffix.lower() in (".ndjson", ".jsonl")
        and is_utf8(path)
        and not is_other_format(path)
    )


def read_path(item: str) -> Iterator[Claim | InputError]:
    """Claims from one file (or ``-``). NDJSON files stream: memory stays flat at any size."""
    name = "<stdin>" if item == "-" else item
    if streamable_ndjson(item):
        yield from read_ndjson_lines(iter_lines(Path(item)), name)
        return
    loaded = load_text(item)
    if isinstance(loaded, InputError):
        yield loaded
        return
    yield from read_text(loaded, name)


def load_text(item: str) -> str | InputError:
    """The whole text of a JSON, X12 or FHIR file (or ``-``), or the located error why not."""
    name = "<stdin>" if item == "-" else item
    try:
        if item == "-":
            text = sys.stdin.read(MAX_FILE_BYTES + 1)
        elif (size := Path(item).stat().st_size) > MAX_FILE_BYTES:
            return InputError(
                name,
                f"the file is {size:,} bytes; JSON, X12 and FHIR files are read whole and may be at "
                f"most {MAX_FILE_BYTES:,} bytes: split it, or give the claims as NDJSON (streamed)",
            )
        else:
            text = Path(item).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return InputError(name, f"not UTF-8 text (byte {exc.start}); expected JSON, X12 or FHIR")
    except OSError as exc:
        return InputError(name, f"cannot read: {exc.strerror or exc}")
    if len(text) > MAX_FILE_BYTES:  # stdin
        return InputError(
            name, f"more than {MAX_FILE_BYTES:,} characters on stdin; give the claims as NDJSON"
        )
    return text


def read_text(text: str, name: str) -> Iterator[Claim | InputError]:
    """Claims from text whose format is told by its name and content."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("ISA"):
        from payer_rules.io.x12.reader_837 import read_837_text

        yield from read_837_text(text, name)
        return
    if stripped[:1] in "[{" and '"resourceType"' in stripped[:4096]:
        from payer_rules.io.fhir.reader import read_fhir_data

        # decoded once: the decoding that tells FHIR apart is the one read (a large Bundle's
        # decoding is most of its reading)
        try:
            data = decode_json_value(stripped)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict) and "resourceType" in data:
            yield from read_fhir_data(data if text.lstrip() == stripped else None, text, name)
            return
    if name.lower().endswith((".ndjson", ".jsonl")):
        yield from read_ndjson_lines(iter(text.splitlines()), name)
        return
    stripped = text.lstrip()
    if not stripped:
        yield InputError(name, "empty input; expected claims as JSON, X12 837 or FHIR")
        return
    if stripped[0] in "[{":
        yield from read_json_text(text, name)
        return
    yield InputError(
        f"{name}:1",
        f"unrecognised content starting {stripped[:20]!r}; expected claim JSON, an X12 837 (starting ISA) "
        "or a FHIR Claim / Bundle",
    )


class ErrorCollector:
    """Passes claims through while keeping the input errors, to report them after the run."""

    def __init__(self) -> None:
        self.errors: list[InputError] = []

    def watch(self, items: Iterable[Claim | InputError]) -> Iterator[Claim | InputError]:
        for item in items:
            if isinstance(item, InputError):
                self.errors.append(item)
            yield item
