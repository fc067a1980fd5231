"""Drive a comparison: group each claim's results across payers, diff them, summarise."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from payer_rules.compare.diff import compare_claim
from payer_rules.compare.report import ComparisonWriter
from payer_rules.compare.summary import PayerSummary
from payer_rules.errors import InputError
from payer_rules.models import Claim
from payer_rules.results import ClaimResult


def run_comparison(
    pairs: Iterable[tuple[Claim | InputError, ClaimResult]],
    payers: Sequence[str],
    writer: ComparisonWriter,
    rule_names: dict[str, str],
) -> list[PayerSummary]:
    """Consume ``(claim, result)`` pairs (all payers of one claim consecutively) into ``writer``."""
    summaries = {p: PayerSummary(payer=p) for p in payers}
    group: list[ClaimResult] = []
    for _item, result in pairs:
        summaries[result.payer].add(result)
        group.append(result)
        if len(group) == len(payers):
            writer.claim(compare_claim(group))
            group = []
    ordered = [summaries[p] for p in payers]
    writer.finish(ordered, rule_names)
    return ordered
