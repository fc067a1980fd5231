"""``--jobs N``: one batch judged by N worker processes, written in input order.

The main process splits the inputs into work units without reading their claims
(:mod:`payer_rules.batch.units`: NDJSON lines, JSON list elements and 837 claims as text) and
routes each to a worker by its member (:mod:`payer_rules.batch.partition`); each worker builds
its engine once, keeps one session for the whole run, and reads and judges what it receives in
input order. Results come back rendered in the output format (:mod:`payer_rules.batch.render`),
so little but text crosses between processes. The main process puts results back in input
order and writes them.

What the main process holds: at most ``window`` claims in flight (their text or the claim,
and their rendered results), plus the located errors it reports at the end, as the serial
runner does. Each worker holds its session: the accumulators and history of its members.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.context import BaseContext
from typing import Any, TextIO

from attrs import frozen

from payer_rules.batch.collector import paused_collector
from payer_rules.batch.partition import RunOptions, TextUnit, Unit, bucket_of, judge, new_session, routing_key
from payer_rules.batch.render import FRAGMENTS
from payer_rules.batch.units import SharedText, iter_units, shared_items
from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.io.fhir.units import ClaimEntries
from payer_rules.io.writers import WRITERS, ResultWriter
from payer_rules.io.x12.reader_837.units import ClaimSegments
from payer_rules.models import Claim
from payer_rules.results import ClaimResult

__all__ = ["Judged", "RunOptions", "iter_units", "judge_parallel", "write_parallel"]


@frozen
class Judged:
    """One input claim's outcome, in input order.

    Args:
        item: the claim or the error it was read as (``None`` when results were rendered).
        error: the input error to report, if the claim could not be read.
        results: one per payer (empty when rendered).
        fragments: one rendered text per payer (empty when not rendered).
    """

    item: Claim | InputError | None
    error: InputError | None
    results: tuple[ClaimResult, ...] = ()
    fragments: tuple[str, ...] = ()


# -- what crosses between processes -------------------------------------------------------------

# InputError does not survive pickle (its __init__ takes more than its message), so errors
# travel as tuples; text units as tuples too, the cheapest thing to pickle.


def _pack(unit: Unit) -> tuple[Any, ...]:
    if isinstance(unit, TextUnit):
        return ("t", unit.origin, unit.text)
    if isinstance(unit, ClaimSegments):
        return ("s", unit.envelope, unit.levels, unit.number, unit.text, unit.key)
    if isinstance(unit, ClaimEntries):
        return ("h", unit.name, unit.claim, unit.entries, unit.key)
    if isinstance(unit, InputError):
        return ("e", unit.location, unit.message, unit.claim_id, unit.envelope)
    return ("c", unit)


def _unpack(packed: tuple[Any, ...]) -> Unit:
    kind = packed[0]
    if kind == "t":
        return TextUnit(packed[1], packed[2])
    if kind == "e":
        return InputError(packed[1], packed[2], claim_id=packed[3], envelope=packed[4])
    if kind == "s":
        return ClaimSegments(*packed[1:])
    if kind == "h":
        return ClaimEntries(*packed[1:])
    claim: Claim = packed[1]
    return claim


def _context() -> BaseContext:
    """``fork`` on Linux: workers start with the parent's engine already built, plugins included."""
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


_PR_SET_PDEATHSIG = 1  #: prctl(2) option: the signal this process gets when its parent dies


def _watch_parent(parent: int) -> None:
    """Exit when the parent does: a ``kill -9`` of the runner must not leave its workers behind.

    A worker waits on its inbox, whose pipe it holds both ends of (fork), so it never sees the
    parent go and would wait forever, 120 MB each (issue 19). On Linux the kernel sends SIGKILL
    (``PR_SET_PDEATHSIG``); elsewhere, or if that fails, a thread polls the parent id.
    """
    if sys.platform == "linux":
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent died before prctl took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def poll() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=poll, name="payer-rules-parent-watch", daemon=True).start()


#: The part of a shared file's reply that says a worker is done with the file.
_END = -1
#: A worker's reply for one item: unit, part (place in a shared file), error, item, results.
Reply = tuple[int, int | None, tuple[Any, ...] | None, tuple[Any, ...] | None, list[Any]]


