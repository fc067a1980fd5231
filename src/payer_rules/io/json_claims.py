"""Claims as JSON: one claim object, a list of them, ``{"claims": [...]}``, or NDJSON.

Every claim yields either a :class:`~payer_rules.models.Claim` or an
:class:`~payer_rules.errors.InputError` that names the file, the line the claim starts on, the
claim id when it can be read, and the JSON path of what is wrong.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import cattrs
from cattrs.errors import ForbiddenExtraKeysError

from payer_rules.errors import InputError
from payer_rules.io.converters import claim_converter
from payer_rules.models import Claim

_CONVERTER = claim_converter()
_DECODER = json.JSONDecoder(parse_float=Decimal)
#: The JSON value at a position and where it ends, by the decoder's own scanner (C), as
#: :func:`decode_json` decodes it, for a loop over many values: ``scan_json(text, start)``.
#: Raises ``StopIteration`` (no value there), ``ValueError`` or ``RecursionError``: any of them
#: means the text is not read this way.
scan_json: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]

#: The longest NDJSON line (one claim) read, in characters (:func:`payer_rules.io.readers.iter_lines`).
MAX_LINE_CHARS = 16 * 1024 * 1024
#: JSON nesting this reader accepts, about: Python's JSON decoder recurses once per level and
#: stops at the interpreter's recursion limit (1,000 frames, less the caller's). Claims need 6.
MAX_JSON_DEPTH = 900


def decode_json(text: str, start: int = 0) -> tuple[Any, int]:
    """``raw_decode`` with every failure a :class:`json.JSONDecodeError` (so it is located).

    Python's decoder raises ``RecursionError`` for JSON nested too deep and a plain
    ``ValueError`` for an integer of more than 4,300 digits: both ended runs with a traceback
    (issue 19).
    """
    try:
        return _DECODER.raw_decode(text, start)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        msg = f"nested deeper than this reader allows (about {MAX_JSON_DEPTH} levels)"
        raise json.JSONDecodeError(msg, text, start) from None
    except ValueError:  # int_max_str_digits
        msg = f"a number of more than {sys.get_int_max_str_digits():,} digits"
        raise json.JSONDecodeError(msg, text, start) from None


def decode_json_value(text: str) -> Any:
    """One JSON value filling ``text`` (surrounding white space allowed), as ``decode`` does."""
    begin = len(text) - len(text.lstrip())
    data, end = decode_json(text, begin)
    if text[end:].strip():
        raise json.JSONDecodeError("Extra data", text, end + len(text[end:]) - len(text[end:].lstrip()))
    return data


def _describe(exc: BaseException, type_: type | None) -> str:
    """Keep our converters' own words (``expected a date as YYYY-MM-DD, got '2026-02-30'``).

    An unknown key names the nearest valid one (``unknown key 'unit' (did you mean 'units'?)``).
    """
    if isinstance(exc, ForbiddenExtraKeysError):
        valid = [a.name for a in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        parts = []
        for key in sorted(exc.extra_fields):
            import difflib  # only for a mistake: slow to import at every start

            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            parts.append(f"unknown key {key!r}{hint}")
        return "; ".join(parts) + f"; valid keys: {', '.join(valid)}"
    if isinstance(exc, ValueError) and not isinstance(exc, cattrs.BaseValidationError) and str(exc):
        return str(exc)
    from cattrs.v import format_exception

    return format_exception(exc, type_)


def describe_claim_error(exc: cattrs.BaseValidationError, path: str = "$") -> list[str]:
    """cattrs' errors for a claim as our messages, each with its JSON path (``@ $.lines[0]``)."""
    problems: list[str] = cattrs.transform_error(exc, path=path, format_exception=_describe)
    _drop_tracebacks(exc)
    return problems


def structure_claim(data: Any, location: str) -> Claim | InputError:
    """One parsed JSON value to a claim, or a located error saying what is wrong."""
    claim_id = data.get("id") if isinstance(data, dict) else None
    claim_id = str(claim_id) if isinstance(claim_id, (str, int)) else None
    where = f"{location}: claim {claim_id}" if claim_id else location
    if not isinstance(data, dict):
        return InputError(location, f"expected a claim object, got {type(data).__name__}")
    try:
        return _CONVERTER.structure(data, Claim)
    except cattrs.BaseValidationError as exc:
        problems = describe_claim_error(exc)
        return InputError(where, "; ".join(problems), claim_id=claim_id)
    except (ValueError, TypeError) as exc:
        return InputError(where, str(exc), claim_id=claim_id)


