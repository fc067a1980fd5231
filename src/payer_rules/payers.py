"""The payers plugins and rulepacks provide."""

from __future__ import annotations

from enum import StrEnum

from attrs import field, frozen

from payer_rules.claim_kinds import ClaimKind


class PayerKind(StrEnum):
    MEDICARE = "medicare"
    MEDICAID = "medicaid"
    COMMERCIAL = "commercial"
    OTHER = "other"


def _payer_id(value: str) -> str:
    value = value.strip().lower()
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"payer id must be one word, got {value!r}")
    return value


def _claim_kinds(kinds: object) -> frozenset[ClaimKind]:
    return frozenset(ClaimKind(k) for k in kinds)  # type: ignore[attr-defined]


@frozen(kw_only=True)
class PayerInfo:
    """A payer a plugin registers through ``register_payers``.

    Args:
        id: lower-case id users pass to ``--payer`` (``medicare``, ``medicaid-ny``).
        name: the name a person reads.
        kind: medicare, medicaid or commercial.
        provider: filled in by the engine: ``distribution@version`` of the plugin that registered it.
        claim_kinds: the kinds of claim (:class:`~payer_rules.claim_kinds.ClaimKind`) this payer
            prices; a claim of any other kind gets an explicit not-modelled finding, never a price.
    """

    id: str = field(converter=_payer_id)
    name: str
    kind: PayerKind = PayerKind.OTHER
    description: str = ""
    provider: str = ""
    claim_kinds: frozenset[ClaimKind] = field(
        default=frozenset({ClaimKind.PROFESSIONAL}), converter=_claim_kinds
    )
