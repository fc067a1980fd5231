"""What the result pages show: each claim, each payer's answer, and the words for its codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from attrs import frozen

from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.io.claims import claim_to_json
from payer_rules.models import Claim
from payer_rules.payers import PayerInfo
from payer_rules.results import ClaimResult, Finding
from payer_rules.rules import RuleInfo

__all__ = ["Answer", "ClaimView", "claim_views", "parse_date"]


@frozen
class Answer:
    """One payer's answer to one claim, with the rules its findings name."""

    payer: PayerInfo
    result: ClaimResult
    rules: dict[str, RuleInfo]

    def citation(self, finding: Finding) -> str:
        """Where the finding comes from: its own citation, else its rule's."""
        rule = self.rules.get(finding.code)
        return finding.source.citation or (rule.citation if rule else "") or ""

    def findings_for(self, line: int | None) -> list[Finding]:
        return [f for f in self.result.findings if f.line == line]


@frozen
class ClaimView:
    """One claim of the input (or the error that stood in its place) and every payer's answer."""

    claim: Claim | None
    error: InputError | None
    answers: tuple[Answer, ...]

    @property
    def claim_id(self) -> str:
        if self.claim is not None:
            return self.claim.id
        return self.answers[0].result.claim_id if self.answers else ""

    @property
    def claim_json(self) -> str:
        """The claim as claim JSON: what the what-if form posts back."""
        return claim_to_json(self.claim) if self.claim is not None else ""


def claim_views(
    engine: Engine,
    pairs: Iterable[tuple[Claim | InputError, ClaimResult]],
    payers: Sequence[str],
) -> list[ClaimView]:
    """Group ``adjudicate_pairs`` output (all payers of a claim in a row) by claim."""
    views: list[ClaimView] = []
    group: list[tuple[Claim | InputError, ClaimResult]] = []
    for pair in pairs:
        group.append(pair)
        if len(group) < len(payers):
            continue
        item = group[0][0]
        answers = tuple(answer(engine, result) for _, result in group)
        views.append(
            ClaimView(
                claim=item if isinstance(item, Claim) else None,
                error=item if isinstance(item, InputError) else None,
                answers=answers,
            )
        )
        group = []
    return views


def answer(engine: Engine, result: ClaimResult) -> Answer:
    codes = {f.code for f in result.findings}
    return Answer(
        payer=engine.payer(result.payer),
        result=result,
        rules={code: engine.rules[code] for code in codes if code in engine.rules},
    )


def parse_date(raw: str) -> dt.date | None:
    """A form's optional date (``YYYY-MM-DD``); ``ValueError`` names what was expected."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        msg = f"expected a date as YYYY-MM-DD, got {raw[:20]!r}"
        raise ValueError(msg) from None
