"""The rule catalogue: what each rule code means, for ``explain`` and for documentation."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any

from attrs import frozen

from payer_rules.results import Finding, Group, Severity, Source


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
        rarcs: the remark codes on its findings by default.
        other_rarcs: remark codes it sends instead or besides on some findings only (MCR010 names
            the rendering or referring provider by N290 / N286; an NCD rule adds M38 when a signed
            ABN is on file): ``explain`` lists them, :meth:`finding` never adds them.
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
    other_rarcs: tuple[str, ...] = ()

    @property
    def sent_rarcs(self) -> tuple[str, ...]:
        """Every remark code the rule can send: its default ones, then the others."""
        return tuple(dict.fromkeys((*self.rarcs, *self.other_rarcs)))

    def finding(
        self, message: str, *, line: int | None = None, source: Source | None = None, **overrides: Any
    ) -> Finding:
        """A finding of this rule: its code, severity, CARC / RARCs and group, with ``message``.

        :param source: where the finding comes from; by default this rule's ``source``
            (``name@version``) with its citation.
        :param overrides: any other :class:`~payer_rules.results.Finding` field (a GA line's
            ``group``, a narrower ``rarcs``...).
        """
        severity, group, default_source = self._typed
        if not overrides:
            return Finding(
                code=self.code,
                severity=severity,
                message=message,
                source=source or default_source,
                line=line,
                carc=self.carc,
                rarcs=self.rarcs,
                group=group,
            )
        values: dict[str, Any] = {
            "code": self.code,
            "severity": severity,
            "message": message,
            "source": source or default_source,
            "line": line,
            "carc": self.carc,
            "rarcs": self.rarcs,
            "group": group,
        }
        values.update(overrides)
        return Finding(**values)

    @cached_property
    def _typed(self) -> tuple[Severity, Group | None, Source]:
        """Severity, group and source as result types, made once per rule, not per finding."""
        name, _, version = self.source.rpartition("@")
        return (
            Severity(self.severity),
            Group(self.group) if self.group else None,
            Source(name=name, version=version, citation=self.citation),
        )
