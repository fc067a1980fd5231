"""Claim-level Part B edits: timely filing, duplicates and prior authorization.

Where each runs (``hooks.py``):

- ``validate``: timely filing (MCR401) and duplicates (MCR402), after the front-end edits, with
  the NCCI edits; they judge what was submitted and when.
- ``authorize``: prior authorization (MCR501), the hook meant for authorization checks.

Timely filing (42 CFR 424.44; Pub. 100-04 Ch. 1 §70): a claim must be received no later than one
calendar year after the date of service (the line's "from" date); later lines are denied CO-29.
The exceptions (retroactive entitlement, administrative error) are not modelled.

Duplicates (Pub. 100-04 Ch. 1 §120): the same procedure with the same modifiers for the same
beneficiary, date of service and rendering provider, already on file (the claim's history or an
earlier claim of the batch) or on an earlier line of this claim, is denied OA-18. Modifiers 76,
77 (repeat procedure) and 91 (repeat lab test) say it is a repeat, not a duplicate. A replacement
claim is not a duplicate of the claim it replaces; a void is never a duplicate.

Prior authorization: the hospital outpatient department list applies to institutional claims,
the DMEPOS required prior authorization list to any claim; a listed service on or after its
program's start without a prior authorization (UTN) on the claim is denied CO-197.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path

from attrs import field, frozen

from payer_rules.context import Context
from payer_rules.models import Claim, ClaimType, Frequency
from payer_rules.results import Finding
from payer_rules_medicare.edits import finding

__all__ = ["PriorAuthList", "duplicates", "load_prior_auth", "prior_authorization", "timely_filing"]

PRIOR_AUTH = Path(__file__).parent / "data" / "prior_auth.toml"
REPEAT_MODIFIERS = frozenset({"76", "77", "91"})
_VOID, _INSTITUTIONAL = Frequency.VOID, ClaimType.INSTITUTIONAL  # enum class lookups are slow on 3.11


@lru_cache(maxsize=4096)
def filing_deadline(service_date: dt.date) -> dt.date:
    """One calendar year after the date of service (28 February for a 29 February service)."""
    try:
        return service_date.replace(year=service_date.year + 1)
    except ValueError:
        return dt.date(service_date.year + 1, 2, 28)


def timely_filing(claim: Claim, context: Context) -> Iterator[Finding]:
    received = context.received_date
    for n, line in enumerate(claim.lines, 1):
        deadline = filing_deadline(line.service_date)
        if received > deadline:
            yield finding(
                "MCR401",
                f"line {n}: received {received}, more than 12 months after the date of service "
                f"{line.service_date} (filing limit {deadline})",
                line=n,
            )


def duplicates(claim: Claim, context: Context) -> Iterator[Finding]:
    if claim.frequency is _VOID:
        return
    # key -> the earlier service: a claim id on file, or a line number of this claim
    seen: dict[tuple[dt.date, str, frozenset[str], str], str | int] = {}
    days = {line.service_date for line in claim.lines}
    for prior in context.history_on(claim, days):
        if prior.status.startswith("rejected"):
            continue
        if claim.original_claim_id and prior.claim_id == claim.original_claim_id:
            continue
        key = (prior.service_date, prior.procedure, frozenset(prior.modifiers), prior.provider_npi or "")
        seen.setdefault(key, prior.claim_id)
    for n, line in enumerate(claim.lines, 1):
        key = (line.service_date, line.procedure, frozenset(line.modifiers), claim.rendering_for(line).npi)
        earlier = seen.get(key)
        if earlier is not None and not REPEAT_MODIFIERS.intersection(line.modifiers):
            what = f"line {earlier} of this claim" if isinstance(earlier, int) else f"claim {earlier}"
            yield finding(
                "MCR402",
                f"line {n}: {line.procedure} on {line.service_date} for this beneficiary and "
                f"rendering provider duplicates {what}",
                line=n,
            )
        seen.setdefault(key, n)


@frozen
class _Group:
    program: str
    name: str
    effective_from: dt.date
    codes: frozenset[str]
    effective_to: dt.date | None = None


@frozen
class PriorAuthList:
    groups: tuple[_Group, ...]
    sources: dict[str, str]
    _by_code: dict[str, tuple[_Group, ...]] = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        by_code: dict[str, list[_Group]] = {}
        for group in self.groups:
            for code in group.codes:
                by_code.setdefault(code, []).append(group)
        object.__setattr__(self, "_by_code", {c: tuple(g) for c, g in by_code.items()})

    def requirement(self, code: str, day: dt.date, institutional: bool) -> _Group | None:
        for group in self._by_code.get(code, ()):
            if group.program == "opd" and not institutional:
                continue
            if (
                code in group.codes
                and group.effective_from <= day
                and (group.effective_to is None or day <= group.effective_to)
            ):
                return group
        return None


@cache
def load_prior_auth(path: Path = PRIOR_AUTH) -> PriorAuthList:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    groups = tuple(
        _Group(program, g["name"], g["effective_from"], frozenset(g["codes"]), g.get("effective_to"))
        for program in ("opd", "dmepos")
        for g in raw[program]["group"]
    )
    return PriorAuthList(groups=groups, sources={p: raw[p]["source"] for p in ("opd", "dmepos")})


def prior_authorization(claim: Claim, context: Context) -> Iterator[Finding]:
    if claim.prior_authorizations:
        return
    listed = load_prior_auth()
    institutional = claim.claim_type is _INSTITUTIONAL
    for n, line in enumerate(claim.lines, 1):
        group = listed.requirement(line.procedure, context.rules_date(line.service_date), institutional)
        if group is not None:
            yield finding(
                "MCR501",
                f"line {n}: {line.procedure} ({group.name}) requires prior authorization "
                f"({listed.sources[group.program]}, since {group.effective_from}); none is on the claim",
                line=n,
            )
