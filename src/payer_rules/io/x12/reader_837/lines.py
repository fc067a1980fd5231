"""Service line segments (loop 2400 / 2430): SV1 (837P), SV2 (837I) and other payers' CAS."""

from __future__ import annotations

from payer_rules.io.x12.reader_837.loops import Draft, Line
from payer_rules.io.x12.reader_837.values import code_system_of, parse_amount
from payer_rules.io.x12.segments import Segment
from payer_rules.models import CodeSystem, OtherPayerAdjustment

__all__ = ["cas", "sv1", "sv2"]


def sv1(seg: Segment, line: Line | None, draft: Draft | None, component: str) -> None:
    if line is None or draft is None:
        raise ValueError("SV1 outside a service line; expected LX before it")
    elements = seg.elements
    if len(elements) < 8:  # SV101 .. SV107, the ones not sent empty
        elements = [*elements, *[""] * (8 - len(elements))]
    parts = elements[1].split(component)
    qualifier = parts[0]
    code = parts[1] if len(parts) > 1 else ""
    if not code:
        raise ValueError(f"SV101 {elements[1]!r} has no procedure code; expected e.g. HC{component}99213")
    line.procedure = code
    line.code_system = code_system_of(qualifier, code)
    line.modifiers = [m for m in parts[2:6] if m]
    line.charge = parse_amount(elements[2], "SV102 line charge")
    line.unit_basis = elements[3] or None
    if elements[4]:
        line.units = parse_amount(elements[4], "SV104 units", money=False)
    line.pos = elements[5] or None
    pointers = elements[7]
    if pointers:
        line.pointers = _pointers(pointers, component)


#: SV107 texts already read (``1``, ``1:2`` ...): a file repeats a handful.
_POINTERS: dict[tuple[str, str], tuple[int, ...]] = {}


def _pointers(text: str, component: str) -> tuple[int, ...]:
    known = _POINTERS.get((text, component))
    if known is not None:
        return known
    try:
        pointers = tuple(int(p) for p in text.split(component) if p)
    except ValueError:
        raise ValueError(f"SV107 diagnosis pointers {text!r} must be numbers 1-12") from None
    if len(_POINTERS) >= 1_000:
        _POINTERS.clear()
    _POINTERS[(text, component)] = pointers
    return pointers


def sv2(seg: Segment, line: Line | None, draft: Draft | None, component: str) -> None:
    if line is None or draft is None:
        raise ValueError("SV2 outside a service line; expected LX before it")
    revenue = seg.get(1)
    if not revenue:
        raise ValueError("SV201 (revenue code) is empty; expected a 4-digit NUBC revenue code")
    line.revenue = revenue
    parts = seg.get(2).split(component) if seg.get(2) else []
    if len(parts) > 1 and parts[1]:
        line.procedure = parts[1]
        line.code_system = code_system_of(parts[0], parts[1])
        line.modifiers = [m for m in parts[2:6] if m]
    else:
        line.procedure = revenue
        line.code_system = CodeSystem.REVENUE
    line.charge = parse_amount(seg.get(3), "SV203 line charge")
    if seg.get(5):
        line.units = parse_amount(seg.get(5), "SV205 units", money=False)


def cas(seg: Segment) -> list[OtherPayerAdjustment]:
    group = seg.get(1)
    if group not in ("CO", "PR", "OA", "PI", "CR"):
        raise ValueError(f"CAS01 group {group!r} is not CO, PR, OA, PI or CR")
    found = []
    elements = seg.elements
    for start in range(2, min(len(elements), 20), 3):
        carc = elements[start]
        if not carc:
            continue
        amount = parse_amount(
            elements[start + 1] if start + 1 < len(elements) else "", f"CAS{start + 1:02d} amount"
        )
        found.append(OtherPayerAdjustment(group=group, carc=carc, amount=amount))
    return found
