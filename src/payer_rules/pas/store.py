"""Authorizations issued through Da Vinci PAS, kept in the data directory.

``authorizations.sqlite`` holds one row per certified service: the number, the payer, the
member, the providers it was requested for, the procedure, the authorized dates and units, and
where it came from, and the patient it was issued for (name and date of birth); and, in
``authorization_units``, the units each adjudicated claim line used of a service, by payer,
member, patient and claim id (:mod:`payer_rules.pas.usage`). ``payer-rules pas submit`` and
``POST /fhir/Claim/$submit`` write the authorizations; the engine reads them when a claim
quotes an authorization number (:mod:`payer_rules.pas.honour`), with two indexed queries per
claim that carries numbers (what was issued, what other claims used) and none for claims that
carry none.

Writes open the file once per review, and once per run for the use its claims recorded
(:meth:`~payer_rules.pas.usage.AuthorizationLedger.flush`); reads keep a read-only connection
per thread (``_reader``), which still sees authorizations another process issued a moment ago
(the service and the CLI share the directory).

A file an earlier release wrote (no patient columns) is brought up to date by the first write
that opens it (:func:`_upgrade`, in one transaction): its authorizations name no patient and
its use rows have none (:data:`~payer_rules.pas.usage.UNKNOWN_PATIENT`). Reads take either
shape, so a read-only run before that write reads the old rows as they are.
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
from typing import TYPE_CHECKING

from attrs import frozen

from payer_rules.errors import PayerRulesError
from payer_rules.store import data_dir

if TYPE_CHECKING:
    from payer_rules.pas.usage import UseWrite

__all__ = ["AUTHORIZATIONS", "AuthorizedService", "issue_number", "lookup", "record_uses", "save", "used"]

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
        patient_last, patient_first, patient_birth: the patient it was issued for (the request's
            ``Claim.patient``), which a dependant sharing the subscriber's member id is told apart
            by; empty: the request named none, or the file was written before patients were
            kept, and any patient of the member matches.
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
    patient_last: str = ""
    patient_first: str = ""
    patient_birth: dt.date | None = None


def issue_number() -> str:
    """A new authorization number: ``PA`` and 12 random base32 characters (60 bits)."""
    return "PA" + "".join(secrets.choice(_ALPHABET) for _ in range(12))


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30)
    conn.execute(_AUTH_TABLE)
    conn.execute(_USE_TABLE)
    conn.execute(_USE_INDEX)
    if not _up_to_date(conn):
        _upgrade(conn)
    return conn


_PATIENT_COLUMNS = ("patient_last", "patient_first", "patient_birth")
_AUTH_TABLE = """CREATE TABLE IF NOT EXISTS authorizations (
    number TEXT NOT NULL, payer TEXT NOT NULL, member_id TEXT NOT NULL, npis TEXT NOT NULL,
    procedure TEXT NOT NULL, start TEXT NOT NULL, "end" TEXT NOT NULL, units TEXT NOT NULL,
    item INTEGER NOT NULL, request TEXT NOT NULL, issued TEXT NOT NULL,
    patient_last TEXT NOT NULL DEFAULT '', patient_first TEXT NOT NULL DEFAULT '',
    patient_birth TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (number, item))"""
#: Units of a certified service (number, item) used by one line of an adjudicated claim, by the
#: payer that judged it, the member (normalised as the authorization edit compares it), the
#: patient (:func:`payer_rules.pas.usage.patient_of`; ``''`` for rows written before patients
#: were kept) and the claim id.
_USE_TABLE = """CREATE TABLE IF NOT EXISTS authorization_units (
    number TEXT NOT NULL, item INTEGER NOT NULL, payer TEXT NOT NULL, member_id TEXT NOT NULL,
    patient TEXT NOT NULL DEFAULT '', claim_id TEXT NOT NULL, line INTEGER NOT NULL, units TEXT NOT NULL,
    PRIMARY KEY (number, item, payer, member_id, patient, claim_id, line))"""
_USE_INDEX = (
    "CREATE INDEX IF NOT EXISTS authorization_units_claim ON authorization_units (payer, member_id, claim_id)"
)
_USE_COLUMNS = "number, item, payer, member_id, patient, claim_id, line, units"


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _up_to_date(conn: sqlite3.Connection) -> bool:
    return set(_PATIENT_COLUMNS) <= _columns(conn, "authorizations") and "patient" in _columns(
        conn, "authorization_units"
    )


def _upgrade(conn: sqlite3.Connection) -> None:
    """Bring a file an earlier release wrote up to date, in one transaction (two processes may
    open it at once: the second finds it done).

    ``authorizations`` gains the patient columns, empty for the rows already there (those
    authorizations name no patient: any patient of the member matches, as before).
    ``authorization_units`` gains ``patient`` in its key, so it is copied into the new shape with
    an empty patient (whose use it was is unknown: it counts for every patient of the member,
    until the claim is judged again).
    """
    before = conn.isolation_level
    conn.isolation_level = None  # the DDL below inside one explicit transaction
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            have = _columns(conn, "authorizations")
            for column in _PATIENT_COLUMNS:
                if column not in have:
                    conn.execute(f"ALTER TABLE authorizations ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
            if "patient" not in _columns(conn, "authorization_units"):
                conn.execute("ALTER TABLE authorization_units RENAME TO authorization_units_before_patients")
                conn.execute(_USE_TABLE)
                conn.execute(
                    f"INSERT INTO authorization_units ({_USE_COLUMNS}) SELECT number, item, payer, "
                    "member_id, '', claim_id, line, units FROM authorization_units_before_patients"
                )
                conn.execute("DROP TABLE authorization_units_before_patients")  # and its index
                conn.execute(_USE_INDEX)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.isolation_level = before


def save(services: Sequence[AuthorizedService], directory: Path | None = None) -> None:
    """Record the certified services of one review, in one transaction."""
    if not services:
        return
    conn = _connect((directory or data_dir()) / AUTHORIZATIONS)
    try:
        with conn:
            conn.executemany(
                'INSERT INTO authorizations (number, payer, member_id, npis, procedure, start, "end", '
                "units, item, request, issued, patient_last, patient_first, patient_birth) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                        s.patient_last,
                        s.patient_first,
                        s.patient_birth.isoformat() if s.patient_birth else "",
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
    cursor = conn.execute(
        # every column: a file an earlier release wrote has no patient columns (read as none)
        f"SELECT * FROM authorizations WHERE number IN ({', '.join('?' * len(wanted))}) "
        "ORDER BY number, item",
        wanted,
    )
    names = [d[0] for d in cursor.description]
    found: dict[str, list[AuthorizedService]] = {}
    for row in cursor.fetchall():
        r = dict(zip(names, row, strict=True))
        birth = r.get("patient_birth") or ""
        found.setdefault(r["number"], []).append(
            AuthorizedService(
                number=r["number"],
                payer=r["payer"],
                member_id=r["member_id"],
                npis=tuple(json.loads(r["npis"])),
                procedure=r["procedure"],
                start=dt.date.fromisoformat(r["start"]),
                end=dt.date.fromisoformat(r["end"]),
                units=Decimal(r["units"]),
                item=r["item"],
                request=r["request"],
                issued=dt.date.fromisoformat(r["issued"]),
                patient_last=r.get("patient_last") or "",
                patient_first=r.get("patient_first") or "",
                patient_birth=dt.date.fromisoformat(birth) if birth else None,
            )
        )
    return {k: tuple(v) for k, v in found.items()}


def used(
    numbers: Iterable[str], directory: Path | None = None
) -> dict[tuple[str, int], dict[tuple[str, str, str, str], Decimal]]:
    """Units used of each service of ``numbers`` by earlier adjudicated claims: per (number, item),
    the units by (payer, member, patient, claim id); the patient is ``''`` for use recorded
    before patients were kept."""
    wanted = sorted(set(numbers))
    path = (directory or data_dir(create=False)) / AUTHORIZATIONS
    if not wanted:
        return {}
    try:
        cursor = _reader(path).execute(
            # every column: a file an earlier release wrote has no patient column (read as '')
            f"SELECT * FROM authorization_units WHERE number IN ({', '.join('?' * len(wanted))})",
            wanted,
        )
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    except (FileNotFoundError, sqlite3.OperationalError):  # no file, or one written before the table
        return {}
    found: dict[tuple[str, int], dict[tuple[str, str, str, str], Decimal]] = {}
    for row in rows:
        r = dict(zip(names, row, strict=True))
        by_claim = found.setdefault((r["number"], r["item"]), {})
        key = (r["payer"], r["member_id"], r.get("patient") or "", r["claim_id"])
        by_claim[key] = by_claim.get(key, Decimal(0)) + Decimal(r["units"])
    return found


def record_uses(writes: Sequence[UseWrite], directory: Path | None = None) -> None:
    """Record what settled claims used, in one transaction: for each write in turn, replace what
    the claims it supersedes (of its member's patient, judged by its payer; and rows of those
    claim ids recorded before patients were kept) used by its uses.

    Replayed in order, so the file ends as writing each claim on its own would leave it, with one
    connection and one commit for them all. When none used anything and the file does not
    exist, nothing is written (no earlier use to replace).

    :param writes: per settled claim (:data:`~payer_rules.pas.usage.UseWrite`): payer, member,
        patient, the claim ids it supersedes, and (number, item, claim id, line, units) per line
        that used a service.
    :raises PayerRulesError: the file cannot be written; nothing of ``writes`` is.
    """
    path = (directory or data_dir(create=False)) / AUTHORIZATIONS
    if not any(uses for *_key, uses in writes) and not path.exists():
        return
    try:
        conn = _connect(path)
        try:
            with conn:
                for payer, member, patient, superseded, uses in writes:
                    ids = sorted(set(superseded))
                    conn.execute(
                        "DELETE FROM authorization_units WHERE payer = ? AND member_id = ? "
                        f"AND patient IN (?, '') AND claim_id IN ({', '.join('?' * len(ids))})",
                        [payer, member, patient, *ids],
                    )
                    conn.executemany(
                        f"INSERT OR REPLACE INTO authorization_units ({_USE_COLUMNS}) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            (n, item, payer, member, patient, claim_id, line, str(u))
                            for n, item, claim_id, line, u in uses
                        ],
                    )
        finally:
            conn.close()
    except sqlite3.Error as exc:
        msg = (
            f"{path}: could not record what {len(writes)} claim(s) used of prior authorizations "
            f"({exc}); none of it was recorded, so later runs would not count it"
        )
        raise PayerRulesError(msg) from exc
