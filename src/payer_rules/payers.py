"""The payers plugins and rulepacks provide."""

from __future__ import annotations

from collections.abc import Iterable
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
class KindHint:
    """How a payer pays a kind of claim that nothing installed prices, and what would price it.

    The engine puts both in the not-modelled finding (ENG005) of every line of such a claim, so
    the person reading it learns what the payer would do and what to install or load.

    Args:
        kind: the claim kind this hint is about.
        method: how the payer pays that kind, as a person names it
            (``"OPPS by APC (42 CFR 419)"``, ``"APR-DRG per discharge"``).
        remedy: what would price it (``"install payer-rules-medicare[inpatient]"``, ``"a fee pack
            with the state's APR-DRG weights and base rates"``).
        citation: where the method is published (regulation, manual, state page).
    """

    kind: ClaimKind = field(converter=ClaimKind)
    method: str
    remedy: str = ""
    citation: str = ""


def _kind_hints(hints: Iterable[KindHint]) -> tuple[KindHint, ...]:
    found = tuple(hints)
    kinds = [h.kind for h in found]
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"one hint per claim kind, got {', '.join(sorted(map(str, kinds)))}")
    return found


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
        kind_hints: for kinds it does not price, how the payer pays them and what would price
            them (:class:`KindHint`, at most one per kind); shown in the not-modelled finding.
    """

    id: str = field(converter=_payer_id)
    name: str
    kind: PayerKind = PayerKind.OTHER
    description: str = ""
    provider: str = ""
    claim_kinds: frozenset[ClaimKind] = field(
        default=frozenset({ClaimKind.PROFESSIONAL}), converter=_claim_kinds
    )
    kind_hints: tuple[KindHint, ...] = field(default=(), converter=_kind_hints)

    def hint(self, kind: ClaimKind) -> KindHint | None:
        """The payer's hint for ``kind``, if it registered one."""
        return next((h for h in self.kind_hints if h.kind is kind), None)
