"""Python's cyclic garbage collector, paused for the length of a batch.

A batch allocates millions of short-lived records (claims, findings, results) and keeps a
growing history for duplicate and frequency edits. The cyclic collector keeps re-scanning the
survivors, which cost a tenth of a batch's time. None of these records form reference cycles
(``tests/test_batch_collector.py`` adjudicates a batch against several payers and finds no
cyclic garbage), so reference counting frees each one the moment it is done with, and pausing
the collector loses nothing. In case a plugin does leave cycles behind, the young generations
are still collected every :data:`COLLECT_EVERY` results.

The runner (``payer-rules adjudicate`` / ``check``, ``--jobs`` workers) pauses it; an
integrator's own batch loop may do the same::

    with paused_collector() as tick:
        for result in engine.adjudicate_many(claims, payers):
            tick()
            ...
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["COLLECT_EVERY", "collection_paused", "paused_collector"]

#: Results between two collections of the young generations while paused.
COLLECT_EVERY = 100_000


@contextmanager
def paused_collector(every: int = COLLECT_EVERY) -> Iterator[Callable[[], None]]:
    """Pause automatic collection; yield a ``tick`` to call once per result. Restored on exit.

    Everything alive on entry (the engine, its code sets and fee tables) is frozen out of the
    collector's sight first, so the occasional collection only looks at the batch's own objects.
    """
    was_enabled = gc.isenabled()
    count = 0

    def tick() -> None:
        nonlocal count
        count += 1
        if count >= every:
            count = 0
            gc.collect(1)

    # A process that froze its own start-up objects (gc.freeze) keeps them frozen: we neither
    # freeze on top of it nor unfreeze what it froze.
    we_froze = gc.get_freeze_count() == 0
    if we_froze:
        gc.freeze()
    gc.disable()
    try:
        yield tick
    finally:
        if we_froze:
            # What the batch left alive (its session's history, tables first read during it) joins
            # the frozen objects and goes with them to the oldest generation, unscanned: after a
            # paused batch the young generation holds all of it, and re-enabling the collector
            # would scan it whole at the next allocation.
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


_PAUSE_LOCK = threading.Lock()
_pauses = 0  # collection_paused() blocks under way, in any thread
_resume = False  # whether the last of them to end turns the collector back on


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic collection while long-lived objects are made (an engine, its rulepacks).

    Building them creates tens of thousands of objects that live as long as the process; the
    collector would scan them again and again for nothing to free (half of a rulepack build,
    about 6% of a one-claim run). Pauses nest and may run in several threads at once: the
    collector resumes when the last one ends, and only if it was on when the first began.
    """
    global _pauses, _resume
    with _PAUSE_LOCK:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()
