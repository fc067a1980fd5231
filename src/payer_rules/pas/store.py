"""Authorizations issued through Da Vinci PAS, kept in the data directory.

``authorizations.sqlite`` holds one row per certified service: the number, the payer, the
member, the providers it was requested for, the procedure, the authorized dates and units, and
where it came from; and, in ``authorization_units``, the units each adjudicated claim line used
of a service (:mod:`payer_rules.pas.usage`). ``payer-rules pas submit`` and
``POST /fhir/Claim/$submit`` write the authorizations; the engine reads them when a claim
quotes an authorization number (:mod:`payer_rules.pas.honour`), with two indexed queries per
claim that carries numbers (what was issued, what other claims used) and none for claims that
carry none.

Writes open the file per review; reads keep a read-only connection per thread (``_reader``),
which still sees authorizations another process issued a moment ago (the service and the CLI
share the directory).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from attrs import frozen

from payer_rules.store import data_dir

__all__ = ["AUTHORIZATIONS", "AuthorizedService", "issue_number", "lookup", "record_use", "save", "used"]

AUTHORIZATIONS = "authorizations.sqlite"
#: Crockford's base32 alphabet: no I, L, O or U, so a number read aloud or retyped stays itself.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@frozen(kw_only=True)
class AuthorizedService:
    """One certified service of a prior authorization.

    Args:
        number: the authorization number (``preAuthRef``; quoted on a claim as 837 REF*G1, FHIR
            ``Claim.insurance.preAuthRef`` or claim JSON ``prior_authorizations``).
        payer: the payer id it was issued for.
        member_id: the member (``Coverage`` subscriber / beneficiary id).
        npis: the providers it was requested for (billing and rendering NPIs); empty: any.
        procedure: CPT / HCPCS code.
        start, end: the authorized dates of service, inclusive.
        units: the units authorized.
        item: the PAS request's item sequence.
        request: the request Claim's id.
        issued: the date it was issued.
    """

    number: str
    payer: str
    member_id: str
    npis: tuple[str, ...]
    procedure: str
    start: dt.date
    end: dt.date
    units: Decimal
    item: int
    request: str
    issued: dt.date


def issue_number() -> str:
    """A new authorization number: ``PA`` and 12 random base32 characters (60 bits)."""
    return "PA" + "".join(secrets.choice(_ALPHABET) for _ in range(12))


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30)
    conn.execute(
        """CREATE TABLE IF NOT EXISTS authorizations (
            number TEXT NOT NULL, payer TEXT NOT NULL, member_id TEXT NOT NULL, npis TEXT NOT NULL,
            procedure TEXT NOT NULL, start TEXT NOT NULL, "end" TEXT NOT NULL, units TEXT NOT NULL,
            item INTEGER NOT NULL, request TEXT NOT NULL, issued TEXT NOT NULL,
            PRIMARY KEY (number, item))"""
    )
    conn.execute(_USE_TABLE)
    conn.execute(_USE_INDEX)
    return conn


#: Units of a certified service (number, item) used by one line of an adjudicated claim, by the
#: payer that judged it, the member (normalised as the authorization edit compares it) and the
#: claim id.
_USE_TABLE = """CREATE TABLE IF NOT EXISTS authorization_units (
    number TEXT NOT NULL, item INTEGER NOT NULL, payer TEXT NOT NULL, member_id TEXT NOT NULL,
    claim_id TEXT NOT NULL, line INTEGER NOT NULL, units TEXT NOT NULL,
    PRIMARY KEY (number, item, payer, member_id, claim_id, line))"""
_USE_INDEX = (
    "CREATE INDEX IF NOT EXISTS authorization_units_claim ON authorization_units (payer, member_id, claim_id)"
)


def save(services: Sequence[AuthorizedService], directory: Path | None = None) -> None:
    """Record the certified services of one review, in one transaction."""
    if not services:
        return
    conn = _connect((directory or data_dir()) / AUTHORIZATIONS)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO authorizations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        s.number,
                        s.payer,
                        s.member_id,
                        json.dumps(list(s.npis)),
                        s.procedure,
                        s.start.isoformat(),
                        s.end.isoformat(),
                        str(s.units),
                        s.item,
                        s.request,
                        s.issued.isoformat(),
                    )
                    for s in services
                ],
            )
    finally:
        conn.close()


_local = threading.local()


def _reader(path: Path) -> sqlite3.Connection:
    """A read-only connection to ``path``, kept per thread, process and file.

    Opening one costs about a millisecond, which a batch of claims quoting numbers would pay per
    claim. Each query outside a transaction reads the latest commit, so authorizations another
    process issues are seen at once; a file replaced (a new inode) gets a new connection.
    """
    stat = path.stat()
    key = (os.getpid(), str(path), stat.st_dev, stat.st_ino)
    held: dict[tuple[int, str, int, int], sqlite3.Connection] = getattr(_local, "held", {})
    _local.held = held
    conn = held.get(key)
    if conn is None:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        held[key] = conn
    return conn


def lookup(numbers: Iterable[str], directory: Path | None = None) -> dict[str, tuple[AuthorizedService, ...]]:
    """The services each of ``numbers`` certifies, for the numbers this engine issued (others are absent)."""
    wanted = sorted({n.strip().upper() for n in numbers if n.strip()})
    if not wanted:
        return {}
    path = (directory or data_dir(create=False)) / AUTHORIZATIONS
    try:
        conn = _reader(path)
    except FileNotFoundError:
        return {}
    rows = conn.execute(
        'SELECT number, payer, member_id, npis, procedure, start, "end", units, item, request, issued '
        f"FROM authorizations WHERE number IN ({', '.join('?' * len(wanted))}) ORDER BY number, item",
        wanted,
    ).fetchall()
    found: dict[str, list[AuthorizedService]] = {}
    for r in rows:
        found.setdefault(r[0], []).append(
            AuthorizedService(
                number=r[0],
                payer=r[1],
                member_id=r[2],
                npis=tuple(json.loads(r[3])),
                procedure=r[4],
                start=dt.date.fromisoformat(r[5]),
                end=dt.date.fromisoformat(r[6]),
                units=Decimal(r[7]),
                item=r[8],
                request=r[9],
                issued=dt.date.fromisoformat(r[10]),
            )
        )
    return {k: tuple(v) for k, v in found.items()}


def used(
    numbers: Iterable[str], directory: Path | None = None
) -> dict[tuple[str, int], dict[tuple[str, str, str], Decimal]]:
    """Units used of each service of ``numbers`` by earlier adjudicated claims: per (number, item),
    the units by (payer, member, claim id)."""
    wanted = sorted(set(numbers))
    path = (directory or data_dir(create=False)) / AUTHORIZATIONS
    if not wanted:
        return {}
    try:
        rows = (
            _reader(path)
            .execute(
                "SELECT number, item, payer, member_id, claim_id, units FROM authorization_units "
                f"WHERE number IN ({', '.join('?' * len(wanted))})",
                wanted,
            )
            .fetchall()
        )
    except (FileNotFoundError, sqlite3.OperationalError):  # no file, or one written before the table
        return {}
    found: dict[tuple[str, int], dict[tuple[str, str, str], Decimal]] = {}
    for number, item, payer, member, claim_id, units in rows:
        by_claim = found.setdefault((number, item), {})
        key = (payer, member, claim_id)
        by_claim[key] = by_claim.get(key, Decimal(0)) + Decimal(units)
    return found


def record_use(
    payer: str,
    member: str,
    superseded: Iterable[str],
    uses: Sequence[tuple[str, int, str, int, Decimal]],
    directory: Path | None = None,
) -> None:
    """Replace what the claims ``superseded`` (of ``member``, judged by ``payer``) used by
    ``uses``, in one transaction.

    :param uses: (number, item, claim id, line, units) per line that used a service.
    """
    path = (directory or data_dir(create=False)) / AUTHORIZATIONS
    ids = sorted(set(superseded))
    if not uses and not path.exists():
        return
    conn = _connect(path)
    try:
        with conn:
            marks = ", ".join("?" * len(ids))
            conn.execute(
                "DELETE FROM authorization_units WHERE payer = ? AND member_id = ? "
                f"AND claim_id IN ({marks})",
                [payer, member, *ids],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO authorization_units VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(n, item, payer, member, claim_id, line, str(u)) for n, item, claim_id, line, u in uses],
            )
    finally:
        conn.close()
