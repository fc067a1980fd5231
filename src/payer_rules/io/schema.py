"""JSON Schema for the claim input and the result output, generated from the attrs models.

The generated schemas are shipped in ``payer_rules/schema/claim.schema.json`` and
``result.schema.json``; a test fails when the models change and the shipped files do not
(``python -m payer_rules.service.openapi --write`` regenerates them and the OpenAPI document).

Claims are *input*: optional fields may be left out, numbers may be strings or numbers.
Results are *output*, written by :func:`payer_rules.io.converters.result_converter`: every
field is always present, money is a string with two decimals. The output schema follows the
converter's own departures from the attrs types (see ``_OUTPUT_OVERRIDES``), and the service
tests validate live responses against it, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import attrs

from payer_rules.models import Claim
from payer_rules.results import CasePayment, ClaimResult, Finding, LineResult

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"
CLAIM_SCHEMA = SCHEMA_DIR / "claim.schema.json"
RESULT_SCHEMA = SCHEMA_DIR / "result.schema.json"

_NUMBER = {"type": ["string", "number"], "pattern": r"^-?\d+(\.\d+)?$"}
#: Money out: always a string with two decimals (``"92.18"``), never a float.
_MONEY_OUT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
_NULLABLE_STRING = {"anyOf": [{"type": "string"}, {"type": "null"}]}

#: Where the result converter writes a field otherwise than its attrs type says
#: (``io/converters.py``); ``None`` leaves the field out of the required set.
_OUTPUT_OVERRIDES: dict[tuple[type, str], dict[str, Any] | None] = {
    (LineResult, "units"): {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
    (Finding, "source"): {"type": "string", "description": "name@version of the plugin or rulepack"},
    (ClaimResult, "origin"): None,
    (ClaimResult, "case"): None,
    (CasePayment, "weight"): {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
    (CasePayment, "discharge_fraction"): {
        "anyOf": [{"type": "string", "pattern": r"^\d+(\.\d+)?$"}, {"type": "null"}]
    },
}
#: Keys the converter adds that are no attrs field, and keys it writes only sometimes.
_OUTPUT_EXTRA: dict[type, dict[str, dict[str, Any]]] = {
    Finding: {"citation": _NULLABLE_STRING},
}
_OUTPUT_OPTIONAL: dict[type, dict[str, dict[str, Any]]] = {
    ClaimResult: {
        "origin": {"type": "string", "description": "where an unreadable claim was found (error results)"}
    },
}


def _type_schema(tp: Any, defs: dict[str, Any], *, output: bool = False) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        inner = (
            _type_schema(options[0], defs, output=output)
            if len(options) == 1
            else {"anyOf": [_type_schema(a, defs, output=output) for a in options]}
        )
        if type(None) in args:
            return {"anyOf": [inner, {"type": "null"}]}
        return inner
    if origin is tuple:
        return {"type": "array", "items": _type_schema(args[0], defs, output=output)}
    if origin is frozenset:
        return {"type": "array", "items": _type_schema(args[0], defs, output=output), "uniqueItems": True}
    if origin is Mapping and args[0] is str:
        return {"type": "object", "additionalProperties": _type_schema(args[1], defs, output=output)}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return {"type": "string", "enum": [m.value for m in tp]}
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is Decimal:
        return dict(_MONEY_OUT if output else _NUMBER)
    if tp is dt.date:
        return {"type": "string", "format": "date"}
    if attrs.has(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}
            defs[name] = _class_schema(tp, defs, output=output)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no JSON Schema mapping for {tp!r}")


@functools.cache
def field_descriptions(cls: type) -> dict[str, str]:
    """The ``#:`` comments above each field of an attrs class (Sphinx's attribute-doc convention).

    The models document their fields where they are declared; the schemas and the claim-field
    reference (``docs/claim-fields.md``) take the descriptions from there.
    """
    try:
        source, _start = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return {}
    found: dict[str, str] = {}
    comment: list[str] = []
    for raw in source[1:]:
        line = raw.strip()
        if line.startswith("#:"):
            comment.append(line[2:].strip())
            continue
        match = (
            re.match(r"^(\w+)\s*:", line) if raw.startswith("    ") and not raw.startswith("     ") else None
        )
        if match and comment:
            found[match.group(1)] = " ".join(comment)
        comment = []
    return found


def _class_schema(cls: type, defs: dict[str, Any], *, output: bool = False) -> dict[str, Any]:
    """An attrs class as an object schema; ``output`` for what our converters write."""
    hints = typing.get_type_hints(cls)
    described = field_descriptions(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for a in attrs.fields(cls):
        if output and (cls, a.name) in _OUTPUT_OVERRIDES:
            override = _OUTPUT_OVERRIDES[(cls, a.name)]
            if override is None:
                continue
            properties[a.name] = dict(override)
        else:
            properties[a.name] = _type_schema(hints[a.name], defs, output=output)
        if a.name in described and "description" not in properties[a.name]:
            properties[a.name]["description"] = described[a.name]
        # Converters write every field of a result; claims may leave out what has a default.
        if output or a.default is attrs.NOTHING:
            required.append(a.name)
    if output:
        for name, extra in _OUTPUT_EXTRA.get(cls, {}).items():
            properties[name] = dict(extra)
            required.append(name)
        for name, extra in _OUTPUT_OPTIONAL.get(cls, {}).items():
            properties[name] = dict(extra)
    schema: dict[str, Any] = {
        "type": "object",
        "description": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else cls.__name__,
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def claim_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = _class_schema(Claim, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://payer-rules.dev/schema/claim.schema.json",
        "title": "payer-rules claim",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def output_schemas(*classes: type) -> dict[str, Any]:
    """``name -> schema`` for these attrs classes and every class they use, as written out.

    The service's OpenAPI document takes its payer, plugin and rule schemas from here.
    """
    defs: dict[str, Any] = {}
    for cls in classes:
        _type_schema(cls, defs, output=True)
    return dict(sorted(defs.items()))


def result_schema() -> dict[str, Any]:
    """The result JSON contract: one object per claim and payer (``result_to_dict``)."""
    defs: dict[str, Any] = {}
    root = _class_schema(ClaimResult, defs, output=True)
    # Written only for a per-case payment (inpatient DRG pricing), like ``origin`` for errors.
    root["properties"]["case"] = {
        **_type_schema(CasePayment, defs, output=True),
        "description": "the per-case payment (DRG, weight, components) behind the lines",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://payer-rules.dev/schema/result.schema.json",
        "title": "payer-rules result",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def schema_text(schema: dict[str, Any]) -> str:
    """The shipped files' exact text (2-space indent, trailing newline)."""
    return json.dumps(schema, indent=2) + "\n"


def main() -> None:
    """``python -m payer_rules.io.schema [--result] [--write]``: print, or write both files."""
    if "--write" in sys.argv:
        CLAIM_SCHEMA.write_text(schema_text(claim_schema()), encoding="utf-8")
        RESULT_SCHEMA.write_text(schema_text(result_schema()), encoding="utf-8")
    else:
        sys.stdout.write(schema_text(result_schema() if "--result" in sys.argv else claim_schema()))


if __name__ == "__main__":
    main()
