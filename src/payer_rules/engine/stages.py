"""How far a run goes, and the engine's own source (on its findings, in every result's versions)."""

from __future__ import annotations

from enum import Enum

from payer_rules import __version__
from payer_rules.results import Source

__all__ = ["ENGINE_SOURCE", "Stages"]

ENGINE_SOURCE = Source(name="payer-rules", version=__version__)


class Stages(Enum):
    """How far a run goes: ``CHECK`` is scrubber mode (validate and authorize only)."""

    CHECK = "check"
    ADJUDICATE = "adjudicate"
