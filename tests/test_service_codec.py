"""The service's JSON results body: orjson gives the same bytes the stdlib encoder gave."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.io.json_results import result_to_dict
from payer_rules.io.readers import read_path
from payer_rules.models import Claim

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def stdlib(value: object) -> bytes:
    """What the service wrote before: the stdlib encoder, compact, UTF-8 unescaped."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def test_results_of_every_example_encode_to_the_same_bytes(engine):
    claims = [
        c for path in sorted(EXAMPLES.rglob("*.json")) for c in read_path(str(path)) if isinstance(c, Claim)
    ]
    assert len(claims) > 20
    pairs = engine.adjudicate_pairs(iter(claims), sorted(engine.payers), session=Session())
    document = {"stage": "adjudicate", "versions": {"payer-rules": "0.1.0"}}
    document["results"] = [result_to_dict(result) for _claim, result in pairs]
    assert orjson.dumps(document) == stdlib(document)


texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
documents = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


@given(documents)
def test_strings_numbers_lists_and_objects_encode_alike(document):
    assert orjson.dumps(document) == stdlib(document)
