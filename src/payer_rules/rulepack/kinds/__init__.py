"""The rule kinds payer-rules ships, and the registry plugins extend through ``register_rule_kinds``.

Each kind's module (its rule schema, an attrs class, and its indexes) is imported when a pack
uses the kind: :class:`KindTable` knows every built-in kind by name and where it is defined, so
a run whose packs use two kinds does not build the classes of sixteen
(``benchmarks/bench_startup.py``). The kinds' names are imported from here as before.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from .base import (
    BoundRule,
    CodeIndex,
    CodeSet,
    CodeSetLookup,
    CodeStatus,
    CompileEnv,
    Evaluator,
    LinePrice,
    Pricer,
    RuleCompileError,
    RuleContext,
    RuleKind,
    Stage,
)

if TYPE_CHECKING:
    BUILTIN_KINDS: tuple[RuleKind, ...]
    from .ncci import PairEvaluator, PairIndex, UnitLimitEvaluator, UnitLimitIndex
    from .pricing import FeeIndex

__all__ = [
    "BUILTIN_KINDS",
    "BoundRule",
    "CodeIndex",
    "CodeSet",
    "CodeSetLookup",
    "CodeStatus",
    "CompileEnv",
    "Evaluator",
    "FeeIndex",
    "KindTable",
    "LinePrice",
    "PairEvaluator",
    "PairIndex",
    "Pricer",
    "RuleCompileError",
    "RuleContext",
    "RuleKind",
    "Stage",
    "UnitLimitEvaluator",
    "UnitLimitIndex",
    "builtin_kinds",
]

#: The kinds every engine knows, in the order their rules run (pricing kinds: the order in which
#: they are asked to price a line): kind name -> (module in this package, the kind's name there).
BUILTIN: Mapping[str, tuple[str, str]] = {
    "code-validity": ("coverage", "CODE_VALIDITY"),
    "timely-filing": ("claim", "TIMELY_FILING"),
    "diagnosis-coverage": ("coverage", "DIAGNOSIS_COVERAGE"),
    "procedure-pair": ("ncci", "PROCEDURE_PAIR"),
    "unit-limit": ("ncci", "UNIT_LIMIT"),
    "modifier-required": ("claim", "MODIFIER_REQUIRED"),
    "modifier-combination": ("claim", "MODIFIER_COMBINATION"),
    "laterality-required": ("claim", "LATERALITY_REQUIRED"),
    "age-limit": ("claim", "AGE_LIMIT"),
    "sex-limit": ("claim", "SEX_LIMIT"),
    "place-of-service": ("claim", "PLACE_OF_SERVICE"),
    "frequency-limit": ("history", "FREQUENCY_LIMIT"),
    "new-patient": ("history", "NEW_PATIENT"),
    "prior-authorization": ("claim", "PRIOR_AUTHORIZATION"),
    "fee-schedule": ("pricing", "FEE_SCHEDULE"),
    "percent-of-reference": ("pricing", "PERCENT_OF_REFERENCE"),
}

#: Names importable from here that live in a kind's module: name -> module.
_ELSEWHERE = {
    **{attribute: module for module, attribute in BUILTIN.values()},
    "PairEvaluator": "ncci",
    "PairIndex": "ncci",
    "UnitLimitEvaluator": "ncci",
    "UnitLimitIndex": "ncci",
    "FeeIndex": "pricing",
}


def _builtin(name: str) -> RuleKind:
    module, attribute = BUILTIN[name]
    kind: RuleKind = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    return kind


class KindTable(Mapping[str, RuleKind]):
    """Rule kinds by name, in the order their rules run; a built-in kind is imported when asked for.

    Iterating names, ``in`` and ``len`` import nothing; looking a kind up (``table[name]``,
    ``.values()``, ``.items()``) imports its module once. Plugins' kinds are added whole
    (:meth:`add`), after the built-in ones.
    """

    def __init__(self) -> None:
        self._kinds: dict[str, RuleKind | None] = dict.fromkeys(BUILTIN)

    def add(self, kind: RuleKind) -> None:
        self._kinds[kind.name] = kind

    def __getitem__(self, name: str) -> RuleKind:
        kind = self._kinds[name]
        if kind is None:
            kind = self._kinds[name] = _builtin(name)
        return kind

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)


def builtin_kinds() -> KindTable:
    """A table of the built-in kinds, none imported yet."""
    return KindTable()


def __getattr__(name: str) -> object:
    """``BUILTIN_KINDS`` (every built-in kind, imported) and the names defined in kinds' modules."""
    if name == "BUILTIN_KINDS":
        value: object = tuple(_builtin(kind) for kind in BUILTIN)
    elif name in _ELSEWHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_ELSEWHERE[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
