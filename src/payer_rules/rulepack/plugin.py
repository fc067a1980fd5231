"""The built-in plugin that serves rulepacks: it loads, compiles and applies them.

Registered by :func:`payer_rules.plugins.get_plugin_manager` under the name ``rulepacks``
(explicitly, not through an entry point). Packs come from three places:

* plugins, through ``register_rulepacks`` (e.g. the Medicare NCD packs);
* directories in ``PAYER_RULES_PATH`` (``os.pathsep``-separated);
* directories the runner passes with ``--rulepacks DIR``.

Everything is loaded and compiled once, the first time the engine asks (the engine's build
calls ``register_payers`` first), and then shared read-only.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Generator, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from payer_rules import __version__
from payer_rules.context import Context
from payer_rules.hookspecs import hookimpl
from payer_rules.models import Claim
from payer_rules.payers import PayerInfo
from payer_rules.results import Adjudication, Finding, Pricing, Severity, Source
from payer_rules.rules import RuleInfo

from .evaluator import CompiledRulepacks, compile_packs, rule_infos
from .kinds import CodeSetLookup, KindTable, RuleContext, RuleKind, builtin_kinds
from .loader import Pack, cross_check, find_packs, load_packs, may_apply
from .parsed import ParsedFiles
from .problems import Problem, RulepackError
from .sharing import building

if TYPE_CHECKING:
    import pluggy

__all__ = ["PATH_ENV", "RulepackPlugin", "collect_kinds", "env_dirs"]

PATH_ENV = "PAYER_RULES_PATH"
_REJECT = Severity.REJECT  # a module constant: enum class lookups are slow on Python 3.11
NAME = "rulepacks"


def env_dirs() -> list[Path]:
    """The directories ``PAYER_RULES_PATH`` names."""
    value = os.environ.get(PATH_ENV, "")
    return [Path(part) for part in value.split(os.pathsep) if part.strip()]


def collect_kinds(pm: pluggy.PluginManager) -> KindTable:
    """The built-in kinds plus those plugins register; a kind name registered twice is an error."""
    kinds = builtin_kinds()
    owners = dict.fromkeys(kinds, "payer-rules")
    for impl in pm.hook.register_rule_kinds.get_hookimpls():

        def register(kind: RuleKind, plugin: str = impl.plugin_name) -> None:
            if kind.name in kinds:
                msg = (
                    f"rule kind {kind.name!r} is registered twice: "
                    f"by {owners[kind.name]} and by plugin {plugin}"
                )
                raise RulepackError([Problem(file=plugin, line=None, subject=kind.name, message=msg)])
            kinds.add(kind)
            owners[kind.name] = f"plugin {plugin}"

        impl.function(register=register)
    return kinds


class RulepackPlugin:
    """Serves the payers rulepacks apply to: ``validate``, ``authorize``, ``price``."""

    __version__ = __version__

    def __init__(
        self,
        pm: pluggy.PluginManager,
        dirs: Iterable[Path] = (),
        *,
        code_sets: CodeSetLookup | None = None,
        use_env: bool = True,
    ) -> None:
        self._pm = pm
        self._dirs = tuple(dirs)
        self._use_env = use_env
        self._code_sets = code_sets
        self._lock = threading.Lock()
        self._compiled: CompiledRulepacks | None = None
        self._kinds: KindTable | None = None
        #: the last context and its rule context: ``validate`` and ``authorize`` of one
        #: adjudication share one (a single tuple, replaced whole, so threads never see half)
        self._last_ctx: tuple[Context, RuleContext] | None = None

    # -- building ----------------------------------------------------------------------------

    @property
    def kinds(self) -> KindTable:
        if self._kinds is None:
            self._kinds = collect_kinds(self._pm)
        return self._kinds

    def _payers(self) -> frozenset[str] | None:
        """The payers the run judges (``PayerRulesPluginManager.payers``), ``None`` for all."""
        payers: frozenset[str] | None = getattr(self._pm, "payers", None)
        return payers

    def sources(self) -> list[tuple[str, list[Path]]]:
        """Where packs come from: ``(origin, paths)`` per plugin and for the directories."""
        found: list[tuple[str, list[Path]]] = []
        payers = self._payers()
        for impl in self._pm.hook.register_rulepacks.get_hookimpls():
            paths: list[Path] = []
            offered = {"register": paths.append, "payers": payers}
            impl.function(**{k: v for k, v in offered.items() if k in impl.argnames})
            if paths:
                found.append((f"registered by plugin {impl.plugin_name}", paths))
        dirs = [*self._dirs, *(env_dirs() if self._use_env else [])]
        if dirs:
            found.append(("", dirs))
        return found

    @property
    def compiled(self) -> CompiledRulepacks:
        """Every pack, loaded and compiled on first use; later calls share the result."""
        if self._compiled is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = self._build()
        return self._compiled

    @building()
    def _build(self) -> CompiledRulepacks:
        kinds = self.kinds
        packs: list[Pack] = []
        problems: list[Problem] = []
        payers = self._payers()
        seen: set[tuple[int, int] | str] = set()  # one pack file reached by two sources loads once
        parsed = ParsedFiles()  # a pack may_apply read is not parsed again to load it
        for origin, paths in self.sources():
            try:
                files = find_packs(paths, seen=seen)
                if payers is not None:
                    files = [path for path in files if may_apply(path, payers, parsed=parsed)]
                packs += load_packs(files, kinds, origin=origin, parsed=parsed)
            except RulepackError as exc:
                problems += exc.problems
        if not problems:
            problems += cross_check(packs)
        if problems:
            raise RulepackError(problems)
        return compile_packs(packs, kinds)

    def _ctx(self, context: Context) -> RuleContext:
        last = self._last_ctx
        if last is not None and last[0] is context:
            return last[1]
        ctx = RuleContext(context=context, code_sets=self._code_sets or getattr(context, "code_sets", None))
        self._last_ctx = (context, ctx)
        return ctx

    # -- hooks -------------------------------------------------------------------------------

    @hookimpl
    def register_payers(self, register: Callable[[PayerInfo], None]) -> None:
        for pack in self.compiled.packs:
            if pack.payer is not None:
                decl = pack.payer
                register(
                    PayerInfo(
                        id=decl.id,
                        name=decl.name,
                        kind=decl.kind,
                        description=decl.description or f"declared by rulepack {pack.meta.label}",
                    )
                )

    @hookimpl
    def register_rules(self, register: Callable[[RuleInfo], None]) -> None:
        for info in rule_infos(self.compiled.packs):
            register(info)

    @hookimpl(wrapper=True)
    def validate(self, claim: Claim, context: Context) -> Generator[None, Any, list[Any]]:
        # A wrapper, so pack rules see whether a plugin's front-end edits rejected the claim:
        # a payer does not review the coverage of a claim it cannot process.
        results: list[Any] = yield
        compiled = self.compiled
        if context.payer.id not in compiled:
            return results
        rejected = any(f.severity is _REJECT for batch in results if batch for f in batch)
        return [*results, compiled.validate(claim, self._ctx(context), rejected=rejected)]

    @hookimpl
    def authorize(self, claim: Claim, context: Context) -> Sequence[Finding]:
        compiled = self.compiled
        if context.payer.id not in compiled:
            return ()
        return compiled.authorize(claim, self._ctx(context))

    # trylast: a plugin that prices a payer answers first; packs price payers no plugin prices.
    @hookimpl(trylast=True)
    def price(self, claim: Claim, context: Context) -> Pricing | None:
        return self.compiled.price(claim, self._ctx(context))

    # trylast: payers a pack declares get their lines paid at the allowed amount unless a plugin
    # adjudicates them (benefits such as deductibles and copays come from plugins).
    @hookimpl(trylast=True)
    def adjudicate(self, claim: Claim, context: Context, pricing: Pricing) -> Adjudication | None:
        if not any(p.payer is not None and p.payer.id == context.payer.id for p in self.compiled.packs):
            return None
        return Adjudication(lines=(), source=Source(name="payer-rules", version=__version__))
