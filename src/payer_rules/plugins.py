"""Plugin manager factory: discovery through the ``payer_rules`` entry-point group.

Loading fails loudly: a payer plugin that is silently skipped changes money. Environment:

* ``PAYER_RULES_LOAD_PLUGINS=a,b`` loads only the named entry points (empty: none);
* ``PAYER_RULES_DISABLE_PLUGINS=a,b`` blocks the named entry points.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pluggy
from attrs import frozen

from payer_rules import distributions, hookspecs
from payer_rules.errors import PluginError

ENTRY_POINT_GROUP = hookspecs.NAME

#: Plugins the core registers itself (not listed as installed plugins).
BUILTIN_PLUGINS = frozenset({"rulepacks"})

STAGE_HOOKS = ("validate", "authorize", "price", "adjudicate")


@frozen(kw_only=True)
class PluginInfo:
    """A loaded plugin: its registered name, distribution, version and the hooks it implements."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.distribution}@{self.version}"


class PayerRulesPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers which distribution each plugin came from."""

    def __init__(self) -> None:
        super().__init__(hookspecs.NAME)
        self.distributions: dict[str, tuple[str, str]] = {}
        #: Directories given with ``--rulepacks`` (or ``rulepack_dirs=``), before ``PAYER_RULES_PATH``.
        self.rulepack_dirs: tuple[Path, ...] = ()
        #: The payer ids this run judges, or ``None`` for every payer. Given, plugins may leave the
        #: others' payers and rulepacks unloaded (``register_payers`` / ``register_rulepacks``
        #: receive it as ``payers``), so ``adjudicate --payer medicare`` does not build every payer.
        self.payers: frozenset[str] | None = None

    def configured_dirs(self) -> tuple[Path, ...]:
        """The rulepack directories of this run: ``--rulepacks`` ones, then ``PAYER_RULES_PATH``."""
        from payer_rules.rulepack.plugin import env_dirs

        return (*self.rulepack_dirs, *env_dirs())


def _env_list(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def get_plugin_manager(
    *,
    plugins: Iterable[object] = (),
    load_entrypoints: bool = True,
    rulepack_dirs: Iterable[Path] = (),
    payers: Iterable[str] | None = None,
) -> PayerRulesPluginManager:
    """A fresh plugin manager with the specs, the builtins, the given plugin objects and the installed ones.

    :param plugins: plugin modules or objects to register first (tests, embedders).
    :param load_entrypoints: also load the ``payer_rules`` entry-point group.
    :param rulepack_dirs: rulepack directories (or files) to serve besides ``PAYER_RULES_PATH``.
    :param payers: only these payers will be judged: plugins may skip loading the others
        (:attr:`PayerRulesPluginManager.payers`). An engine built so may not know every payer;
        the runner builds a full one for anything else (``payers``, ``explain``, errors).
    :raises PluginError: an entry point fails to import, or a hook implementation is misspelled
        or has arguments the spec does not know.
    """
    from payer_rules import __version__
    from payer_rules.rulepack.plugin import NAME as RULEPACKS
    from payer_rules.rulepack.plugin import RulepackPlugin

    rulepack_dirs = tuple(rulepack_dirs)
    pm = PayerRulesPluginManager()
    pm.rulepack_dirs = rulepack_dirs
    pm.payers = None if payers is None else frozenset(p.strip().lower() for p in payers)
    pm.add_hookspecs(hookspecs)
    # Builtins are registered by import path, first, so they run after plugins (pluggy calls
    # later registrations first): a plugin that owns a payer answers before the rulepacks do.
    pm.register(RulepackPlugin(pm, rulepack_dirs), name=RULEPACKS)
    pm.distributions[RULEPACKS] = ("payer-rules", __version__)
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        try:
            pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginError(f"plugin {name!r} does not load: {exc}") from exc
    if load_entrypoints:
        _load_entrypoints(pm)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            f"plugin {exc.plugin!r} implements a hook payer-rules does not have: {exc}; "
            f"known hooks: {', '.join(sorted(h for h in dir(pm.hook) if not h.startswith('_')))}"
        ) from exc
    return pm


def _load_entrypoints(pm: PayerRulesPluginManager) -> None:
    allowed = _env_list("PAYER_RULES_LOAD_PLUGINS")
    blocked = _env_list("PAYER_RULES_DISABLE_PLUGINS") or set()
    seen: dict[str, str] = {}
    for ep in sorted(distributions.entry_points(ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist.name
        if (allowed is not None and ep.name not in allowed) or ep.name in blocked:
            continue
        if ep.name in seen and seen[ep.name] != dist:
            raise PluginError(
                f"two distributions register the payer-rules plugin {ep.name!r}: {seen[ep.name]} and {dist}"
            )
        seen[ep.name] = dist
        if pm.get_plugin(ep.name) is not None:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} from {dist} does not load "
                f"(entry point {ep.value}): {type(exc).__name__}: {exc}"
            ) from exc
        try:
            pm.register(plugin, name=ep.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginError(f"plugin {ep.name!r} from {dist} does not load: {exc}") from exc
        pm.distributions[ep.name] = (ep.dist.name, ep.dist.version)


def plugin_infos(pm: PayerRulesPluginManager) -> list[PluginInfo]:
    """Every registered plugin with its distribution, version and implemented hooks."""
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None or plugin is hookspecs or name in BUILTIN_PLUGINS:
            continue
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()))
        if name in pm.distributions:
            distribution, version = pm.distributions[name]
        else:
            module = plugin if isinstance(plugin, ModuleType) else type(plugin)
            distribution = name
            version = str(getattr(module, "__version__", "0+local"))
        infos.append(PluginInfo(name=name, distribution=distribution, version=version, hooks=hooks))
    return sorted(infos, key=lambda i: i.name)
