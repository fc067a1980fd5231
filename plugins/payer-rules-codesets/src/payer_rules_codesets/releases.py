"""ICD-10-CM FY2026 from the CDC tabular list that ``simple-icd-10-cm`` ships, and FY2025 from it.

FY2026 (in force 2025-10-01 to 2026-09-30) is read from the April 1, 2026 tabular XML. The
April update changed no code: its billable codes are exactly those of the October 1, 2025 codes
file (the plugin tests check this against the CDC file). FY2025 (2024-10-01 to 2025-09-30) is
FY2026 less the codes the FY2026 addenda added plus those it deleted (``data/`` ships the
addenda: 487 added, 28 deleted); its headers are FY2026's that still head a FY2025 code, plus
the categories of the deleted codes. Titles revised in FY2026 read as in FY2026, and FY2025
uses FY2026's tabular notes (Excludes1, manifestations, age, sex): the gaps of a derived year.

Both years are cached in ``<data dir>/cache/`` (:mod:`payer_rules.codesets.cache`), keyed by
the XML, the addenda and the modules that derive them, so only the first run after an install
or an upgrade parses the 10 MB XML and derives FY2025; every later process reads each year back
in a few tens of milliseconds.
"""

from __future__ import annotations

import importlib.util
import tomllib
from functools import cache
from pathlib import Path

from payer_rules.codesets import registry
from payer_rules.codesets.cache import Releases, cached_table
from payer_rules.codesets.importers import icd10cm
from payer_rules.codesets.importers.icd10cm import fiscal_year_span
from payer_rules.codesets.registry import ICD10CM, CodeSetVersion, CodeTable

ADDENDA = Path(__file__).parent / "data" / "icd10cm_fy2026_addenda.toml"
FY2026 = "ICD-10-CM FY2026"
FY2025 = "ICD-10-CM FY2025"
#: What the cache keeps of ICD-10-CM: these releases; the SQLite tables versions before the
#: marshal cache kept FY2026 in (``icd10cm-fy2026-DIGEST.sqlite``) and other releases go.
CACHED = Releases("ICD-10-CM", (FY2025, FY2026), retired=("icd10cm-*.sqlite",))


def tabular_xml() -> Path:
    """The tabular XML inside the installed ``simple-icd-10-cm``."""
    # find_spec locates the package without importing it: importing simple_icd_10_cm parses
    # the whole XML into its own tree (two seconds), which this plugin never uses.
    spec = importlib.util.find_spec("simple_icd_10_cm")
    folders = list(spec.submodule_search_locations or ()) if spec else []
    xmls = [p for f in folders for p in Path(f, "data").glob("icd10c-tabular*.xml")]
    if not xmls:  # pragma: no cover - a broken install
        msg = "simple-icd-10-cm ships no tabular XML; reinstall payer-rules-codesets"
        raise FileNotFoundError(msg)
    return sorted(xmls)[-1]


def _derivers() -> list[Path]:
    """The modules whose code decides the tables: a change to them invalidates the cache."""
    return [Path(__file__), Path(icd10cm.__file__), Path(registry.__file__)]


@cache
def load_fy2026() -> CodeTable:
    xml = tabular_xml()
    return cached_table(FY2026, [xml, *_derivers()], lambda: build_fy2026(xml), releases=CACHED)


def build_fy2026(xml: Path) -> CodeTable:
    """FY2026 parsed from the tabular XML (what the cache holds)."""
    return icd10cm.parse_icd10cm(xml).table()


@cache
def addenda() -> tuple[frozenset[str], dict[str, str]]:
    with ADDENDA.open("rb") as fh:
        raw = tomllib.load(fh)
    return frozenset(raw["added"]), dict(raw["deleted"])


@cache
def load_fy2025() -> CodeTable:
    return cached_table(
        FY2025, [tabular_xml(), ADDENDA, *_derivers()], lambda: build_fy2025(load_fy2026()), releases=CACHED
    )


def build_fy2025(fy2026: CodeTable) -> CodeTable:
    """FY2025 derived from FY2026 and the addenda (what the cache holds)."""
    added, deleted = addenda()
    billable = (fy2026.billable - added) | deleted.keys()
    prefixes = {code[:n] for code in billable for n in range(3, len(code))}
    of_deleted = {code[:n] for code in deleted for n in range(3, len(code)) if code[n - 1] != "X"}
    headers = ((fy2026.headers | of_deleted) & prefixes) - billable
    descriptions = {c: t for c, t in fy2026.descriptions.items() if c in billable or c in headers}
    descriptions.update(deleted)
    return CodeTable.build(
        billable, headers=headers, descriptions=descriptions, notes=fy2026.notes, seventh_character=True
    )


def versions() -> list[CodeSetVersion]:
    source = f"CDC ICD-10-CM tabular list, April 1, 2026 ({tabular_xml().name}, simple-icd-10-cm)"
    start25, end25 = fiscal_year_span(2025)
    start26, end26 = fiscal_year_span(2026)
    return [
        CodeSetVersion(
            system=ICD10CM,
            name=FY2025,
            effective_from=start25,
            effective_to=end25,
            loader=load_fy2025,
            source=f"FY2026 less the FY2026 addenda ({ADDENDA.name}); {source}",
        ),
        CodeSetVersion(
            system=ICD10CM,
            name=FY2026,
            effective_from=start26,
            effective_to=end26,
            loader=load_fy2026,
            source=source,
        ),
    ]
