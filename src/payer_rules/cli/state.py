"""The engine the commands share: built once per process, on first use."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from payer_rules.engine import Engine

_ENGINE: Engine | None = None
_COMMANDS_LOADED = False
_RULEPACK_DIRS: tuple[Path, ...] = ()


def get_engine() -> Engine:
    global _ENGINE
    if _ENGINE is None:
        with _collector_paused():
            from payer_rules.engine import Engine
            from payer_rules.plugins import get_plugin_manager

            _ENGINE = Engine(get_plugin_manager(rulepack_dirs=_RULEPACK_DIRS))
    return _ENGINE


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the engine is built.

    Importing the plugins and compiling their rules creates tens of thousands of objects that
    all live as long as the process (classes, rules, indexes); the collector would scan them
    again and again while they are made, for nothing to free (about 6% of a one-claim run).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def use_rulepack_dirs(dirs: tuple[Path, ...]) -> None:
    """Serve these rulepack directories too (``--rulepacks``); the engine is rebuilt on next use."""
    global _ENGINE, _RULEPACK_DIRS
    if dirs != _RULEPACK_DIRS:
        _RULEPACK_DIRS = dirs
        _ENGINE = None


def use_engine(engine: Engine) -> None:
    """Run the commands with this engine (embedders and tests with their own plugins)."""
    global _ENGINE
    _ENGINE = engine


def reset_engine() -> None:
    """Forget the cached engine (tests install and remove plugins between runs)."""
    global _ENGINE, _COMMANDS_LOADED, _RULEPACK_DIRS
    _ENGINE = None
    _COMMANDS_LOADED = False
    _RULEPACK_DIRS = ()


def load_engine_for_commands(cli: click.Group) -> None:
    """Let plugins add subcommands through ``register_commands``."""
    global _COMMANDS_LOADED
    if _COMMANDS_LOADED:
        return
    _COMMANDS_LOADED = True
    get_engine().plugin_manager.hook.register_commands(cli=cli)
