"""Rulepacks: payer policy as TOML data, compiled once into indexed evaluators.

A pack is one TOML file: ``[pack]`` metadata, optional ``[payer]`` and ``[case_defaults]``, and
``[[rules]]``, each with a stable code, a kind, dates, a citation, the CARC / RARC / group it
produces and test cases. Nothing in a pack is executed: messages fill ``{placeholders}`` by name
only, and no expression language is evaluated. See ``docs/rulepacks.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cases import CaseResult, run_pack_cases
from .evaluator import CompiledRulepacks, compile_packs, rule_infos
from .kinds import BoundRule, CodeSetLookup, KindTable, RuleContext, RuleKind, Stage, builtin_kinds
from .loader import Pack, find_packs, lint_cases, load_pack, load_packs
from .problems import Problem, RulepackError
from .schema import Case, PackMeta, PayerDecl, Rule, Status

if TYPE_CHECKING:
    from .kinds import BUILTIN_KINDS, PairEvaluator, PairIndex, UnitLimitEvaluator, UnitLimitIndex

__all__ = [
    "BUILTIN_KINDS",
    "BoundRule",
    "Case",
    "CaseResult",
    "CodeSetLookup",
    "CompiledRulepacks",
    "KindTable",
    "Pack",
    "PackMeta",
    "PairEvaluator",
    "PairIndex",
    "PayerDecl",
    "Problem",
    "Rule",
    "RuleContext",
    "RuleKind",
    "RulepackError",
    "Stage",
    "Status",
    "UnitLimitEvaluator",
    "UnitLimitIndex",
    "builtin_kinds",
    "compile_packs",
    "find_packs",
    "lint_cases",
    "load_pack",
    "load_packs",
    "rule_infos",
    "run_pack_cases",
]


def __getattr__(name: str) -> object:
    """Names of the kinds' own modules, imported on first use (:mod:`.kinds`)."""
    if name in {"BUILTIN_KINDS", "PairEvaluator", "PairIndex", "UnitLimitEvaluator", "UnitLimitIndex"}:
        from . import kinds

        return getattr(kinds, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
