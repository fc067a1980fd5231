"""Listing commands: plugins, payers, explain.

``--format table`` on a terminal is a rich table sized to the window; off a terminal it is plain
aligned text, one row per line, so scripts that read it keep working. ``--format json`` (or its
old alias ``--json``) is for programs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

import click

from payer_rules.cli.options import examples, global_options, listing_format, wants_json
from payer_rules.cli.state import get_engine


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None) -> None:
    """Aligned columns: a rich table on a terminal, plain padded text elsewhere (stable to parse)."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*headers, title=title, title_justify="left", header_style="bold")
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    for row in (headers, *rows):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@click.command("plugins", epilog=examples("payer-rules plugins", "payer-rules plugins --format json"))
@listing_format
@global_options
def plugins_command(fmt: str, as_json: bool) -> None:
    """Installed plugins, their versions and the hooks each implements."""
    engine = get_engine()
    rows = [
        {"name": p.name, "distribution": p.distribution, "version": p.version, "hooks": list(p.hooks)}
        for p in engine.plugins
    ]
    if wants_json(fmt, as_json):
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No payer-rules plugins installed.")
        return
    print_table(
        ("plugin", "distribution", "version", "hooks"),
        [(str(r["name"]), str(r["distribution"]), str(r["version"]), ", ".join(r["hooks"])) for r in rows],
    )


@click.command(
    "payers", epilog=examples("payer-rules payers", "payer-rules --rulepacks my-payers payers --format json")
)
@listing_format
@global_options
def payers_command(fmt: str, as_json: bool) -> None:
    """Payer ids you can pass to --payer, who provides each and the kinds of claim it prices.

    A claim of any other kind gets a not-modelled pend (ENG005) on every line, never a price.
    """
    engine = get_engine()
    rows = [
        {
            "id": p.id,
            "name": p.name,
            "kind": str(p.kind),
            "provider": p.provider,
            "claim_kinds": sorted(str(k) for k in p.claim_kinds),
            "not_priced": {
                str(h.kind): {"method": h.method, "remedy": h.remedy, "citation": h.citation}
                for h in sorted(p.kind_hints, key=lambda h: str(h.kind))
                if h.kind not in p.claim_kinds
            },
        }
        for p in engine.payers.values()
    ]
    if wants_json(fmt, as_json):
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No payers: no payer plugin is installed (e.g. pip install payer-rules-medicare).")
        return
    print_table(
        ("id", "kind", "name", "provider", "prices"),
        [
            (
                str(r["id"]),
                str(r["kind"]),
                str(r["name"]),
                str(r["provider"]),
                ", ".join(r["claim_kinds"]) or "nothing",
            )
            for r in rows
        ],
    )


@click.command(
    "explain", epilog=examples("payer-rules explain MCR101", "payer-rules explain BPK101 --format json")
)
@click.argument("code")
@listing_format
@global_options
def explain_command(code: str, fmt: str, as_json: bool) -> None:
    """What a rule checks, why, its source, its dates and the payers that use it."""
    rule = get_engine().rule(code)
    if wants_json(fmt, as_json):
        click.echo(
            json.dumps(
                {
                    "code": rule.code,
                    "name": rule.name,
                    "summary": rule.summary,
                    "why": rule.why,
                    "citation": rule.citation,
                    "payers": list(rule.payers),
                    "effective_from": rule.effective_from.isoformat() if rule.effective_from else None,
                    "effective_to": rule.effective_to.isoformat() if rule.effective_to else None,
                    "severity": rule.severity,
                    "carc": rule.carc,
                    "rarcs": list(rule.rarcs),
                    "other_rarcs": list(rule.other_rarcs),
                    "group": rule.group,
                    "status": rule.status,
                    "source": rule.source,
                },
                indent=2,
            )
        )
        return
    dates = f"{rule.effective_from or 'always'} to {rule.effective_to or 'open'}"
    outcome = " ".join(
        x
        for x in (rule.severity, f"{rule.group or ''}-{rule.carc or ''}".strip("-"), " ".join(rule.rarcs))
        if x
    )
    click.echo(f"{rule.code} {rule.name} [{rule.status}]")
    click.echo(f"  What it checks: {rule.summary}")
    if rule.why:
        click.echo(f"  Why: {rule.why}")
    click.echo(f"  Outcome: {outcome}")
    if rule.other_rarcs:
        click.echo(f"  Also sends: {' '.join(rule.other_rarcs)} (remark codes on some findings)")
    click.echo(f"  Effective: {dates}")
    click.echo(f"  Payers: {', '.join(rule.payers) or 'any'}")
    click.echo(f"  Citation: {rule.citation or '-'}")
    click.echo(f"  Source: {rule.source}")
