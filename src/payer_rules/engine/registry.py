"""What the installed plugins contribute, collected once when an engine is built.

Payers, rules, importers and code sets come from the ``register_*`` hooks; each record gets the
plugin that provided it, and a key two plugins register is an error naming both. The look-ups
(:meth:`Registry.payer`, :meth:`~Registry.rule`, :meth:`~Registry.importer`) answer a mistyped
name with a usage error and a did-you-mean suggestion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import evolve

from payer_rules.chains import CHAIN_WAITING_RULE
from payer_rules.codesets.registry import CodeSetRegistry, CodeSetVersion
from payer_rules.engine.own_rules import CORE_RULES
from payer_rules.engine.stages import ENGINE_SOURCE
from payer_rules.errors import PluginError, UsageError
from payer_rules.kind_check import ENGINE_RULES
from payer_rules.pas.rules import PAS_RULES
from payer_rules.payer_standin import PAYER_STAND_IN
from payer_rules.payers import PayerInfo
from payer_rules.plugins import PayerRulesPluginManager, PluginInfo, plugin_infos
from payer_rules.rules import RuleInfo
from payer_rules.store import ImporterInfo

__all__ = ["Registry"]


class Registry:
    """The plugins, payers, rules, importers and code sets of one plugin manager, collected once."""

    def __init__(self, pm: PayerRulesPluginManager) -> None:
        self._pm = pm
        self._hook = pm.hook
        self.plugins: tuple[PluginInfo, ...] = tuple(plugin_infos(pm))
        self.payers: Mapping[str, PayerInfo] = self._collect_payers()
        self.rules: Mapping[str, RuleInfo] = self._collect_rules()
        self.importers: Mapping[str, ImporterInfo] = self._collect_importers()
        self.code_sets: CodeSetRegistry = self._collect_code_sets()

    @property
    def plugin_manager(self) -> PayerRulesPluginManager:
        return self._pm

    def _collect_owned(
        self, hook_name: str, key: str, what: str, extra: Mapping[str, object] | None = None
    ) -> dict[str, Any]:
        """Call a ``register_*`` hook per plugin; each record gets its provider, keys are unique.

        Two plugins registering one key is an error naming both: a payer or importer that
        silently loses to another changes money or data. ``extra`` arguments are passed to the
        implementations that accept them (pluggy's opt-in arguments).
        """
        labels = {p.name: p.label for p in self.plugins}
        found: dict[str, Any] = {}
        for impl in getattr(self._hook, hook_name).get_hookimpls():
            provider = labels.get(impl.plugin_name, impl.plugin_name)

            def register(info: Any, provider: str = provider) -> None:
                name = getattr(info, key)
                if name in found:
                    raise PluginError(
                        f"{what} {name!r} is registered twice: by {found[name].provider} and by {provider}"
                    )
                found[name] = evolve(info, provider=provider)

            offered = {"register": register, **(extra or {})}
            impl.function(**{k: v for k, v in offered.items() if k in impl.argnames})
        return found

    def _collect_payers(self) -> dict[str, PayerInfo]:
        extra = {"directories": self._pm.configured_dirs(), "payers": self._pm.payers}
        return dict(sorted(self._collect_owned("register_payers", "id", "payer", extra).items()))

    def _collect_rules(self) -> dict[str, RuleInfo]:
        rules: dict[str, RuleInfo] = {}

        def register(info: RuleInfo) -> None:
            if info.code in rules and rules[info.code] != info:
                raise PluginError(
                    f"rule {info.code} is registered twice: by {rules[info.code].source} and by {info.source}"
                )
            rules[info.code] = info

        # the core's own: explainable like any rule
        for info in (*CORE_RULES, *ENGINE_RULES, PAYER_STAND_IN, CHAIN_WAITING_RULE, *PAS_RULES):
            register(info)
        self._hook.register_rules(register=register)
        return dict(sorted(rules.items()))

    def _collect_importers(self) -> dict[str, ImporterInfo]:
        importers: dict[str, ImporterInfo] = self._collect_owned("register_importers", "kind", "importer")
        from payer_rules.codesets.importers import BUILTIN_IMPORTERS

        for info in BUILTIN_IMPORTERS:  # the core's own: code sets are not any payer's
            if info.kind not in importers:
                importers[info.kind] = evolve(info, provider=ENGINE_SOURCE.name + "@" + ENGINE_SOURCE.version)
        return dict(sorted(importers.items()))

    def _collect_code_sets(self) -> CodeSetRegistry:
        """Plugins' code-set versions plus those imported into the data directory."""
        from payer_rules.codesets.importers import CODESET_KINDS
        from payer_rules.codesets.store import open_version
        from payer_rules.store import data_dir, list_datasets

        labels = {p.name: p.label for p in self.plugins}
        registry = CodeSetRegistry()
        for impl in self._hook.register_code_sets.get_hookimpls():
            provider = labels.get(impl.plugin_name, impl.plugin_name)

            def register(version: CodeSetVersion, provider: str = provider) -> None:
                version.provider = version.provider or provider
                try:
                    registry.add(version)
                except ValueError as exc:
                    raise PluginError(str(exc)) from exc

            impl.function(register=register)
        directory = data_dir(create=False)
        for record in list_datasets(directory) if directory.is_dir() else ():
            path = directory / record.database
            if record.kind in CODESET_KINDS and path.is_file():
                registry.add(open_version(path, priority=1, provider=f"data directory ({record.provider})"))
        return registry

    def importer(self, kind: str) -> ImporterInfo:
        """The importer for this kind, or a usage error listing the known kinds."""
        if kind in self.importers:
            return self.importers[kind]
        close = _close_matches(kind, list(self.importers), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(self.importers) or "none (install a plugin that provides importers)"
        raise UsageError(f"unknown data kind {kind!r}{hint} (known: {known})")

    def rule(self, code: str) -> RuleInfo:
        """The rule with this code, or a usage error with a did-you-mean suggestion."""
        key = code.strip().upper()
        if key in self.rules:
            return self.rules[key]
        # a code the input starts (MCR10 → MCR101), else the closest; the lowest among equals
        close = [c for c in self.rules if c.startswith(key)]
        close = close or _close_matches(key, list(self.rules), n=1)
        hint = f"; did you mean {min(close)}?" if close else ""
        raise UsageError(f"unknown rule code {code!r}{hint}")

    def payer(self, payer_id: str) -> PayerInfo:
        """The payer with this id, or a usage error with a did-you-mean suggestion."""
        key = payer_id.strip().lower()
        if key in self.payers:
            return self.payers[key]
        if not self.payers:
            raise UsageError(
                f"unknown payer {payer_id!r}: no payer plugin is installed "
                "(install one, e.g. payer-rules-medicare, or add a rulepack directory)"
            )
        close = _close_matches(key, list(self.payers), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"unknown payer {payer_id!r}{hint} (known: {', '.join(self.payers)})")


def _close_matches(word: str, possibilities: list[str], n: int) -> list[str]:
    """``difflib.get_close_matches``, imported when a name is mistyped rather than at every start."""
    import difflib

    return difflib.get_close_matches(word, possibilities, n=n)
