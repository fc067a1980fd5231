"""The HTTP service: ``payer-rules serve`` and the ASGI app behind it.

The web framework is an optional extra (``pip install 'payer-rules[serve]'``): only
:mod:`payer_rules.service.app` imports Starlette, and only the ``serve`` command imports uvicorn.
:mod:`payer_rules.service.config` and :mod:`payer_rules.service.openapi` stay importable without
them, so the contract (``openapi.json``) can be regenerated and checked on a bare install.
"""
