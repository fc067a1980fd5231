"""Results as JSON and NDJSON, in the documented result contract."""

from __future__ import annotations

import json
from typing import Any

from payer_rules.io.converters import result_converter
from payer_rules.results import ClaimResult

_CONVERTER = result_converter()


def result_to_dict(result: ClaimResult) -> dict[str, Any]:
    data: dict[str, Any] = _CONVERTER.unstructure(result)
    if result.status == "error" and result.origin:
        data["origin"] = result.origin
    return data


def result_to_json(result: ClaimResult, *, indent: int | None = None) -> str:
    return json.dumps(result_to_dict(result), indent=indent, ensure_ascii=False)
