"""The HTTP service: ``payer-rules serve`` and the ASGI app behind it.

The web framework is an optional extra (``pip install 'payer-rules[serve]'``): only the app
(:mod:`~payer_rules.service.app`, :mod:`~payer_rules.service.core`,
:mod:`~payer_rules.service.judge`, :mod:`~payer_rules.service.pas`) imports Starlette, and only
the ``serve`` command imports uvicorn.
:mod:`payer_rules.service.config` and :mod:`payer_rules.service.openapi` stay importable without
them, so the contract (``openapi.json``) can be regenerated and checked on a bare install.
"""
