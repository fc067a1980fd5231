"""The engine the commands share: built once per process, on first use.

``adjudicate`` and ``check`` ask for an engine that judges only their payers
(``get_engine(payers)``): plugins then leave the other payers' definitions and rulepacks
unloaded (:attr:`~payer_rules.plugins.PayerRulesPluginManager.payers`). Such an engine is never
the only word: when it does not know a payer asked for, or its build fails, the full engine is
built instead, so an unknown payer or a broken pack of one of the run's payers gets the same
error as before. Other commands (``payers``, ``explain``, ``compare`` ...) use the full engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from payer_rules.engine import Engine

_ENGINE: Engine | None = None
#: The payers the cached engine was built for; ``None``: every payer (a full engine).
_ENGINE_PAYERS: frozenset[str] | None = None
_COMMANDS_LOADED = False
_RULEPACK_DIRS: tuple[Path, ...] = ()


def get_engine(payers: Sequence[str] | None = None) -> Engine:
    """The process's engine; built for ``payers`` only when given (see the module docstring).

    :raises PayerRulesError: the full engine does not build (a plugin or pack error).
    """
    global _ENGINE, _ENGINE_PAYERS
    wanted = None if payers is None else frozenset(p.strip().lower() for p in payers)
    if _ENGINE is not None and (_ENGINE_PAYERS is None or (wanted is not None and wanted <= _ENGINE_PAYERS)):
        return _ENGINE
    from payer_rules.errors import PayerRulesError

    _ENGINE = None
    if wanted is not None:
        try:
            engine = _build(wanted)
        except PayerRulesError:
            pass  # the full build below says what is wrong, or finds nothing wrong
        else:
            if wanted <= engine.payers.keys():
                _ENGINE, _ENGINE_PAYERS = engine, wanted
                return engine
    _ENGINE, _ENGINE_PAYERS = _build(None), None
    return _ENGINE


def _build(payers: frozenset[str] | None) -> Engine:
    from payer_rules.batch.collector import collection_paused

    with collection_paused():
        from payer_rules.engine import Engine
        from payer_rules.plugins import get_plugin_manager

        return Engine(get_plugin_manager(rulepack_dirs=_RULEPACK_DIRS, payers=payers))


def use_rulepack_dirs(dirs: tuple[Path, ...]) -> None:
    """Serve these rulepack directories too (``--rulepacks``); the engine is rebuilt on next use."""
    global _ENGINE, _RULEPACK_DIRS
    if dirs != _RULEPACK_DIRS:
        _RULEPACK_DIRS = dirs
        _ENGINE = None


def use_engine(engine: Engine) -> None:
    """Run the commands with this engine (embedders and tests with their own plugins)."""
    global _ENGINE, _ENGINE_PAYERS
    _ENGINE, _ENGINE_PAYERS = engine, None


def reset_engine() -> None:
    """Forget the cached engine (tests install and remove plugins between runs)."""
    global _ENGINE, _ENGINE_PAYERS, _COMMANDS_LOADED, _RULEPACK_DIRS
    _ENGINE, _ENGINE_PAYERS = None, None
    _COMMANDS_LOADED = False
    _RULEPACK_DIRS = ()


def load_engine_for_commands(cli: click.Group) -> None:
    """Let plugins add subcommands through ``register_commands``."""
    global _COMMANDS_LOADED
    if _COMMANDS_LOADED:
        return
    _COMMANDS_LOADED = True
    get_engine().plugin_manager.hook.register_commands(cli=cli)
