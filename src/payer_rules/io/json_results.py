"""Results as JSON and NDJSON, in the documented result contract."""

from __future__ import annotations

import json
from typing import Any

import orjson

from payer_rules.io.converters import result_converter
from payer_rules.results import ClaimResult

_CONVERTER = result_converter()


def result_to_dict(result: ClaimResult) -> dict[str, Any]:
    data: dict[str, Any] = _CONVERTER.unstructure(result)
    if result.status == "error" and result.origin:
        data["origin"] = result.origin
    return data


def result_to_json(result: ClaimResult, *, indent: int | None = None) -> str:
    """The result JSON: compact on one line (NDJSON), or indented by ``indent`` spaces."""
    return dumps(result_to_dict(result), indent=indent)


def dumps(data: Any, *, indent: int | None = None) -> str:
    """JSON text as the result writers emit it: UTF-8 characters unescaped, keys in order."""
    if indent is None:
        return orjson.dumps(data).decode()
    if indent == 2:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    return json.dumps(data, indent=indent, ensure_ascii=False)
