"""The claim-field reference: every field a claim (and a rulepack case claim) may carry.

Generated from the claim JSON Schema, whose descriptions come from the ``#:`` comments on the
models (:func:`payer_rules.io.schema.field_descriptions`), so the reference cannot drift from
what the readers accept. ``payer-rules rulepack fields`` prints it; ``docs/claim-fields.md`` is
this text (``python -m payer_rules.service.openapi --write`` regenerates it, a test checks it).
"""

from __future__ import annotations

from typing import Any

from payer_rules.io.schema import SCHEMA_DIR, claim_schema

__all__ = ["CLAIM_FIELDS_DOC", "claim_fields_markdown"]

#: ``docs/claim-fields.md`` of a source checkout
CLAIM_FIELDS_DOC = SCHEMA_DIR.parent.parent.parent / "docs" / "claim-fields.md"


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in prop:
        options = [p for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(_type(p) for p in options)
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type(prop['items'])}"
    if isinstance(kind, list):
        return "number (string or number, read as a decimal)"
    if prop.get("format") == "date":
        return "date (YYYY-MM-DD)"
    return str(kind)


def _table(title: str, schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", ()))
    out = [f"## {title}", "", schema.get("description", ""), ""]
    out += ["| field | type | required | description |", "|---|---|---|---|"]
    for name, prop in schema["properties"].items():
        desc = prop.get("description", "").replace("|", "\\|")
        out.append(f"| `{name}` | {_type(prop)} | {'yes' if name in required else ''} | {desc} |")
    out.append("")
    return out


def claim_fields_markdown() -> str:
    schema = claim_schema()
    lines = [
        "# Claim fields",
        "",
        "Every field of the claim JSON that `payer-rules` reads (files, the HTTP service, "
        "`payer_rules.claim_from_dict`) and that a rulepack case claim may set. Generated from "
        "`src/payer_rules/schema/claim.schema.json` (`payer-rules rulepack fields`); do not edit.",
        "Unknown keys are refused; amounts are strings or numbers read as decimals; dates are YYYY-MM-DD.",
        "",
    ]
    lines += _table("Claim", schema)
    for name, definition in schema["$defs"].items():
        lines += _table(name, definition)
    return "\n".join(lines).rstrip() + "\n"