def _expand(
    chunk: list[tuple[int, tuple[Any, ...], str | None]],
    owns: Callable[[int, str | None], bool],
    shared: list[int],
) -> Iterator[tuple[tuple[int, int | None], Unit, str | None]]:
    """A chunk's units to judge: a shared file's own items, each other unit as it came."""
    for seq, packed, key in chunk:
        if packed[0] == "f":
            shared.append(seq)
            for index, item, own_key in shared_items(SharedText(packed[1], packed[2]), owns):
                yield (seq, index), item, own_key
        else:
            yield (seq, None), _unpack(packed), key


def _work(
    factory: Callable[[], Engine],
    options: RunOptions,
    fmt: str | None,
    inbox: multiprocessing.Queue[Any],
    outbox: multiprocessing.Queue[Any],
    parent: int | None = None,
    slot: int = 0,
    jobs: int = 1,
) -> None:
    """Worker ``slot`` of ``jobs``: build the engine once, then judge chunks in the order they arrive.

    Each reply names the unit (``seq``) and, for a file every worker shares
    (:class:`~payer_rules.batch.units.SharedText`), the item's place in the file; after its own
    items of a shared file, a worker says it is done with it (``_END``).
    """
    if parent is not None:
        _watch_parent(parent)
    try:
        engine = factory()
        session = new_session(options)
        render = FRAGMENTS[fmt][0] if fmt is not None else None

        def owns(index: int, key: str | None) -> bool:
            return bucket_of(key, index, jobs) == slot

        with paused_collector() as tick:
            while (chunk := inbox.get()) is not None:
                shared: list[int] = []
                done: list[Reply] = []
                # judged whole, then rendered: each step runs through the chunk at a time
                units = _expand(chunk, owns, shared)
                for (seq, part), item, pairs in list(judge(engine, units, options, session=session)):
                    error = _pack(item) if isinstance(item, InputError) else None
                    if render is not None:
                        done.append((seq, part, error, None, [render(r, judged) for judged, r in pairs]))
                    else:
                        done.append((seq, part, error, _pack(item), [r for _judged, r in pairs]))
                    tick()
                done.extend((seq, _END, None, None, []) for seq in shared)
                outbox.put(("done", done))
    except BaseException as exc:
        outbox.put(("failed", _portable(exc)))


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it pickles, else a RuntimeError with the worker's traceback."""
    text = "".join(traceback.format_exception(exc))
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"a --jobs worker failed:\n{text}")
    exc.add_note(f"(in a --jobs worker)\n{text}")
    return exc


