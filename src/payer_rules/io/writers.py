"""Result writers: a human table, JSON (one array) and NDJSON, all streaming.

Writers take results one at a time and keep nothing but what their format needs, so a batch
of any size streams through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TextIO

from payer_rules.errors import InputError
from payer_rules.io.json_results import result_to_json
from payer_rules.models import Claim
from payer_rules.results import ClaimResult


class ResultWriter(Protocol):
    """Takes results one at a time; ``claim`` is the judged claim (or the input error)."""

    def write(self, result: ClaimResult, claim: Claim | InputError | None = None) -> None: ...

    def close(self) -> None: ...


class JsonWriter:
    """A JSON array, written element by element."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._count = 0

    def write(self, result: ClaimResult, claim: Claim | InputError | None = None) -> None:
        self._stream.write("[\n" if self._count == 0 else ",\n")
        self._stream.write(result_to_json(result, indent=2))
        self._count += 1

    def close(self) -> None:
        self._stream.write("[]\n" if self._count == 0 else "\n]\n")


class NdjsonWriter:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, result: ClaimResult, claim: Claim | InputError | None = None) -> None:
        self._stream.write(result_to_json(result) + "\n")

    def close(self) -> None:
        pass


class TableWriter:
    """A readable block per claim and payer: totals, then lines, then the reasons."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._count = 0

    def write(self, r: ClaimResult, claim: Claim | InputError | None = None) -> None:
        w = self._stream.write
        if self._count:
            w("\n")
        self._count += 1
        w(
            f"claim {r.claim_id or '?'}  payer {r.payer}  {r.status.upper()}  "
            f"billed {r.billed}  allowed {r.allowed}  paid {r.paid}  "
            f"patient {r.patient_responsibility}\n"
        )
        if r.status == "error":
            for f in r.findings:
                w(f"  ! {f.message}\n")
            return
        for ln in r.lines:
            mods = f"-{'-'.join(ln.modifiers)}" if ln.modifiers else ""
            adj = " ".join(f"{a.group}-{a.carc} {a.amount}" for a in ln.adjustments)
            rarcs = f"  [{' '.join(ln.rarcs)}]" if ln.rarcs else ""
            w(
                f"  {ln.line:>2} {ln.procedure}{mods:<9} x{ln.units}  {ln.status:<8} "
                f"billed {ln.billed:>9}  allowed {ln.allowed:>9}  paid {ln.paid:>9}  {adj}{rarcs}\n"
            )
        for f in r.findings:
            where = f"line {f.line}" if f.line else "claim"
            carc = f" {f.group}-{f.carc}" if f.carc else ""
            rarcs = f" {' '.join(f.rarcs)}" if f.rarcs else ""
            w(f"    {f.code} {f.severity} {where}{carc}{rarcs}: {f.message} ({f.source})\n")

    def close(self) -> None:
        if self._count == 0:
            self._stream.write("No claims.\n")


def _x12_835(stream: TextIO) -> ResultWriter:
    from payer_rules.io.x12.writer_835 import X12_835Writer

    return X12_835Writer(stream)


def _x12_277ca(stream: TextIO) -> ResultWriter:
    from payer_rules.io.x12.writer_277ca import X12_277CAWriter

    return X12_277CAWriter(stream)


def _fhir(stream: TextIO) -> ResultWriter:
    from payer_rules.io.fhir.writer import FhirWriter

    return FhirWriter(stream)


def held_back(writer: ResultWriter) -> int:
    """How many results ``writer`` held back as not adjudicated (pended results on an 835)."""
    return len(getattr(writer, "held_back", ()))


def held_back_notice(count: int) -> str:
    """What the runner says on stderr about results held back from an 835."""
    results = "result was" if count == 1 else "results were"
    return (
        f"payer-rules: {count} pended claim {results} held back from the 835: a pend is not an "
        "adjudication (see them with --format json, ndjson, table or fhir)"
    )


WRITERS: dict[str, Callable[[TextIO], ResultWriter]] = {
    "table": TableWriter,
    "json": JsonWriter,
    "ndjson": NdjsonWriter,
    "x12-835": _x12_835,
    "x12-277ca": _x12_277ca,
    "fhir": _fhir,
}
#: Formats that report money and so make no sense in scrubber mode (``check``).
MONEY_ONLY_FORMATS = frozenset({"x12-835"})
