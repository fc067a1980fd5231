"""The service's OpenAPI 3.1 document, generated from the same schemas as the JSON Schema files.

Claims and results come from :mod:`payer_rules.io.schema` (the attrs models), payers, plugins
and rules from the models the engine registers; only the envelopes and the problem document
are written here. The generated document is shipped as ``payer_rules/schema/openapi.json`` and
served at ``/openapi.json``; a test fails when it and the models part.

    python -m payer_rules.service.openapi --write   # regenerate claim, result and OpenAPI files

Needs no web framework: the contract can be checked on a bare install.
"""

from __future__ import annotations

import sys
from typing import Any, Final

from payer_rules.io.schema import (
    CLAIM_SCHEMA,
    RESULT_SCHEMA,
    SCHEMA_DIR,
    claim_schema,
    output_schemas,
    result_schema,
    schema_text,
)
from payer_rules.payers import PayerInfo
from payer_rules.plugins import PluginInfo
from payer_rules.rules import RuleInfo

__all__ = ["API_VERSION", "OPENAPI", "openapi_document"]

OPENAPI: Final = SCHEMA_DIR / "openapi.json"
#: The contract's own version: bumped when the HTTP contract changes, not with each release.
API_VERSION: Final = "1.0.0"

_REF = "#/components/schemas/"


