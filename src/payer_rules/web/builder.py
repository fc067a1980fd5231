"""A claim built in the form, field by field, to the claim JSON every reader produces.

The form offers what a biller changes most (diagnoses, lines with procedure, modifiers, units,
date, place of service, charge; the provider and where it is); the rest of the claim takes
plain defaults. The built claim is read by the same converter as claim JSON, so a wrong value
gets the same located error a file would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from attrs import frozen

from payer_rules.errors import InputError
from payer_rules.io.json_claims import structure_claim
from payer_rules.models import Claim

__all__ = ["DEFAULTS", "LINE_FIELDS", "FormLine", "blank_lines", "claim_from_form"]

#: Lines the form shows; the page's script adds more, up to :data:`MAX_LINES`.
SHOWN_LINES: Final = 4
MAX_LINES: Final = 50

LINE_FIELDS: Final = (
    "procedure",
    "modifiers",
    "units",
    "service_date",
    "place_of_service",
    "charge",
    "pointers",
)

#: What the form starts with: a Medicare-looking office claim in San Francisco.
DEFAULTS: Final[Mapping[str, str]] = {
    "claim_id": "FORM-1",
    "birth_date": "1950-01-01",
    "sex": "F",
    "member_id": "1EG4TE5MK72",
    "npi": "1234567893",
    "provider_name": "",
    "provider_state": "CA",
    "provider_zip": "94110",
    "place_of_service": "11",
    "received_date": "",
    "diagnoses": "",
}


@frozen
class FormLine:
    """One line row of the form, as typed."""

    index: int
    procedure: str = ""
    modifiers: str = ""
    units: str = "1"
    service_date: str = ""
    place_of_service: str = ""
    charge: str = ""
    pointers: str = "1"


def blank_lines(count: int = SHOWN_LINES) -> list[FormLine]:
    return [FormLine(i) for i in range(1, count + 1)]


def form_lines(form: Mapping[str, Any]) -> list[FormLine]:
    """Every line row posted (``line-3-procedure`` ...), blank rows included, in order."""
    rows = []
    for i in range(1, MAX_LINES + 1):
        values = {name: str(form.get(f"line-{i}-{name}", "") or "").strip() for name in LINE_FIELDS}
        if not any(f"line-{i}-{name}" in form for name in LINE_FIELDS):
            continue
        rows.append(FormLine(i, **values))
    return rows


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def claim_from_form(form: Mapping[str, Any], billed_payer: str) -> Claim | InputError:
    """The claim the form describes (lines with a procedure), or a located error."""

    def value(name: str) -> str:
        return str(form.get(name, "") or "").strip()

    lines: list[dict[str, Any]] = []
    for row in form_lines(form):
        if not row.procedure:
            continue
        line: dict[str, Any] = {
            "procedure": row.procedure.upper(),
            "modifiers": [m.upper() for m in _split(row.modifiers)],
            "units": row.units or "1",
            "charge": row.charge,
            "service_date": row.service_date,
        }
        if row.place_of_service:
            line["place_of_service"] = row.place_of_service
        pointers = _split(row.pointers)
        if pointers:
            try:
                line["diagnosis_pointers"] = [int(p) for p in pointers]
            except ValueError:
                return InputError(
                    f"form: line {row.index}", f"diagnosis pointers are numbers, got {row.pointers!r}"
                )
        lines.append(line)
    data: dict[str, Any] = {
        "id": value("claim_id") or DEFAULTS["claim_id"],
        "patient": {"id": f"P-{value('member_id') or 'FORM'}"},
        "coverage": {"payer_id": billed_payer, "member_id": value("member_id") or "FORM"},
        "billing_provider": {"npi": value("npi")},
        "diagnoses": [{"code": code.upper()} for code in _split(value("diagnoses"))],
        "lines": lines,
    }
    if value("birth_date"):
        data["patient"]["birth_date"] = value("birth_date")
    if value("sex"):
        data["patient"]["sex"] = value("sex")
    if value("provider_name"):
        data["billing_provider"]["name"] = value("provider_name")
    address = {k: value(f"provider_{k}") for k in ("state", "zip") if value(f"provider_{k}")}
    if address:
        data["billing_provider"]["address"] = address
        if "zip" in address:
            data["service_facility_zip"] = address["zip"]
    if value("received_date"):
        data["received_date"] = value("received_date")
    if value("place_of_service"):
        data["place_of_service"] = value("place_of_service")
    if not lines:
        return InputError("form", "no service line has a procedure code; fill in at least one line")
    return structure_claim(data, "form")
