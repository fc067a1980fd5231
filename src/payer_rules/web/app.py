"""The routes of every page, and the static files, under one mount."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from payer_rules.errors import echo
from payer_rules.service.app import Problem, guarded
from payer_rules.web.pages import batch, claim, rules, whatif
from payer_rules.web.render import problem_page


async def _no_such_page(request: Request) -> Response:
    detail = f"there is no page at {echo(request.url.path)}; the pages are Test a claim, Rules and Batch"
    raise Problem(404, "Page not found", detail)


def routes(prefix: str) -> Mount:
    """Each page module lists its routes as ``(path, endpoint, methods, name)``.

    A path under ``prefix`` that no page has gets the 404 as a page in the pages' layout (the
    mount's own router answers it), not the API's problem document: a person followed a link.
    """
    pages = [
        Route(path, guarded(endpoint, problem_page), methods=list(methods), name=name)
        for module in (claim, whatif, rules, batch)
        for path, endpoint, methods, name in module.ROUTES
    ]
    static = Mount("/static", app=StaticFiles(packages=[("payer_rules.web", "static")]), name="static")
    not_found = guarded(_no_such_page, problem_page)

    async def no_page(scope: Scope, receive: Receive, send: Send) -> None:
        response = await not_found(Request(scope, receive))
        await response(scope, receive, send)

    return Mount(prefix, app=Router(routes=[*pages, static], default=no_page), name="ui")
