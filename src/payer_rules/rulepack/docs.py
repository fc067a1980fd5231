"""Markdown pages for rules: What it does / Why / Example / References / Dates (ruff's sections)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from payer_rules.io.atomic import atomic_output

from .kinds.base import RuleKind
from .loader import Pack
from .schema import Case, Rule

__all__ = ["SECTIONS", "case_summary", "rule_page", "write_docs"]

#: The sections every page has; ``tests/test_rulepacks.py`` fails a page that lacks one.
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## References", "## Dates")


def case_summary(case: Case) -> str:
    """A case's claim in a line: its diagnoses, each line's fields, the rest of what it sets."""
    claim: Mapping[str, Any] = case.claim
    parts = []
    dx = claim.get("diagnoses")
    if dx:
        parts.append("diagnoses " + ", ".join(str(d.get("code")) for d in dx if isinstance(d, dict)))
    for i, line in enumerate(claim.get("lines") or [], 1):
        if isinstance(line, dict):
            bits = [f"{k} {v if not isinstance(v, list) else ' '.join(map(str, v))}" for k, v in line.items()]
            parts.append(f"line {i}: " + ", ".join(bits))
    for key, value in claim.items():
        if key not in ("diagnoses", "lines"):
            parts.append(f"{key} = {value}")
    if case.claim_file:
        parts.append(f"claim file `{case.claim_file}`")
    return "; ".join(parts) or "the pack's default claim"


def rule_page(pack: Pack, rule: Rule, kind: RuleKind | None = None) -> str:
    """One rule's Markdown page."""
    outcome = " ".join(
        x
        for x in (str(rule.severity), "-".join(x for x in (rule.group, rule.carc) if x), " ".join(rule.rarcs))
        if x
    )
    fires = [c for c in rule.cases if rule.code in c.expect]
    quiet = [c for c in rule.cases if rule.code not in c.expect]
    lines = [
        f"# {rule.code} {rule.name}",
        "",
        f"`{rule.kind}` · {outcome} · {rule.status} · pack `{pack.meta.label}` · "
        f"payers: {', '.join(pack.meta.payers) or 'none (reference)'}",
        "",
        SECTIONS[0],
        "",
        rule.summary,
        "",
    ]
    if kind is not None and kind.summary:
        lines += [f"Kind `{kind.name}`: {kind.summary}.", ""]
    lines += [SECTIONS[1], "", rule.why or "The payer does not pay for it; see the references.", ""]
    lines += [SECTIONS[2], ""]
    for case in fires[:2]:
        lines.append(f"Fires: *{case.name}* — {case_summary(case)} → `{', '.join(case.expect)}`")
        lines.append("")
    for case in quiet[:2]:
        lines.append(f"Does not fire: *{case.name}* — {case_summary(case)} → no `{rule.code}`")
        lines.append("")
    lines += ["Message:", "", f"> {rule.message}", ""]
    lines += [SECTIONS[3], "", f"- {rule.citation}", f"- {pack.meta.source}", ""]
    dates = f"Effective {rule.effective_from} to {rule.effective_to or 'open'} (by date of service)."
    since = f" Since pack version {rule.since}." if rule.since else ""
    lines += [SECTIONS[4], "", dates + since, ""]
    return "\n".join(lines)


def write_docs(packs: list[Pack], kinds: Mapping[str, RuleKind], output: Path) -> list[Path]:
    """Write ``CODE.md`` per rule (the latest version of each code) and an ``index.md``."""
    output.mkdir(parents=True, exist_ok=True)
    latest: dict[str, tuple[Pack, Rule]] = {}
    for pack in packs:
        for rule in pack.rules:
            if rule.code not in latest or rule.effective_from > latest[rule.code][1].effective_from:
                latest[rule.code] = (pack, rule)
    written = []
    index = ["# Rules", "", "| code | name | kind | pack | status |", "|---|---|---|---|---|"]
    for code in sorted(latest):
        pack, rule = latest[code]
        path = output / f"{code}.md"
        with atomic_output(path, newline=None) as handle:
            handle.write(rule_page(pack, rule, kinds.get(rule.kind)))
        written.append(path)
        index.append(
            f"| [{code}]({code}.md) | {rule.name} | {rule.kind} | {pack.meta.label} | {rule.status} |"
        )
    with atomic_output(output / "index.md", newline=None) as handle:
        handle.write("\n".join(index) + "\n")
    return written
