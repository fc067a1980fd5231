"""Pages from autoescaped Jinja2 templates, with the headers every page carries.

Every value reaches the page through Jinja2's escaping. Pages load their stylesheet and script
from this package (``/ui/static/``) and nothing else: the Content-Security-Policy says so, and
the pages work offline. Result pages hold claim content, so nothing is cached.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from payer_rules import __version__
from payer_rules.codesets.remittance import CODE_LISTS, describe_carc, describe_group, describe_rarc
from payer_rules.service.app import Problem, service_state

__all__ = ["HEADERS", "environment", "page", "problem_page"]

#: Headers on every page: only this package's own assets, no framing, no referrer, no caching.
HEADERS: Final = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def _money(value: Any) -> str:
    return f"{Decimal(value):,.2f}"


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("payer_rules.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = _money
    env.globals.update(
        carc_words=describe_carc,
        rarc_words=describe_rarc,
        group_words=describe_group,
        code_lists=CODE_LISTS,
        version=__version__,
    )
    return env


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> Response:
    """Render ``template`` for ``request``: ``url(name, **params)`` gives paths inside the mount."""

    def url(name: str, **params: Any) -> str:
        return request.url_for(f"ui:{name}", **params).path

    def static(path: str) -> str:
        return request.url_for("ui:static", path=path).path

    state = service_state(request)
    body = (
        environment()
        .get_template(template)
        .render(request=request, url=url, static=static, versions=state.versions, **{"active": "", **context})
    )
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def problem_page(request: Request, problem: Problem, request_id: str) -> Response:
    """A problem the page cannot answer, as a page with the same status and words."""
    return page(
        request,
        "error.html.j2",
        status=problem.status,
        code=problem.status,
        title=problem.title,
        detail=problem.detail,
        request_id=request_id,
    )
