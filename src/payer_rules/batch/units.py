"""A batch's inputs as work units: what the splitting process sends, and what it does not read.

``--jobs N`` splits the batch in one process and judges it in N; Spark splits it in a first
pass. Reading claims (building the records) costs as much as judging a good share of them, so
the split must not read them, or it becomes the one process everyone waits for. Each format is
cut where its claims begin and end, and each piece travels as text to be read where it is
judged, by the serial reader's own code, so results (errors, their locations and line numbers
included) are the serial run's to the byte:

* NDJSON: each line (:class:`~payer_rules.batch.partition.TextUnit`), streamed;
* a JSON list: each element's text, its line number the origin
  (:class:`~payer_rules.batch.partition.KeyedTextUnit`; the list is decoded once here to find
  where elements end and whose they are, not read into claims);
* an X12 837: each claim as its segments with the envelope and loops around it
  (:mod:`payer_rules.io.x12.reader_837.units`);
* anything else (one claim object, ``{"claims": [...]}``, a FHIR file, an 837 with envelope
  errors the serial reader reports among its claims) is read whole here, as before, and its
  claims travel read.

Every unit comes with the member id it routes by (:func:`~payer_rules.batch.partition.routing_key`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from payer_rules.batch.partition import KeyedTextUnit, TextUnit, Unit, member_id_of
from payer_rules.errors import InputError
from payer_rules.io.json_claims import MAX_LINE_CHARS, array_elements, structure_claim
from payer_rules.io.readers import expand_inputs, is_other_format, is_utf8, iter_lines, load_text, read_text

__all__ = ["iter_units", "text_units"]

_NDJSON = (".ndjson", ".jsonl")


def iter_units(inputs: Iterable[str]) -> Iterator[Unit]:
    """The inputs' claims as work units, in the serial reader's order."""
    for item in expand_inputs(inputs):
        if isinstance(item, InputError):
            yield item
        elif item != "-" and item.lower().endswith(_NDJSON):
            yield from _ndjson_units(item)
        else:
            text = load_text(item)
            if isinstance(text, InputError):
                yield text
            else:
                yield from text_units(text, "<stdin>" if item == "-" else item)


def _ndjson_units(name: str) -> Iterator[Unit]:
    """An NDJSON file's lines, streamed, split and numbered as ``str.splitlines`` does.

    A file that is not UTF-8, or is X12 or FHIR by content, goes as :func:`read_path` reads it.
    """
    path = Path(name)
    if not is_utf8(path) or is_other_format(path):
        text = load_text(name)
        if isinstance(text, InputError):
            yield text
        else:
            yield from text_units(text, name)
        return
    for number, line in enumerate(iter_lines(path), 1):
        if line.strip():
            yield TextUnit(f"{name}:{number}", line)


def text_units(text: str, name: str) -> Iterator[Unit]:
    """The work units of one input's text, told apart as :func:`~payer_rules.io.readers.read_text` does."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("ISA"):
        from payer_rules.io.x12.reader_837.units import split_837

        units = split_837(text, name)
        yield from units if units is not None else read_text(text, name)
        return
    start = len(text) - len(text.lstrip())
    if text[start : start + 1] == "[" and not name.lower().endswith(_NDJSON):
        # a JSON list: never FHIR (a FHIR resource is an object)
        yield from _list_units(text, name, start + 1)
        return
    yield from read_text(text, name)


def _list_units(text: str, name: str, pos: int) -> Iterator[Unit]:
    for element in array_elements(text, name, pos):
        if isinstance(element, InputError):
            yield element
            continue
        location, value, begin, end = element
        if end - begin > MAX_LINE_CHARS:  # longer than a unit's text may be: read here
            yield structure_claim(value, location)
        else:
            yield KeyedTextUnit(location, text[begin:end], member_id_of(value))
