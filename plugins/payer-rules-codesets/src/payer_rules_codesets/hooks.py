"""Hook implementations: ICD-10-CM FY2025 and FY2026 through ``register_code_sets``."""

from __future__ import annotations

from collections.abc import Callable

from payer_rules import hookimpl
from payer_rules.codesets.registry import CodeSetVersion
from payer_rules_codesets.releases import versions


@hookimpl
def register_code_sets(register: Callable[[CodeSetVersion], None]) -> None:
    for version in versions():
        register(version)
