"""The cattrs converters for our JSON formats (claims in, results out).

Kept apart from the models, as attrs and cattrs advise: the business records do not know their
serialisation. Unknown keys are refused so a typo (``ammount``) fails instead of vanishing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import cattrs

from payer_rules.results import Adjustment, ClaimResult, Finding, LineResult, Source


def _structure_date(value: Any, _type: type) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def _structure_decimal(value: Any, _type: type) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(f'expected a number (e.g. "125.00"), got {value!r}')
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f'expected a number (e.g. "125.00"), got {value!r}') from None
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return result


def _structure_str(value: Any, _type: type) -> str:
    if type(value) is str:
        return value
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected a string, got {value!r}")


def claim_converter() -> cattrs.Converter:
    """Structures claim JSON (already parsed with ``parse_float=Decimal``) into models."""
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_structure_hook(str, _structure_str)
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    conv.register_unstructure_hook(Decimal, str)
    return conv


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _units(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def result_converter() -> cattrs.Converter:
    """Unstructures results into the result JSON contract (money as strings, two decimals)."""
    conv = cattrs.Converter()
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    conv.register_unstructure_hook(Decimal, _money)
    conv.register_unstructure_hook(Source, str)

    def finding(f: Finding) -> dict[str, Any]:
        return {
            "code": f.code,
            "severity": str(f.severity),
            "line": f.line,
            "carc": f.carc,
            "rarcs": list(f.rarcs),
            "group": str(f.group) if f.group else None,
            "message": f.message,
            "source": str(f.source),
            "citation": f.source.citation,
        }

    conv.register_unstructure_hook(Finding, finding)

    # Results are the bulk of every run's output, so the two record types written most are
    # spelled out here rather than generated: same keys, same order, a third of the time. Amounts
    # print with ``str``: every result amount is already rounded to the cent (``money``); the
    # status and group enums are ``str`` already.
    def adjustment(a: Adjustment) -> dict[str, Any]:
        return {"group": a.group, "carc": a.carc, "amount": str(a.amount)}

    def line(ln: LineResult) -> dict[str, Any]:
        return {
            "line": ln.line,
            "procedure": ln.procedure,
            "modifiers": list(ln.modifiers),
            "units": _units(ln.units),
            "status": ln.status,
            "billed": str(ln.billed),
            "allowed": str(ln.allowed),
            "paid": str(ln.paid),
            "adjustments": [adjustment(a) for a in ln.adjustments],
            "rarcs": list(ln.rarcs),
            "basis": ln.basis,
        }

    def claim(r: ClaimResult) -> dict[str, Any]:
        return {
            "claim_id": r.claim_id,
            "payer": r.payer,
            "status": r.status,
            "as_of": r.as_of.isoformat() if r.as_of is not None else None,
            "billed": str(r.billed),
            "allowed": str(r.allowed),
            "paid": str(r.paid),
            "patient_responsibility": str(r.patient_responsibility),
            "findings": [finding(f) for f in r.findings],
            "lines": [line(ln) for ln in r.lines],
            "versions": dict(r.versions),
        }

    conv.register_unstructure_hook(Adjustment, adjustment)
    conv.register_unstructure_hook(LineResult, line)
    conv.register_unstructure_hook(ClaimResult, claim)
    return conv
