"""In-process indexes over the imported NCCI tables: one probe per code, flat in table size.

A claim's PTP check asks, for every pair of its codes, which edit (if any) is in force on the
date of service. Asking SQLite once per pair (or once per claim with ``col1 IN (..) AND col2 IN
(..)``, which SQLite runs as a seek per pair) costs a B-tree descent per pair, and once a table of
millions of edits no longer fits SQLite's page cache, a page read per descent.

:class:`PtpIndex` instead fetches *all* the edits of a column-1 code with one probe (a prefix
range of the primary key) the first time the code is seen, packs them into two strings (the
column-2 codes, five characters each, and a fixed-width record per edit), and keeps them in a
least-recently-used cache bounded by the number of edits held (:data:`PTP_CACHE_EDITS`, about
27 bytes each). A pair is then a ``str.find`` in the column-1 code's codes, whatever the size
of the table. :class:`MueIndex` does the same for MUE values: the releases are read once and
each (release, code) is looked up once.

One index serves one read-only connection (``ImportedTables.derived``), so a new import, which
opens new connections, starts with empty caches. Both are safe to share between threads.
"""

from __future__ import annotations

import bisect
import datetime as dt
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from attrs import frozen

if TYPE_CHECKING:
    from payer_rules_medicare.imported import ImportedTables

__all__ = [
    "MUE_CACHE_CODES",
    "PTP_CACHE_EDITS",
    "MueIndex",
    "PtpColumnOne",
    "PtpEdit",
    "PtpIndex",
    "mue_index",
    "ptp_index",
]

#: Edits held in memory per PTP table (about 27 bytes each, so some 27 MB at most): enough for
#: the column-1 codes a practice's claims use, a fraction of a four-million-edit table.
PTP_CACHE_EDITS = 1_000_000
#: (release, code) answers held per MUE table.
MUE_CACHE_CODES = 200_000

_CODE = 5  # the importer accepts only five-character codes, in both columns
_RECORD = 22  # effective YYYYMMDD, deletion YYYYMMDD, modifier indicator, rationale id (5 digits)
_EDITS_OF = (
    "SELECT group_concat(col2, ''), "
    "group_concat(printf('%08d%08d%d%05d', effective, deletion, modifier, rationale), '') "
    "FROM ptp WHERE col1 = ?"
)

K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A least-recently-used map bounded by a total weight (entries weigh what ``put`` says)."""

    def __init__(self, capacity: int) -> None:
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._capacity = capacity
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> tuple[V] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return (found[0],)

    def put(self, key: K, value: V, weight: int = 1) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._held -= old[1]
            self._items[key] = (value, weight)
            self._held += weight
            while self._held > self._capacity and len(self._items) > 1:
                _key, (_value, dropped) = self._items.popitem(last=False)
                self._held -= dropped

    def __len__(self) -> int:
        return len(self._items)


@frozen
class PtpEdit:
    """One PTP edit of a code pair: the dates it is in force (YYYYMMDD, both inclusive)."""

    effective: int
    deletion: int
    indicator: int
    rationale: str


class PtpColumnOne:
    """The edits of one column-1 code: its column-2 codes (five characters each, in the table's
    order) and one fixed-width record per edit at the same position."""

    __slots__ = ("_codes", "_index", "_records")

    def __init__(self, codes: str, records: str, index: PtpIndex) -> None:
        self._codes = codes
        self._records = records
        self._index = index

    def edits(self, col2: str) -> list[PtpEdit]:
        """Every edit of the pair, in the table's order (by effective date)."""
        codes, records = self._codes, self._records
        found = []
        at = codes.find(col2) if len(col2) == _CODE else -1
        while at >= 0:
            if at % _CODE:  # a match across two codes ("10001" "10002" holds "00110")
                at = codes.find(col2, at + 1)
                continue
            r = at // _CODE * _RECORD
            found.append(
                PtpEdit(
                    effective=int(records[r : r + 8]),
                    deletion=int(records[r + 8 : r + 16]),
                    indicator=int(records[r + 16]),
                    rationale=self._index.rationale(int(records[r + 17 : r + 22])),
                )
            )
            at = codes.find(col2, at + _CODE)
        return found

    def edit_on(self, col2: str, day: int) -> PtpEdit | None:
        """The edit of the pair in force on ``day`` (YYYYMMDD), the earliest-effective if several."""
        if col2 not in self._codes:
            return None
        return next((e for e in self.edits(col2) if e.effective <= day <= e.deletion), None)


