"""``payer-rules data``: import official files into the data directory and list what is there."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from payer_rules.cli.options import DATE, examples, global_options, listing_format, wants_json
from payer_rules.cli.state import get_engine, reset_engine
from payer_rules.errors import UsageError
from payer_rules.store import ImportCatalog, ImportOptions, data_dir, list_datasets


@click.group(
    "data",
    epilog=examples(
        "payer-rules data import mpfs RVU25D/ ZIP5_OCT2025.txt",
        "payer-rules data import icd10cm icd10cm_tabular_2026.xml --effective 2026-04-01",
        "payer-rules data list --format json",
    ),
)
def data_group() -> None:
    """Import official CMS / CDC files and list the imported datasets."""


@data_group.command("import")
@click.argument("kind")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--effective",
    type=DATE,
    help="Effective date of this release, when the file does not say.",
)
def import_command(kind: str, paths: tuple[Path, ...], effective: dt.date | None) -> None:
    """Import PATHS (files or an unzipped bundle directory) as KIND; see `data kinds`."""
    importer = get_engine().importer(kind)
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    directory = data_dir()
    catalog = ImportCatalog(directory, importer.provider)
    try:
        report = importer.run(paths, ImportOptions(effective=effective, data_dir=directory, catalog=catalog))
        # the data and its catalogue entry in one commit: a failed or killed import leaves both
        record = catalog.commit(report)
    finally:
        catalog.abandon()
    reset_engine()  # the next command in this process sees the new data
    span = f"{record.effective_from or '-'} .. {record.effective_to or 'open'}"
    click.echo(
        f"imported {record.kind} {record.version}: {record.rows} rows, effective {span}, "
        f"into {directory / record.database}"
    )
    if report.notes:
        click.echo(report.notes)


@data_group.command("kinds")
def kinds_command() -> None:
    """The kinds of data the installed plugins can import."""
    importers = get_engine().importers
    if not importers:
        click.echo("No importers installed.")
    for info in importers.values():
        click.echo(f"{info.kind:<14} {info.summary}  ({info.provider})")


@data_group.command("list")
@listing_format
@global_options
def list_command(fmt: str, as_json: bool) -> None:
    """Imported datasets with versions, effective ranges, row counts and source checksums."""
    records = list_datasets()
    code_sets = [
        {
            "system": v.system,
            "name": v.name,
            "effective_from": v.effective_from.isoformat(),
            "effective_to": v.effective_to.isoformat() if v.effective_to else None,
            "complete": v.complete,
            "provider": v.provider,
            "source": v.source,
        }
        for v in get_engine().code_sets
    ]
    if wants_json(fmt, as_json):
        click.echo(
            json.dumps(
                {
                    "code_sets": code_sets,
                    "datasets": [
                        {
                            "kind": r.kind,
                            "version": r.version,
                            "effective_from": r.effective_from.isoformat() if r.effective_from else None,
                            "effective_to": r.effective_to.isoformat() if r.effective_to else None,
                            "rows": r.rows,
                            "database": r.database,
                            "sources": [{"file": f, "sha256": h} for f, h in r.sources],
                            "imported_at": r.imported_at,
                            "provider": r.provider,
                        }
                        for r in records
                    ],
                },
                indent=2,
            )
        )
        return
    click.echo(f"data directory: {data_dir()}")
    if not records:
        click.echo("No datasets imported yet (payer-rules data import KIND FILE...).")
    if code_sets:
        click.echo("code sets in force, by date of service:")
    for c in code_sets:
        span = f"{c['effective_from']} .. {c['effective_to'] or 'open'}"
        partial = "" if c["complete"] else "  (partial list)"
        click.echo(f"  {c['name']:<24} {span:<26} {c['provider']}{partial}")
    if records:
        click.echo("imported datasets:")
    for r in records:
        span = f"{r.effective_from or '-'} .. {r.effective_to or 'open'}"
        click.echo(f"{r.kind:<12} {r.version:<22} {span:<26} {r.rows:>10} rows  {r.provider}")
        for name, sha in r.sources:
            click.echo(f"    {name}  sha256:{sha[:16]}")
