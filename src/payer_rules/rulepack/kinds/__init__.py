"""The rule kinds payer-rules ships, and the registry plugins extend through ``register_rule_kinds``."""

from __future__ import annotations

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
from .claim import (
    AGE_LIMIT,
    LATERALITY_REQUIRED,
    MODIFIER_COMBINATION,
    MODIFIER_REQUIRED,
    PLACE_OF_SERVICE,
    PRIOR_AUTHORIZATION,
    SEX_LIMIT,
    TIMELY_FILING,
)
from .coverage import CODE_VALIDITY, DIAGNOSIS_COVERAGE
from .history import FREQUENCY_LIMIT, NEW_PATIENT
from .ncci import PROCEDURE_PAIR, UNIT_LIMIT, PairEvaluator, PairIndex, UnitLimitEvaluator, UnitLimitIndex
from .pricing import FEE_SCHEDULE, PERCENT_OF_REFERENCE, FeeIndex

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
]

#: The kinds every engine knows, in the order their rules run (pricing kinds: the order in which
#: they are asked to price a line).
BUILTIN_KINDS: tuple[RuleKind, ...] = (
    CODE_VALIDITY,
    TIMELY_FILING,
    DIAGNOSIS_COVERAGE,
    PROCEDURE_PAIR,
    UNIT_LIMIT,
    MODIFIER_REQUIRED,
    MODIFIER_COMBINATION,
    LATERALITY_REQUIRED,
    AGE_LIMIT,
    SEX_LIMIT,
    PLACE_OF_SERVICE,
    FREQUENCY_LIMIT,
    NEW_PATIENT,
    PRIOR_AUTHORIZATION,
    FEE_SCHEDULE,
    PERCENT_OF_REFERENCE,
)
