"""State definitions: ``states/<xx>/state.toml`` read into typed records, with located errors.

A state folder holds ``state.toml`` (who the payer is, its timely-filing clock, its copay
schedule, exemptions, cost-sharing cap and state-defined modifiers, each with its source) and
``rulepacks/*.toml`` (fee schedule, prior authorization ...), which the built-in rulepack plugin
serves like any other pack. The folders are found at start-up under this package's ``states/``
and under every directory in ``PAYER_RULES_MEDICAID_STATES``: a fifth state is a new folder.

The file is read with the rulepack converter (``forbid_extra_keys``, strict types), so a typo
such as ``ammount`` is one located line: ``state.toml:31: [[copays]]: unknown key 'ammount'
(did you mean 'amount'?) ... @ copays[1].ammount``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path

from attrs import field, frozen
from attrs.validators import in_

from payer_rules.claim_kinds import ClaimKind
from payer_rules.payers import KindHint
from payer_rules.rulepack.kinds.base import CodeSet, code_problem
from payer_rules.rulepack.positions import Positions, syntax_location
from payer_rules.rulepack.problems import Problem, RulepackError
from payer_rules.rulepack.schema import rulepack_converter, structure
from payer_rules_medicaid import STATES_ENV

__all__ = [
    "BUILTIN_STATES",
    "Copay",
    "CostSharing",
    "FilingClock",
    "InstitutionalMethod",
    "Reduction",
    "StateDef",
    "StateInfo",
    "TimelyFiling",
    "discover_states",
    "load_state",
    "state_dirs",
]

BUILTIN_STATES = Path(__file__).parent / "states"
STATE_FILE = "state.toml"


class FilingClock(StrEnum):
    """Where a state's filing limit counts from."""

    DATE_OF_SERVICE = "date-of-service"  # the (last) date of service
    MONTH_OF_SERVICE = "month-of-service"  # the end of the month of service (Medi-Cal)


@frozen(kw_only=True)
class StateInfo:
    """``[state]``: the payer the state's program is."""

    payer_id: str
    name: str
    state: str
    source: str
    description: str = ""


@frozen(kw_only=True)
class Reduction:
    """A late claim still paid, reduced by ``percent``, when received within ``through_months``."""

    through_months: int
    percent: Decimal


@frozen(kw_only=True)
class TimelyFiling:
    """``[timely_filing]``: give ``days`` or ``months``; ``reductions`` extend the limit at a cut."""

    citation: str
    days: int | None = None
    months: int | None = None
    count_from: FilingClock = FilingClock.DATE_OF_SERVICE
    reductions: tuple[Reduction, ...] = ()
    #: Other (non-Medicare) coverage paid or denied first: the claim is also timely within this
    #: many months of that payer's payment date (the claim's other-coverage ``paid_date``).
    after_other_payment_months: int | None = None
    #: Medicare crossovers: timely within this many months of the date of service ...
    medicare_crossover_months: int | None = None
    #: ... or within this many months of Medicare's adjudication, whichever is later.
    after_medicare_months: int | None = None
    note: str = ""


@frozen(kw_only=True)
class Copay:
    """One ``[[copays]]`` row: a nominal copay for a category of services, by date of service.

    ``per = "visit"`` charges it once per claim, category and date of service; ``"line"`` on
    every line of the category.
    """

    category: str
    amount: Decimal
    procedures: tuple[str, ...]
    citation: str
    places_of_service: tuple[str, ...] = ()
    per: str = "visit"
    #: Whether the program's payment is reduced by the copay (most states; Medi-Cal pays the
    #: provider in full and the copay is collected on top, W&I Code §14134(a)(4)).
    reduces_payment: bool = True
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    note: str = ""

    def active_on(self, day: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )


