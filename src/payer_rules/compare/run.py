"""Drive a comparison: group each claim's results across payers (or payer chains), diff them,
summarise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from payer_rules.compare.diff import compare_chains, compare_claim
from payer_rules.compare.report import ComparisonWriter
from payer_rules.compare.summary import PayerSummary
from payer_rules.context import Session
from payer_rules.errors import InputError
from payer_rules.models import Claim
from payer_rules.results import ClaimResult

if TYPE_CHECKING:
    from payer_rules.engine import Engine


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


#: One claim judged by every chain: per chain, its label and its results (one per payer).
ChainGroup = list[tuple[str, list[ClaimResult]]]


def chain_groups(
    claims: Iterable[Claim | InputError],
    chains: Sequence[tuple[str, Sequence[str]]],
    engine: Engine,
    *,
    as_of: dt.date | None = None,
    received_date: dt.date | None = None,
) -> Iterator[ChainGroup]:
    """Judge each claim by every chain (label, payers in order), one claim at a time.

    Each chain keeps its own session: a payer that appears in two chains (Medicare first in
    both) counts a member's deductible once per chain, as if each chain were the only world.
    An envelope error (it stands for no claim) gives no group.
    """
    sessions = {label: Session() for label, _ in chains}
    for item in claims:
        group = [
            (
                label,
                [
                    result
                    for _claim, result in engine.adjudicate_pairs(
                        [item],
                        payers,
                        session=sessions[label],
                        as_of=as_of,
                        received_date=received_date,
                        chain=True,
                    )
                ],
            )
            for label, payers in chains
        ]
        if group and group[0][1]:
            yield group


def run_chain_comparison(
    groups: Iterable[ChainGroup],
    labels: Sequence[str],
    writer: ComparisonWriter,
    rule_names: dict[str, str],
    *,
    on_result: Callable[[], None] | None = None,
) -> list[PayerSummary]:
    """Compare the chains claim by claim (:func:`chain_groups`, or the same groups judged in
    worker processes) into ``writer``; the per-chain summaries at the end."""
    summaries = {label: PayerSummary(payer=label) for label in labels}
    for group in groups:
        if on_result is not None:
            for _label, results in group:
                for _ in results:
                    on_result()
        rows = compare_chains(group)
        for label, results in group:
            summaries[label].add_chain(results, rows)
        writer.claim(rows)
    ordered = [summaries[label] for label in labels]
    writer.finish(ordered, rule_names)
    return ordered
