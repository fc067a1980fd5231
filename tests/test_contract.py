"""The embedding contract: shipped JSON Schemas and OpenAPI document equal freshly generated ones.

When a model changes, regenerate them all with

    uv run python -m payer_rules.service.openapi --write

and review the diff: it is the change integrators will see.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.io.json_results import result_to_dict
from payer_rules.io.readers import read_claims
from payer_rules.io.schema import CLAIM_SCHEMA, RESULT_SCHEMA, claim_schema, result_schema, schema_text
from payer_rules.service.openapi import OPENAPI, openapi_document

from .conftest import EXAMPLES

REGENERATE = "run `uv run python -m payer_rules.service.openapi --write` and review the diff"


@pytest.mark.parametrize(
    ("path", "generate"),
    [(CLAIM_SCHEMA, claim_schema), (RESULT_SCHEMA, result_schema), (OPENAPI, openapi_document)],
    ids=["claim.schema.json", "result.schema.json", "openapi.json"],
)
def test_shipped_contract_files_match_the_models(path, generate):
    assert path.read_text(encoding="utf-8") == schema_text(generate()), f"{path.name} is stale: {REGENERATE}"


def test_schemas_are_valid_json_schema():
    for schema in (claim_schema(), result_schema()):
        jsonschema.Draft202012Validator.check_schema(schema)
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_references_resolve():
    document = openapi_document()
    names = set(document["components"]["schemas"])
    refs = set(_refs(document))
    assert "#/components/schemas/ClaimResult" in refs
    for ref in refs:
        assert ref.removeprefix("#/components/schemas/") in names, ref


def test_example_claims_validate_against_the_claim_schema():
    validator = jsonschema.Draft202012Validator(claim_schema())
    for path in sorted((EXAMPLES / "claims").glob("*.json")):
        data = json.loads(path.read_text())
        claims = data if isinstance(data, list) else data.get("claims", [data])
        for claim in claims:
            validator.validate(claim)


def test_results_of_the_examples_validate_against_the_result_schema():
    validator = jsonschema.Draft202012Validator(result_schema())
    engine = Engine.from_installed()
    results = list(engine.adjudicate_many(read_claims([str(EXAMPLES / "claims")]), ["medicare"]))
    assert results
    for result in results:
        validator.validate(result_to_dict(result))
    error = engine.error_result(InputError("request.json:3", "bad", claim_id="C-9"), "medicare")
    validator.validate(result_to_dict(error))


def test_result_schema_refuses_keys_the_converter_does_not_write():
    validator = jsonschema.Draft202012Validator(result_schema())
    engine = Engine.from_installed()
    (result,) = engine.adjudicate_many(
        read_claims([str(EXAMPLES / "claims" / "01-office-visit-2026.json")]), ["medicare"]
    )
    data = result_to_dict(result)
    data["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)
    data = result_to_dict(result)
    data["paid"] = 92.18  # money is a string, never a float
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)
