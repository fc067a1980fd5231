"""What the service is allowed to take, and how it logs: no web framework needed here.

Worker processes (``serve --workers N``) are started by uvicorn and build their app through
:func:`payer_rules.service.app.app_from_environment`, so the limits travel to them as
environment variables.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from typing import Any, Final

from attrs import field, frozen, validators

from payer_rules.errors import UsageError

ENV_MAX_BODY_BYTES: Final = "PAYER_RULES_SERVE_MAX_BODY_BYTES"
ENV_MAX_CLAIMS: Final = "PAYER_RULES_SERVE_MAX_CLAIMS"
ENV_LOG_FORMAT: Final = "PAYER_RULES_SERVE_LOG_FORMAT"
ENV_BODY_SECONDS: Final = "PAYER_RULES_SERVE_BODY_SECONDS"
ENV_UI: Final = "PAYER_RULES_SERVE_UI"  #: "1": the workers serve the Claim Check pages too

LOGGER_NAME: Final = "payer_rules.service"  #: the service's own logger: claim ids and outcomes only


@frozen(kw_only=True)
class Limits:
    """Per-request limits; a request over one gets a 413 or 422 naming it.

    Args:
        max_body_bytes: largest request body read (413 beyond it); 10 MiB holds ~5,000
            typical JSON claims or a large 837.
        max_claims: most claims in one request (422 beyond it); one request is judged in one
            worker thread, so this bounds how long it holds a worker.
        body_seconds: longest time to receive a request body (408 beyond it), so a client that
            sends slowly (slowloris) cannot hold a connection open for ever.
    """

    max_body_bytes: int = field(default=10 * 1024 * 1024, validator=validators.ge(1))
    max_claims: int = field(default=1000, validator=validators.ge(1))
    body_seconds: float = field(default=30.0, validator=validators.gt(0))

    @classmethod
    def from_environment(cls) -> Limits:
        """The limits ``serve`` hands its worker processes (defaults where unset)."""
        values: dict[str, Any] = {}
        for name, env in (("max_body_bytes", ENV_MAX_BODY_BYTES), ("max_claims", ENV_MAX_CLAIMS)):
            raw = os.environ.get(env)
            if raw is None or not raw.strip():
                continue
            try:
                values[name] = int(raw)
            except ValueError:
                raise UsageError(f"{env}: expected a whole number, got {raw!r}") from None
        raw = os.environ.get(ENV_BODY_SECONDS)
        if raw is not None and raw.strip():
            try:
                values["body_seconds"] = float(raw)
            except ValueError:
                raise UsageError(f"{ENV_BODY_SECONDS}: expected seconds, got {raw!r}") from None
        return cls(**values)

    def to_environment(self) -> dict[str, str]:
        return {
            ENV_MAX_BODY_BYTES: str(self.max_body_bytes),
            ENV_MAX_CLAIMS: str(self.max_claims),
            ENV_BODY_SECONDS: str(self.body_seconds),
        }


#: LogRecord attributes every record has; anything else on a record came from ``extra=``.
_RECORD_KEYS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line for log shippers: time, level, logger, process, message, and the
    fields the service passes as ``extra`` (request id, claim id, payer, status, codes, ms)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": record.process,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RECORD_KEYS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


LOG_FORMATS: Final = ("text", "json")


_TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"


def lean_log_records() -> None:
    """Make this process's log records without what the service's formats never print.

    Each record otherwise walks the stack for the file, line and function that logged it, and
    looks up the thread and the multiprocessing process name: about a fifth of what a log line
    costs (a single-claim request writes two at INFO, the default). Neither format prints them
    (the text line has time, level, logger, process id and message; :class:`JsonFormatter`
    leaves every standard attribute out but those), so the lines are the same. These are the
    switches Python's logging documentation gives for this (*Optimization*); they hold for the
    whole process, so they are set only where :func:`log_config` configures logging: in
    ``serve``'s process and in each of its workers, when their formatter is made.
    """
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False


class LineFormatter(logging.Formatter):
    """The stdlib's formatter, with the time's text (to the second) made once a second.

    ``formatTime`` converts and formats the time of every record: the most of formatting a
    line, and a single-claim request writes two lines within a millisecond. The text is the
    stdlib's own, to the character (``YYYY-MM-DD HH:MM:SS,mmm``, local time).
    """

    _second: tuple[int, str] = (-1, "")  # one attribute, replaced whole: threads share it

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt or not self.default_msec_format:
            return super().formatTime(record, datefmt)
        second, text = self._second
        if second != int(record.created):
            second = int(record.created)
            text = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = (second, text)
        return self.default_msec_format % (text, record.msecs)


def text_formatter() -> LineFormatter:
    """The one-line text format (``log_config``'s ``text``), in a process with lean records."""
    lean_log_records()
    return LineFormatter(_TEXT_FORMAT)


def json_formatter() -> JsonFormatter:
    """:class:`JsonFormatter` (``log_config``'s ``json``), in a process with lean records."""
    lean_log_records()
    return JsonFormatter()


def log_config(level: str = "info", fmt: str = "text") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and the service: one line per record on stderr.

    uvicorn's access log is left off (``serve`` passes ``access_log=False``): the service logs
    its own request line with the request id, status, claim count and time, and nothing of the
    claim itself. ``fmt="json"`` writes each record as one JSON object (:class:`JsonFormatter`).
    A process configured with it makes lean log records (:func:`lean_log_records`).
    """
    level = level.upper()
    formatter = {"()": f"payer_rules.service.config.{'json' if fmt == 'json' else 'text'}_formatter"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "line": formatter,
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "payer_rules": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }
