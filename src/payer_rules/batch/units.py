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
* an X12 837: each claim as its segments with the envelope and loops around it, sent as it is
  cut (:mod:`payer_rules.io.x12.reader_837.units`);
* a FHIR file (:class:`SharedText`): cutting JSON needs decoding it, which costs as much as
  reading its Claims, so the file goes whole to every worker; each decodes it, finds whose each
  Claim is (cheap once decoded: the focal Coverage and patient) and reads and judges its own
  members' Claims; the main process puts them back in file order;
* anything else (one claim object, ``{"claims": [...]}``, an 837 from an envelope error the
  serial reader reports among its claims on) is read whole here, as before, and its claims
  travel read.

Every unit comes with the member id it routes by (:func:`~payer_rules.batch.partition.routing_key`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from attrs import frozen

from payer_rules.batch.partition import KeyedTextUnit, TextUnit, Unit, member_id_of, route_of
from payer_rules.errors import InputError
from payer_rules.io.json_claims import MAX_LINE_CHARS, array_elements, decode_json_value, structure_claim
from payer_rules.io.readers import expand_inputs, is_other_format, is_utf8, iter_lines, load_text, read_text
from payer_rules.models import Claim

__all__ = ["SharedText", "iter_units", "shared_items", "text_units"]


@frozen
class SharedText:
    """A file every worker reads, each judging only its own members' claims (a FHIR file).

    Args:
        name: the file, as errors name it.
        text: its whole text.
    """

    name: str
    text: str


_NDJSON = (".ndjson", ".jsonl")


def iter_units(inputs: Iterable[str]) -> Iterator[Unit | SharedText]:
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


def _ndjson_units(name: str) -> Iterator[Unit | SharedText]:
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


def text_units(text: str, name: str) -> Iterator[Unit | SharedText]:
    """The work units of one input's text, told apart as :func:`~payer_rules.io.readers.read_text` does."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("ISA"):
        from payer_rules.io.x12.reader_837.units import iter_837_units

        yield from iter_837_units(text, name)
        return
    start = len(text) - len(text.lstrip())
    if text[start : start + 1] == "[" and not name.lower().endswith(_NDJSON):
        # a JSON list: never FHIR (a FHIR resource is an object)
        yield from _list_units(text, name, start + 1)
        return
    if stripped[:1] == "{" and '"resourceType"' in stripped[:4096]:  # FHIR, as read_text tells it
        from payer_rules.io.fhir.units import split_bundle

        claims = split_bundle(text, name)
        if claims is None:
            yield SharedText(name, text)
        else:
            yield from claims
        return
    yield from read_text(text, name)


def shared_items(
    unit: SharedText, owns: Callable[[int, str | None], bool]
) -> Iterator[tuple[int, Claim | InputError, str | None]]:
    """The serial reader's items of a shared file, by their place in it: those ``owns`` takes, read.

    :param owns: given an item's place and member id (``None`` if it cannot be read), whether
        this worker judges it. Every worker finds the same items with the same member ids, so
        each item is judged by exactly one.
    :returns: ``(place, claim or error, member id)`` for the items owned.
    """
    from payer_rules.io.fhir.reader import fhir_items

    text, name = unit.text, unit.name
    stripped = text.lstrip("\ufeff \t\r\n")
    try:
        data = decode_json_value(stripped)
    except json.JSONDecodeError:
        data = None
    # a byte-order mark: the FHIR reader decodes the text as it is, and fails (as serially)
    if isinstance(data, dict) and "resourceType" in data and text.lstrip() == stripped:
        for place, pending in enumerate(fhir_items(data, name)):
            if isinstance(pending, InputError):
                if owns(place, None):
                    yield place, pending, None
                continue
            key = pending.member_id()
            if owns(place, key):
                yield place, pending.read(), key
        return
    for place, item in enumerate(read_text(text, name)):
        key = route_of(item) if isinstance(item, Claim) else None
        if owns(place, key):
            yield place, item, key


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