def _drop_tracebacks(exc: BaseException) -> None:
    """Cut cattrs' collected errors loose from the frames that raised them.

    Each sub-error's traceback holds the generated structuring frame, which holds the list of
    errors: a reference cycle per bad claim that only the cyclic collector could free. Batch
    runs pause that collector (:mod:`payer_rules.batch.collector`), so the cycle is cut here.
    """
    exc.__traceback__ = None
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            _drop_tracebacks(inner)
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None and linked.__traceback__ is not None:
            _drop_tracebacks(linked)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_json_text(text: str, name: str) -> Iterator[Claim | InputError]:
    """Claims from JSON text; ``name`` is the file name used in messages."""
    start = len(text) - len(text.lstrip())
    if text[start : start + 1] == "[":
        yield from _read_array(text, name, start + 1)
        return
    try:
        data, end = decode_json(text, start)
    except json.JSONDecodeError as exc:
        yield InputError(f"{name}:{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}")
        return
    if text[end:].strip():
        line = _line_of(text, end + len(text[end:]) - len(text[end:].lstrip()))
        yield InputError(
            f"{name}:{line}",
            "extra data after the first JSON value (several claims go in a list, or in NDJSON "
            "with the .ndjson extension)",
        )
        return
    if isinstance(data, dict) and "claims" in data and "id" not in data:
        claims = data["claims"]
        if not isinstance(claims, list):
            yield InputError(f"{name}:1", '"claims" must be a list of claim objects')
            return
        for index, item in enumerate(claims):
            yield structure_claim(item, f"{name}: claims[{index}]")
        return
    yield structure_claim(data, f"{name}:{_line_of(text, start)}")


def _read_array(text: str, name: str, pos: int) -> Iterator[Claim | InputError]:
    """Decode a top-level array element by element, so each claim knows its starting line."""
    for element in array_elements(text, name, pos):
        yield element if isinstance(element, InputError) else structure_claim(element[1], element[0])


def array_elements(text: str, name: str, pos: int) -> Iterator[tuple[str, Any, int, int] | InputError]:
    """A top-level array's elements from just after its ``[``: ``(location, value, start, end)``.

    ``location`` is ``name:line`` of the element's first character, ``text[start:end]`` its
    JSON. Text that is not a JSON list ends it with a located error.
    """
    index = 0
    length = len(text)
    counted_to, line_no = 0, 1

    def line_at(offset: int) -> int:
        nonlocal counted_to, line_no
        line_no += text.count("\n", counted_to, offset)
        counted_to = offset
        return line_no

    while True:
        while pos < length and text[pos] in " \t\r\n":
            pos += 1
        if pos < length and text[pos] == "]":
            rest = text[pos + 1 :].strip()
            if rest:
                yield InputError(f"{name}:{_line_of(text, pos + 1)}", "extra data after the list")
            return
        try:
            item, end = decode_json(text, pos)
        except json.JSONDecodeError as exc:
            yield InputError(
                f"{name}:{exc.lineno}:{exc.colno}",
                f"invalid JSON in claim [{index}]: {exc.msg}; the claims after it are not read",
            )
            return
        yield f"{name}:{line_at(pos)}", item, pos, end
        index += 1
        pos = end
        while pos < length and text[pos] in " \t\r\n":
            pos += 1
        if pos < length and text[pos] == ",":
            pos += 1
        elif pos < length and text[pos] == "]":
            continue
        else:
            yield InputError(
                f"{name}:{_line_of(text, pos)}",
                f"invalid JSON after claim [{index - 1}]: expected ',' or ']'",
            )
            return


def read_ndjson_lines(lines: Iterator[str], name: str) -> Iterator[Claim | InputError]:
    """One claim per line; a bad line is an error for that line only."""
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE_CHARS:
            yield InputError(f"{name}:{number}", f"the line is longer than {MAX_LINE_CHARS:,} characters")
            continue
        try:
            data = decode_json_value(raw)
        except json.JSONDecodeError as exc:
            yield InputError(f"{name}:{number}:{exc.colno}", f"invalid JSON: {exc.msg}")
            continue
        yield structure_claim(data, f"{name}:{number}")
