"""Global surgery packages (Pub. 100-04 Ch. 12 §40): what the surgeon's fee already pays for.

A procedure's GLOB DAYS (PPRRVU) sets its package: ``090`` (major) covers the day before, the
day of and 90 days after the operation; ``010`` (minor) the day of and 10 days after; ``000``
the day of. ``MMM`` (maternity), ``XXX`` (the concept does not apply), ``YYY`` (carrier sets
it) and ``ZZZ`` (add-on: the primary code's period applies) start no package here. The package
binds the surgeon and the physicians of the same group (billing tax id) and specialty
(rendering taxonomy).

Edits, each a denial CO-97 with M144 (the payment is included in the surgery's):

- MCR620: an E/M visit (99202-99499 but 99024, eye exams 92002-92014) on the day of the
  surgery, or the day before a major one, unless modifier 57 (decision for major surgery),
  25 (significant, separately identifiable, beside a 000 / 010 procedure) or FT (unrelated);
- MCR621: an E/M visit in the post-operative days unless modifier 24 (unrelated) or FT; a
  surgery billed with 54 or 56 (the surgeon gave up the post-operative care) starts no
  post-operative package for that surgeon, one billed 55 alone (post-operative care only) no
  pre-operative one;
- MCR622: a procedure with a global period in the post-operative days of an earlier surgery
  unless 58 (staged or related), 78 (return to the operating room) or 79 (unrelated). A 58 or
  79 procedure starts its own package; a 78 one does not (Ch. 12 §40.2.A).

Split care is priced in :mod:`payer_rules_medicare.pricing` with :func:`split_care_share`:
54 the PRE + INTRA OP shares, 55 POST OP, 56 PRE OP, 78 INTRA OP (MCR623 when the code has no
010 / 090 period to split).

History: surgeries come from the claim's own lines, the claim's ``history`` and the member's
earlier claims of the run. The run's are indexed by date once, as claims arrive, in
``Session.plugin_state`` (only services remembered since the last claim are read), so each
question is a binary search over the member's surgeries, never a scan of their history.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from decimal import Decimal

from attrs import frozen

from payer_rules.context import Context
from payer_rules.models import Claim, PriorService, ServiceLine
from payer_rules.results import Finding
from payer_rules_medicare.edits import finding
from payer_rules_medicare.imported import ImportedTables
from payer_rules_medicare.mpfs.schedule import FeeRow, schedule_for
from payer_rules_medicare.starter import Starter

__all__ = ["global_surgery", "is_evaluation_and_management", "split_care_share"]

#: Days after the operation a package covers, by GLOB DAYS.
POST_OPERATIVE_DAYS = {"000": 0, "010": 10, "090": 90}
_STATE_KEY = "medicare.global_surgery"
_ONE_DAY = dt.timedelta(days=1)
_LONGEST = dt.timedelta(days=90)


def is_evaluation_and_management(code: str) -> bool:
    """Office, hospital, consult, nursing-facility, home, critical-care ... E/M codes and the
    ophthalmological exams Medicare treats alike (Ch. 12 §40.1); 99024 is the package's own
    post-operative visit code (status B)."""
    if len(code) != 5 or not code.isdigit():
        return False
    return ("99202" <= code <= "99499" and code != "99024") or "92002" <= code <= "92014"


#: (id(tables), id(starter), year, code) -> GLOB DAYS: one lookup per code and year per process.
_DAYS: dict[tuple[int, int, int, str], str] = {}
_DAYS_MAX = 200_000


def global_days(code: str, day: dt.date, tables: ImportedTables, starter: Starter) -> str:
    key = (id(tables), id(starter), day.year, code)
    found = _DAYS.get(key)
    if found is None:
        schedule = schedule_for(day, tables, starter)
        row = schedule.row(code) if schedule is not None else None
        found = row.global_days if row is not None else "XXX"
        if len(_DAYS) >= _DAYS_MAX:
            _DAYS.clear()
        _DAYS[key] = found
    return found


@frozen
class _Surgery:
    day: dt.date
    days: int
    procedure: str
    npi: str
    tax_id: str
    taxonomy: str
    modifiers: tuple[str, ...]
    #: "claim C-1" or "line 2 of this claim"
    where: str

    @property
    def keeps_pre_operative_care(self) -> bool:
        """The package holds the pre-operative and same-day care: not when billed 55 alone."""
        return _parts(self.modifiers) & {"pre_op", "intra_op"} != set()

    @property
    def keeps_post_operative_care(self) -> bool:
        """The package holds the post-operative care: not when billed 54 or 56 without 55."""
        return "post_op" in _parts(self.modifiers)


def _parts(modifiers: tuple[str, ...]) -> set[str]:
    """The shares of the package a line with these modifiers covers (all three without 54-56)."""
    parts: set[str] = set()
    for modifier in modifiers:
        parts.update(_SPLIT.get(modifier, ()))
    return parts or {"pre_op", "intra_op", "post_op"}


class _Index:
    """One member's surgeries, sorted by date."""

    __slots__ = ("dates", "seen", "surgeries")

    def __init__(self) -> None:
        self.seen = 0
        self.dates: list[dt.date] = []
        self.surgeries: list[_Surgery] = []

    def add(self, surgery: _Surgery) -> None:
        at = bisect_right(self.dates, surgery.day)
        self.dates.insert(at, surgery.day)
        self.surgeries.insert(at, surgery)

    def between(self, first: dt.date, last: dt.date) -> list[_Surgery]:
        return self.surgeries[bisect_left(self.dates, first) : bisect_right(self.dates, last)]


