"""Claim Check: web pages over the service's engine (``payer-rules serve --ui``, under ``/ui/``).

Server-rendered Jinja2 pages, each page a module of :mod:`payer_rules.web.pages` with its own
templates: test a claim, what-if in place, the rule browser and the batch comparison report.
Plain HTML forms do all the work; one small script (``static/ui.js``, no framework) swaps the
what-if answer in place and adds rows to the claim form when JavaScript runs. Every asset ships
in this package: the pages work offline and load nothing from elsewhere.

The pages run in the service's process with its engine and limits (body size, claim count,
body time) and its request log line, which carries no claim content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.routing import Mount

__all__ = ["PREFIX", "mount"]

#: Where the pages live in the service.
PREFIX = "/ui"


def mount() -> Mount:
    """The pages and their static files, to add to the service's routes."""
    from payer_rules.web.app import routes

    return routes(PREFIX)
