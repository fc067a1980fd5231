"""Multiple procedure payment reductions, by the MULT PROC indicator of each line's RVU record.

Lines are grouped by date of service and rendering provider; within a group each family is
ranked on its own (RVU25D.pdf, "Multiple Procedure (Modifier 51)"; Pub. 100-04 Ch. 12 §40.6):

=====  ==========================================================================================
1, 2   surgery: ranked by fee, 100% then 50% (indicator 1: 50%, then 25%) for the second to
       fifth procedure; the sixth and later are priced by report (pended)
3      endoscopy: within a family (same ENDO BASE) the highest endoscopy at 100% and each other
       one at its value less the base endoscopy's (the base itself, billed with its family, is
       not paid separately); the family's total then ranks as one procedure beside other
       surgery and families, as 1 and 2 do
4      diagnostic imaging, same session: the technical component of every service after the
       highest-priced TC at 50% (from 2010-07-01) and the professional component after the
       highest PC at 95% (from 2017-01-01; 75% in 2012-2016)
5      therapy: the unit with the highest practice-expense payment in full, the PE of every
       other unit at 50% (from 2013-04-01); work and malpractice are not reduced
6      diagnostic cardiovascular: the TC after the highest at 75% (from 2013-01-01)
7      diagnostic ophthalmology: the TC after the highest at 80% (from 2013-01-01)
0, 9   no reduction
=====  ==========================================================================================

Lines with a fractional number of units, and diagnostic services billed with 59 / XE (another
session), are not ranked. Each step rounds to the cent.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal

from attrs import frozen

from payer_rules.money import money
from payer_rules_medicare.mpfs.schedule import FeeRow

__all__ = ["LineFee", "Reduced", "reduce_lines"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HALF = Decimal("0.5")
_QUARTER = Decimal("0.25")
SURGICAL = frozenset({"1", "2", "3"})
#: MULT PROC of the diagnostic families: (the TC share after the first, in force from).
DIAGNOSTIC_TC = {
    "4": (_HALF, dt.date(2010, 7, 1)),
    "6": (Decimal("0.75"), dt.date(2013, 1, 1)),
    "7": (Decimal("0.80"), dt.date(2013, 1, 1)),
}
#: Professional component of diagnostic imaging after the first: (share, from, to).
IMAGING_PC = (
    (Decimal("0.75"), dt.date(2012, 1, 1), dt.date(2016, 12, 31)),
    (Decimal("0.95"), dt.date(2017, 1, 1), None),
)
THERAPY_PE = (_HALF, dt.date(2013, 4, 1))
#: Procedures after the fifth are priced by report (RVU25D.pdf, MULT PROC 2: "... 50% and by report").
BY_REPORT_AFTER = 5
#: Modifiers that put a diagnostic service in another session.
OTHER_SESSION = frozenset({"59", "XE"})


@frozen
class LineFee:
    """A line's fee for one unit after PC / TC rows and the bilateral adjustment.

    ``parts`` are the work, PE and MP shares of that fee in dollars (RVU x GPCI x CF, not yet
    rounded), for the therapy reduction.
    """

    line: int
    fee: Decimal
    row: FeeRow
    basis: tuple[str, ...]
    group: tuple[dt.date, str]
    units: Decimal
    modifiers: tuple[str, ...]
    parts: tuple[Decimal, Decimal, Decimal]


@frozen
class Reduced:
    """Every line's amount for all its units, its notes, and the lines priced by report."""

    amounts: dict[int, Decimal]
    notes: dict[int, list[str]]
    by_report: dict[int, str]


#: ``component(fee, modifier)``: the unit fee of the line's code with modifier 26 or TC.
Component = Callable[[LineFee, str], Decimal | None]
#: ``base(fee, code)``: the unit fee of another code (the base endoscopy) for the line's setting.
BaseFee = Callable[[LineFee, str], Decimal | None]


