"""The engine's direct hook calls (``payer_rules.engine.hooks.StageCaller``) answer as ``pm.hook`` does.

Each case builds a fresh plugin manager with the project's hook specifications and small
plugins, then calls a hook both ways: through pluggy (``pm.hook.<name>(...)``) and through the
engine's caller. Results, their order, exceptions and what the plugins saw must agree.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pluggy
import pytest

from payer_rules import hookimpl, hookspecs
from payer_rules.engine.hooks import StageCaller
from payer_rules.plugins import PayerRulesPluginManager


def _manager(*plugins: object) -> PayerRulesPluginManager:
    pm = PayerRulesPluginManager()
    pm.add_hookspecs(hookspecs)
    for plugin in plugins:
        pm.register(plugin)
    return pm


class Says:
    """validate / price / adjudicate answering with a fixed value; records the calls."""

    def __init__(self, name: str, value: Any, calls: list[str]) -> None:
        self.name, self.value, self.calls = name, value, calls

    @hookimpl
    def validate(self, claim: Any, context: Any) -> Any:
        self.calls.append(f"{self.name}:{claim}:{context}")
        return self.value

    @hookimpl
    def price(self, claim: Any, context: Any) -> Any:
        self.calls.append(self.name)
        return self.value


class First:
    @hookimpl(tryfirst=True)
    def price(self, claim: Any) -> Any:
        return None  # passes: the next one answers


class Last:
    @hookimpl(trylast=True)
    def price(self, context: Any, claim: Any) -> Any:  # a subset of the arguments, reordered
        return ("last", claim, context)


class Wrapper:
    """A new-style wrapper that adds to the collected results (as the rulepack plugin does)."""

    @hookimpl(wrapper=True)
    def validate(self, claim: Any, context: Any) -> Generator[None, Any, Any]:
        results = yield
        return [*results, ["wrapped", claim]]


class Rescuer:
    """A new-style wrapper that turns an implementation's exception into a result."""

    @hookimpl(wrapper=True)
    def price(self, claim: Any, context: Any) -> Generator[None, Any, Any]:
        try:
            return (yield)
        except KeyError as exc:
            return ("rescued", str(exc))


class Fails:
    @hookimpl
    def price(self, claim: Any, context: Any) -> Any:
        raise KeyError("no fee")


class OldStyle:
    @hookimpl(hookwrapper=True)
    def validate(self, claim: Any, context: Any) -> Generator[None, Any, None]:
        outcome = yield
        outcome.force_result([*outcome.get_result(), ["old-style"]])


def _both(pm: PayerRulesPluginManager, name: str, *args: Any) -> tuple[Any, Any]:
    caller = getattr(pm.hook, name)
    assert caller.spec is not None
    through_pluggy = caller(**dict(zip(caller.spec.argnames, args, strict=True)))
    direct = StageCaller(caller, pm)(*args)
    return through_pluggy, direct


def test_collected_results_in_pluggy_order() -> None:
    calls: list[str] = []
    pm = _manager(Says("a", ["a"], calls), Says("b", None, calls), Says("c", ["c"], calls))
    through_pluggy, direct = _both(pm, "validate", "claim", "ctx")
    assert direct == through_pluggy == [["c"], ["a"]]
    assert calls[:3] == calls[3:] == ["c:claim:ctx", "b:claim:ctx", "a:claim:ctx"]


def test_firstresult_stops_at_the_first_answer_with_tryfirst_and_trylast() -> None:
    calls: list[str] = []
    pm = _manager(Last(), Says("a", ("a",), calls), First(), Says("b", None, calls))
    through_pluggy, direct = _both(pm, "price", "claim", "ctx")
    assert direct == through_pluggy == ("a",)
    assert calls == ["b", "a", "b", "a"]
    pm = _manager(Last(), First())
    assert _both(pm, "price", "claim", "ctx") == (("last", "claim", "ctx"),) * 2


def test_new_style_wrappers_see_and_change_the_result() -> None:
    pm = _manager(Says("a", ["a"], []), Wrapper())
    through_pluggy, direct = _both(pm, "validate", "claim", "ctx")
    assert direct == through_pluggy == [["a"], ["wrapped", "claim"]]


def test_an_exception_reaches_the_wrappers_and_goes_on_when_not_handled() -> None:
    pm = _manager(Fails(), Rescuer())
    assert _both(pm, "price", "claim", "ctx") == (("rescued", "'no fee'"),) * 2
    pm = _manager(Fails())
    caller = StageCaller(pm.hook.price, pm)
    with pytest.raises(KeyError, match="no fee"):
        caller("claim", "ctx")


def test_plugins_registered_or_removed_after_the_caller_was_made_count() -> None:
    calls: list[str] = []
    pm = _manager(Says("a", ["a"], calls))
    caller = StageCaller(pm.hook.validate, pm)
    assert caller("claim", "ctx") == [["a"]]
    late = Says("late", ["late"], calls)
    pm.register(late)
    assert caller("claim", "ctx") == pm.hook.validate(claim="claim", context="ctx") == [["late"], ["a"]]
    pm.unregister(late)
    assert caller("claim", "ctx") == [["a"]]


def test_old_style_hookwrappers_and_tracing_go_through_pluggy() -> None:
    pm = _manager(Says("a", ["a"], []), OldStyle())
    through_pluggy, direct = _both(pm, "validate", "claim", "ctx")
    assert direct == through_pluggy == [["a"], ["old-style"]]

    pm = _manager(Says("a", ["a"], []))
    traced: list[str] = []
    undo = pm.add_hookcall_monitoring(
        lambda name, impls, kwargs: traced.append(f"{name} {sorted(kwargs)}"), lambda *a: None
    )
    assert StageCaller(pm.hook.validate, pm)("claim", "ctx") == [["a"]]
    assert traced == ["validate ['claim', 'context']"]
    undo()


def test_a_wrapper_that_does_not_yield_fails_as_in_pluggy() -> None:
    class NoYield:
        @hookimpl(wrapper=True)
        def validate(self, claim: Any, context: Any) -> Generator[None, Any, Any]:
            return []
            yield  # a generator that returns before its first yield

    pm = _manager(NoYield())
    with pytest.raises(RuntimeError, match="did not yield"):
        pm.hook.validate(claim="claim", context="ctx")
    with pytest.raises(RuntimeError, match="did not yield"):
        StageCaller(pm.hook.validate, pm)("claim", "ctx")


def test_pluggy_is_the_version_family_this_was_written_against() -> None:
    # the direct calls read ``HookCaller._hookimpls`` and ``PluginManager._inner_hookexec``
    assert int(pluggy.__version__.split(".")[0]) == 1
