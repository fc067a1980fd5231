"""999 (005010X231A1) out: the implementation acknowledgment for an 837 file as received.

The 999 answers for syntax and implementation-guide conformance, per functional group and
transaction set, before any claim is judged: accepted (``A``), accepted with errors (``E``) or
rejected (``R``), with each segment in error (IK3: segment id, position in the transaction set,
error code) and each element in error (IK4: position, data element reference number, error
code, the bad value).

Validating an 837 against its TR3 is what pyx12 (BSD, the reference Python X12 validator, with
the 005010X222A1 / X223A2 maps) already does well; hand-writing the guides' thousands of usage
and code-value rules again would be worse. So the errors come from pyx12's error tree, and this
module writes the 999 itself: pyx12's own 999 writer names the guide ``005010X231`` instead of
``005010X231A1`` in GS08 / ST03, does not swap the interchange's sender and receiver, and cannot
be made reproducible (``SOURCE_DATE_EPOCH``). pyx12 is an optional dependency
(``payer-rules[x12-ack]``); :func:`acknowledge_837` raises :class:`ModuleNotFoundError` naming
the extra when it is absent.

Interchange-level problems (a TA1's business) are outside the 999 and are not reported here.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

from payer_rules.io.x12.envelope import Interchange
from payer_rules.io.x12.envelope import clean as _clean
from payer_rules.io.x12.segments import Segment, tokenize

__all__ = ["Acknowledgment", "acknowledge_837"]

EXTRA = "payer-rules[x12-ack]"


class Acknowledgment:
    """A 999 for one received file: its text and how each transaction set fared."""

    __slots__ = ("accepted", "groups", "rejected", "text")

    def __init__(self, text: str, accepted: int, rejected: int, groups: int) -> None:
        self.text = text
        self.accepted = accepted
        self.rejected = rejected
        #: functional groups acknowledged; 0 when no GS could be read, so nothing was acknowledged
        self.groups = groups


def _validate(text: str) -> dict[str, Any]:
    try:
        import pyx12.params
        import pyx12.x12n_document
    except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
        raise ModuleNotFoundError(f"writing a 999 needs pyx12: install {EXTRA}") from exc
    log = logging.getLogger("pyx12")
    level, propagate = log.level, log.propagate
    log.setLevel(logging.CRITICAL + 1)  # pyx12 logs every error it finds; they go into the 999
    log.propagate = False
    try:
        out = io.StringIO()
        pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None, fd_json=out)
    finally:
        log.setLevel(level)
        log.propagate = propagate
    document: dict[str, Any] = json.loads(out.getvalue() or '{"interchanges": []}')
    return document


def _first_isa(text: str) -> Segment | None:
    for seg in tokenize(text):
        if isinstance(seg, Segment) and seg.elements[0] == "ISA":
            return seg
    return None


def _codes(errors: list[dict[str, Any]], limit: int) -> list[str]:
    return list(dict.fromkeys(str(e["err_cde"]) for e in errors if e.get("err_cde")))[:limit]


def _segment_errors(segment: dict[str, Any]) -> Iterator[str]:
    position = segment.get("seg_count") or 0
    loop = _clean(segment.get("ls_id") or "", 4)
    seg_id = _clean(segment.get("seg_id") or "", 3)
    element_errors = [(e, err) for e in segment.get("elements", []) for err in e.get("errors", [])]
    codes = _codes(segment.get("errors", []), 1) or (["8"] if element_errors else [])
    if not codes:
        return
    yield f"IK3*{seg_id}*{position}*{loop}*{codes[0]}"
    for element, err in element_errors:
        where = str(element.get("ele_pos") or "")
        if element.get("subele_pos"):
            where += f":{element['subele_pos']}"
            if element.get("repeat_pos"):
                where += f":{element['repeat_pos']}"
        elif element.get("repeat_pos"):
            where += f"::{element['repeat_pos']}"
        bad = _clean(str(err.get("err_val") or ""), 99)
        reference = _clean(str(element.get("ele_ref_num") or ""), 4)
        yield f"IK4*{where}*{reference}*{err['err_cde']}*{bad}".rstrip("*")


def acknowledge_837(text: str, *, now: dt.datetime | None = None, test: bool = True) -> Acknowledgment:
    """The 999 for ``text`` (one 837 file): one 999 transaction set per functional group received."""
    document = _validate(text)
    isa = _first_isa(text)
    # the answer goes back the other way: the 837's receiver sends it to the 837's sender
    interchange = Interchange(
        isa.get(8).strip() if isa is not None else "PAYERRULES",
        isa.get(6).strip() if isa is not None else "SUBMITTER",
        test=test,
        now=now,
        sender_qualifier=(isa.get(7).strip() if isa is not None else "") or "ZZ",
        receiver_qualifier=(isa.get(5).strip() if isa is not None else "") or "ZZ",
    )
    lines = interchange.header("FA", "005010X231A1")
    accepted = rejected = 0
    sets = 0
    for received in document.get("interchanges", []):
        for group in received.get("groups", []):
            sets += 1
            st = f"{sets:04d}"
            segs = [f"AK1*{_clean(group.get('fic'), 2)}*{_clean(str(group.get('gs_control_num') or ''), 9)}"]
            if group.get("vriic"):
                segs[0] += f"*{_clean(group['vriic'], 12)}"
            taken = 0
            for txn in group.get("transactions", []):
                control_number = _clean(str(txn.get("trn_set_control_num") or ""), 9)
                ak2 = f"AK2*{_clean(txn.get('trn_set_id'), 3)}*{control_number}"
                if txn.get("vriic"):
                    ak2 += f"*{_clean(txn['vriic'], 35)}"
                segs.append(ak2)
                for segment in txn.get("segments", []):
                    segs.extend(_segment_errors(segment))
                code = txn.get("ack_code") or "A"
                reasons = _codes(txn.get("errors", []), 5)
                if code == "R" and not reasons:
                    reasons = ["5"]  # one or more segments in error
                segs.append("*".join(["IK5", code, *reasons]))
                if code in ("A", "E"):
                    taken += 1
                    accepted += 1
                else:
                    rejected += 1
            group_code = group.get("ack_code") or "A"
            if group_code == "A" and taken < len(group.get("transactions", [])):
                group_code = "P" if taken else "R"
            ak9 = [
                "AK9",
                group_code,
                str(group.get("st_count_orig") or 0),
                str(group.get("st_count_recv") or 0),
                str(taken),
                *_codes(group.get("errors", []), 5),
            ]
            segs.append("*".join(ak9))
            lines.append(f"ST*999*{st}*005010X231A1")
            lines.extend(segs)
            lines.append(f"SE*{len(segs) + 2}*{st}")
    lines.extend(interchange.trailer(sets))
    return Acknowledgment("".join(f"{seg}~\n" for seg in lines), accepted, rejected, sets)