@frozen(kw_only=True)
class CostSharing:
    """``[cost_sharing]``: who is exempt beyond the federal list, and the income cap.

    Args:
        exempt_under_age: members younger than this pay no copay (federal floor 18; states
            extend it to 19, 20 or 21).
        cap_percent: aggregate cost sharing is capped at this percent of family income
            (42 CFR 447.56(f): 5), for the family income given on the claim.
        cap_period: ``month`` or ``quarter``, the period the state applies the cap over.
        no_copay_when_payment_at_most: no copay when the program's payment is this or less.
        institutional_places_of_service: places of service whose residents are exempt
            (institutionalized members), beside the federal 31 / 32 / 33 / 54.
    """

    citation: str
    exempt_under_age: int = 18
    cap_percent: Decimal = Decimal(5)
    cap_period: str = "quarter"
    no_copay_when_payment_at_most: Decimal | None = None
    institutional_places_of_service: tuple[str, ...] = ()
    #: A state's own yearly copay maximum per member (New York: $200), over a benefit year that
    #: starts on ``year_starts`` (``MM-DD``; New York: ``04-01``).
    annual_max: Decimal | None = None
    year_starts: str = "01-01"
    note: str = ""

    def benefit_year(self, day: dt.date) -> str:
        """The benefit year ``day`` falls in, named by its first day: ``2026-04-01``."""
        month, first = (int(part) for part in self.year_starts.split("-"))
        year = day.year if (day.month, day.day) >= (month, first) else day.year - 1
        return f"{year}-{month:02d}-{first:02d}"


@frozen(kw_only=True)
class StateModifier:
    """A state-defined HCPCS modifier (U1-UD and others the state assigns)."""

    code: str
    meaning: str
    citation: str


@frozen(kw_only=True)
class FeeSource:
    """``[fees]``: where the state publishes its fee schedule, for the message a line gets when
    no fee pack for the state is loaded (the state's fees are data: a ``fee-schedule`` or
    ``percent-of-reference`` pack in the state's ``rulepacks`` or on ``PAYER_RULES_PATH``)."""

    published: str
    note: str = ""


@frozen(kw_only=True)
class InstitutionalMethod:
    """One ``[[institutional]]`` row: how the state pays a kind of facility claim.

    Nothing here prices: the row names the state's method so a claim of that kind pends (ENG005)
    saying what the state would do and what would price it, until a fee pack models it.

    Args:
        kind: a claim kind (``inpatient``, ``outpatient-hospital``, ``snf`` ...).
        method: the state's named method (``APR-DRG per discharge``, ``EAPG``).
        citation: where the state sets it (statute, rule, manual page).
        remedy: what would price it; by default a fee pack with the method's weights and rates.
        note: what could not be confirmed.
    """

    kind: str
    method: str
    citation: str
    remedy: str = ""
    note: str = ""


@frozen(kw_only=True)
class Crossover:
    """``[crossover]``: what the state pays on a Medicare crossover (:mod:`payer_rules_medicaid.crossover`).

    Args:
        method: ``lesser-of`` (the Medicare cost sharing, at most the Medicaid rate less Medicare's
            payment), ``full-cost-sharing`` (the whole Medicare deductible and coinsurance) or
            ``lesser-of-coinsurance`` (the whole deductible; the coinsurance lesser-of).
        bill_members: ``false`` where state rules forbid billing any dual eligible for it.
        citation: where the state sets it.
        note: what could not be confirmed.
    """

    method: str = field(
        default="lesser-of", validator=in_(("lesser-of", "full-cost-sharing", "lesser-of-coinsurance"))
    )
    #: Whether a dual eligible who is not a QMB may be billed the cost sharing Medicaid leaves.
    bill_members: bool = True
    citation: str = "42 U.S.C. 1396a(n)(2) (federal default: a state may limit its payment to its own rate)"
    note: str = "The state's own crossover policy was not verified; the federal lesser-of rule is assumed."


@frozen(kw_only=True)
class StateDef:
    """One state's program: everything in its ``state.toml``."""

    state: StateInfo
    timely_filing: TimelyFiling
    cost_sharing: CostSharing
    fees: FeeSource | None = None
    copays: tuple[Copay, ...] = ()
    modifiers: tuple[StateModifier, ...] = ()
    institutional: tuple[InstitutionalMethod, ...] = ()
    crossover: Crossover = Crossover()
    #: set by the loader: the folder the definition came from and its rulepacks
    directory: Path = field(default=Path(), eq=False)

    @property
    def payer_id(self) -> str:
        return self.state.payer_id

    def kind_hints(self) -> tuple[KindHint, ...]:
        """The ``[[institutional]]`` rows as the payer's hints for the kinds it does not price."""
        return tuple(
            KindHint(
                kind=row.kind,
                method=f"{self.state.name}: {row.method}",
                remedy=row.remedy
                or f"a fee pack that models this method for {self.state.name} (none is loaded; "
                "payer-rules-medicaid prices professional claims only so far)",
                citation=row.citation,
            )
            for row in self.institutional
        )

    @property
    def packs(self) -> tuple[Path, ...]:
        return tuple(sorted((self.directory / "rulepacks").glob("*.toml")))

    def copays_on(self, day: dt.date) -> Iterator[tuple[Copay, CodeSet]]:
        for copay in self.copays:
            if copay.active_on(day):
                yield copay, _code_set(copay.procedures)


