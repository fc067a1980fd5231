"""Results rendered where they are judged, joined where they are written.

Workers turn each result into its text (a fragment) so that only text crosses the process
boundary; the writing process adds what lies between and around fragments. The output is the
same, byte for byte, as the format's :data:`~payer_rules.io.writers.WRITERS` entry writes
(``tests/test_batch.py`` checks every format listed here). An 835's fragment is the claim's
payment, its CLP loop rendered (:func:`~payer_rules.io.x12.writer_835.payment_part`); the writing
process adds them up per payer and payee. A format not listed here is written by its own writer
from the results, which then travel back whole.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from payer_rules.errors import InputError
from payer_rules.io.json_results import result_to_json
from payer_rules.io.writers import ResultWriter, TableWriter
from payer_rules.io.x12.writer_835 import HELD_BACK, SKIPPED, X12_835Writer, payment_part
from payer_rules.models import Claim
from payer_rules.results import ClaimResult

__all__ = ["FRAGMENTS", "FragmentWriter", "render"]


class FragmentWriter(Protocol):
    def write(self, fragment: Any) -> None: ...

    def close(self) -> None: ...


def _ndjson(result: ClaimResult, claim: Claim | InputError | None) -> str:
    return result_to_json(result) + "\n"


def _json(result: ClaimResult, claim: Claim | InputError | None) -> str:
    return result_to_json(result, indent=2)


def _table(result: ClaimResult, claim: Claim | InputError | None) -> str:
    out = io.StringIO()
    TableWriter(out).write(result, claim)  # a fresh writer: no separator before its first block
    return out.getvalue()


class _Joined:
    """Fragments with ``between`` between them, ``head`` before, ``tail`` after, ``empty`` if none."""

    def __init__(self, stream: TextIO, *, head: str, between: str, tail: str, empty: str) -> None:
        self._stream = stream
        self._parts = (head, between, tail, empty)
        self._count = 0

    def write(self, fragment: str) -> None:
        head, between, _tail, _empty = self._parts
        self._stream.write(head if self._count == 0 else between)
        self._stream.write(fragment)
        self._count += 1

    def close(self) -> None:
        _head, _between, tail, empty = self._parts
        self._stream.write(tail if self._count else empty)


class _Payments:
    """An 835 from claim payments rendered elsewhere, added up in order by the format's writer.

    ``writer``: the writer the run would use (``--x12-st03`` included); ``held_back`` counts the
    pended results, as the writer's own list does.
    """

    def __init__(self, writer: ResultWriter) -> None:
        if not isinstance(writer, X12_835Writer):
            msg = f"an 835 is joined by X12_835Writer, not {type(writer).__name__}"
            raise TypeError(msg)
        self._writer = writer
        self.held_back: list[None] = []

    def write(self, fragment: Any) -> None:
        if fragment == HELD_BACK:
            self.held_back.append(None)
        elif fragment != SKIPPED:
            self._writer.add(fragment)

    def close(self) -> None:
        self._writer.close()


#: format -> (render one result, join the fragments given the stream and the run's writer
#: factory), mirroring the writers in ``io.writers``.
FRAGMENTS: dict[
    str,
    tuple[
        Callable[[ClaimResult, Claim | InputError | None], Any],
        Callable[[TextIO, Callable[[TextIO], ResultWriter]], FragmentWriter],
    ],
] = {
    "ndjson": (_ndjson, lambda s, _w: _Joined(s, head="", between="", tail="", empty="")),
    "json": (_json, lambda s, _w: _Joined(s, head="[\n", between=",\n", tail="\n]\n", empty="[]\n")),
    "table": (_table, lambda s, _w: _Joined(s, head="", between="\n", tail="", empty="No claims.\n")),
    "x12-835": (payment_part, lambda s, writer: _Payments(writer(s))),
}


def render(fmt: str, result: ClaimResult, claim: Claim | InputError | None = None) -> Any:
    """One result as ``fmt`` renders it between its neighbours."""
    return FRAGMENTS[fmt][0](result, claim)
