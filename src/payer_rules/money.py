"""Decimal money helpers: cents, rounding the way remittances round, never float."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_HUNDRED = Decimal(100)

#: The largest amount (charge, payment, adjustment, income) a claim may carry, either sign. An
#: X12 R element holds at most 18 digits; twelve per amount leave room for the totals of a
#: 999-line claim and a batch's sums, so no total ever needs more digits than an 835 may carry.
MAX_AMOUNT = Decimal("9999999999.99")
#: The largest amount a result (computed, not read) may carry, either sign: 16 digits before the
#: point and 2 after, the most an X12 835 amount (R, 18 digits) and a ``decimal(18,2)`` column
#: hold. A rate times units, or a claim of many lines, can go beyond it; the engine then answers
#: that claim with an error (ENG027, :func:`payer_rules.engine.own_rules.amount_beyond`).
MAX_RESULT_AMOUNT = Decimal("9999999999999999.99")
#: The largest number of units (or quantity) on a line; a unit count times a rate stays far
#: inside Decimal's 28 digits.
MAX_UNITS = Decimal("99999999")


def check_amount(value: Decimal, what: str = "amount") -> Decimal:
    """``value`` if it is a whole number of cents within :data:`MAX_AMOUNT`, else ``ValueError``.

    Refused, never rounded: ``0.001`` would become a paid ``0.00`` and ``1E+400`` fails deep
    inside a payer (issue 19). The message names the limit.
    """
    if not value.is_finite():
        msg = f"{what} {value} is not a finite number; expected an amount such as 125.00"
        raise ValueError(msg)
    if abs(value) > MAX_AMOUNT:
        msg = (
            f"{what} {value:E} is out of range; amounts are at most {MAX_AMOUNT:,} "
            "(the totals must fit X12's 18-digit amounts)"
        )
        raise ValueError(msg)
    if value != value.quantize(CENT, ROUND_HALF_UP):
        msg = f"{what} {value} has a fraction of a cent; expected whole cents such as 125.00"
        raise ValueError(msg)
    return value


def check_units(value: Decimal, what: str = "units") -> Decimal:
    """``value`` if it is a finite number of units from 0 to :data:`MAX_UNITS`, else ``ValueError``."""
    if not value.is_finite() or not 0 <= value <= MAX_UNITS:
        msg = f"{what} {value} is out of range; expected a number of units from 0 to {MAX_UNITS:,}"
        raise ValueError(msg)
    return value


def check_charge(value: Decimal, what: str = "charge") -> Decimal:
    """A billed charge: an amount (:func:`check_amount`) that is not negative.

    A negative charge would make a negative allowed amount, which no payer pays (issue 19: it
    failed inside a commercial payer's benefits).
    """
    check_amount(value, what)
    if value < 0:
        msg = f"{what} {value} is negative; expected a charge of 0.00 or more"
        raise ValueError(msg)
    return value


def money(value: object) -> Decimal:
    """Round to the cent, half up, as CMS's payment files and 835s do.

    Floats are refused: by the time a float exists the cent may already be lost.
    """
    if type(value) is Decimal:
        return value.quantize(CENT, ROUND_HALF_UP)  # positional: half the cost of the keyword
    if isinstance(value, float):
        raise TypeError(f"money must not be a float ({value!r}); pass a str or Decimal")
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, ROUND_HALF_UP)


def split_percent(amount: Decimal, percent: Decimal) -> Decimal:
    """``percent`` % of ``amount``, rounded to the cent."""
    return money(amount * percent / _HUNDRED)


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` split in proportion to ``weights``, in cents that add up exactly.

    Largest remainder: each share is rounded down to the cent, and the cents left over go to
    the largest remainders (earlier lines first among equals). All-zero weights put the whole
    amount on the first line. A per-case payment is shared among a claim's lines by charge so.
    """
    if not weights:
        return []
    whole = sum(weights, ZERO)
    if whole <= 0:
        return [money(total)] + [ZERO] * (len(weights) - 1)
    cents = int((money(total) / CENT).to_integral_value())
    raw = [Decimal(cents) * w / whole for w in weights]
    floors = [int(r) for r in raw]
    left = cents - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(f) * CENT for f in floors]