@cache
def _code_set(patterns: tuple[str, ...]) -> CodeSet:
    return CodeSet(patterns)


_TOP = ("state", "fees", "timely_filing", "cost_sharing", "copays", "modifiers", "institutional", "crossover")
_CONVERTER = rulepack_converter()
_CONVERTER.register_structure_hook(Path, lambda value, _type: Path(value))


def _lint(state: StateDef) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """Semantic checks: ``(path, subject, message)``."""
    payer = state.state.payer_id
    if not payer.startswith("medicaid-") or payer != payer.strip().lower() or " " in payer:
        yield ("state", "payer_id"), "[state]", f"payer_id must look like 'medicaid-xx', got {payer!r}"
    tf = state.timely_filing
    if (tf.days is None) == (tf.months is None):
        yield ("timely_filing",), "[timely_filing]", "give exactly one of 'days' or 'months'"
    if tf.days is not None and tf.count_from is FilingClock.MONTH_OF_SERVICE:
        yield (
            ("timely_filing", "count_from"),
            "[timely_filing]",
            "month-of-service counts 'months', not 'days'",
        )
    for name in ("after_other_payment_months", "medicare_crossover_months", "after_medicare_months"):
        value = getattr(tf, name)
        if value is not None and value <= 0:
            yield ("timely_filing", name), "[timely_filing]", f"{name} must be a positive number of months"
    limit = tf.months or 0
    for i, r in enumerate(tf.reductions):
        if tf.months is None:
            yield ("timely_filing", "reductions", i), "[timely_filing]", "reductions need a limit in 'months'"
        elif r.through_months <= limit:
            yield (
                ("timely_filing", "reductions", i, "through_months"),
                "[timely_filing]",
                f"through_months {r.through_months} must be after the limit ({limit}) and the previous tier",
            )
        if not Decimal(0) < r.percent < Decimal(100):
            yield (
                ("timely_filing", "reductions", i, "percent"),
                "[timely_filing]",
                f"percent must be between 0 and 100, got {r.percent}",
            )
        limit = max(limit, r.through_months)
    cs = state.cost_sharing
    if cs.cap_period not in ("month", "quarter"):
        yield (
            ("cost_sharing", "cap_period"),
            "[cost_sharing]",
            f"cap_period is 'month' or 'quarter', got {cs.cap_period!r}",
        )
    try:
        month, day = (int(part) for part in cs.year_starts.split("-"))
        dt.date(2000, month, day)
    except ValueError:
        message = f"year_starts is MM-DD, got {cs.year_starts!r}"
        yield ("cost_sharing", "year_starts"), "[cost_sharing]", message
    if cs.annual_max is not None and cs.annual_max <= 0:
        message = f"annual_max must be positive, got {cs.annual_max}"
        yield ("cost_sharing", "annual_max"), "[cost_sharing]", message
    if not 0 <= cs.exempt_under_age <= 21:
        yield ("cost_sharing", "exempt_under_age"), "[cost_sharing]", "exempt_under_age is 0 to 21"
    for i, c in enumerate(state.copays):
        subject = f"copays[{i}] ({c.category})"
        if c.amount < 0:
            yield ("copays", i, "amount"), subject, f"amount must not be negative, got {c.amount}"
        if c.per not in ("visit", "line"):
            yield ("copays", i, "per"), subject, f"per is 'visit' or 'line', got {c.per!r}"
        if not c.procedures:
            yield ("copays", i, "procedures"), subject, "list at least one procedure code"
        for j, code in enumerate(c.procedures):
            problem = code_problem(code)
            if problem:
                yield ("copays", i, "procedures", j), subject, problem
        if c.effective_from and c.effective_to and c.effective_to < c.effective_from:
            yield ("copays", i, "effective_to"), subject, "effective_to is before effective_from"
    kinds = {k.value for k in ClaimKind}
    seen: set[str] = set()
    for i, row in enumerate(state.institutional):
        if row.kind not in kinds:
            import difflib  # only for a mistake: slow to import at every start

            close = difflib.get_close_matches(row.kind, sorted(kinds), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"kind {row.kind!r} is not a claim kind{hint} (one of: {', '.join(sorted(kinds))})"
            yield ("institutional", i, "kind"), "[[institutional]]", message
        elif row.kind in seen:
            yield ("institutional", i, "kind"), "[[institutional]]", f"kind {row.kind!r} is given twice"
        seen.add(row.kind)
    for i, m in enumerate(state.modifiers):
        if len(m.code) != 2 or not m.code.isalnum() or m.code != m.code.upper():
            yield (
                ("modifiers", i, "code"),
                "[[modifiers]]",
                f"a modifier is two upper-case letters or digits, got {m.code!r}",
            )


def load_state(directory: Path) -> StateDef:
    """Read ``directory/state.toml``.

    :raises RulepackError: every problem, each ``file:line: SUBJECT: message``.
    """
    path = directory / STATE_FILE
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulepackError.single(file, "file", f"cannot read: {exc.strerror or exc}") from None
    try:
        doc = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        line, column, message = syntax_location(exc)
        problem = Problem(
            file=file, line=line, column=column, subject="TOML", message=f"invalid TOML: {message}"
        )
        raise RulepackError([problem]) from None
    positions = Positions(text)
    problems: list[Problem] = []
    for key in doc:
        if key not in _TOP:
            problems.append(
                Problem(
                    file=file,
                    line=positions.line((key,)),
                    subject=f"[{key}]",
                    message=f"unknown table {key!r}; a state definition has: {', '.join(_TOP)}",
                )
            )
    known = {k: v for k, v in doc.items() if k in _TOP}
    state, found = structure(_CONVERTER, known, StateDef, ())
    for p in found:
        where = ".".join(str(x) if isinstance(x, str) else f"[{x}]" for x in p.path).replace(".[", "[")
        subject = f"[{p.path[0]}]" if p.path else "state"
        problems.append(
            Problem(file=file, line=positions.line(p.path), subject=subject, message=f"{p.message} @ {where}")
        )
    if state is not None:
        for at, subject, message in _lint(state):
            problems.append(Problem(file=file, line=positions.line(at), subject=subject, message=message))
    if problems:
        raise RulepackError(problems)
    assert state is not None
    return StateDef(
        state=state.state,
        timely_filing=state.timely_filing,
        cost_sharing=state.cost_sharing,
        fees=state.fees,
        copays=state.copays,
        modifiers=state.modifiers,
        institutional=state.institutional,
        crossover=state.crossover,
        directory=directory,
    )


def state_dirs() -> tuple[Path, ...]:
    """The roots holding state folders: the shipped ``states/`` and ``PAYER_RULES_MEDICAID_STATES``."""
    extra = [Path(p) for p in os.environ.get(STATES_ENV, "").split(os.pathsep) if p.strip()]
    return (BUILTIN_STATES, *extra)


def discover_states(roots: Iterable[Path] | None = None) -> Mapping[str, StateDef]:
    """Every state under ``roots`` (default :func:`state_dirs`), by payer id.

    :raises RulepackError: a definition that does not load, or one payer id defined twice.
    """
    return _discover(tuple(roots) if roots is not None else state_dirs())


@cache
def _discover(roots: tuple[Path, ...]) -> Mapping[str, StateDef]:
    states: dict[str, StateDef] = {}
    problems: list[Problem] = []
    for root in roots:
        if not root.is_dir():
            problems.append(
                Problem(file=str(root), line=None, subject=STATES_ENV, message="no such directory of states")
            )
            continue
        for folder in sorted(p for p in root.iterdir() if (p / STATE_FILE).is_file()):
            try:
                state = load_state(folder)
            except RulepackError as exc:
                problems += exc.problems
                continue
            if state.payer_id in states:
                problems.append(
                    Problem(
                        file=str(folder / STATE_FILE),
                        line=None,
                        subject="[state]",
                        message=(
                            f"payer {state.payer_id!r} is already defined by "
                            f"{states[state.payer_id].directory / STATE_FILE}"
                        ),
                    )
                )
                continue
            states[state.payer_id] = state
    if problems:
        raise RulepackError(problems)
    return dict(sorted(states.items()))


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the last day of a shorter month)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def end_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
