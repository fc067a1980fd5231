"""Decimal money helpers: cents, rounding the way remittances round, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_HUNDRED = Decimal(100)


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
