"""ICD-10-CM conventions payers edit on, read from the tabular list's own notes.

* **Excludes1** pairs billed together (the tabular's ``<excludes1>`` notes, with their code
  references and ranges, applying to the node and every code below it);
* **manifestation** codes (titles "in diseases classified elsewhere") never first-listed;
* **unspecified laterality** where the same title exists for the right or left side;
* **age and sex** conflicts. CMS publishes the official lists in the Medicare Code Editor
  (MCE) definitions; those files are not available here, so the lists are derived from the
  tabular: female for chapter 15 and "female genital / pelvic" blocks, male for "male genital"
  blocks; maternity for notes "for use only on maternal records" (chapter 15, Z3A, Z37);
  newborn for "for use on newborn records only" (chapter 16) and Z38. The derived lists are a
  subset of the MCE's (no pediatric or adult lists), so they flag less, never more. The MCE age
  ranges are kept: newborn 0, pediatric 0-17, maternity 9-64, adult 15-124.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum

from attrs import field, frozen

from payer_rules.codesets.registry import dotted

__all__ = [
    "AGE_RANGES",
    "ConventionIssue",
    "Icd10cmNotes",
    "IssueKind",
    "check_conventions",
]

#: MCE age edits: group -> (youngest, oldest) in years.
AGE_RANGES: Mapping[str, tuple[int, int]] = {
    "newborn": (0, 0),
    "pediatric": (0, 17),
    "maternity": (9, 64),
    "adult": (15, 124),
}

Range = tuple[str, str]


def _longest(mapping: Mapping[str, str], code: str) -> str | None:
    for n in range(len(code), 2, -1):
        value = mapping.get(code[:n])
        if value is not None:
            return value
    return None


def _in_range(code: str, span: Range) -> bool:
    lo, hi = span
    return lo <= code[: len(lo)] and code[: len(hi)] <= hi


@frozen(kw_only=True)
class Icd10cmNotes:
    """The conventions of one ICD-10-CM version, keyed by node (category, subcategory, code).

    Args:
        excludes1: node -> ranges of codes that may not be billed with anything under it.
        manifestations: nodes whose codes may not be first-listed.
        laterality: billable code (or 7th-character stem) with unspecified side -> a code for
            a specified side.
        sex: node -> ``M`` or ``F``: the only sex its codes are consistent with.
        age: node -> an :data:`AGE_RANGES` group.
    """

    excludes1: Mapping[str, tuple[Range, ...]] = field(factory=dict)
    manifestations: frozenset[str] = frozenset()
    laterality: Mapping[str, str] = field(factory=dict)
    sex: Mapping[str, str] = field(factory=dict)
    age: Mapping[str, str] = field(factory=dict)

    def excluded_by(self, code: str) -> tuple[Range, ...]:
        out: list[Range] = []
        for n in range(3, len(code) + 1):
            out.extend(self.excludes1.get(code[:n], ()))
        return tuple(out)

    def excludes1_pair(self, a: str, b: str) -> bool:
        return any(_in_range(b, r) for r in self.excluded_by(a)) or any(
            _in_range(a, r) for r in self.excluded_by(b)
        )

    def is_manifestation(self, code: str) -> bool:
        return any(code[:n] in self.manifestations for n in range(3, len(code) + 1))

    def lateral_alternative(self, code: str) -> str | None:
        found = self.laterality.get(code)
        if found is None and len(code) == 7:
            stem = self.laterality.get(code[:6])
            found = stem + code[6] if stem and len(stem) == 6 else stem
        return found

    def sex_of(self, code: str) -> str | None:
        return _longest(self.sex, code)

    def age_group(self, code: str) -> str | None:
        return _longest(self.age, code)


class IssueKind(StrEnum):
    EXCLUDES1 = "excludes1"
    MANIFESTATION_FIRST = "manifestation-first-listed"
    UNSPECIFIED_LATERALITY = "unspecified-laterality"
    AGE_CONFLICT = "age-conflict"
    SEX_CONFLICT = "sex-conflict"


@frozen(kw_only=True)
class ConventionIssue:
    """One convention a set of diagnoses breaks; payers decide what it costs."""

    kind: IssueKind
    code: str
    message: str
    other: str | None = None


def check_conventions(
    notes: Icd10cmNotes,
    codes: Sequence[str],
    *,
    version: str,
    birth_date: dt.date | None = None,
    day: dt.date | None = None,
    sex: str | None = None,
) -> list[ConventionIssue]:
    """The conventions ``codes`` (in claim order, first-listed first) break.

    :param notes: the conventions of the version in force.
    :param version: its name, for messages.
    :param birth_date: with ``day``, the patient's age for the age edits (skipped without).
    :param sex: ``M`` or ``F`` (anything else skips the sex edits).
    """
    issues: list[ConventionIssue] = []
    if codes and notes.is_manifestation(codes[0]):
        issues.append(
            ConventionIssue(
                kind=IssueKind.MANIFESTATION_FIRST,
                code=codes[0],
                message=(
                    f"{dotted('icd-10-cm', codes[0])} is a manifestation code ({version}): it may not "
                    "be first-listed; sequence the underlying condition first"
                ),
            )
        )
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            if a != b and notes.excludes1_pair(a, b):
                issues.append(
                    ConventionIssue(
                        kind=IssueKind.EXCLUDES1,
                        code=a,
                        other=b,
                        message=(
                            f"{dotted('icd-10-cm', a)} and {dotted('icd-10-cm', b)} are an Excludes1 pair "
                            f"in {version}: they are not reported together unless the conditions are "
                            "unrelated"
                        ),
                    )
                )
    age = None
    if birth_date is not None and day is not None:
        age = day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
    for code in dict.fromkeys(codes):
        shown = dotted("icd-10-cm", code)
        lateral = notes.lateral_alternative(code)
        if lateral is not None:
            issues.append(
                ConventionIssue(
                    kind=IssueKind.UNSPECIFIED_LATERALITY,
                    code=code,
                    other=lateral,
                    message=(
                        f"{shown} does not say which side; {version} has codes for the side "
                        f"(e.g. {dotted('icd-10-cm', lateral)})"
                    ),
                )
            )
        group = notes.age_group(code)
        if group is not None and age is not None:
            low, high = AGE_RANGES[group]
            if not low <= age <= high:
                issues.append(
                    ConventionIssue(
                        kind=IssueKind.AGE_CONFLICT,
                        code=code,
                        message=(
                            f"{shown} is a {group} diagnosis (ages {low}-{high}) and the patient is {age}"
                        ),
                    )
                )
        only = notes.sex_of(code)
        if only is not None and sex in ("M", "F") and sex != only:
            word = {"M": "male", "F": "female"}
            issues.append(
                ConventionIssue(
                    kind=IssueKind.SEX_CONFLICT,
                    code=code,
                    message=f"{shown} is a {word[only]}-only diagnosis and the patient is {word[sex]}",
                )
            )
    return issues