def reduce_lines(fees: Sequence[LineFee], component: Component, base: BaseFee) -> Reduced:
    """Every line's amount after the reductions of its MULT PROC family."""
    out = Reduced(amounts={}, notes=defaultdict(list), by_report={})
    groups: defaultdict[tuple[dt.date, str], list[LineFee]] = defaultdict(list)
    for f in fees:
        if f.row.mult_proc in {"0", "9"} or f.units != f.units.to_integral_value():
            out.amounts[f.line] = money(f.fee * f.units)
        else:
            groups[f.group].append(f)
    for members in groups.values():
        _surgery([f for f in members if f.row.mult_proc in SURGICAL], members, base, out)
        for indicator in DIAGNOSTIC_TC:
            family = [f for f in members if f.row.mult_proc == indicator]
            _diagnostic(indicator, family, component, out)
        _therapy([f for f in members if f.row.mult_proc == "5"], out)
        for f in members:
            out.amounts.setdefault(f.line, money(f.fee * f.units))
    return out


# -- surgery and endoscopy (1, 2, 3) -----------------------------------------------------------


@frozen
class _Procedure:
    value: Decimal
    members: tuple[tuple[int, Decimal], ...]
    indicator: str
    first_line: int


def _surgery(surgical: list[LineFee], members: list[LineFee], base: BaseFee, out: Reduced) -> None:
    if not surgical:
        return
    bases = {f.row.endo_base for f in surgical if f.row.mult_proc == "3" and f.row.endo_base}
    families: defaultdict[str, list[LineFee]] = defaultdict(list)
    procedures: list[_Procedure] = []
    for f in surgical:
        if f.row.mult_proc == "3" and f.row.endo_base:
            families[f.row.endo_base].append(f)
        elif f.row.code in bases and not f.row.modifier:
            families[f.row.code].append(f)  # the base endoscopy billed with its family
        else:
            for _ in range(int(f.units)):
                procedures.append(_Procedure(f.fee, ((f.line, f.fee),), f.row.mult_proc, f.line))
    for base_code, family in families.items():
        procedures.append(_family(base_code, family, base, out))
    if sum(len(p.members) for p in procedures) == 1 and len(procedures) == 1:
        return
    procedures.sort(key=lambda p: (-p.value, p.first_line))
    totals: defaultdict[int, Decimal] = defaultdict(Decimal)
    for rank, procedure in enumerate(procedures):
        if rank >= BY_REPORT_AFTER:
            for number, _ in procedure.members:
                out.by_report[number] = (
                    f"procedure ranked {rank + 1} of {len(procedures)} the same day: after the fifth, "
                    "multiple procedures are priced by report"
                )
            continue
        share = _surgery_share(rank, procedure.indicator)
        for number, amount in procedure.members:
            totals[number] += money(amount * share)
            if share != _ONE and len(procedures) > 1:
                note = f"multiple procedure: {share * 100:.0f}% (ranked {rank + 1} of {len(procedures)})"
                if note not in out.notes[number]:
                    out.notes[number].append(note)
    for number, total in totals.items():
        if number not in out.by_report:
            out.amounts[number] = total


def _surgery_share(rank: int, indicator: str) -> Decimal:
    if rank == 0:
        return _ONE
    if indicator == "1" and rank > 1:
        return _QUARTER
    return _HALF


def _family(base_code: str, family: list[LineFee], base: BaseFee, out: Reduced) -> _Procedure:
    """One endoscopy family as one procedure: the highest in full, each other its value less the base."""
    units = [f for f in family for _ in range(int(f.units))]
    units.sort(key=lambda f: (-f.fee, f.line))
    first_line = min(f.line for f in family)
    if len(units) == 1:
        return _Procedure(units[0].fee, ((units[0].line, units[0].fee),), "3", first_line)
    base_fee = next((f.fee for f in family if f.row.code == base_code), None)
    if base_fee is None:
        base_fee = base(units[0], base_code)
    members: list[tuple[int, Decimal]] = [(units[0].line, units[0].fee)]
    for f in units[1:]:
        if f.row.code == base_code:
            members.append((f.line, _ZERO))
            out.notes[f.line].append(f"base endoscopy {base_code} billed with its family: included, not paid")
        elif base_fee is None:
            members.append((f.line, f.fee))
            out.notes[f.line].append(
                f"endoscopy family {base_code}: the base's fee is not loaded, paid as a procedure"
            )
        else:
            value = max(_ZERO, f.fee - base_fee)
            members.append((f.line, value))
            out.notes[f.line].append(
                f"endoscopy family {base_code}: {f.fee} less the base endoscopy's {base_fee}"
            )
    return _Procedure(sum((m[1] for m in members), _ZERO), tuple(members), "3", first_line)


