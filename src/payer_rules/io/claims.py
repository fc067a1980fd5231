"""Claims from Python: a dict, a JSON string or a file to :class:`~payer_rules.models.Claim`, and back.

The rules are the runner's, so a claim an integrator builds in Python is judged exactly as the
same claim in a file given to ``payer-rules adjudicate``:

* unknown keys are refused (``ammount`` fails instead of vanishing), dates are ``YYYY-MM-DD``,
  codes are normalised (``E11.9`` is ``E119``);
* money and units are :class:`~decimal.Decimal`. JSON text is parsed with ``parse_float=Decimal``,
  so ``25.10`` stays ``25.10``. A ``float`` already in a dict (from :func:`json.load`) is read
  through its ``repr`` — the shortest text that reads back as that float, which is the text
  ``json.load`` read (``25.1``) — never through binary arithmetic (``Decimal(25.1)`` would be
  ``25.10000000000000142...``). NaN and infinities are refused.

Every problem is an :class:`~payer_rules.errors.InputError` naming where it is
(``claim C-2: expected a date as YYYY-MM-DD, got '2026-02-30' @ $.lines[0].service_date``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import cattrs

from payer_rules.errors import InputError
from payer_rules.io.converters import claim_converter
from payer_rules.io.json_claims import read_json_text, structure_claim
from payer_rules.models import Claim

__all__ = [
    "claim_from_dict",
    "claim_from_file",
    "claim_from_json",
    "claim_to_dict",
    "claim_to_json",
    "claims_from_file",
    "claims_from_json",
]

_DECODER = json.JSONDecoder(parse_float=Decimal)


def _unstructure_converter() -> cattrs.Converter:
    conv = claim_converter()
    # Leave out what equals its default, so a round trip gives back the claim JSON people write.
    conv.register_unstructure_hook_factory(
        lambda t: hasattr(t, "__attrs_attrs__"),
        lambda t: cattrs.gen.make_dict_unstructure_fn(t, conv, _cattrs_omit_if_default=True),
    )
    return conv


_OUT = _unstructure_converter()


def _one(items: Iterator[Claim | InputError], source: str) -> Claim:
    claims = list(items)
    for item in claims:
        if isinstance(item, InputError):
            raise item
    if len(claims) != 1:
        raise InputError(source, f"expected one claim, found {len(claims)}; use claims_from_json / _file")
    claim = claims[0]
    assert isinstance(claim, Claim)
    return claim


def claim_from_dict(data: Mapping[str, Any], *, source: str = "<dict>") -> Claim:
    """One claim from a parsed JSON object (``json.load``'s floats accepted by their ``repr``).

    :param data: the claim JSON as Python values (see ``payer_rules/schema/claim.schema.json``).
    :param source: what to call it in error messages (a file name, a message id).
    :raises InputError: located, one message per problem.
    """
    item = structure_claim(dict(data) if isinstance(data, Mapping) else data, source)
    if isinstance(item, InputError):
        raise item
    return item


def claims_from_json(text: str | bytes, *, source: str = "<json>") -> list[Claim | InputError]:
    """Every claim in JSON text (one claim, a list, or ``{"claims": [...]}``), each or its error.

    Like the runner, a bad claim does not stop the others: it comes back as an
    :class:`InputError` in its place.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return list(read_json_text(text, source))


def claim_from_json(text: str | bytes, *, source: str = "<json>") -> Claim:
    """Exactly one claim from JSON text.

    :raises InputError: the text is not one readable claim.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return _one(read_json_text(text, source), source)


def claims_from_file(path: str | os.PathLike[str]) -> list[Claim | InputError]:
    """Every claim in a file, read as the runner reads it: claim JSON, NDJSON, X12 837 or FHIR."""
    from payer_rules.io.readers import read_path

    return list(read_path(os.fspath(path)))


def claim_from_file(path: str | os.PathLike[str]) -> Claim:
    """Exactly one claim from a file (claim JSON, X12 837 or FHIR).

    :raises InputError: the file cannot be read, or holds no claim or several.
    """
    from payer_rules.io.readers import read_path

    name = os.fspath(path)
    if not Path(name).is_file():
        raise InputError(name, "no such file")
    return _one(read_path(name), name)


def claim_to_dict(claim: Claim) -> dict[str, Any]:
    """The claim as claim JSON values: amounts as strings, dates ``YYYY-MM-DD``, defaults left out.

    ``claim_from_dict(claim_to_dict(c)) == c`` for every claim.
    """
    data: dict[str, Any] = _OUT.unstructure(claim)
    return data


def claim_to_json(claim: Claim, *, indent: int | None = None) -> str:
    """The claim as claim JSON text (what ``claim_from_json`` and the runner read)."""
    return json.dumps(claim_to_dict(claim), indent=indent, ensure_ascii=False)
