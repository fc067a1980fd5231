"""Element values: dates, periods, amounts and procedure code systems, each refused by name."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import attrs

from payer_rules.errors import echo
from payer_rules.models import Claim, CodeSystem
from payer_rules.money import check_amount, check_units

__all__ = ["checked", "code_system_of", "parse_amount", "parse_date", "parse_period"]

_CLAIM_FIELDS = attrs.fields_dict(Claim)


def checked(name: str, value: str | None) -> str | None:
    """``value`` for the Claim field ``name``, refused here (at its segment) if the model would refuse it."""
    field = _CLAIM_FIELDS[name]
    if value is not None and field.validator is not None:
        field.validator(None, field, value)
    return value


def parse_date(value: str) -> dt.date:
    known = _DATES.get(value)
    if known is not None:
        return known
    if len(value) != 8 or not value.isdigit():
        raise ValueError(f"expected a date as CCYYMMDD, got {value!r}")
    try:
        day = dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise ValueError(f"{value!r} is not a real date; expected CCYYMMDD") from None
    if len(_DATES) >= _MEMO_SIZE:
        _DATES.clear()
    _DATES[value] = day
    return day


def parse_period(qualifier: str, value: str) -> tuple[dt.date, dt.date | None]:
    if qualifier == "D8":
        return parse_date(value), None
    if qualifier == "RD8":
        start, sep, end = value.partition("-")
        if not sep:
            raise ValueError(f"expected a range as CCYYMMDD-CCYYMMDD (RD8), got {value!r}")
        first, last = parse_date(start), parse_date(end)
        if last < first:
            raise ValueError(f"the range {value!r} ends before it starts")
        return first, (last if last != first else None)
    if qualifier == "DT":
        return parse_date(value[:8]), None
    raise ValueError(f"date format qualifier {qualifier!r} is not D8, RD8 or DT")


#: An X12 decimal number (R): an optional minus, digits and at most one decimal point; no
#: exponent, no plus, no spaces.
_R = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")
#: The most digits an R element holds (X12 counts neither the sign nor the decimal point).
R_DIGITS = 18


def parse_amount(value: str, what: str, *, money: bool = True) -> Decimal:
    """An R element as a Decimal: its X12 form first, then (``money``) the engine's amount limits.

    Refused at the segment, naming the limit: ``1E23`` (X12 has no exponent), more than 18
    digits, an amount beyond :data:`~payer_rules.money.MAX_AMOUNT` or with a fraction of a cent
    (issue 19). ``money=False`` for quantities (units), which may have more decimals.
    """
    memo = _AMOUNTS if money else _QUANTITIES
    known = memo.get(value)
    if known is not None:
        return known
    if not _R.fullmatch(value):
        raise ValueError(f"{what} {echo(value)} is not a number; expected an X12 number such as 125.00")
    digits = len(value) - value.count(".") - value.count("-")  # the pattern allows nothing else
    if digits > R_DIGITS:
        raise ValueError(f"{what} has {digits} digits; X12 allows at most {R_DIGITS}")
    amount = Decimal(value)
    amount = check_amount(amount, what) if money else check_units(amount, what)
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[value] = amount
    return amount


#: Element texts already read as amounts, quantities and dates: a file repeats the same charges,
#: units and dates claim after claim (Decimals and dates are immutable, so one can be shared).
#: Each is emptied past the size.
_AMOUNTS: dict[str, Decimal] = {}
_QUANTITIES: dict[str, Decimal] = {}
_DATES: dict[str, dt.date] = {}
_MEMO_SIZE = 20_000


def code_system_of(qualifier: str, code: str) -> CodeSystem:
    if (
        qualifier == "HC"
        and len(code) == 5
        and code[:4].isdigit()
        and (code[4].isdigit() or code[4] in "FTU")
    ):
        return CodeSystem.CPT
    return CodeSystem.HCPCS
