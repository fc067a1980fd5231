"""``payer-rules serve``: run the HTTP service with uvicorn."""

from __future__ import annotations

import ipaddress
import logging
import logging.config
import os
import time

import click

from payer_rules.cli.options import examples
from payer_rules.cli.state import get_engine
from payer_rules.errors import ConfigurationError
from payer_rules.service.config import ENV_UI, LOG_FORMATS, LOGGER_NAME, Limits, log_config

_DEFAULTS = Limits()
_INSTALL_HINT = "pip install 'payer-rules[serve]' (or uv sync --extra serve)"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command(
    "serve",
    epilog=examples(
        "payer-rules serve --port 8080",
        "payer-rules serve --ui   # then open http://127.0.0.1:8080/ui/",
        "payer-rules serve --host 0.0.0.0 --workers 2 --log-format json   # behind TLS and authentication",
    ),
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. The default serves this machine only; claims carry PHI.",
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to bind.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes; each builds its own engine once, at start-up.",
)
@click.option(
    "--max-body-bytes",
    default=_DEFAULTS.max_body_bytes,
    show_default=True,
    type=click.IntRange(1),
    help="Largest request body (413 beyond it).",
)
@click.option(
    "--max-claims",
    default=_DEFAULTS.max_claims,
    show_default=True,
    type=click.IntRange(1),
    help="Most claims in one request (422 beyond it).",
)
@click.option(
    "--body-seconds",
    default=_DEFAULTS.body_seconds,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Longest time to receive a request body (408 beyond it): slow senders are cut off.",
)
@click.option(
    "--ui/--no-ui",
    default=False,
    show_default=True,
    help="Also serve Claim Check, the web pages (test a claim, what-if, rules, batch), under /ui/.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="Log level.",
)
@click.option(
    "--log-format",
    default="text",
    show_default=True,
    type=click.Choice(LOG_FORMATS),
    help="text: one line per record; json: one JSON object per line, for log shippers.",
)
def serve_command(
    host: str,
    port: int,
    workers: int,
    max_body_bytes: int,
    max_claims: int,
    body_seconds: float,
    ui: bool,
    log_level: str,
    log_format: str,
) -> None:
    """Serve adjudication over HTTP (see /openapi.json); logs claim ids and outcomes, never claims."""
    try:
        import uvicorn

        from payer_rules.service.app import create_app
    except ImportError as exc:
        raise ConfigurationError(
            f"the HTTP service needs the 'serve' extra ({exc.name} is not installed): {_INSTALL_HINT}"
        ) from None
    limits = Limits(max_body_bytes=max_body_bytes, max_claims=max_claims, body_seconds=body_seconds)
    config = log_config(log_level, log_format)
    if not _is_loopback(host):
        logging.config.dictConfig(config)
        logging.getLogger(LOGGER_NAME).warning(
            "binding %s: claims carry PHI; put TLS and authentication in front of this service", host
        )
    if workers == 1:
        # One process: serve the engine the runner already built (plugins loaded once).
        started = time.perf_counter()
        engine = get_engine()  # the CLI builds it lazily: this is its build
        app: object = create_app(
            engine, limits=limits, build_seconds=time.perf_counter() - started, ui=ui, freeze=True
        )
    else:
        # Several processes: each worker imports the factory and builds its own engine at start-up.
        os.environ.update(limits.to_environment())
        os.environ[ENV_UI] = "1" if ui else "0"
        app = "payer_rules.service.app:app_from_environment"
    uvicorn.run(
        app,  # type: ignore[arg-type]
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        log_config=config,
        access_log=False,
        server_header=False,
    )
