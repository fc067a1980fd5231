"""835 (005010X221A1) out: the remittance each payer would send for the claims it judged.

One interchange per run; inside it one functional group (GS*HP) and one transaction set per
payer and payee (the billing provider), because an 835's 1000B loop names exactly one payee.
With one billing provider in the input, that is one ST / SE per payer.

Balancing, as the TR3 requires and pyx12 checks:

- per service line, SVC02 (charge) = SVC03 (paid) + its CAS amounts;
- per claim, CLP03 = CLP04 + every CAS amount at claim and line level; CLP05 = the PR amounts;
- per transaction, BPR02 = Σ CLP04 − Σ PLB. A run whose payments net below zero (reversals)
  carries the difference as a PLB forward balance (FB), so BPR02 is never negative.

Every amount fits the 18 digits of an X12 R element: the engine gives no result an amount
beyond :data:`~payer_rules.money.MAX_RESULT_AMOUNT` (ENG027), and a claim that would take a
transaction's Σ CLP04 beyond it starts another transaction for the same payer and payee (one
payment cannot carry more, as one check or transfer would not).

Claim status (CLP02): 1 / 2 / 3 processed as primary / secondary / tertiary (by the prior
payments in the claim's 2320 loops), 4 denied (every line denied, or the claim rejected by a
front-end edit), 22 reversal of a previous payment (a void, CLM05-3 = 8, with every amount
negated). A pended claim, or one with any pended line, is not an adjudication: it is held back
(:attr:`X12_835Writer.held_back`) until something decides it, and the runner says on stderr how
many were held back; JSON, NDJSON, the table and FHIR still carry it. Error results (claims that
could not be read) and clean results (scrubber mode, no money) have no place on an 835 either
and are left out; the runner reports the errors on stderr.

Memory: segments are built per claim as it arrives and kept, per transaction, until
:meth:`X12_835Writer.close` writes the file (BPR02 and SE01 come first but are only known at the
end). That is roughly 1 KB per claim and payer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TextIO

from payer_rules.errors import InputError
from payer_rules.io.x12.envelope import Interchange
from payer_rules.io.x12.envelope import clean as _clean
from payer_rules.models import Claim, ClaimType, Frequency
from payer_rules.money import MAX_RESULT_AMOUNT
from payer_rules.results import (
    Adjustment,
    CaseComponent,
    CasePayment,
    ClaimResult,
    ClaimStatus,
    Group,
    LineStatus,
)

__all__ = [
    "HELD_BACK",
    "SKIPPED",
    "Payment",
    "X12_835Writer",
    "amount",
    "payment_part",
]

_ZERO = Decimal(0)
#: CLP06 claim filing indicators the 835 allows (the 837's SBR09 has more, e.g. CI commercial).
_CLP06 = frozenset(
    [
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "AM",
        "CH",
        "DS",
        "HM",
        "LM",
        "MA",
        "MB",
        "MC",
        "OF",
        "TV",
        "VA",
        "WC",
        "ZZ",
    ]
)


_ONE = Decimal(1)
_MINUS_ONE = Decimal(-1)
# Module constants: on Python 3.11 an enum member looked up on its class is slow, and the
# writer asks these several times per claim.
_PAID_LINE, _CLEAN_LINE, _PENDED_LINE = LineStatus.PAID, LineStatus.CLEAN, LineStatus.PENDED
_ERROR, _CLEAN, _PENDED = ClaimStatus.ERROR, ClaimStatus.CLEAN, ClaimStatus.PENDED
_DENIED, _REJECTED = ClaimStatus.DENIED, ClaimStatus.REJECTED
_VOID = Frequency.VOID
_INSTITUTIONAL = ClaimType.INSTITUTIONAL
_FREQUENCY = {Frequency.ORIGINAL: "1", Frequency.REPLACEMENT: "7", Frequency.VOID: "8"}
_CAS_GROUPS = (Group.CO, Group.PR, Group.OA, Group.PI, Group.CR)

#: Texts already made, per value: a batch repeats the same amounts, units and dates claim after
#: claim, and formatting a Decimal or a date (``strftime``) costs microseconds each time.
#: Each is emptied when it grows past :data:`_MEMO_SIZE`.
_AMOUNTS: dict[Decimal, str] = {}
_QUANTITIES: dict[Decimal, str] = {}
_DAYS: dict[dt.date, str] = {}
_MEMO_SIZE = 50_000


def amount(value: Decimal) -> str:
    """An X12 R (decimal) value: no trailing zeros after the point, no point when whole."""
    text = str(value)
    if text[-3:-2] == ".":
        # Whole cents, as the engine's amounts are (exponent -2, never in exponent notation):
        # ``str`` is the ``.2f`` text already, cheaper than hashing the value for the memo.
        if text[-1] == "0":
            text = text.rstrip("0").rstrip(".")
            if text == "-0":
                text = "0"
        return text
    known = _AMOUNTS.get(value)
    if known is None:
        known = f"{value:.2f}"
        if "." in known:
            known = known.rstrip("0").rstrip(".")
        if known in ("-0", ""):
            known = "0"
        if len(_AMOUNTS) >= _MEMO_SIZE:
            _AMOUNTS.clear()
        _AMOUNTS[value] = known
    return known


def _quantity(value: Decimal) -> str:
    text = _QUANTITIES.get(value)
    if text is None:
        text = format(value.normalize(), "f")
        if len(_QUANTITIES) >= _MEMO_SIZE:
            _QUANTITIES.clear()
        _QUANTITIES[value] = text
    return text


def _ymd(day: dt.date) -> str:
    """``CCYYMMDD`` (a DTM02)."""
    text = _DAYS.get(day)
    if text is None:
        text = f"{day:%Y%m%d}"
        if len(_DAYS) >= _MEMO_SIZE:
            _DAYS.clear()
        _DAYS[day] = text
    return text


class _Transaction:
    __slots__ = ("claims", "payee_name", "payee_npi", "payee_tax_id", "payer", "payments", "segments")

    def __init__(self, payer: str, payee_npi: str, payee_name: str, payee_tax_id: str) -> None:
        self.payer = payer
        self.payee_npi = payee_npi
        self.payee_name = payee_name
        self.payee_tax_id = payee_tax_id
        self.segments: list[str] = []
        self.payments = _ZERO
        self.claims = 0


#: What one result adds to an 835: nothing (an error, a clean check, no claim), a result held
#: back (pended), or a claim payment: payer, payee NPI, name and tax id, payment, CLP loop.
SKIPPED = "skipped"
HELD_BACK = "held back"
Payment = tuple[str, str, str, str, Decimal, list[str]]


def payment_part(result: ClaimResult, claim: Claim | InputError | None) -> str | Payment:
    """What ``result`` adds to an 835, rendered: the same whichever process renders it.

    ``--jobs`` workers render each claim's part where it is judged; the main process only adds
    them up in order (:meth:`X12_835Writer.add`) and writes the envelope.
    """
    status = result.status
    if status is _ERROR or status is _CLEAN or not isinstance(claim, Claim):
        return SKIPPED
    lines = {ln.status for ln in result.lines}
    if _CLEAN_LINE in lines:
        return SKIPPED
    if status is _PENDED or _PENDED_LINE in lines:
        return HELD_BACK
    billing = claim.billing_provider
    sign = _MINUS_ONE if claim.frequency is _VOID else _ONE
    payment = result.paid * sign if sign is _MINUS_ONE else result.paid
    return (
        result.payer,
        billing.npi,
        billing.name or "",
        billing.tax_id or "",
        payment,
        _claim_segments(result, claim, sign),
    )


def _claim_segments(r: ClaimResult, claim: Claim, sign: Decimal) -> list[str]:
    """The CLP loop of one claim payment (after its LX)."""
    positive = sign is _ONE
    status = _status(r, claim)
    institutional = claim.claim_type is _INSTITUTIONAL
    facility = (claim.bill_type or "")[:2] if institutional else claim.place_of_service
    frequency = _FREQUENCY[claim.frequency]
    filing = claim.coverage.filing_indicator or ""
    if filing not in _CLP06:
        filing = ("MA" if institutional else "MB") if r.payer == "medicare" else "ZZ"
    claim_id = _clean(claim.id, 38)
    control = _clean(claim.original_claim_id if claim.frequency is _VOID else None) or (
        f"{_clean(r.payer, 10).upper()}{claim_id}"
    )
    if positive:
        money = f"{amount(r.billed)}*{amount(r.paid)}*{amount(r.patient_responsibility)}"
    else:
        money = f"{amount(r.billed * sign)}*{amount(r.paid * sign)}*{amount(r.patient_responsibility * sign)}"
    clp = f"CLP*{claim_id}*{status}*{money}*{filing}*{control}*{facility}*{frequency}"
    case = r.case
    if case is not None:
        # CLP11 DRG, CLP12 its weight, CLP13 the discharge fraction of a transfer paid per diem
        fraction = _quantity(case.discharge_fraction) if case.discharge_fraction is not None else ""
        clp = f"{clp}**{_clean(case.drg, 4)}*{_quantity(case.weight)}*{fraction}".rstrip("*")
    segs = [clp]
    if case is not None:
        # A case is paid at claim level (as Medicare's inpatient 835s do): the lines'
        # adjustments add up to claim-level CAS and no SVC loop follows.
        _cas(segs, _merged(r), sign)
    patient = claim.patient
    member = claim.coverage.member_id
    segs.append(
        f"NM1*QC*1*{_clean(patient.last_name, 60) or 'UNKNOWN'}*{_clean(patient.first_name, 35)}****MI*"
        f"{_clean(member, 80)}"
    )
    rendering = claim.rendering_provider
    if rendering is not None and rendering.npi:
        segs.append(
            f"NM1*82*{'1' if rendering.name else '2'}*{_clean(rendering.name) or 'PROVIDER'}*****XX*"
            f"{rendering.npi}"
        )
    remarks = _claim_remarks(r, filing)
    if case is not None:
        segs.append(_mia(case, sign, remarks))  # inpatient: MIA carries the claim remarks
    elif remarks:
        segs.append("MOA***" + "*".join(remarks))
    if institutional and claim.statement_from:
        segs.append("DTM*232*" + _ymd(claim.statement_from))
        if claim.statement_to:
            segs.append("DTM*233*" + _ymd(claim.statement_to))
    if claim.received_date:
        segs.append("DTM*050*" + _ymd(claim.received_date))
    if r.allowed and sign > 0:
        segs.append("AMT*AU*" + amount(r.allowed))
    lines = claim.lines
    for n, ln in enumerate(() if case is not None else r.lines, 1):
        line = lines[n - 1] if n <= len(lines) else None
        if line is not None and line.procedure == line.revenue_code:
            svc01 = "NU:" + _clean(ln.procedure, 48)
            revenue = ""
        else:
            svc01 = "HC:" + _clean(ln.procedure, 48) + "".join([":" + _clean(m, 2) for m in ln.modifiers])
            revenue = _clean(line.revenue_code, 48) if line is not None and institutional else ""
        if positive:
            money = f"{amount(ln.billed)}*{amount(ln.paid)}"
        else:
            money = f"{amount(ln.billed * sign)}*{amount(ln.paid * sign)}"
        segs.append(f"SVC*{svc01}*{money}*{revenue}*{_quantity(ln.units)}")
        if line is not None:
            if line.service_date_end and line.service_date_end != line.service_date:
                segs.append("DTM*150*" + _ymd(line.service_date))
                segs.append("DTM*151*" + _ymd(line.service_date_end))
            else:
                segs.append("DTM*472*" + _ymd(line.service_date))
        _cas(segs, ln.adjustments, sign)
        segs.append(f"REF*6R*{n}")
        if ln.status == _PAID_LINE and positive:
            segs.append("AMT*B6*" + amount(ln.allowed))
        if ln.rarcs:
            segs.extend(["LQ*HE*" + _clean(x, 30) for x in dict.fromkeys(ln.rarcs) if x])
    return segs


# -- the file --------------------------------------------------------------------------------


class X12_835Writer:
    """Writes one 835 interchange for the whole run; see the module docstring."""

    def __init__(
        self,
        stream: TextIO,
        *,
        sender_id: str = "PAYERRULES",
        receiver_id: str = "PROVIDER",
        test: bool = True,
        now: dt.datetime | None = None,
        implementation_reference: bool = False,
    ) -> None:
        """:param implementation_reference: write ``005010X221A1`` in ST03. The 835 guide marks
        ST03 not used, so it is left out by default; pyx12's ``x12valid`` cannot build its 999
        for an ST without it (``payer-rules adjudicate --x12-st03``)."""
        self._stream = stream
        self._st03 = "*005010X221A1" if implementation_reference else ""
        self._interchange = Interchange(sender_id, receiver_id, test=test, now=now)
        self._now = self._interchange.now
        self._transactions: list[_Transaction] = []
        #: the transaction claims go to, per payer and payee
        self._open: dict[tuple[str, str], _Transaction] = {}
        self.skipped: list[ClaimResult] = []
        #: pended results: not adjudications, so not on the 835 (issue 18 item 8)
        self.held_back: list[ClaimResult] = []

    # -- per claim --------------------------------------------------------------------------------

    def write(self, result: ClaimResult, claim: Claim | InputError | None = None) -> None:
        part = payment_part(result, claim)
        if part == SKIPPED:
            self.skipped.append(result)
        elif part == HELD_BACK:
            self.held_back.append(result)
        else:
            self.add(part)  # type: ignore[arg-type]

    def add(self, part: Payment) -> None:
        """A claim payment :func:`payment_part` made (here, or where the claim was judged)."""
        payer, npi, name, tax_id, payment, segments = part
        key = (payer, npi or tax_id)
        txn = self._open.get(key)
        if txn is None or abs(txn.payments + payment) > MAX_RESULT_AMOUNT:  # BPR02's 18 digits
            txn = _Transaction(payer, npi, name, tax_id)
            self._open[key] = txn
            self._transactions.append(txn)
        txn.claims += 1
        txn.segments.append(f"LX*{txn.claims}")
        txn.payments += payment
        txn.segments.extend(segments)

    def close(self) -> None:
        if not self._transactions:
            return
        now = self._now
        w = self._stream.write
        for seg in self._interchange.header("HP", "005010X221A1"):
            w(f"{seg}~\n")
        for number, txn in enumerate(self._transactions, 1):
            segs = self._header(txn, number)
            segs.extend(txn.segments)
            if txn.payments < 0:
                segs.append(
                    f"PLB*{txn.payee_npi or _clean(txn.payee_tax_id) or 'UNKNOWN'}*{now.year}1231*"
                    f"FB:{number}*{amount(txn.payments)}"
                )
            st = f"{number:04d}"
            w(f"ST*835*{st}{self._st03}~\n")
            for start in range(0, len(segs), 4096):  # in slices: one string per slice, not per file
                w("~\n".join(segs[start : start + 4096]))
                w("~\n")
            w(f"SE*{len(segs) + 2}*{st}~\n")
        for seg in self._interchange.trailer(len(self._transactions)):
            w(f"{seg}~\n")

    def _header(self, txn: _Transaction, number: int) -> list[str]:
        now = self._now
        paid = max(txn.payments, _ZERO)
        if paid > 0:
            bpr = f"BPR*I*{amount(paid)}*C*CHK************{now:%Y%m%d}"
        else:
            bpr = f"BPR*H*0*C*NON************{now:%Y%m%d}"
        payer = _clean(txn.payer, 60).upper()
        payee_id = f"XX*{txn.payee_npi}" if txn.payee_npi else f"FI*{_clean(txn.payee_tax_id) or 'UNKNOWN'}"
        return [
            bpr,
            f"TRN*1*{now:%Y%m%d}{number:06d}*1999999999",
            f"DTM*405*{now:%Y%m%d}",
            f"N1*PR*{payer}",
            # payer-rules simulates a payer: it has no remittance address or contact of its own
            "N3*SIMULATED REMITTANCE",
            "N4*NOWHERE*DC*20001",
            f"PER*BL*PAYER-RULES*UR*PAYER-RULES.DEV/{_clean(txn.payer, 40).upper()}",
            f"N1*PE*{_clean(txn.payee_name) or 'PAYEE'}*{payee_id}",
        ]


def _status(r: ClaimResult, claim: Claim) -> str:
    if claim.frequency is _VOID:
        return "22"
    if r.status in (_DENIED, _REJECTED):
        return "4"
    prior = sum(1 for o in claim.coverage.other_coverage if o.payment is not None)
    return "1" if prior == 0 else "2" if prior == 1 else "3"


#: Claim filing indicators of Medicare (CLP06): Part A, Part B.
_MEDICARE_FILING = frozenset({"MA", "MB"})


def _claim_remarks(r: ClaimResult, filing: str) -> list[str]:
    """MOA03-MOA07: the claim-level remark codes, at most five.

    The remark codes of claim-level findings (MA28 on an unassigned claim ...), and, as Medicare
    sends it, MA130 on a claim returned as unprocessable (CO-16: no appeal rights, submit a new
    claim; Pub. 100-04 Ch. 1 §80.3.2).
    """
    remarks: dict[str, None] = {}
    if filing in _MEDICARE_FILING and r.status is _REJECTED and any(f.carc == "16" for f in r.findings):
        remarks["MA130"] = None
    for f in r.findings:
        if f.line is None:
            for code in f.rarcs:
                remarks.setdefault(_clean(code, 30), None)
    return [x for x in remarks if x][:5]


def _cas(segs: list[str], adjustments: tuple[Adjustment, ...], sign: Decimal) -> None:
    """One CAS per group, up to six reason / amount / quantity triplets each (the segment's limit)."""
    if not adjustments:
        return
    by_group: dict[str, list[str]] = {}
    for a in adjustments:
        value = a.amount if sign is _ONE else a.amount * sign
        if not value:
            continue
        carc = _CARCS.get(a.carc)
        if carc is None:
            if len(_CARCS) >= _MEMO_SIZE:
                _CARCS.clear()
            carc = _CARCS[a.carc] = _clean(a.carc, 5) + "*"
        found = by_group.get(a.group)
        if found is None:
            by_group[a.group] = [carc + amount(value)]
        else:
            found.append(carc + amount(value))
    if len(by_group) == 1:
        ((only, triplets),) = by_group.items()
        if len(triplets) <= 6 and only in _CAS_GROUPS:
            segs.append(f"CAS*{only}*" + "**".join(triplets))
            return
    for group in _CAS_GROUPS:
        found = by_group.get(group)
        if found is None:
            continue
        if len(found) <= 6:
            segs.append(f"CAS*{group}*" + "**".join(found))
            continue
        for start in range(0, len(found), 6):
            segs.append(f"CAS*{group}*" + "**".join(found[start : start + 6]))


#: ``CARC*`` per CARC as it appears in a CAS triplet (a handful of codes, over and over).
_CARCS: dict[str, str] = {}


def _merged(r: ClaimResult) -> tuple[Adjustment, ...]:
    """Every line's adjustments summed by group and CARC, in the order they first appear."""
    totals: dict[tuple[Group, str], Decimal] = {}
    for ln in r.lines:
        for a in ln.adjustments:
            totals[(a.group, a.carc)] = totals.get((a.group, a.carc), _ZERO) + a.amount
    return tuple(Adjustment(group=g, carc=c, amount=v) for (g, c), v in totals.items())


def _mia(case: CasePayment, sign: Decimal, remarks: list[str] | tuple[str, ...] = ()) -> str:
    """MIA (inpatient adjudication information) from the case's components; empty ones left out.

    Claim-level remark codes go in MIA05 and MIA20-MIA23 (an inpatient claim has no MOA).
    """

    def part(*which: CaseComponent) -> str:
        value = sum((case.component(w) for w in which), _ZERO)
        return amount(value * sign) if value else ""

    capital = (
        CaseComponent.CAPITAL_FEDERAL,
        CaseComponent.CAPITAL_INDIRECT_TEACHING,
        CaseComponent.CAPITAL_DISPROPORTIONATE_SHARE,
        CaseComponent.CAPITAL_OUTLIER,
    )
    drg_amount = (
        CaseComponent.OPERATING_FEDERAL,
        CaseComponent.INDIRECT_TEACHING,
        CaseComponent.DISPROPORTIONATE_SHARE,
        CaseComponent.UNCOMPENSATED_CARE,
    )
    elements = [
        str(case.covered_days or 0),  # MIA01 covered days
        part(CaseComponent.OPERATING_OUTLIER),  # MIA02
        "",  # MIA03 lifetime psychiatric days
        part(*drg_amount),  # MIA04 claim DRG amount
        "",  # MIA05 remark code
        part(CaseComponent.DISPROPORTIONATE_SHARE),  # MIA06
        "",  # MIA07 MSP pass-through
        part(*capital),  # MIA08 claim PPS capital amount
        part(CaseComponent.CAPITAL_FEDERAL),  # MIA09 capital federal specific DRG amount
        "",  # MIA10 capital hospital-specific
        part(CaseComponent.CAPITAL_DISPROPORTIONATE_SHARE),  # MIA11
        "",  # MIA12 old capital
        part(CaseComponent.CAPITAL_INDIRECT_TEACHING),  # MIA13
        "",  # MIA14 operating hospital-specific
        "",  # MIA15 cost report days
        part(CaseComponent.OPERATING_FEDERAL),  # MIA16 operating federal specific DRG amount
        part(CaseComponent.CAPITAL_OUTLIER),  # MIA17
        part(CaseComponent.INDIRECT_TEACHING),  # MIA18 indirect teaching
    ]
    if remarks:
        elements[4] = remarks[0]
        elements += ["", *remarks[1:5]]  # MIA19 empty, MIA20-MIA23
    return ("MIA*" + "*".join(elements)).rstrip("*")
