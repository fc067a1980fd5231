"""payer-rules: a pluggable US payer-rules engine.

A claim goes in; for each payer it answers what that payer would do with it, line by line,
and says why. Embed it with :class:`Engine`; extend it with plugins that implement the hooks
in :mod:`payer_rules.hookspecs` (mark them with :data:`hookimpl`).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("payer-rules")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from payer_rules.hookspecs import hookimpl

__all__ = ["Engine", "__version__", "hookimpl"]


def __getattr__(name: str) -> object:
    # The engine imports plugins and results; keep `import payer_rules` light for plugin modules.
    if name == "Engine":
        from payer_rules.engine import Engine

        return Engine
    raise AttributeError(name)
