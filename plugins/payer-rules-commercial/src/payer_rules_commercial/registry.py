"""Which loaded definition a payer is, and whether a claim's provider is in its network.

Stage hooks only see ``context.payer`` (a :class:`~payer_rules.payers.PayerInfo`). The plugin
registers each definition's payer with a description naming its file, so the registered record
(less the provider the engine fills in) identifies the definition: two engines built from
different directories in one process never mix their payers.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import evolve

from payer_rules.models import Claim
from payer_rules.payers import PayerInfo, PayerKind

if TYPE_CHECKING:  # every claim asks ``definition_for``; the definitions' module loads with them
    from .definition import PayerDefinition

__all__ = ["definition_for", "in_network", "payer_info", "remember"]

_LOCK = threading.Lock()
_DEFINITIONS: dict[PayerInfo, PayerDefinition] = {}


def payer_info(definition: PayerDefinition) -> PayerInfo:
    """The record ``register_payers`` registers for a definition."""
    words = definition.payer.description.strip()
    # the directory's name, not its path: descriptions are shown to service clients
    where = f"defined in {Path(definition.file).parent.name}/{Path(definition.file).name}"
    return PayerInfo(
        id=definition.payer.id,
        name=definition.payer.name,
        kind=PayerKind.COMMERCIAL,
        description=f"{words} ({where})" if words else where,
        claim_kinds=definition.claim_kinds,
        kind_hints=definition.kind_hints(),
    )


def remember(definition: PayerDefinition) -> PayerInfo:
    info = payer_info(definition)
    with _LOCK:
        _DEFINITIONS[info] = definition
    return info


def definition_for(payer: PayerInfo) -> PayerDefinition | None:
    """The definition behind a payer this plugin registered, else ``None`` (not ours)."""
    if payer.kind is not PayerKind.COMMERCIAL:
        return None
    return _DEFINITIONS.get(evolve(payer, provider=""))


def in_network(claim: Claim, definition: PayerDefinition | None) -> bool:
    """In network: the billing provider is on the definition's ``[network]`` lists when it has
    any, else ``Provider.participating`` decides."""
    provider = claim.billing_provider
    if definition is not None and (definition.network.tax_ids or definition.network.npis):
        return provider.tax_id in definition.network.tax_ids or provider.npi in definition.network.npis
    return provider.participating
