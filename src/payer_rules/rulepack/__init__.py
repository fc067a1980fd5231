"""Rulepacks: payer policy as TOML data, compiled once into indexed evaluators.

A pack is one TOML file: ``[pack]`` metadata, optional ``[payer]`` and ``[case_defaults]``, and
``[[rules]]``, each with a stable code, a kind, dates, a citation, the CARC / RARC / group it
produces and test cases. Nothing in a pack is executed: messages fill ``{placeholders}`` by name
only, and no expression language is evaluated. See ``docs/rulepacks.md``.
"""

from __future__ import annotations

from .cases import CaseResult, run_pack_cases
from .evaluator import CompiledRulepacks, compile_packs, rule_infos
from .kinds import (
    BUILTIN_KINDS,
    BoundRule,
    CodeSetLookup,
    PairEvaluator,
    PairIndex,
    RuleContext,
    RuleKind,
    Stage,
    UnitLimitEvaluator,
    UnitLimitIndex,
)
from .loader import Pack, find_packs, lint_cases, load_pack, load_packs
from .problems import Problem, RulepackError
from .schema import Case, PackMeta, PayerDecl, Rule, Status

__all__ = [
    "BUILTIN_KINDS",
    "BoundRule",
    "Case",
    "CaseResult",
    "CodeSetLookup",
    "CompiledRulepacks",
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
    "compile_packs",
    "find_packs",
    "lint_cases",
    "load_pack",
    "load_packs",
    "rule_infos",
    "run_pack_cases",
]
