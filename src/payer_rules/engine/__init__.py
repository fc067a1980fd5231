"""The typed facade over the hooks: build once, then judge claims against payers.

The engine knows nothing of any payer. It runs ``validate`` -> ``authorize`` -> ``price`` ->
``adjudicate`` for the payer asked, turns findings into line outcomes, and assembles results
that balance to the cent (the records in :mod:`payer_rules.results` refuse to exist otherwise).

By responsibility:

- :mod:`~payer_rules.engine.facade`: :class:`Engine`, batches, sessions, error results;
- :mod:`~payer_rules.engine.registry`: what plugins register (payers, rules, importers, code sets);
- :mod:`~payer_rules.engine.pipeline`: one claim through the stages;
- :mod:`~payer_rules.engine.assembly`: line outcomes, line and claim results, adjustments, versions;
- :mod:`~payer_rules.engine.hooks`: typed stage calls and the reference pricing hooks;
- :mod:`~payer_rules.engine.stages`: :class:`Stages` and the engine's own source.
"""

from __future__ import annotations

from payer_rules.engine.facade import RUNNER_CHUNK_SIZE, Engine
from payer_rules.engine.stages import ENGINE_SOURCE, Stages

__all__ = ["ENGINE_SOURCE", "RUNNER_CHUNK_SIZE", "Engine", "Stages"]
