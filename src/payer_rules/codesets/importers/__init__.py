"""Importers for official code-set files, offered by the core as ``data import`` kinds.

Each writes one version database into the data directory; the engine registers every imported
version at start (user imports win over what plugins ship for the same dates).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from payer_rules.codesets.store import CodeSetData, slug, write_version
from payer_rules.errors import InputError, UsageError
from payer_rules.store import ImporterInfo, ImportOptions, ImportReport, file_sha256

__all__ = ["BUILTIN_IMPORTERS", "CODESET_KINDS", "import_hcpcs", "import_icd10cm"]


def _one_file(paths: Sequence[Path], kind: str) -> Path:
    if len(paths) != 1:
        msg = f"data import {kind} takes one file per release, got {len(paths)}; import them one by one"
        raise UsageError(msg)
    path = paths[0]
    if not path.is_file():
        raise InputError(str(path), "expected a file")
    return path


def _run(
    kind: str, parse: Callable[..., CodeSetData], paths: Sequence[Path], options: ImportOptions
) -> ImportReport:
    path = _one_file(paths, kind)
    data = parse(path, effective=options.effective)
    # Named by content: importing a version again from other files writes a new database and
    # leaves the one in force untouched until the catalogue entry names the new one (the
    # commit point; payer_rules.store), so a killed import never changes what is in force.
    database = options.data_dir / f"{kind}-{slug(data.name)}-{file_sha256(path)[:12]}.sqlite"
    rows = write_version(data, database)
    notes = f"{data.name}: {rows} billable codes"
    if data.headers:
        notes += f", {len(data.headers)} headers"
    return ImportReport(
        kind=kind,
        version=data.name,
        rows=rows,
        sources=(path,),
        database=database,
        effective_from=data.effective_from,
        effective_to=data.effective_to,
        notes=notes + "; used for dates of service in that range from the next run on",
    )


def import_icd10cm(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    from payer_rules.codesets.importers.icd10cm import parse_icd10cm

    return _run("icd10cm", parse_icd10cm, paths, options)


def import_hcpcs(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    from payer_rules.codesets.importers.hcpcs import parse_hcpcs

    return _run("hcpcs", parse_hcpcs, paths, options)


BUILTIN_IMPORTERS = (
    ImporterInfo(
        kind="icd10cm",
        summary="ICD-10-CM release: CDC order file, tabular XML, codes file or code,title CSV",
        run=import_icd10cm,
    ),
    ImporterInfo(
        kind="hcpcs",
        summary="HCPCS Level II: CMS alpha-numeric annual file (HCPCYYYY_ANWEB)",
        run=import_hcpcs,
    ),
)

#: Catalogue kinds whose datasets are code-set versions the engine registers.
CODESET_KINDS = frozenset(info.kind for info in BUILTIN_IMPORTERS)
