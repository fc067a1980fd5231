"""What the imported ASC addenda say on a date of service.

The release in force on a day is the latest imported quarter of that calendar year that began
on or before it (the addenda are cumulative: each quarter's files list every code).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

from attrs import frozen

__all__ = ["AscRate", "Release", "excluded", "rate", "release_for"]


@frozen
class Release:
    effective_from: str
    label: str
    addenda: frozenset[str]


@frozen(kw_only=True)
class AscRate:
    """One AA or BB row, with FF's device portion for AA codes."""

    code: str
    addendum: str
    indicator: str
    #: AA's "subject to multiple procedure discounting" is Y.
    discounted: bool
    rate: Decimal | None
    device_portion: Decimal | None
    marker: str
    #: BB's inflation-adjusted copayment (Inflation Reduction Act): the coinsurance per unit
    #: when it is less than 20% of the rate.
    ira_copay: Decimal | None = None


#: Answers already read, keyed by the connection object itself (a strong reference, so a closed
#: database's answers are never mistaken for a new one's) and the question: a batch asks the same
#: few quarters and codes over and over.
_RELEASES: dict[tuple[sqlite3.Connection, dt.date], Release] = {}
_RATES: dict[tuple[sqlite3.Connection, str, str], AscRate | None] = {}
_CACHE_MAX = 100_000


def release_for(conn: sqlite3.Connection | None, day: dt.date) -> Release | None:
    if conn is None:
        return None
    key = (conn, day)
    if key in _RELEASES:
        return _RELEASES[key]
    found = _release_for(conn, day)
    if found is not None:  # a quarter not imported yet may be imported any moment
        if len(_RELEASES) >= _CACHE_MAX:
            _RELEASES.clear()
        _RELEASES[key] = found
    return found


def _release_for(conn: sqlite3.Connection, day: dt.date) -> Release | None:
    try:
        found = conn.execute(
            "SELECT effective_from, label, addenda FROM releases WHERE year = ? AND effective_from <= ? "
            "ORDER BY effective_from DESC LIMIT 1",
            (day.year, day.isoformat()),
        ).fetchone()
    except sqlite3.OperationalError:  # only wage index records imported
        return None
    if found is None:
        return None
    return Release(effective_from=found[0], label=found[1], addenda=frozenset(found[2].split(",")))


def rate(conn: sqlite3.Connection, release: Release, code: str) -> AscRate | None:
    key = (conn, release.effective_from, code)
    if key in _RATES:
        return _RATES[key]
    found = _rate(conn, release, code)
    if len(_RATES) >= _CACHE_MAX:
        _RATES.clear()
    _RATES[key] = found
    return found


def _rate(conn: sqlite3.Connection, release: Release, code: str) -> AscRate | None:
    try:
        found = conn.execute(
            "SELECT addendum, indicator, discounted, rate, device_portion, marker, ira_copay FROM rates "
            "WHERE effective_from = ? AND code = ?",
            (release.effective_from, code),
        ).fetchone()
    except sqlite3.OperationalError:  # imported before the IRA column was kept: import again
        found = conn.execute(
            "SELECT addendum, indicator, discounted, rate, device_portion, marker, NULL FROM rates "
            "WHERE effective_from = ? AND code = ?",
            (release.effective_from, code),
        ).fetchone()
    if found is None:
        return None
    return AscRate(
        code=code,
        addendum=found[0],
        indicator=found[1],
        discounted=found[2] == "Y",
        rate=Decimal(found[3]) if found[3] else None,
        device_portion=Decimal(found[4]) if found[4] else None,
        marker=found[5] or "",
        ira_copay=Decimal(found[6]) if found[6] else None,
    )


def excluded(conn: sqlite3.Connection, release: Release, code: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM excluded WHERE effective_from = ? AND code = ?", (release.effective_from, code)
        ).fetchone()
        is not None
    )
