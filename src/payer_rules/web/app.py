"""The routes of every page, and the static files, under one mount."""

from __future__ import annotations

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from payer_rules.service.app import guarded
from payer_rules.web.pages import batch, claim, rules, whatif
from payer_rules.web.render import problem_page


def routes(prefix: str) -> Mount:
    """Each page module lists its routes as ``(path, endpoint, methods, name)``."""
    pages = [
        Route(path, guarded(endpoint, problem_page), methods=list(methods), name=name)
        for module in (claim, whatif, rules, batch)
        for path, endpoint, methods, name in module.ROUTES
    ]
    static = Mount("/static", app=StaticFiles(packages=[("payer_rules.web", "static")]), name="static")
    return Mount(prefix, routes=[*pages, static], name="ui")