def _from_history(
    services: Iterable[PriorService], tables: ImportedTables, starter: Starter
) -> Iterator[_Surgery]:
    for s in services:
        if s.status.startswith(("denied", "rejected", "pended")) or "78" in s.modifiers:
            continue  # a return to the operating room (78) starts no new package (§40.2.A)
        days = POST_OPERATIVE_DAYS.get(global_days(s.procedure, s.service_date, tables, starter))
        if days is None:
            continue
        yield _Surgery(
            s.service_date,
            days,
            s.procedure,
            s.provider_npi or "",
            s.provider_tax_id or "",
            s.provider_taxonomy or "",
            s.modifiers,
            f"claim {s.claim_id}",
        )


def _session_index(claim: Claim, context: Context, tables: ImportedTables, starter: Starter) -> _Index:
    """The member's surgeries judged earlier in this run, brought up to date with what is new."""
    indexes: dict[tuple[str, str], _Index] = context.session.plugin_state.setdefault(_STATE_KEY, {})
    key = (context.payer.id, claim.member_key)
    index = indexes.get(key)
    if index is None:
        index = indexes[key] = _Index()
    new = context.session.services_since(context.payer.id, claim.member_key, index.seen)
    if new:
        index.seen += len(new)
        for surgery in _from_history(new, tables, starter):
            index.add(surgery)
    return index


def global_surgery(
    claim: Claim, context: Context, tables: ImportedTables, starter: Starter
) -> Iterator[Finding]:
    lines = claim.lines
    visits: list[int] = []
    on_claim: list[tuple[int, _Surgery]] = []
    billing_tax_id = claim.billing_provider.tax_id or ""
    for n, line in enumerate(lines, 1):
        if is_evaluation_and_management(line.procedure):
            visits.append(n)
            continue
        days = POST_OPERATIVE_DAYS.get(
            global_days(line.procedure, context.rules_date(line.service_date), tables, starter)
        )
        if days is not None and "78" not in line.modifiers:
            rendering = claim.rendering_for(line)
            on_claim.append(
                (
                    n,
                    _Surgery(
                        line.service_date,
                        days,
                        line.procedure,
                        rendering.npi,
                        billing_tax_id,
                        rendering.taxonomy or "",
                        line.modifiers,
                        f"line {n} of this claim",
                    ),
                )
            )
    if not visits and not on_claim:
        return
    indexes = [_session_index(claim, context, tables, starter)]
    if claim.history:
        from_claim = _Index()
        for surgery in _from_history(claim.history, tables, starter):
            from_claim.add(surgery)
        indexes.append(from_claim)
    here = _Index()
    for _, surgery in on_claim:
        here.add(surgery)
    indexes.append(here)
    for n in visits:
        line = lines[n - 1]
        found = _visit_in_package(line, claim, billing_tax_id, indexes)
        if found is not None:
            code, surgery = found
            yield finding(code, _visit_message(n, line, surgery, code), line=n)
    for n, surgery in on_claim:
        line = lines[n - 1]
        if {"58", "78", "79"}.intersection(line.modifiers):
            continue
        earlier = _earlier_package(line, surgery, indexes)
        if earlier is not None:
            yield finding(
                "MCR622",
                f"line {n}: {line.procedure} on {line.service_date} falls in the {earlier.days}-day "
                f"post-operative period of {earlier.procedure} on {earlier.day} ({earlier.where}) by "
                "the same surgeon, without modifier 58, 78 or 79",
                line=n,
            )