def _refs(node: Any) -> Any:
    """A JSON Schema with ``#/$defs/X`` references pointed at ``#/components/schemas/X``."""
    if isinstance(node, dict):
        return {
            key: (
                _REF + value.removeprefix("#/$defs/")
                if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/")
                else _refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_refs(v) for v in node]
    return node


def _absorb(components: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    """Put a standalone schema and its ``$defs`` into ``components``; a clash is a bug."""
    defs = schema.get("$defs", {})
    root = {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")}
    for key, value in [*defs.items(), (name, root)]:
        value = _refs(value)
        if key in components and components[key] != value:
            raise ValueError(f"two different schemas are both called {key!r}")
        components[key] = value


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _obj(properties: dict[str, Any], description: str, required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required if required is not None else list(properties),
        "additionalProperties": False,
    }


_VERSIONS = {
    "type": "object",
    "description": "distribution -> version of the core and every plugin the engine was built with",
    "additionalProperties": {"type": "string"},
}
_PROBLEM_MEDIA = {"application/problem+json": {"schema": _ref("Problem")}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": _PROBLEM_MEDIA}


def _envelopes() -> dict[str, Any]:
    return {
        "ClaimBatch": _obj(
            {"claims": {"type": "array", "items": _ref("Claim")}},
            "Several claims in one JSON document (a bare array of claims works too).",
        ),
        "JudgeResponse": _obj(
            {
                "stage": {"type": "string", "enum": ["adjudicate", "check"]},
                "versions": _VERSIONS,
                "results": {
                    "type": "array",
                    "description": "one result per claim and payer, claims in input order, "
                    "payers in the order asked",
                    "items": _ref("ClaimResult"),
                },
            },
            "The results of one request, and the versions they were judged with.",
        ),
        "PayerList": _obj({"payers": {"type": "array", "items": _ref("PayerInfo")}}, "Installed payers."),
        "PluginList": _obj(
            {"versions": _VERSIONS, "plugins": {"type": "array", "items": _ref("PluginInfo")}},
            "Installed plugins with their versions and hooks.",
        ),
        "RuleList": _obj({"rules": {"type": "array", "items": _ref("RuleInfo")}}, "Every registered rule."),
        "Health": _obj({"status": {"type": "string", "enum": ["ok"]}}, "The process answers."),
        "Readiness": _obj(
            {
                "status": {"type": "string", "enum": ["ready", "starting"]},
                "pid": {"type": "integer"},
                "built_at": {"type": "string", "format": "date-time"},
                "build_seconds": {
                    "anyOf": [{"type": "number"}, {"type": "null"}],
                    "description": "seconds this worker took to build its engine (null: built by the caller)",
                },
                "versions": _VERSIONS,
                "payers": {"type": "array", "items": {"type": "string"}},
                "formats": {
                    "type": "array",
                    "description": "result media types this worker can write",
                    "items": {"type": "string"},
                },
                "limits": _obj(
                    {"max_body_bytes": {"type": "integer"}, "max_claims": {"type": "integer"}},
                    "Per-request limits.",
                ),
            },
            "Whether this worker has built its engine, and with what.",
            required=["status"],
        ),
        "Problem": _obj(
            {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string", "description": "what is wrong, located where it can be"},
                "request_id": {"type": "string"},
                "limit": _obj(
                    {
                        "name": {"type": "string", "enum": ["max_body_bytes", "max_claims", "body_seconds"]},
                        "value": {"type": "number"},
                    },
                    "The limit a 408, 413 or 422 refers to.",
                ),
                "errors": {
                    "type": "array",
                    "description": "every unreadable claim or X12 envelope error of a 400, located",
                    "items": _obj(
                        {
                            "location": {"type": "string"},
                            "message": {"type": "string"},
                            "claim_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        },
                        "One unreadable claim, or an envelope error (claim_id null).",
                    ),
                },
            },
            "An RFC 9457 problem document.",
            required=["type", "title", "status", "detail", "request_id"],
        ),
    }


_JUDGE_PARAMETERS = [
    {
        "name": "payer",
        "in": "query",
        "required": True,
        "description": "payer id; repeat (or separate with commas) for several payers",
        "schema": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "style": "form",
        "explode": True,
    },
    {
        "name": "then",
        "in": "query",
        "required": False,
        "description": (
            "a payer chain (coordination of benefits): after the one `payer`, judge each claim by "
            "this payer with the earlier payers' results as other coverage (their payments and "
            "adjustments, as an 837's 2320 / 2430 loops carry them); repeat (or separate with "
            "commas) for a tertiary. Results come per claim in chain order; a payer waits "
            "(ENG020) while an earlier one has pended the claim"
        ),
        "schema": {"type": "array", "items": {"type": "string"}},
        "style": "form",
        "explode": True,
    },
    {
        "name": "as_of",
        "in": "query",
        "required": False,
        "description": "judge by the rules in force on this date instead of each line's date of service",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "received_date",
        "in": "query",
        "required": False,
        "description": "date the payer received the claims (overrides the claims' own)",
        "schema": {"type": "string", "format": "date"},
    },
]


def _judge_operation(stage: str, summary: str) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "operationId": stage,
        "summary": summary,
        "description": (
            "One claim or a batch, against one or more payers. The body is read as the runner "
            "reads a file: claim JSON (one claim, an array, or {claims: [...]}), NDJSON, an X12 "
            "837 (content starting ISA) or FHIR (a Claim or a Bundle of them). A claim that "
            "cannot be read gets an `error` result for each payer, so results = claims x payers; "
            "a body in which no claim can be read, or an X12 837 whose envelope (SE / GE / IEA "
            "counts and control numbers) does not match, is a 400 that locates every error. "
            "Results come as JSON, NDJSON, an X12 835 or FHIR ClaimResponses by `Accept`, "
            "when this build has that writer (see `/ready` formats)."
        ),
        "parameters": _JUDGE_PARAMETERS,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            _ref("Claim"),
                            {"type": "array", "items": _ref("Claim")},
                            _ref("ClaimBatch"),
                        ]
                    }
                },
                "application/x-ndjson": {"schema": {**text, "description": "one claim JSON object a line"}},
                "application/edi-x12": {
                    "schema": {**text, "description": "an X12 005010X222A1 / X223A2 837"}
                },
                "application/fhir+json": {
                    "schema": {"type": "object", "description": "a FHIR R4 Claim or a Bundle of Claims"}
                },
            },
        },
        "responses": {
            "200": {
                "description": "the results, one per claim and payer",
                "headers": {
                    "payer-rules-versions": {
                        "description": "name=version of the core and each plugin, comma separated",
                        "schema": {"type": "string"},
                    },
                    "x-request-id": {"description": "this request's id, as logged", "schema": text},
                },
                "content": {
                    "application/json": {"schema": _ref("JudgeResponse")},
                    "application/x-ndjson": {"schema": {**text, "description": "one ClaimResult a line"}},
                    "application/edi-x12": {"schema": {**text, "description": "an X12 835 remittance"}},
                    "application/fhir+json": {
                        "schema": {"type": "object", "description": "a Bundle of FHIR ClaimResponses"}
                    },
                },
            },
            "400": _problem(
                "malformed request: no claim in the body can be read, an X12 envelope error, "
                "or a bad parameter"
            ),
            "406": _problem("no result format the Accept header allows; the detail lists them"),
            "408": _problem("the body did not arrive within body_seconds"),
            "413": _problem("the body is over max_body_bytes"),
            "415": _problem("a Content-Type the service does not read, or none"),
            "422": _problem("an unknown payer, or more claims than max_claims"),
            "503": _problem("the worker is still building its engine"),
        },
    }


