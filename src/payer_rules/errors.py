"""Errors meant for people: each names where the problem is and what was expected."""

from __future__ import annotations

import reprlib

__all__ = [
    "ECHO_CHARS",
    "LINE_CHARS",
    "ConfigurationError",
    "InputError",
    "PayerRulesError",
    "PluginError",
    "UsageError",
    "echo",
    "one_line",
]

#: The most characters of one user value an error message quotes (then ``…``).
ECHO_CHARS = 80
#: The most characters of one error line (location and message); longer lines end in ``…``.
LINE_CHARS = 1000

_ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"
_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = ECHO_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4


def _escape(char: str) -> str:
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def one_line(text: str, limit: int = LINE_CHARS) -> str:
    """``text`` as one bounded line: control and line-separator characters shown as escapes
    (``\\n``, ``\\x1b``, ``\\u2028``), cut to ``limit`` characters with an ellipsis.

    Error text quotes user input; a newline in it would split one error over two lines (and
    forge a second one), and a 16 KB field would make one line nobody reads.
    """
    if text.isprintable() and len(text) <= limit:
        return text
    out = "".join(c if c.isprintable() else _escape(c) for c in text)
    return out if len(out) <= limit else out[: limit - 1] + _ELLIPSIS


def echo(value: object, limit: int = ECHO_CHARS) -> str:
    """A user value quoted for an error message: ``repr``-escaped, at most ``limit`` characters.

    Nested values are cut at three levels and four items (``reprlib``), so quoting a list nested
    900 deep neither recurses that deep nor prints it.
    """
    text = repr(value[: limit + 1]) if isinstance(value, str) else _REPR.repr(value)
    return one_line(text, limit)


class PayerRulesError(Exception):
    """Base of every error the runner reports as one line, without a traceback."""

    exit_code = 1

    def __str__(self) -> str:
        return one_line(super().__str__())


class InputError(PayerRulesError):
    """Input that cannot be read: ``location: what is wrong, what was expected``.

    Location and message are kept as one bounded line each (:func:`one_line`): both may quote
    the input.

    ``envelope`` marks an error that stands for no claim (an X12 SE / GE / IEA count or control
    number that does not match): it is reported, but gets no result, so that the results are
    still one per claim and payer; the claims inside are judged as usual.
    """

    def __init__(
        self, location: str, message: str, *, claim_id: str | None = None, envelope: bool = False
    ) -> None:
        self.location = one_line(location, LINE_CHARS // 4)
        self.message = one_line(message)
        self.claim_id = one_line(claim_id, ECHO_CHARS) if claim_id is not None else None
        self.envelope = envelope
        text = f"{self.location}: {self.message}" if self.location else self.message
        super().__init__(text)


class UsageError(PayerRulesError):
    """The command was called wrongly (unknown payer, bad option)."""

    exit_code = 2


class PluginError(PayerRulesError):
    """A plugin that does not load, or two plugins that claim one payer."""


class ConfigurationError(PayerRulesError):
    """The installed plugins and rulepacks cannot serve what was asked."""
