"""ICD-10-CM importers for the official CDC / CMS layouts.

Recognised by content, so one command takes any of them:

* the **order file** ``icd10cm_order_YYYY.txt`` (fixed width: 1-5 order number, 7-13 code,
  15 header flag ``0``/``1``, 17-76 short title, 78- long title);
* the **tabular list XML** (``icd10cm_tabular_YYYY.xml``, also shipped by ``simple-icd-10-cm``):
  codes, headers, 7th characters and the notes the conventions need;
* the **codes file** ``icd10cm_codes_YYYY.txt`` (code, spaces, title) or a plain list of codes;
* a **CSV** of ``code,description`` (no header).

The fiscal year comes from the file (``<version>`` in the XML, ``YYYY`` / ``FYYYYY`` in the file
name) or from ``--effective``; FY N is in force from N-1-10-01 to N-09-30. An ``--effective``
date other than October 1 marks a mid-year update (the April 1 release) and is named so.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from payer_rules.codesets.icd10cm import Icd10cmNotes
from payer_rules.codesets.registry import ICD10CM, SHAPES
from payer_rules.codesets.store import CodeSetData
from payer_rules.errors import InputError, echo

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

__all__ = [
    "derive_laterality",
    "fiscal_year_span",
    "parse_codes",
    "parse_icd10cm",
    "parse_order_file",
    "parse_tabular",
]

_ORDER_LINE = re.compile(r"(\d{5}) ([A-Z0-9]{3,7}) *([01]) (.*)")
_YEAR = re.compile(r"(?:fy|_|-|^)(20\d\d)(?!\d)", re.IGNORECASE)
_CODE_REF = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{0,4})?")
_SHAPE = SHAPES[ICD10CM]


def fiscal_year_span(year: int) -> tuple[dt.date, dt.date]:
    """FY ``year``: October 1 of the year before to September 30."""
    return dt.date(year - 1, 10, 1), dt.date(year, 9, 30)


def _year_from_name(path: Path) -> int | None:
    match = _YEAR.search(path.stem)
    return int(match.group(1)) if match else None


def _release(year: int | None, effective: dt.date | None, path: Path) -> tuple[str, dt.date, dt.date | None]:
    if year is None and effective is not None:
        year = effective.year + 1 if effective.month >= 10 else effective.year
    if year is None:
        raise InputError(
            str(path), "cannot tell the fiscal year: name the file with the year or give --effective"
        )
    start, end = fiscal_year_span(year)
    name = f"ICD-10-CM FY{year}"
    if effective is not None and effective != start:
        name += f" ({effective} update)"
        start = effective
    return name, start, end


# -- plain lists ---------------------------------------------------------------------------


def parse_order_file(path: Path) -> tuple[set[str], set[str], dict[str, str]]:
    """Billable codes, headers and long titles from a CDC order file."""
    billable: set[str] = set()
    headers: set[str] = set()
    titles: dict[str, str] = {}
    with path.open(encoding="latin-1") as fh:
        for number, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            match = _ORDER_LINE.fullmatch(line[:16] + line[16:]) if len(line) >= 16 else None
            if match is None:
                raise InputError(
                    f"{path}:{number}",
                    "expected an order-file record (order number, code, 0/1 header flag, titles), "
                    f"got {line[:40]!r}",
                )
            code, flag = match.group(2), match.group(3)
            (billable if flag == "1" else headers).add(code)
            titles[code] = line[77:].strip() if len(line) > 77 else line[16:76].strip()
    return billable, headers, titles


def parse_codes(path: Path) -> tuple[set[str], dict[str, str]]:
    """Billable codes (and titles, where given) from a codes file, a plain list or a CSV."""
    billable: set[str] = set()
    titles: dict[str, str] = {}
    with path.open(encoding="latin-1", newline="") as fh:
        if path.suffix.lower() == ".csv":
            rows: Iterable[Sequence[str]] = csv.reader(fh)
        else:
            rows = (line.strip().split(None, 1) for line in fh)
        number = 0
        try:
            for number, row in enumerate(rows, 1):
                if not row or not row[0].strip():
                    continue
                code = row[0].strip().replace(".", "").upper()
                if not _SHAPE.fullmatch(code):
                    if number == 1 and not any(c.isdigit() for c in code):
                        continue  # a header row
                    raise InputError(f"{path}:{number}", f"expected an ICD-10-CM code, got {echo(row[0])}")
                billable.add(code)
                if len(row) > 1 and row[1].strip():
                    titles[code] = row[1].strip()
        except csv.Error as exc:  # a field over csv.field_size_limit() (128 KiB) ...
            raise InputError(f"{path}:{number + 1}", f"not a readable CSV record ({exc})") from None
    return billable, titles


# -- the tabular list -----------------------------------------------------------------------


def _texts(node: ET.Element, *tags: str) -> list[str]:
    return [n.text or "" for tag in tags for el in node.findall(tag) for n in el.findall("note")]


def _ranges(note: str) -> list[tuple[str, str]]:
    """Code references in a note: ``(A00-A09)``, ``(S06.1- to S06.6-)``, ``(E11.-, E13.-)``."""
    out: list[tuple[str, str]] = []
    for group in re.findall(r"\(([^()]*)\)", note):
        for part in re.split(r"[,;]", group):
            refs = [r.replace(".", "") for r in _CODE_REF.findall(part)]
            if len(refs) == 2 and re.search(r"\d-?\s*(?:-|to)\s*[A-Z]", part):
                out.append((refs[0], refs[1]))
            else:
                out.extend((r, r) for r in refs)
    return out


def _age_group(texts: Iterable[str]) -> str | None:
    for text in texts:
        t = text.lower()
        if "newborn records only" in t or "initial record of a newborn" in t:
            return "newborn"
        if re.search(r"only on (the )?maternal records?|on the mother's record", t) and (
            "not to be used on the mother" not in t
        ):
            return "maternity"
    return None


def _sex(desc: str) -> str | None:
    d = desc.lower()
    if "female genital" in d or "female pelvic" in d:
        return "F"
    if re.search(r"(?<!fe)male genital", d):
        return "M"
    return None


_SEVENTH_EXCEPTION = re.compile(
    r"7th characters? ((?:[A-Z](?:,\s*|\s+and\s+|\s+or\s+)?)+) do(?:es)? not apply to codes in "
    r"category ([A-Z][0-9][0-9A-Z]) with 6th characters? (.*)",
    re.IGNORECASE,
)


def _seventh_exceptions(texts: Iterable[str]) -> list[tuple[str, set[str], set[str]]]:
    """ "7th characters D and S do not apply to codes in category S06 with 6th character 7 ..."."""
    out = []
    for text in texts:
        match = _SEVENTH_EXCEPTION.search(text)
        if match:
            chars = set(re.findall(r"\b[A-Z]\b", match.group(1)))
            sixth = set(re.findall(r"(?:character|or)\s+(\w)\b", "character " + match.group(3)))
            out.append((match.group(2).upper(), chars, sixth))
    return out


def parse_tabular(path: Path) -> tuple[int | None, set[str], set[str], dict[str, str], Icd10cmNotes]:
    """The year, billable codes, headers, titles and conventions of a tabular list XML."""
    import xml.etree.ElementTree as ET  # here, not at the top: every engine imports this module

    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        line, _col = exc.position
        raise InputError(f"{path}:{line}", f"not a well-formed tabular XML: {exc}") from exc
    if root.tag != "ICD10CM.tabular":
        raise InputError(str(path), f"expected an ICD10CM.tabular document, got <{root.tag}>")
    version = (root.findtext("version") or "").strip()
    year = int(version) if version.isdigit() else None
    billable: set[str] = set()
    headers: set[str] = set()
    titles: dict[str, str] = {}
    excludes1: dict[str, tuple[tuple[str, str], ...]] = {}
    manifestations: set[str] = set()
    sex: dict[str, str] = {}
    age: dict[str, str] = {}

    def walk(
        diag: ET.Element,
        seventh: Mapping[str, str],
        exceptions: list[tuple[str, set[str], set[str]]],
        inherited_sex: str | None,
        inherited_age: str | None,
    ) -> None:
        code = (diag.findtext("name") or "").replace(".", "").strip()
        desc = (diag.findtext("desc") or "").strip()
        titles[code] = desc
        definition = diag.find("sevenChrDef")
        if definition is not None:
            seventh = {e.get("char", ""): (e.text or "").strip() for e in definition.findall("extension")}
        notes = _texts(diag, "notes", "sevenChrNote", "inclusionTerm")
        exceptions = exceptions + _seventh_exceptions(notes)
        refs = [r for note in _texts(diag, "excludes1") for r in _ranges(note)]
        if refs:
            excludes1[code] = tuple(refs)
        if "in diseases classified elsewhere" in desc.lower():
            manifestations.add(code)
        own_age = _age_group(notes) or inherited_age
        own_sex = _sex(desc) or inherited_sex or ("F" if own_age == "maternity" else None)
        if own_sex and own_sex != inherited_sex:
            sex[code] = own_sex
        if own_age and own_age != inherited_age:
            age[code] = own_age
        children = diag.findall("diag")
        if children:
            headers.add(code)
            for child in children:
                walk(child, seventh, exceptions, own_sex, own_age)
        elif seventh:
            headers.add(code)
            stem = code.ljust(6, "X")
            for char, meaning in seventh.items():
                if any(
                    stem.startswith(cat) and char in chars and stem[5] in sixth
                    for cat, chars, sixth in exceptions
                ):
                    continue
                billable.add(stem + char)
                titles[stem + char] = f"{desc}, {meaning}"
        else:
            billable.add(code)

    for chapter in root.findall("chapter"):
        chapter_age = _age_group(_texts(chapter, "notes"))
        chapter_sex = "F" if chapter_age == "maternity" else None
        for section in chapter.findall("section"):
            section_sex = _sex(section.findtext("desc") or "") or chapter_sex
            for diag in section.findall("diag"):
                code = (diag.findtext("name") or "").replace(".", "")
                if section_sex:
                    sex[code] = section_sex
                if chapter_age:
                    age[code] = chapter_age
                walk(diag, {}, [], section_sex, chapter_age)
    notes = Icd10cmNotes(
        excludes1=excludes1,
        manifestations=frozenset(manifestations),
        laterality=derive_laterality({c: titles[c] for c in billable}),
        sex=sex,
        age=age,
    )
    return year, billable, headers, {c: t for c, t in titles.items() if t}, notes


def derive_laterality(titles: Mapping[str, str]) -> dict[str, str]:
    """Codes whose title says "unspecified" where the same title for the right side is a code.

    ``H40.10X0`` ("... unspecified eye ...") has ``H40.11X0`` ("... right eye ...") and so on:
    the unspecified code maps to its right-side sibling. Only titles tell sides apart, so a list
    without titles yields nothing.
    """
    by_title = {t.lower(): c for c, t in titles.items()}
    out: dict[str, str] = {}
    for code, title in titles.items():
        lowered = title.lower()
        start = lowered.find("unspecified")
        while start != -1:
            for side in ("right", "left"):
                other = by_title.get(lowered[:start] + side + lowered[start + len("unspecified") :])
                if other is not None and other[:3] == code[:3]:
                    out[code] = other
                    break
            if code in out:
                break
            start = lowered.find("unspecified", start + 1)
    return out


# -- one entry point ------------------------------------------------------------------------


def _kind_of(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(512).lstrip()
    if head.startswith(b"<"):
        return "xml"
    first = head.split(b"\n", 1)[0].decode("latin-1")
    if _ORDER_LINE.fullmatch(first.rstrip("\r")[:16] + first.rstrip("\r")[16:]):
        return "order"
    return "codes"


def parse_icd10cm(path: Path, *, effective: dt.date | None = None) -> CodeSetData:
    """Read any of the official ICD-10-CM layouts into one version's data."""
    kind = _kind_of(path)
    year = _year_from_name(path)
    headers: set[str] | None = None
    notes: Icd10cmNotes | None = None
    if kind == "xml":
        xml_year, billable, headers, titles, notes = parse_tabular(path)
        year = xml_year or year
        layout = "tabular list XML"
    elif kind == "order":
        billable, headers, titles = parse_order_file(path)
        layout = "order file"
    else:
        billable, titles = parse_codes(path)
        layout = "code list"
    if not billable:
        raise InputError(str(path), "no ICD-10-CM codes found")
    if notes is None and titles:
        notes = Icd10cmNotes(laterality=derive_laterality({c: titles[c] for c in billable if c in titles}))
    name, start, end = _release(year, effective, path)
    return CodeSetData(
        system=ICD10CM,
        name=name,
        effective_from=start,
        effective_to=end,
        billable=frozenset(billable),
        headers=frozenset(headers) if headers is not None else None,
        descriptions=titles,
        notes=notes,
        source=f"{path.name} ({layout})",
    )
