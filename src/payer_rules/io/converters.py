"""The cattrs converters for our JSON formats (claims in, results out).

Kept apart from the models, as attrs and cattrs advise: the business records do not know their
serialisation. Unknown keys are refused so a typo (``ammount``) fails instead of vanishing.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import NoneType
from typing import Any

import cattrs

from payer_rules.errors import echo
from payer_rules.models import ClaimType, CodeSystem, Frequency, Relationship, Sex
from payer_rules.results import Adjustment, CasePayment, ClaimResult, Finding, LineResult, Source


def _structure_date(value: Any, _type: type) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {echo(value)}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {echo(value)}") from None


def _structure_decimal(value: Any, _type: type) -> Decimal:
    if type(value) is float:
        # json.load's float, by the shortest text that reads back as it (the text it came from)
        value = repr(value)
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(f'expected a number (e.g. "125.00"), got {echo(value)}')
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f'expected a number (e.g. "125.00"), got {echo(value)}') from None
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {echo(value)}")
    return result


def _structure_str(value: Any, _type: type) -> str:
    if type(value) is str:
        return value
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected a string, got {echo(value)}")


def _structure_enum(value: Any, type_: type[StrEnum]) -> StrEnum:
    try:
        return type_(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in type_)
        raise ValueError(f"expected one of {allowed}, got {echo(value)}") from None


def _json_kind(value: Any) -> str:
    return "an object" if isinstance(value, dict) else echo(value)


def _is_optional(type_: Any) -> bool:
    args = typing.get_args(type_)
    return typing.get_origin(type_) in (typing.Union, types.UnionType) and len(args) == 2 and NoneType in args


def _is_homogeneous_tuple(type_: Any) -> bool:
    args = typing.get_args(type_)
    return typing.get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _fast_optional(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    """``X | None`` with ``X``'s hook looked up once, not on every value (cattrs' generic path)."""

    def factory(type_: Any) -> Callable[[Any, Any], Any]:
        inner = next(a for a in typing.get_args(type_) if a is not NoneType)
        handler = conv.get_structure_hook(inner)

        def structure(value: Any, _type: Any) -> Any:
            return None if value is None else handler(value, inner)

        return structure

    return factory


def _fast_tuple(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    """``tuple[X, ...]``: the plain loop first; on any error, cattrs' own, for its located notes.

    cattrs' detailed path wraps every element in its own ``try``; claims are almost always
    well formed, so that work is done only for the rare value that fails.
    """

    def factory(type_: Any) -> Callable[[Any, Any], Any]:
        inner = typing.get_args(type_)[0]
        handler = conv.get_structure_hook(inner)
        # cattrs' own tuple structuring (a method without a public name), so nested fields keep
        # this converter's hooks and every error its JSON path
        detailed = conv._structure_tuple

        def structure(value: Any, type_: Any) -> Any:
            if not isinstance(value, (list, tuple)):
                # cattrs would take a string's characters or an object's keys as the items
                raise ValueError(f"expected a list, got {_json_kind(value)}")
            try:
                return tuple([handler(item, inner) for item in value])
            except Exception:
                return detailed(value, type_)  # raises again, each problem located

        return structure

    return factory


def claim_converter() -> cattrs.Converter:
    """Structures claim JSON (already parsed with ``parse_float=Decimal``) into models."""
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_structure_hook(str, _structure_str)
    # The models' StrEnums are str subclasses, so without hooks of their own the str hook above
    # answered for them and a claim carried plain strings ("institutional", not
    # ClaimType.INSTITUTIONAL): identity checks failed and unknown values passed unchecked.
    for enum in (Sex, Relationship, ClaimType, Frequency, CodeSystem):
        conv.register_structure_hook(enum, _structure_enum)
    conv.register_structure_hook_factory(_is_optional, _fast_optional(conv))
    conv.register_structure_hook_factory(_is_homogeneous_tuple, _fast_tuple(conv))
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

    def case(c: CasePayment) -> dict[str, Any]:
        return {
            "drg": c.drg,
            "weight": str(c.weight),
            "amount": str(c.amount),
            "mdc": c.mdc,
            "description": c.description,
            "grouper": c.grouper,
            "discharge_fraction": str(c.discharge_fraction) if c.discharge_fraction is not None else None,
            "covered_days": c.covered_days,
            "lifetime_reserve_days": c.lifetime_reserve_days,
            "components": [{"component": str(a.component), "amount": str(a.amount)} for a in c.components],
        }

    def claim(r: ClaimResult) -> dict[str, Any]:
        data = {
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
        if r.case is not None:  # per-case payments only: other results keep their shape
            data["case"] = case(r.case)
        return data

    conv.register_unstructure_hook(Adjustment, adjustment)
    conv.register_unstructure_hook(LineResult, line)
    conv.register_unstructure_hook(ClaimResult, claim)
    return conv
