"""Commercial payers defined by configuration alone: a ``payer.toml`` plus rulepacks.

A payer definition holds what is not a rule: the contract (percent of Medicare by year, fee
schedule overrides, carve-outs, lesser of billed charges, out-of-network terms), the service
categories and the benefit plans (deductible, copays, coinsurance, out-of-pocket maximum, in
and out of network). Claim edits (prior authorization, timely filing, frequency and unit limits,
bundling, diagnosis requirements) are rulepacks beside it. See ``docs/commercial-payers.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .definition import (
        Benefit,
        Category,
        Contract,
        PayerDefinition,
        Plan,
        Tier,
        find_definitions,
        load_definition,
        load_definitions,
    )

__all__ = [
    "Benefit",
    "Category",
    "Contract",
    "PayerDefinition",
    "Plan",
    "Tier",
    "__version__",
    "find_definitions",
    "load_definition",
    "load_definitions",
]


def __getattr__(name: str) -> object:
    """The definition names, imported on first use: a run that judges no commercial payer never
    reads a definition, nor builds their classes and converter."""
    if name in __all__:
        from . import definition

        return getattr(definition, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
