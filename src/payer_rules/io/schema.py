"""JSON Schema for the claim input, generated from the attrs models.

The generated schema is shipped in ``payer_rules/schema/claim.schema.json``; a test fails when
the models change and the shipped file does not (``python -m payer_rules.io.schema --write``).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import types
import typing
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import attrs

from payer_rules.models import Claim

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"
CLAIM_SCHEMA = SCHEMA_DIR / "claim.schema.json"

_NUMBER = {"type": ["string", "number"], "pattern": r"^-?\d+(\.\d+)?$"}


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        inner = (
            _type_schema(options[0], defs)
            if len(options) == 1
            else {"anyOf": [_type_schema(a, defs) for a in options]}
        )
        if type(None) in args:
            return {"anyOf": [inner, {"type": "null"}]}
        return inner
    if origin is tuple:
        return {"type": "array", "items": _type_schema(args[0], defs)}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return {"type": "string", "enum": [m.value for m in tp]}
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is Decimal:
        return dict(_NUMBER)
    if tp is dt.date:
        return {"type": "string", "format": "date"}
    if attrs.has(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}
            defs[name] = _class_schema(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no JSON Schema mapping for {tp!r}")


def _class_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for a in attrs.fields(cls):
        properties[a.name] = _type_schema(hints[a.name], defs)
        if a.default is attrs.NOTHING:
            required.append(a.name)
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


def main() -> None:
    text = json.dumps(claim_schema(), indent=2) + "\n"
    if "--write" in sys.argv:
        CLAIM_SCHEMA.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
