"""While rulepacks are built: one object per distinct value, and the cyclic collector paused.

A pack repeats its dates, code lists, CARCs, citations and messages rule after rule, and every
compiled rule would otherwise keep its own copy of each (``benchmarks/bench_rulepack_build.py``).
Inside :func:`building`, :func:`share` hands back the first equal value seen in this build;
outside it (a plugin filling an index at some other time) it hands back the value itself. The
table lives only as long as the build, per thread, so nothing stays alive once its rules are
dropped (``sys.intern`` would keep a slot per string in the interpreter's table for good).

The cyclic garbage collector is paused for the build too: a build allocates millions of
objects, none of them garbage in a cycle, and each full collection walks every one of them;
at 50,000 rules that was about half the build's time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar
from decimal import Decimal
from typing import Any, TypeVar, cast

from payer_rules.batch.collector import collection_paused

__all__ = ["building", "share", "share_str"]

T = TypeVar("T")

_TABLE: ContextVar[dict[Any, Any] | None] = ContextVar("payer_rules_rulepack_shared", default=None)


@contextlib.contextmanager
def building() -> Iterator[None]:
    """A build: values shared through :func:`share` and the collector paused until it ends
    (:func:`~payer_rules.batch.collector.collection_paused`; builds nest and may run in
    several threads at once)."""
    token = _TABLE.set({}) if _TABLE.get() is None else None
    try:
        with collection_paused():
            yield
    finally:
        if token is not None:
            _TABLE.reset(token)


def share(value: T) -> T:
    """The first value equal to ``value`` (and of its exact type) shared in this build.

    Only strings, dates, decimals and tuples of strings are shared; anything else comes back
    as given. A string is kept as a copy of the first one seen (:func:`share_str`). Decimals
    are told apart by their text: ``Decimal("4.0") == Decimal("4")`` but they print differently.
    """
    cls = type(value)
    if cls is str:
        return cast(T, share_str(cast(str, value)))
    table = _TABLE.get()
    if table is None:
        return value
    key: Any
    if cls is dt.date:
        key = value
    elif cls is tuple:
        if not all(type(item) is str for item in value):  # type: ignore[attr-defined]
            return value
        key = value
    elif cls is Decimal:
        key = (Decimal, str(value))
    else:
        return value
    found: T = table.setdefault(key, value)
    return found


def share_str(value: str) -> str:
    """:func:`share` for a string (the most frequent case, so its own path).

    The string kept is a copy of the first one seen: a parsed document's strings sit among the
    document's dicts and lists, which are freed once the pack is read, and one string kept in
    their memory would keep all of it (about 8 MB at 50,000 rules).
    """
    table = _TABLE.get()
    if table is None or type(value) is not str:
        return value
    kept: str | None = table.get(value)
    if kept is None:
        kept = "".join((value, ""))
        table[kept] = kept
    return kept