def _same_surgeon(surgery: _Surgery, npi: str, tax_id: str, taxonomy: str) -> bool:
    if surgery.npi and surgery.npi == npi:
        return True
    same_group = bool(surgery.tax_id) and surgery.tax_id == tax_id
    return same_group and bool(taxonomy) and surgery.taxonomy == taxonomy


def _visit_in_package(
    line: ServiceLine, claim: Claim, tax_id: str, indexes: list[_Index]
) -> tuple[str, _Surgery] | None:
    day = line.service_date
    modifiers = line.modifiers
    if "FT" in modifiers:
        return None
    rendering = claim.rendering_for(line)
    npi, taxonomy = rendering.npi, rendering.taxonomy or ""
    for index in indexes:
        if not index.dates:
            continue
        for surgery in index.between(day - _LONGEST, day + _ONE_DAY):
            if not _same_surgeon(surgery, npi, tax_id, taxonomy):
                continue
            if surgery.day == day or (surgery.days == 90 and surgery.day == day + _ONE_DAY):
                separate = "57" if surgery.days == 90 else "25"
                if separate not in modifiers and surgery.keeps_pre_operative_care:
                    return "MCR620", surgery
            elif (
                surgery.day < day <= surgery.day + dt.timedelta(days=surgery.days)
                and surgery.keeps_post_operative_care
                and "24" not in modifiers
            ):
                return "MCR621", surgery
    return None


def _visit_message(n: int, line: ServiceLine, surgery: _Surgery, code: str) -> str:
    if code == "MCR620":
        when = "the day before" if surgery.day > line.service_date else "the day of"
        wanted = "57 (decision for surgery)" if surgery.days == 90 else "25"
        return (
            f"line {n}: {line.procedure} on {line.service_date} is {when} {surgery.procedure} "
            f"({surgery.where}, global {surgery.days:03d}) by the same surgeon; pre-operative visits "
            f"are in the surgical package (modifier {wanted} or FT separates a visit)"
        )
    return (
        f"line {n}: {line.procedure} on {line.service_date} is in the {surgery.days}-day "
        f"post-operative period of {surgery.procedure} on {surgery.day} ({surgery.where}) by the "
        "same surgeon; post-operative visits are in the surgical package (modifier 24 or FT "
        "separates an unrelated visit)"
    )


def _earlier_package(line: ServiceLine, this: _Surgery, indexes: list[_Index]) -> _Surgery | None:
    day = line.service_date
    for index in indexes:
        if not index.dates:
            continue
        for surgery in index.between(day - _LONGEST, day - _ONE_DAY):
            if (
                surgery.days
                and day <= surgery.day + dt.timedelta(days=surgery.days)
                and surgery.keeps_post_operative_care
                and _same_surgeon(surgery, this.npi, this.tax_id, this.taxonomy)
            ):
                return surgery
    return None


#: Modifier -> the shares of the global package it is paid.
_SPLIT = {"54": ("pre_op", "intra_op"), "55": ("post_op",), "56": ("pre_op",)}


def split_care_share(row: FeeRow, modifiers: tuple[str, ...]) -> tuple[Decimal, str] | str | None:
    """The share of the fee a split-care line is paid, with its explanation; a ``str`` alone
    says why the code cannot be split (MCR623); ``None``: no split-care modifier."""
    parts: set[str] = set()
    for modifier in modifiers:
        parts.update(_SPLIT.get(modifier, ()))
    if not parts:
        if "78" in modifiers and row.intra_op:
            return row.intra_op, f"modifier 78: INTRA OP share {row.intra_op * 100:.0f}%"
        return None
    named = "/".join(m for m in modifiers if m in _SPLIT)
    shares = {"pre_op": row.pre_op, "intra_op": row.intra_op, "post_op": row.post_op}
    if row.global_days not in ("010", "090") or any(shares[p] is None for p in parts):
        return (
            f"modifier {named} on {row.code}, whose global period is {row.global_days}: split care "
            "applies only to codes with a 010 or 090 global period and PRE / INTRA / POST OP shares"
        )
    share = sum((shares[p] or Decimal(0) for p in parts), Decimal(0))
    order = ("pre_op", "intra_op", "post_op")
    labels = " + ".join(p.replace("_op", " op").upper() for p in order if p in parts)
    return share, f"modifier {named}: {labels} share {share * 100:.0f}%"
