"""UB-04 code lists an 837I carries in HI: condition (BG), occurrence (BH), occurrence span (BI)
and value codes (BE), as NUBC defines them (UB-04 FL 18-28, 31-34, 35-36, 39-41).

Each is read whole or refused by name: an occurrence needs its date (``BH:11:D8:20260301``), a
span its range (``BI:70:RD8:20260301-20260304``), a value code its amount (``BE:80:::3``).
"""

from __future__ import annotations

from payer_rules.io.x12.reader_837.loops import Draft
from payer_rules.io.x12.reader_837.values import parse_amount, parse_period
from payer_rules.models import OccurrenceCode, OccurrenceSpan, ValueCode

__all__ = ["UB04_QUALIFIERS", "ub04_code"]

#: HI qualifiers of the UB-04 code lists (5010 and the 4010 ones they replace).
UB04_QUALIFIERS = frozenset({"BG", "BH", "BI", "BE"})


def ub04_code(qualifier: str, parts: list[str], where: str, component: str, draft: Draft) -> None:
    """One HI composite of a UB-04 code list (``qualifier`` is in :data:`UB04_QUALIFIERS`)."""
    code = parts[1]
    if qualifier == "BG":
        draft.condition_codes.append(code)
        return
    fmt = parts[2] if len(parts) > 2 else ""
    value = parts[3] if len(parts) > 3 else ""
    if qualifier == "BH":
        if fmt != "D8" or not value:
            raise ValueError(
                f"{where} occurrence code {code} has no date; expected "
                f"BH{component}{code}{component}D8{component}CCYYMMDD"
            )
        draft.occurrence_codes.append(OccurrenceCode(code=code, date=parse_period(fmt, value)[0]))
    elif qualifier == "BI":
        if fmt != "RD8" or not value:
            raise ValueError(
                f"{where} occurrence span {code} has no dates; expected "
                f"BI{component}{code}{component}RD8{component}CCYYMMDD-CCYYMMDD"
            )
        start, end = parse_period(fmt, value)
        draft.occurrence_spans.append(OccurrenceSpan(code=code, start=start, end=end or start))
    else:
        raw = parts[4] if len(parts) > 4 else ""
        if not raw:
            raise ValueError(
                f"{where} value code {code} has no amount; expected "
                f"BE{component}{code}{component}{component}{component}amount (HI C022-5)"
            )
        amount = parse_amount(raw, f"{where} value code {code} amount")
        draft.value_codes.append(ValueCode(code=code, amount=amount))
