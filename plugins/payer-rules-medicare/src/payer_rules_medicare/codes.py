"""Medicare's code edits, asked of the engine's code-set registry by date of service.

Diagnoses: MCR001 (not valid on the date of service, naming where it is valid), MCR002 (a
header, a missing 7th character or placeholder X), MCR003 (no loaded code set can judge it: a
warning, the claim goes on). ICD-10-CM conventions: MCR004 Excludes1 pair (warning: the
guidelines allow both when the conditions are unrelated), MCR005 manifestation first-listed,
MCR006 unspecified laterality (warning), MCR007 age conflict (warning: the age lists are derived,
see :mod:`payer_rules.codesets.icd10cm`), MCR008 sex conflict (line denied; modifier KX, which
CMS asks for on gender-specific services, bypasses it). Procedures: MCR015 for a HCPCS code a
loaded release shows invalid on the date; MCR016 warns where a loaded list cannot judge a code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from payer_rules.codesets.icd10cm import ConventionIssue, Icd10cmNotes, IssueKind, check_conventions
from payer_rules.codesets.registry import ICD10CM, CodeSetVersion, Outcome, procedure_system
from payer_rules.context import Context
from payer_rules.models import Claim
from payer_rules.results import Finding
from payer_rules_medicare.edits import finding

_VALID = Outcome.VALID  # a module constant: enum class lookups are slow on Python 3.11
_NEEDS_CHARACTERS = (Outcome.HEADER, Outcome.MISSING_7TH, Outcome.PLACEHOLDER_X)

_CONVENTION_RULES = {
    IssueKind.EXCLUDES1: "MCR004",
    IssueKind.MANIFESTATION_FIRST: "MCR005",
    IssueKind.UNSPECIFIED_LATERALITY: "MCR006",
    IssueKind.AGE_CONFLICT: "MCR007",
    IssueKind.SEX_CONFLICT: "MCR008",
}


def diagnosis_codes(claim: Claim, context: Context) -> Iterator[Finding]:
    """Each diagnosis against the ICD-10-CM release in force on the dates of the lines using it."""
    registry = context.code_sets
    checked: set[tuple[str, str | None]] = set()
    asked: set[tuple[str, dt.date]] = set()
    for n, line in enumerate(claim.lines, 1):
        day = context.rules_date(line.service_date)
        for dx in claim.diagnoses_for(line):
            if (dx.code, day) in asked:
                continue  # lines of one date share their diagnoses' answers
            asked.add((dx.code, day))
            status = registry.lookup(ICD10CM, dx.code, day)
            if status.outcome is _VALID:
                continue
            key = (dx.code, status.version.name if status.version else str(day))
            if key in checked:
                continue
            checked.add(key)
            message = f"diagnosis {status.message}"
            if status.outcome in _NEEDS_CHARACTERS:
                yield finding("MCR002", message, line=n)
            elif status.outcome.known_invalid:
                yield finding("MCR001", message, line=n)
            else:
                yield finding("MCR003", message, line=n)


#: What the conventions say about a claim's diagnoses depends only on the release, the codes, the
#: patient's age and sex: claims repeat a few thousand such combinations, so the answers are kept.
_CONVENTIONS: dict[tuple[CodeSetVersion, tuple[str, ...], int | None, str], list[ConventionIssue]] = {}
_CONVENTIONS_MAX = 50_000


def diagnosis_conventions(claim: Claim, context: Context) -> Iterator[Finding]:
    """ICD-10-CM conventions on the claim's valid diagnoses, by the release of its first line."""
    day = context.rules_date(claim.first_service_date)
    version = context.code_sets.version_on(ICD10CM, day)
    if version is None or not isinstance(version.table.notes, Icd10cmNotes):
        return
    # invalid codes are MCR001 / MCR002's business; conventions judge the valid ones
    codes = tuple(dx.code for dx in claim.diagnoses if version.is_billable(dx.code))
    birth = claim.patient.birth_date
    age = None if birth is None else day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    key = (version, codes, age, str(claim.patient.sex))
    issues = _CONVENTIONS.get(key)
    if issues is None:
        issues = check_conventions(
            version.table.notes, codes, version=version.name, birth_date=birth, day=day, sex=key[3]
        )
        if len(_CONVENTIONS) >= _CONVENTIONS_MAX:
            _CONVENTIONS.clear()
        _CONVENTIONS[key] = issues
    for issue in issues:
        if issue.kind is IssueKind.MANIFESTATION_FIRST and claim.diagnoses[0].code != issue.code:
            continue
        if issue.kind is IssueKind.SEX_CONFLICT:
            for n, line in enumerate(claim.lines, 1):
                pointed = {dx.code for dx in claim.diagnoses_for(line)}
                if issue.code in pointed and "KX" not in line.modifiers:
                    yield finding("MCR008", f"line {n}: {issue.message}", line=n)
            continue
        yield finding(_CONVENTION_RULES[issue.kind], issue.message)


def procedure_codes(claim: Claim, context: Context) -> Iterator[Finding]:
    """HCPCS / CPT codes against the loaded releases; silent where none was ever loaded."""
    registry = context.code_sets
    for n, line in enumerate(claim.lines, 1):
        system = procedure_system(line.procedure)
        if not registry.versions(system):
            continue  # no list of this system at all: `payer-rules data list` shows what is missing
        status = registry.lookup(system, line.procedure, context.rules_date(line.service_date))
        if status.outcome is _VALID:
            continue
        if status.outcome.known_invalid:
            yield finding("MCR015", f"line {n}: procedure {status.message}", line=n)
        else:
            yield finding("MCR016", f"line {n}: procedure {status.message}", line=n)
