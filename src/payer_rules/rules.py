"""The rule catalogue: what each rule code means, for ``explain`` and for documentation."""

from __future__ import annotations

import datetime as dt

from attrs import frozen


@frozen(kw_only=True)
class RuleInfo:
    """Metadata of one rule, registered by the plugin or rulepack that owns it.

    Args:
        code: stable code, prefix plus digits (``MCR101``); never reused.
        name: kebab-case name of the pattern it flags (``diagnosis-not-covered-for-lab``).
        summary: what it checks, one sentence.
        why: why a payer denies it.
        citation: manual chapter and section, NCD / LCD id or policy URL.
        payers: payer ids that apply it.
        source: ``name@version`` of the plugin or rulepack.
    """

    code: str
    name: str
    summary: str
    source: str
    why: str = ""
    citation: str = ""
    payers: tuple[str, ...] = ()
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    severity: str = ""
    carc: str | None = None
    rarcs: tuple[str, ...] = ()
    group: str | None = None
    status: str = "stable"