def judge_parallel(
    units: Iterable[Unit | SharedText],
    options: RunOptions,
    *,
    jobs: int,
    engine_factory: Callable[[], Engine],
    fmt: str | None = None,
    chunk_size: int = 128,
    window: int | None = None,
) -> Iterator[Judged]:
    """Judge ``units`` in ``jobs`` worker processes; yield outcomes in input order.

    :param engine_factory: builds a worker's engine; picklable where workers are spawned.
    :param fmt: render results in the workers as this format (a key of
        :data:`~payer_rules.batch.render.FRAGMENTS`); ``None`` sends the results back whole.
    :param window: the most claims in flight at once (memory bound); by default
        ``16 * chunk_size * jobs``.
    """
    if jobs < 1:
        msg = f"jobs must be at least 1, got {jobs}"
        raise ValueError(msg)
    window = window or 16 * chunk_size * jobs
    ctx = _context()
    inboxes: list[multiprocessing.Queue[Any]] = [ctx.Queue() for _ in range(jobs)]
    outbox: multiprocessing.Queue[Any] = ctx.Queue()
    workers = [
        ctx.Process(  # type: ignore[attr-defined]
            target=_work,
            args=(engine_factory, options, fmt, inboxes[n], outbox, os.getpid(), n, jobs),
            name=f"payer-rules-job-{n + 1}",
            daemon=True,
        )
        for n in range(jobs)
    ]
    for worker in workers:
        worker.start()
    buffers: list[list[tuple[int, tuple[Any, ...], str | None]]] = [[] for _ in range(jobs)]
    ready: dict[int, list[Judged]] = {}
    #: shared files being judged: seq -> (their items by place, how many workers are done)
    shared: dict[int, tuple[dict[int, Judged], list[int]]] = {}
    next_out = 0

    def flush(n: int) -> None:
        if buffers[n]:
            inboxes[n].put(buffers[n])
            buffers[n] = []

    def receive(*, block: bool) -> None:
        while True:
            try:
                kind, payload = outbox.get(timeout=1.0) if block else outbox.get_nowait()
            except queue.Empty:
                if not block:
                    return
                # A worker that was told to stop and exited 0 has sent all it had (its queue is
                # flushed before exit); only a failed worker, or all gone with output owed, is lost.
                dead = [w for w in workers if not w.is_alive()]
                lost = [w for w in dead if w.exitcode != 0] or (dead if len(dead) == len(workers) else [])
                if lost:
                    msg = f"{lost[0].name} exited with code {lost[0].exitcode} before finishing"
                    raise RuntimeError(msg) from None
                continue
            if kind == "failed":
                raise payload
            for seq, part, error, packed, out in payload:
                if part == _END:
                    items, ends = shared.setdefault(seq, ({}, [0]))
                    ends[0] += 1
                    if ends[0] == jobs:
                        ready[seq] = [items[i] for i in sorted(items)]
                        del shared[seq]
                    continue
                item = _unpack(packed) if packed is not None else None
                judged = Judged(
                    item=item,  # type: ignore[arg-type]
                    error=_unpack(error) if error is not None else None,  # type: ignore[arg-type]
                    results=tuple(out) if packed is not None else (),
                    fragments=tuple(out) if packed is None else (),
                )
                if part is None:
                    ready[seq] = [judged]
                else:
                    shared.setdefault(seq, ({}, [0]))[0][part] = judged
            if not block:
                continue
            return

    def emit() -> Iterator[Judged]:
        nonlocal next_out
        while next_out in ready:
            yield from ready.pop(next_out)
            next_out += 1

    try:
        total = 0
        for seq, unit in enumerate(units):
            total = seq + 1
            if isinstance(unit, SharedText):  # every worker reads it, each judges its own members
                packed = ("f", unit.name, unit.text)
                for n in range(jobs):
                    buffers[n].append((seq, packed, None))
                    flush(n)
                continue
            key = routing_key(unit)
            n = bucket_of(key, seq, jobs)
            buffers[n].append((seq, _pack(unit), key))
            if len(buffers[n]) >= chunk_size:
                flush(n)
            if total - next_out >= window:
                for m in range(jobs):
                    flush(m)
                while total - next_out > window // 2:  # hysteresis: refill in large chunks
                    receive(block=True)
                    yield from emit()
            elif seq % chunk_size == 0:
                receive(block=False)
                yield from emit()
        for n in range(jobs):
            flush(n)
            inboxes[n].put(None)
        while next_out < total:
            receive(block=True)
            yield from emit()
        for worker in workers:
            worker.join()
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
                worker.join()
        for q in (*inboxes, outbox):
            q.cancel_join_thread()
            q.close()


def write_parallel(
    inputs: Iterable[str],
    options: RunOptions,
    *,
    fmt: str,
    stream: TextIO,
    jobs: int,
    engine_factory: Callable[[], Engine],
    on_result: Callable[[], None] = lambda: None,
    on_close: Callable[[ResultWriter], None] = lambda _writer: None,
    writer_factory: Callable[[TextIO], ResultWriter] | None = None,
) -> list[InputError]:
    """What ``payer-rules adjudicate --jobs N`` does: the serial output, from N processes.

    :param on_close: called with the result writer once it is closed (the runner asks it what
        it held back).
    :returns: the input errors, in input order, for the runner to report.
    """
    errors: list[InputError] = []
    units = iter_units(inputs)
    # the main process cuts and writes as many records as the workers judge: no cycles either
    with paused_collector() as tick:
        if fmt in FRAGMENTS:
            joined = FRAGMENTS[fmt][1](stream, writer_factory or WRITERS[fmt])
            for judged in judge_parallel(units, options, jobs=jobs, engine_factory=engine_factory, fmt=fmt):
                if judged.error is not None:
                    errors.append(judged.error)
                for fragment in judged.fragments:
                    joined.write(fragment)
                    on_result()
                tick()
            joined.close()
            on_close(joined)  # type: ignore[arg-type]
            return errors
        writer = (writer_factory or WRITERS[fmt])(stream)
        for judged in judge_parallel(units, options, jobs=jobs, engine_factory=engine_factory):
            if judged.error is not None:
                errors.append(judged.error)
            for result in judged.results:
                writer.write(result, judged.item)
                on_result()
            tick()
        writer.close()
        on_close(writer)
    return errors
