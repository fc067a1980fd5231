"""Fuzzing a Da Vinci PAS request: whatever arrives, `pas submit` answers a response Bundle that
fhir.resources accepts as R4, or one located, bounded error and an OperationOutcome; never a
traceback, never a saved authorization for a request it could not read."""

from __future__ import annotations

import copy
import functools
import json

from hypothesis import given
from hypothesis import strategies as st

from payer_rules.engine import Engine
from payer_rules.errors import LINE_CHARS, InputError
from payer_rules.pas.request import read_request
from payer_rules.pas.response import operation_outcome, response_bundle
from payer_rules.pas.review import Action, review_request

from ..conftest import EXAMPLES
from .conftest import examples
from .mutations import damage_text, dumps, mutate_tree

REQUEST = json.loads((EXAMPLES / "fhir" / "pas" / "knee-orthosis-request.json").read_text())


@functools.cache
def engine() -> Engine:
    return Engine.from_installed()


@examples(80)
@given(st.data())
def test_fuzz_pas_request(data):
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    request = copy.deepcopy(REQUEST)
    if data.draw(st.booleans(), label="the Claim only"):
        mutate_tree(data, request["entry"][0]["resource"])
    else:
        mutate_tree(data, request)
    read = read_request(damage_text(data, dumps(request)), "request.json")
    if isinstance(read, InputError):
        line = str(read)
        assert "\n" not in line and len(line) <= LINE_CHARS and read.location.startswith("request.json"), line
        OperationOutcome.model_validate(operation_outcome(read))
        return
    review = review_request(engine(), read, "medicare", persist=False)
    assert [i.sequence for i in review.items] == [i.sequence for i in read.items]
    assert (review.number is not None) == any(i.action is Action.CERTIFIED for i in review.items)
    Bundle.model_validate(response_bundle(review))
