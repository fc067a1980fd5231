"""Typed calls of the hooks the engine runs per claim: the four stages and the reference hooks.

The reference hooks let one payer's plugin ask another payer's pricing without importing it: a
percent-of-Medicare contract asks ``reference_price("medicare", ...)``, an inpatient contract
``reference_case`` and ``group_case``; hooks get them through the context
(:class:`ReferenceHooks` supplies the callables).
"""

from __future__ import annotations

from typing import Any

from pluggy import HookCaller

from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.plugins import PayerRulesPluginManager
from payer_rules.results import CaseGroup, PricedLine, Pricing

__all__ = ["ReferenceHooks", "StageCaller"]


class StageCaller:
    """Calls one of the stage hooks with every argument its spec names, through pluggy's executor.

    ``HookCaller.__call__`` checks and defaults the arguments on every call, which cost about
    2% of a batch; the engine always passes them all, so it hands them to the plugin manager's
    hook executor directly (still pluggy's: wrappers, ``firstresult``, tracing and the
    implementations registered at call time behave exactly as through ``pm.hook``).
    """

    __slots__ = ("_caller", "_execute", "_firstresult", "_name")

    def __init__(self, caller: HookCaller) -> None:
        assert caller.spec is not None, f"{caller.name} has no specification"
        self._caller = caller
        self._name = caller.name
        self._execute = caller._hookexec
        self._firstresult = bool(caller.spec.opts.get("firstresult", False))

    def __call__(self, arguments: dict[str, object]) -> Any:
        return self._execute(self._name, self._caller.get_hookimpls(), arguments, self._firstresult)


class ReferenceHooks:
    """``reference_price``, ``reference_case`` and ``group_case``, typed, for contexts and callers."""

    __slots__ = ("_group_case", "_reference", "_reference_case")

    def __init__(self, pm: PayerRulesPluginManager) -> None:
        self._reference = StageCaller(pm.hook.reference_price)
        self._reference_case = StageCaller(pm.hook.reference_case)
        self._group_case = StageCaller(pm.hook.group_case)

    def price(self, reference: str, claim: Claim, line: int, context: Context) -> PricedLine | None:
        """A line's price by a reference schedule (``"medicare"``)."""
        priced: PricedLine | None = self._reference(
            {"reference": reference, "claim": claim, "line": line, "context": context}
        )
        return priced

    def case_price(self, reference: str, claim: Claim, context: Context) -> Pricing | None:
        """A stay's per-case pricing by a reference payer (Medicare's IPPS)."""
        priced: Pricing | None = self._reference_case(
            {"reference": reference, "claim": claim, "context": context}
        )
        return priced

    def case_group(self, scheme: str, claim: Claim, context: Context) -> CaseGroup | None:
        """A stay's case-mix group under ``scheme`` (``"ms-drg"``)."""
        group: CaseGroup | None = self._group_case({"scheme": scheme, "claim": claim, "context": context})
        return group
