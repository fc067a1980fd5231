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


def release_for(conn: sqlite3.Connection | None, day: dt.date) -> Release | None:
    if conn is None:
        return None
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
    found = conn.execute(
        "SELECT addendum, indicator, discounted, rate, device_portion, marker FROM rates "
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
    )


def excluded(conn: sqlite3.Connection, release: Release, code: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM excluded WHERE effective_from = ? AND code = ?", (release.effective_from, code)
        ).fetchone()
        is not None
    )
