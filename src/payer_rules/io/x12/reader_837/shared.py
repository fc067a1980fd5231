"""Records equal to one already read are that record again.

Claim after claim of a file repeats its billing provider, members, addresses, diagnoses and
service lines. The records are frozen, so an equal one can be shared, and its converters and
validators then run once per distinct value instead of once per claim. Keys hold the values a
record is made from (amounts by their text, so ``150`` and ``150.00`` stay apart); a record
that fails validation is not kept, so the same bad value fails again where it is read.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

__all__ = ["shared"]

T = TypeVar("T")

_MADE: dict[Hashable, object] = {}
#: Records kept at most; past this the memo starts again (a file of distinct members and dates).
_MAX = 50_000


def shared(key: Hashable, make: Callable[..., T], *args: object) -> T:
    """The record ``make(*args)`` made for ``key`` before, else a new one (thread-safe: at worst
    two equal records are made)."""
    record = _MADE.get(key)
    if record is None:
        record = make(*args)
        if len(_MADE) >= _MAX:
            _MADE.clear()
        _MADE[key] = record
    return record  # type: ignore[return-value]
