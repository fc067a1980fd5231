"""Hypothesis profiles for the fuzz suite.

* ``bounded`` (default): what the test command runs, about a minute for the whole suite, with
  a fixed seed (``derandomize``) so CI is repeatable.
* ``long`` (``PAYER_RULES_FUZZ=long``): for release checks; a new random seed each run and
  ``PAYER_RULES_FUZZ_SCALE`` (default 40) times as many examples per target.
"""

from __future__ import annotations

import os
import time

from hypothesis import HealthCheck, settings

LONG = os.environ.get("PAYER_RULES_FUZZ") == "long"
SCALE = int(os.environ.get("PAYER_RULES_FUZZ_SCALE", "40")) if LONG else 1

_COMMON = {
    "deadline": None,  # the per-input time bound is asserted by the tests, generously
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
    "print_blob": True,
}
settings.register_profile("fuzz-bounded", derandomize=True, database=None, **_COMMON)
settings.register_profile("fuzz-long", **_COMMON)
settings.load_profile("fuzz-long" if LONG else "fuzz-bounded")


def examples(bounded: int) -> settings:
    """Per-target settings: ``bounded`` examples in the test command, ``SCALE`` times more long."""
    return settings(max_examples=bounded * SCALE)


def clock() -> tuple[float, float]:
    """Now, as this process's CPU time and wall time, for :func:`within_bound`."""
    return time.process_time(), time.perf_counter()


def within_bound(started: tuple[float, float], bound: float) -> None:
    """The per-input time bound, in this process's CPU seconds: a machine shared with other
    work stretches wall time (a loaded 2-core host took 10.3 s for one input), not CPU time.
    Wall time may take ten times as long, against an input that waits rather than computes."""
    cpu, wall = time.process_time() - started[0], time.perf_counter() - started[1]
    assert cpu < bound and wall < 10 * bound, (cpu, wall)