class PtpIndex:
    """The PTP edits of one table, fetched per column-1 code and cached (see the module)."""

    def __init__(self, conn: sqlite3.Connection, capacity: int = PTP_CACHE_EDITS) -> None:
        self._conn = conn
        self._cache: _Lru[str, PtpColumnOne | None] = _Lru(capacity)
        self._rationales: dict[int, str] | None = None

    def _fetch(self, col1: str) -> PtpColumnOne | None:
        cached = self._cache.get(col1)
        if cached is not None:
            return cached[0]
        try:
            codes, records = self._conn.execute(_EDITS_OF, (col1,)).fetchone()
        except sqlite3.OperationalError:  # no ptp table: nothing imported that can be read
            codes, records = None, None
        found = PtpColumnOne(codes, records, self) if codes else None
        self._cache.put(col1, found, max(1, len(codes or "") // _CODE))
        return found

    def column_one(self, codes: Iterable[str]) -> dict[str, PtpColumnOne]:
        """The edits of each of ``codes`` that is column 1 of any edit: one probe per code."""
        out = {}
        for code in codes:
            found = self._fetch(code) if len(code) == _CODE else None
            if found is not None:
                out[code] = found
        return out

    def rationale(self, key: int) -> str:
        """The rationale text of an id (the importer interns them)."""
        if self._rationales is None:
            try:
                self._rationales = dict(self._conn.execute("SELECT id, text FROM rationale").fetchall())
            except sqlite3.OperationalError:
                self._rationales = {}
        return self._rationales.get(key, "")


class MueIndex:
    """The MUE releases of one table and each code's value per release, looked up once."""

    def __init__(self, conn: sqlite3.Connection, capacity: int = MUE_CACHE_CODES) -> None:
        self._conn = conn
        self._cache: _Lru[tuple[str, str], tuple[int, int] | None] = _Lru(capacity)
        self._releases: tuple[list[str], list[str]] | None = None

    def release_on(self, day: dt.date) -> tuple[str, str] | None:
        """The latest release in force on ``day``: its effective date (ISO) and its label."""
        if self._releases is None:
            try:
                rows = self._conn.execute(
                    "SELECT effective_from, label FROM releases ORDER BY effective_from"
                ).fetchall()
            except sqlite3.OperationalError:
                rows = []
            self._releases = ([r[0] for r in rows], [r[1] for r in rows])
        starts, labels = self._releases
        at = bisect.bisect_right(starts, day.isoformat())
        return (starts[at - 1], labels[at - 1]) if at else None

    def limits(self, release: str, codes: Iterable[str]) -> dict[str, tuple[int, int]]:
        """MUE value and adjudication indicator of each of ``codes`` that has one in ``release``."""
        out: dict[str, tuple[int, int]] = {}
        missing = []
        for code in codes:
            cached = self._cache.get((release, code))
            if cached is None:
                missing.append(code)
            elif cached[0] is not None:
                out[code] = cached[0]
        if missing:
            missing.sort()
            marks = ",".join("?" * len(missing))
            rows = self._conn.execute(
                f"SELECT code, value, mai FROM mue WHERE effective_from = ? AND code IN ({marks})",
                (release, *missing),
            ).fetchall()
            found = {r[0]: (r[1], r[2]) for r in rows}
            for code in missing:
                self._cache.put((release, code), found.get(code))
            out.update(found)
        return out


_Index = TypeVar("_Index")


def ptp_index(tables: ImportedTables) -> PtpIndex | None:
    """The PTP index over ``tables.ptp`` (made on first use, then shared), or ``None``."""
    return None if tables.ptp is None else _derived(tables, "ptp", PtpIndex, tables.ptp)


def mue_index(tables: ImportedTables) -> MueIndex | None:
    """The MUE index over ``tables.mue`` (made on first use, then shared), or ``None``."""
    return None if tables.mue is None else _derived(tables, "mue", MueIndex, tables.mue)


def _derived(tables: ImportedTables, key: str, make: Callable[[Any], _Index], source: object) -> _Index:
    made = tables.derived.get(key)
    if made is None:
        made = tables.derived.setdefault(key, make(source))
    return cast("_Index", made)
