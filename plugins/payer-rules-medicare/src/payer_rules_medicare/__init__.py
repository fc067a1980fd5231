"""Medicare Part B for payer-rules."""

from payer_rules.distributions import version

try:
    __version__ = version("payer-rules-medicare")
except LookupError:  # pragma: no cover
    __version__ = "0+unknown"

PAYER_ID = "medicare"
