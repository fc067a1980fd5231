"""Rule browser: every rule of every payer and rulepack, searchable, each on its own page.

The same content as ``payer-rules explain`` (the engine's rule catalogue), plus each rulepack
rule's pack and test cases.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from payer_rules.errors import UsageError
from payer_rules.service.app import Problem, ready_engine
from payer_rules.web.render import page
from payer_rules.web.rule_index import rule_index

__all__ = ["ROUTES"]

#: A search longer than this is no code, procedure or diagnosis a person typed.
MAX_QUERY = 100


async def rules_endpoint(request: Request) -> Response:
    engine = ready_engine(request)
    query = request.query_params.get("q", "")[:MAX_QUERY]
    index = rule_index(engine)
    found = index.search(query)
    return page(
        request,
        "rules/list.html.j2",
        active="rules",
        query=query,
        found=found,
        total=len(index.entries),
        payer_names={p.id: p.name for p in engine.payers.values()},
    )


async def rule_endpoint(request: Request) -> Response:
    engine = ready_engine(request)
    try:
        info = engine.rule(request.path_params["code"])
    except UsageError as exc:
        raise Problem(404, "Unknown rule", str(exc)) from None
    entry = rule_index(engine).entries[info.code]
    return page(
        request,
        "rules/rule.html.j2",
        active="rules",
        entry=entry,
        rule=info,
        payer_names={p.id: p.name for p in engine.payers.values()},
    )


ROUTES = (
    ("/rules", rules_endpoint, ("GET",), "rules"),
    ("/rules/{code}", rule_endpoint, ("GET",), "rule"),
)