# -- diagnostic imaging, cardiovascular, ophthalmology (4, 6, 7) ------------------------------


def _diagnostic(indicator: str, family: list[LineFee], component: Component, out: Reduced) -> None:
    session = [f for f in family if not OTHER_SESSION.intersection(f.modifiers)]
    if sum(int(f.units) for f in session) < 2:
        return
    tc_share, tc_from = DIAGNOSTIC_TC[indicator]
    units: list[tuple[LineFee, Decimal, Decimal]] = []  # (line fee, PC, TC) per unit
    for f in session:
        if f.row.modifier == "26":
            pc, tc = f.fee, _ZERO
        elif f.row.modifier == "TC":
            pc, tc = _ZERO, f.fee
        else:
            pc_fee, tc_fee = component(f, "26"), component(f, "TC")
            if pc_fee is None or tc_fee is None:
                pc, tc = _ZERO, f.fee  # no component rows: the whole fee is technical
            else:
                pc, tc = pc_fee, tc_fee
        units.extend((f, pc, tc) for _ in range(int(f.units)))
    day = session[0].group[0]
    pc_share = _imaging_pc_share(day) if indicator == "4" else None
    tc_reduced = _after_first(units, 2, day >= tc_from)
    pc_reduced = _after_first(units, 1, pc_share is not None)
    totals: defaultdict[int, Decimal] = defaultdict(Decimal)
    reduced_lines: set[int] = set()
    for i, (f, pc, tc) in enumerate(units):
        if i not in tc_reduced and i not in pc_reduced:
            totals[f.line] += f.fee
            continue
        reduced_lines.add(f.line)
        pc_amount = money(pc * pc_share) if i in pc_reduced and pc_share is not None else pc
        tc_amount = money(tc * tc_share) if i in tc_reduced else tc
        totals[f.line] += pc_amount + tc_amount
        if i in tc_reduced and f"TC {tc_share * 100:.0f}%" not in " ".join(out.notes[f.line]):
            out.notes[f.line].append(
                f"multiple procedure (MULT PROC {indicator}): TC {tc_share * 100:.0f}% after the highest"
            )
        if i in pc_reduced and pc_share is not None and "PC " not in " ".join(out.notes[f.line]):
            out.notes[f.line].append(
                f"multiple procedure (MULT PROC 4): PC {pc_share * 100:.0f}% after the highest"
            )
    for number, total in totals.items():
        out.amounts[number] = total


def _note(notes: list[str], note: str) -> None:
    if note not in notes:
        notes.append(note)


def _imaging_pc_share(day: dt.date) -> Decimal | None:
    for share, start, end in IMAGING_PC:
        if start <= day and (end is None or day <= end):
            return share
    return None


def _after_first(units: list[tuple[LineFee, Decimal, Decimal]], part: int, applies: bool) -> set[int]:
    """Indexes of the units whose ``part`` (1 PC, 2 TC) is reduced: all but the highest one."""
    if not applies:
        return set()
    amounts = [u[1] if part == 1 else u[2] for u in units]
    having = [i for i, amount in enumerate(amounts) if amount > 0]
    if len(having) < 2:
        return set()
    having.sort(key=lambda i: (-amounts[i], units[i][0].line))
    return set(having[1:])


# -- therapy (5) -------------------------------------------------------------------------------


def _therapy(family: list[LineFee], out: Reduced) -> None:
    share, start = THERAPY_PE
    units = [f for f in family for _ in range(int(f.units))]
    if len(units) < 2 or units[0].group[0] < start:
        return
    units.sort(key=lambda f: (-f.parts[1], f.line))
    totals: defaultdict[int, Decimal] = defaultdict(Decimal)
    totals[units[0].line] += units[0].fee
    for f in units[1:]:
        work, pe, mp = f.parts
        totals[f.line] += money(work + pe * share + mp)
        note = f"therapy multiple procedure: PE {share * 100:.0f}% after the unit with the highest PE"
        if note not in out.notes[f.line]:
            out.notes[f.line].append(note)
    for number, total in totals.items():
        out.amounts[number] = total
