"""Hypothesis profiles for the fuzz suite.

* ``bounded`` (default): what the test command runs, about a minute for the whole suite, with
  a fixed seed (``derandomize``) so CI is repeatable.
* ``long`` (``PAYER_RULES_FUZZ=long``): for release checks; a new random seed each run and
  ``PAYER_RULES_FUZZ_SCALE`` (default 40) times as many examples per target.
"""

from __future__ import annotations

import os

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
