"""Medicare Part B for payer-rules."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("payer-rules-medicare")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0+unknown"

PAYER_ID = "medicare"
