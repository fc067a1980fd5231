"""The run's payer standing in for a claim that names none (ENG019).

A FHIR Claim may leave its payer out or point at it with a reference nothing in the file resolves
(the Da Vinci PAS reference bundles do: ``Coverage.payor`` ``Organization/org1234`` with no such
entry). The readers then leave :attr:`Coverage.payer_id <payer_rules.models.Coverage.payer_id>`
empty rather than invent one; the engine judges the claim as the payer the run names
(``--payer``) and says so with a warning on the claim, so nobody mistakes the answer for one the
claim asked for. Money is unchanged by it.
"""

from __future__ import annotations

from payer_rules import __version__
from payer_rules.models import Claim
from payer_rules.payers import PayerInfo
from payer_rules.results import Finding
from payer_rules.rules import RuleInfo

__all__ = ["PAYER_STAND_IN", "stand_in"]

PAYER_STAND_IN = RuleInfo(
    code="ENG019",
    name="payer-from-run",
    summary="The claim names no payer it can be identified by (FHIR Coverage.payor / Claim.insurer "
    "missing or not resolvable inside the file): it is judged as the payer the run names (--payer).",
    why="The answer is what that payer would do; the claim itself did not say it was sent there, "
    "so a reader of the result must know the payer came from the run, not from the claim.",
    citation="payer-rules README, 'FHIR input' (references and the payer)",
    severity="warn",
    source=f"payer-rules@{__version__}",
)


def stand_in(claim: Claim, payer: PayerInfo) -> list[Finding]:
    """ENG019 when ``claim`` names no payer; nothing otherwise."""
    if claim.coverage.payer_id.strip():
        return []
    return [
        PAYER_STAND_IN.finding(
            f"claim {claim.id} names no payer (no Coverage.payor or Claim.insurer that resolves to an "
            f"identifier inside the file); judged as {payer.id}, the payer this run was asked for"
        )
    ]
