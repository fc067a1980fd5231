"""Typed calls of the hooks the engine runs per claim: the four stages and the reference hooks.

The reference hooks let one payer's plugin ask another payer's pricing without importing it: a
percent-of-Medicare contract asks ``reference_price("medicare", ...)``, an inpatient contract
``reference_case`` and ``group_case``; hooks get them through the context
(:class:`ReferenceHooks` supplies the callables).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, NoReturn

from pluggy import HookCaller, HookImpl, PluginManager

from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.plugins import PayerRulesPluginManager
from payer_rules.results import CaseGroup, PricedLine, Pricing

__all__ = ["ReferenceHooks", "StageCaller"]

#: pluggy's own executor, which a plugin manager runs unless tracing or monitoring replaced it
_PLUGGY_EXECUTOR = PluginManager("payer_rules-probe")._inner_hookexec


class StageCaller:
    """Calls one of the engine's hooks with every argument its spec names, positionally in the
    spec's order (``validate(claim, context)``).

    ``pm.hook.validate(...)`` checks and defaults its arguments and then runs pluggy's generic
    loop (old-style hook wrappers, keyword-only arguments, exceptions kept for the teardowns) on
    every call, several times a claim. While the hook's implementations are plain functions and
    new-style wrappers (``wrapper=True``) and no tracing or monitoring is installed, they are
    called here directly, in pluggy's order and with its results: wrappers first (the last
    registered outermost), then the implementations last registered first, ``firstresult``
    stopping at the first value that is not ``None`` and other hooks collecting those values;
    each wrapper then gets the result (or the exception) at its ``yield`` and its return value
    or exception goes on outwards, as in pluggy. Each implementation gets the arguments it
    names (pluggy's opt-in arguments). The plan is made again whenever the implementations
    change (a plugin registered, unregistered or blocked after the engine was built); with
    old-style ``hookwrapper``s, keyword-only arguments or tracing, the call goes through
    pluggy's own executor.
    """

    __slots__ = (
        "_argnames",
        "_caller",
        "_execute",
        "_firstresult",
        "_impls",
        "_name",
        "_plan",
        "_pm",
        "_wrappers",
    )

    def __init__(self, caller: HookCaller, pm: PluginManager) -> None:
        assert caller.spec is not None, f"{caller.name} has no specification"
        self._caller = caller
        self._pm = pm
        self._name = caller.name
        self._argnames = tuple(caller.spec.argnames)
        self._execute = caller._hookexec
        self._firstresult = bool(caller.spec.opts.get("firstresult", False))
        #: the implementations the plan was made for (a copy); the plan (``None``: through
        #: pluggy) and the new-style wrappers, outermost first
        self._impls: list[HookImpl] | None = None
        self._plan: tuple[_Call, ...] | None = None
        self._wrappers: tuple[_Call, ...] = ()

    def _replan(self, impls: list[HookImpl]) -> None:
        self._impls = list(impls)
        ordered = list(reversed(impls))
        if any(i.hookwrapper or i.kwargnames for i in ordered):
            self._plan, self._wrappers = None, ()
            return
        self._wrappers = tuple(self._call(i) for i in ordered if i.wrapper)
        self._plan = tuple(self._call(i) for i in ordered if not i.wrapper)

    def _call(self, impl: HookImpl) -> _Call:
        """The function, and how to pick its arguments: the first ``count`` of the spec's, or
        (``count`` -1) those at ``positions``."""
        names = tuple(impl.argnames)
        if names == self._argnames[: len(names)]:
            return impl.function, len(names), ()
        return impl.function, -1, tuple(self._argnames.index(n) for n in names)

    def __call__(self, *args: Any) -> Any:
        impls = self._caller._hookimpls
        if impls != self._impls:
            self._replan(impls)
        if self._plan is None or self._pm._inner_hookexec is not _PLUGGY_EXECUTOR:
            arguments = dict(zip(self._argnames, args, strict=True))
            return self._execute(self._name, self._caller.get_hookimpls(), arguments, self._firstresult)
        if self._wrappers:
            return self._wrapped(args)
        return self._inner(args)

    def _inner(self, args: tuple[Any, ...]) -> Any:
        if self._firstresult:
            for function, count, positions in self._plan or ():
                if count >= 0:
                    result = function(*args[:count])
                else:
                    result = function(*[args[i] for i in positions])
                if result is not None:
                    return result
            return None
        results = []
        for function, count, positions in self._plan or ():
            if count >= 0:
                result = function(*args[:count])
            else:
                result = function(*[args[i] for i in positions])
            if result is not None:
                results.append(result)
        return results

    def _wrapped(self, args: tuple[Any, ...]) -> Any:
        """The implementations inside the new-style wrappers, as pluggy's ``_multicall`` runs them."""
        teardowns: list[Generator[None, object, object]] = []
        exception: BaseException | None = None
        result: object = None
        try:
            for function, count, positions in self._wrappers:
                teardown = function(*(args[:count] if count >= 0 else [args[i] for i in positions]))
                try:
                    next(teardown)
                except StopIteration:
                    _wrap_fail(teardown, "did not yield")
                teardowns.append(teardown)
            result = self._inner(args)
        except BaseException as exc:
            exception = exc
        for teardown in reversed(teardowns):
            try:
                if exception is not None:
                    try:
                        teardown.throw(exception)
                    except RuntimeError as error:
                        # a StopIteration raised into a generator comes out as RuntimeError
                        if isinstance(exception, StopIteration) and error.__cause__ is exception:
                            teardown.close()
                            continue
                        raise
                else:
                    teardown.send(result)
                teardown.close()  # reached only by a wrapper that yields twice
            except StopIteration as stop:
                result, exception = stop.value, None
                continue
            except BaseException as exc:
                exception = exc
                continue
            _wrap_fail(teardown, "has second yield")
        if exception is not None:
            raise exception
        return result


_Call = tuple[Callable[..., Any], int, tuple[int, ...]]


def _wrap_fail(teardown: Generator[None, object, object], message: str) -> NoReturn:
    code = teardown.gi_code  # type: ignore[attr-defined]
    msg = f"wrap_controller at {code.co_name!r} {code.co_filename}:{code.co_firstlineno} {message}"
    raise RuntimeError(msg)


class ReferenceHooks:
    """``reference_price``, ``reference_case`` and ``group_case``, typed, for contexts and callers."""

    __slots__ = ("_group_case", "_reference", "_reference_case")

    def __init__(self, pm: PayerRulesPluginManager) -> None:
        self._reference = StageCaller(pm.hook.reference_price, pm)
        self._reference_case = StageCaller(pm.hook.reference_case, pm)
        self._group_case = StageCaller(pm.hook.group_case, pm)

    def price(self, reference: str, claim: Claim, line: int, context: Context) -> PricedLine | None:
        """A line's price by a reference schedule (``"medicare"``)."""
        priced: PricedLine | None = self._reference(reference, claim, line, context)
        return priced

    def case_price(self, reference: str, claim: Claim, context: Context) -> Pricing | None:
        """A stay's per-case pricing by a reference payer (Medicare's IPPS)."""
        priced: Pricing | None = self._reference_case(reference, claim, context)
        return priced

    def case_group(self, scheme: str, claim: Claim, context: Context) -> CaseGroup | None:
        """A stay's case-mix group under ``scheme`` (``"ms-drg"``)."""
        group: CaseGroup | None = self._group_case(scheme, claim, context)
        return group
