"""Listing commands: plugins, payers, explain."""

from __future__ import annotations

import json

import click

from payer_rules.cli.state import get_engine


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_command(as_json: bool) -> None:
    """Installed plugins, their versions and the hooks each implements."""
    engine = get_engine()
    rows = [
        {"name": p.name, "distribution": p.distribution, "version": p.version, "hooks": list(p.hooks)}
        for p in engine.plugins
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No payer-rules plugins installed.")
        return
    for row in rows:
        click.echo(f"{row['name']}  {row['distribution']} {row['version']}")
        click.echo(f"    hooks: {', '.join(row['hooks'])}")


@click.command("payers")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def payers_command(as_json: bool) -> None:
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
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No payers: no payer plugin is installed (e.g. pip install payer-rules-medicare).")
        return
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        click.echo(f"{r['id']:<{width}}  {r['kind']:<10}  {r['name']}  ({r['provider']})")
        click.echo(f"{'':<{width}}  prices: {', '.join(r['claim_kinds']) or 'nothing'}")


@click.command("explain")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def explain_command(code: str, as_json: bool) -> None:
    """What a rule checks, why, its source, its dates and the payers that use it."""
    rule = get_engine().rule(code)
    if as_json:
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
    click.echo(f"  Effective: {dates}")
    click.echo(f"  Payers: {', '.join(rule.payers) or 'any'}")
    click.echo(f"  Citation: {rule.citation or '-'}")
    click.echo(f"  Source: {rule.source}")
