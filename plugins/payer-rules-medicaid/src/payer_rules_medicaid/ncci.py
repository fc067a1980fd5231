"""Medicaid NCCI: the Medicare plugin's PTP / MUE importers and edits, on Medicaid's own tables.

CMS publishes Medicaid NCCI procedure-to-procedure and MUE files separately from Medicare's,
with the same columns and the same edit semantics (Medicaid NCCI Technical Guidance Manual).
``payer-rules data import medicaid-ncci-ptp FILE...`` / ``medicaid-ncci-mue FILE`` run the
Medicare importers into ``medicaid-ncci-*.sqlite``; the Medicare evaluators then judge Medicaid
claims from those databases, and their findings are re-coded MCD301 / MCD302. With nothing
imported there are no NCCI findings (NCCI has no starter table).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.results import Finding
from payer_rules.store import ImporterInfo, ImportOptions, ImportReport
from payer_rules_medicaid.rules import recode
from payer_rules_medicare.imported import ImportedTables, TableFiles, imported
from payer_rules_medicare.ncci.mue import import_mue, mue_findings
from payer_rules_medicare.ncci.ptp import import_ptp, ptp_findings

__all__ = ["IMPORTERS", "MUE_DB", "PTP_DB", "ncci_findings"]

PTP_DB = "medicaid-ncci-ptp.sqlite"
MUE_DB = "medicaid-ncci-mue.sqlite"


def _import_ptp(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    return import_ptp(paths, options, database=PTP_DB, kind="medicaid-ncci-ptp")


def _import_mue(paths: Sequence[Path], options: ImportOptions) -> ImportReport:
    return import_mue(paths, options, database=MUE_DB, kind="medicaid-ncci-mue")


IMPORTERS = (
    ImporterInfo(
        kind="medicaid-ncci-ptp",
        summary="Medicaid NCCI practitioner PTP edits (same layout as Medicare's ccipra files)",
        run=_import_ptp,
    ),
    ImporterInfo(
        kind="medicaid-ncci-mue",
        summary="Medicaid NCCI practitioner MUE table (same layout as Medicare's MUE CSV)",
        run=_import_mue,
    ),
)


#: Medicaid's NCCI databases, opened and cached as the Medicare plugin opens its own.
MEDICAID_FILES = TableFiles(mpfs=None, clfs=None, ptp=PTP_DB, mue=MUE_DB)


def tables(directory: Path | None = None) -> ImportedTables:
    """Medicaid's NCCI tables in the data directory, opened once per process (and per import)."""
    return imported(directory, MEDICAID_FILES)


def ncci_findings(claim: Claim, context: Context) -> Iterator[Finding]:
    """PTP and MUE findings from Medicaid's tables, as MCD301 / MCD302."""
    found = tables()
    for f in ptp_findings(claim, context, found):
        yield recode(f, "MCD301")
    for f in mue_findings(claim, context, found):
        yield recode(f, "MCD302")