def _pas_operation() -> dict[str, Any]:
    fhir = {"type": "object", "description": "a FHIR R4 OperationOutcome saying where the request broke"}
    return {
        "operationId": "pasSubmit",
        "summary": "Da Vinci PAS Claim/$submit: review a prior-authorization request",
        "description": (
            "The body is a Da Vinci PAS request Bundle (STU 2): one Claim with use preauthorization "
            "and the resources it references. Each item is decided by the payer's installed "
            "validate and authorize rules: X12 HCR01 A1 certified (with an authorization number, "
            "saved so that a claim quoting it passes the authorization edit), A3 not certified, "
            "A4 pended or NA no action required, with the rule that decided. The answer is the PAS "
            "response Bundle holding a PASClaimResponse, as `payer-rules pas submit` writes it."
        ),
        "parameters": [
            {
                "name": "payer",
                "in": "query",
                "required": True,
                "description": "the payer reviewing the request (see /v1/payers)",
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/fhir+json": {
                    "schema": {
                        "type": "object",
                        "description": "a Da Vinci PAS request Bundle (or a bare Claim)",
                    }
                }
            },
        },
        "responses": {
            "200": {
                "description": "the PAS response Bundle",
                "content": {
                    "application/fhir+json": {
                        "schema": {"type": "object", "description": "a Bundle holding one PASClaimResponse"}
                    }
                },
            },
            "400": {
                "description": "the body is no readable PAS request (or a bad parameter: a problem document)",
                "content": {
                    "application/fhir+json": {"schema": fhir},
                    "application/problem+json": {"schema": _ref("Problem")},
                },
            },
            "406": _problem("the Accept header does not allow application/fhir+json"),
            "408": _problem("the body did not arrive within body_seconds"),
            "413": _problem("the body is over max_body_bytes"),
            "415": _problem("a Content-Type other than application/fhir+json"),
            "422": _problem("an unknown payer"),
            "503": _problem("the worker is still building its engine"),
        },
    }


def _get(
    operation_id: str,
    summary: str,
    schema: str,
    *,
    parameters: list[dict[str, Any]] | None = None,
    responses: dict[str, Any] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary}
    if parameters:
        operation["parameters"] = parameters
    operation["responses"] = {
        "200": {"description": summary, "content": {"application/json": {"schema": _ref(schema)}}},
        **(responses or {}),
    }
    return {"get": operation}


def openapi_document() -> dict[str, Any]:
    """The service's OpenAPI 3.1 document, from the models' schemas."""
    components: dict[str, Any] = {}
    _absorb(components, "Claim", claim_schema())
    _absorb(components, "ClaimResult", result_schema())
    for name, schema in output_schemas(PayerInfo, PluginInfo, RuleInfo).items():
        _absorb(components, name, schema)
    for name, schema in _envelopes().items():
        _absorb(components, name, schema)
    paths = {
        "/v1/adjudicate": {"post": _judge_operation("adjudicate", "Judge claims against payers")},
        "/v1/check": {"post": _judge_operation("check", "Scrub claims: validation and authorization only")},
        "/fhir/Claim/$submit": {"post": _pas_operation()},
        "/v1/payers": _get("payers", "Installed payers", "PayerList"),
        "/v1/plugins": _get("plugins", "Installed plugins and versions", "PluginList"),
        "/v1/rules": _get("rules", "Every registered rule", "RuleList"),
        "/v1/rules/{code}": _get(
            "explain",
            "What a rule checks, why, its source and dates",
            "RuleInfo",
            parameters=[{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
            responses={"404": _problem("no rule has this code; the detail suggests the closest")},
        ),
        "/health": _get("health", "Liveness: the process answers", "Health"),
        "/ready": _get(
            "ready",
            "Readiness: the engine is built (503 until then)",
            "Readiness",
            responses={
                "503": {
                    "description": "the worker is still building its engine",
                    "content": {"application/json": {"schema": _ref("Readiness")}},
                }
            },
        ),
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": {"description": "the OpenAPI document"}},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "payer-rules",
            "version": API_VERSION,
            "description": (
                "Judge US healthcare claims the way payers would, line by line, with reasons. "
                "Claims in as JSON, X12 837 or FHIR; results out as JSON, X12 835 or FHIR. "
                "The JSON Schemas here are generated from the engine's models, as are the shipped "
                "claim.schema.json and result.schema.json (also served under /schema/)."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items()))},
    }


def main() -> None:
    """Print the document, or with ``--write`` regenerate every shipped contract file."""
    if "--write" in sys.argv:
        CLAIM_SCHEMA.write_text(schema_text(claim_schema()), encoding="utf-8")
        RESULT_SCHEMA.write_text(schema_text(result_schema()), encoding="utf-8")
        OPENAPI.write_text(schema_text(openapi_document()), encoding="utf-8")
        from payer_rules.io.field_docs import CLAIM_FIELDS_DOC, claim_fields_markdown

        if CLAIM_FIELDS_DOC.parent.is_dir():  # a source checkout: the docs live beside src/
            CLAIM_FIELDS_DOC.write_text(claim_fields_markdown(), encoding="utf-8")
    else:
        sys.stdout.write(schema_text(openapi_document()))


if __name__ == "__main__":
    main()
