"""277CA (005010X214) out: the claim acknowledgment each payer would send for the claims it received.

A payer (or its clearinghouse) answers an 837 twice before any money moves: the 999 says whether
the file's syntax could be read, and the 277CA says, claim by claim, whether each claim was
accepted into adjudication or returned at the front end, and why. payer-rules writes the 277CA
from the same results it judges: a claim is **rejected** when a front-end edit rejected it
(result status ``rejected``, e.g. an invalid diagnosis code, MCR001) or it could not be read
(``error``); every other claim — paid, denied, pended, or clean in scrubber mode — was accepted
into adjudication (a denial is an adjudication, reported on the 835, not here).

Layout (one interchange, one functional group ``GS*HN``, one transaction set per payer):

- 2000A information source (the payer), 2200A receipt and process dates;
- 2000B information receiver (the submitter: the billing provider's tax id as its ETIN, since
  the claim model keeps no 1000A submitter), 2200B totals accepted / rejected;
- 2000C per billing provider with its totals; 2000D per claim: patient, ``TRN*2`` with the
  patient control number (CLM01), ``STC`` with the status, ``REF*1K`` the payer claim control
  number, ``REF*BLT`` the type of bill on institutional claims, ``DTP*472`` the service dates.

Status (STC01, Health Care Claim Status Category : Claim Status codes): accepted claims get
``A2:20`` (acknowledgement / acceptance into adjudication system : accepted for processing);
rejected claims ``A7`` (rejected for invalid information) or ``A3`` (returned as unprocessable,
for claims that could not be read) with the status code their findings map to (see
:data:`STATUS_BY_RARC`), else ``21`` (missing or invalid information); every rejecting finding's
rule code and message are not part of the 277CA, which carries codes only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TextIO

from payer_rules.errors import InputError
from payer_rules.io.x12.envelope import Interchange
from payer_rules.io.x12.envelope import clean as _clean
from payer_rules.io.x12.writer_835 import amount
from payer_rules.models import Claim, ClaimType
from payer_rules.results import ClaimResult, ClaimStatus, Severity

__all__ = ["STATUS_BY_RARC", "X12_277CAWriter"]

_ZERO = Decimal(0)

#: Claim status codes (code source 507) for the remark codes front-end edits send. A rejection
#: whose remarks map to none of these gets 21 (missing or invalid information).
STATUS_BY_RARC: dict[str, str] = {
    "M76": "255",  # missing / incomplete / invalid diagnosis or condition → diagnosis code
    "MA63": "254",  # missing / incomplete / invalid principal diagnosis → principal diagnosis code
    "M51": "454",  # missing / incomplete / invalid procedure code(s) → procedure code for services rendered
    "M77": "249",  # missing / incomplete / invalid place of service → place of service code
    "N290": "562",  # missing / incomplete / invalid rendering provider primary identifier → entity's NPI
    "MA130": "21",  # unprocessable claim: missing or invalid information
    "N822": "453",  # missing procedure modifier(s) → procedure modifier
}


class _Claim:
    __slots__ = ("claim", "result")

    def __init__(self, result: ClaimResult, claim: Claim) -> None:
        self.result = result
        self.claim = claim


class _Provider:
    __slots__ = ("claims", "name", "npi", "tax_id")

    def __init__(self, claim: Claim) -> None:
        billing = claim.billing_provider
        self.npi = billing.npi
        self.name = billing.name or ""
        self.tax_id = billing.tax_id or ""
        self.claims: list[_Claim] = []


def _rejected(result: ClaimResult) -> bool:
    return result.status in (ClaimStatus.REJECTED, ClaimStatus.ERROR)


def _status_code(result: ClaimResult) -> str:
    for finding in result.findings:
        if finding.severity is not Severity.REJECT:
            continue
        for rarc in finding.rarcs:
            code = STATUS_BY_RARC.get(rarc)
            if code is not None:
                return code
    return "21"


class X12_277CAWriter:
    """Writes one 277CA interchange for the whole run; see the module docstring.

    Results without a readable claim (an input that could not be read at all) have no patient
    or provider to acknowledge and are left out; :attr:`skipped` keeps them for the runner to
    report (the 999 answers for the file's syntax).
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        sender_id: str = "PAYERRULES",
        receiver_id: str = "PROVIDER",
        test: bool = True,
        now: dt.datetime | None = None,
    ) -> None:
        self._stream = stream
        self._interchange = Interchange(sender_id, receiver_id, test=test, now=now)
        self._now = self._interchange.now
        self._payers: dict[str, dict[str, _Provider]] = {}
        self.skipped: list[ClaimResult] = []

    def write(self, result: ClaimResult, claim: Claim | InputError | None = None) -> None:
        if not isinstance(claim, Claim):
            self.skipped.append(result)
            return
        providers = self._payers.setdefault(result.payer, {})
        billing = claim.billing_provider
        key = billing.npi or billing.tax_id or ""
        provider = providers.get(key)
        if provider is None:
            provider = providers[key] = _Provider(claim)
        provider.claims.append(_Claim(result, claim))

    def close(self) -> None:
        if not self._payers:
            return
        w = self._stream.write
        for seg in self._interchange.header("HN", "005010X214"):
            w(f"{seg}~\n")
        for number, (payer, providers) in enumerate(self._payers.items(), 1):
            segs = self._transaction(payer, providers, number)
            st = f"{number:04d}"
            w(f"ST*277*{st}*005010X214~\n")
            for seg in segs:
                w(seg)
                w("~\n")
            w(f"SE*{len(segs) + 2}*{st}~\n")
        for seg in self._interchange.trailer(len(self._payers)):
            w(f"{seg}~\n")

    def _transaction(self, payer: str, providers: dict[str, _Provider], number: int) -> list[str]:
        now = self._now
        today = f"{now:%Y%m%d}"
        every = [c for p in providers.values() for c in p.claims]
        received = min((c.claim.received_date for c in every if c.claim.received_date), default=None)
        payer_name = _clean(payer, 60).upper()
        segs = [
            f"BHT*0085*08*{today}{number:06d}*{today}*{now:%H%M}*TH",
            "HL*1**20*1",
            f"NM1*PR*2*{payer_name}*****PI*{_clean(payer, 80).upper()}",
            f"TRN*1*{today}{number:06d}",
            f"DTP*050*D8*{received or now:%Y%m%d}",
            f"DTP*009*D8*{today}",
            "HL*2*1*21*1",
        ]
        first = next(iter(providers.values()))
        receiver = _clean(first.tax_id, 80) or _clean(first.npi, 80) or "UNKNOWN"
        segs.append(f"NM1*41*2*{_clean(first.name) or 'SUBMITTER'}*****46*{receiver}")
        segs.append(f"TRN*2*{today}{number:06d}")
        segs.append(f"STC*A1:19:PR*{today}*WQ*{amount(sum((c.result.billed for c in every), _ZERO))}")
        segs.extend(_totals(every, accepted="90", rejected="AA"))
        hl = 2
        for provider in providers.values():
            hl += 1
            parent = hl
            segs.append(f"HL*{hl}*2*19*1")
            name = _clean(provider.name) or "PROVIDER"
            if provider.npi:
                segs.append(f"NM1*85*2*{name}*****XX*{provider.npi}")
            else:
                segs.append(f"NM1*85*2*{name}*****FI*{_clean(provider.tax_id)}")
            segs.append("TRN*1*0")
            billed = sum((c.result.billed for c in provider.claims), _ZERO)
            segs.append(f"STC*A1:19:PR**WQ*{amount(billed)}")  # STC02 is not used at this level
            segs.extend(_totals(provider.claims, accepted="QA", rejected="QC"))
            for item in provider.claims:
                hl += 1
                segs.append(f"HL*{hl}*{parent}*PT")
                segs.extend(self._claim(item, payer, today))
        return segs

    def _claim(self, item: _Claim, payer: str, today: str) -> list[str]:
        r, claim = item.result, item.claim
        patient = claim.patient
        segs = [
            f"NM1*QC*1*{_clean(patient.last_name, 60) or 'UNKNOWN'}*{_clean(patient.first_name, 35)}****MI*"
            f"{_clean(claim.coverage.member_id, 80) or 'UNKNOWN'}",
            f"TRN*2*{_clean(claim.id, 50)}",
        ]
        if _rejected(r):
            category = "A3" if r.status == ClaimStatus.ERROR else "A7"
            segs.append(f"STC*{category}:{_status_code(r)}*{today}*U*{amount(r.billed)}")
        else:
            segs.append(f"STC*A2:20*{today}*WQ*{amount(r.billed)}")
            segs.append(f"REF*1K*{_clean(payer, 10).upper()}{_clean(claim.id, 38)}")
        if claim.claim_type is ClaimType.INSTITUTIONAL and claim.bill_type:
            segs.append(f"REF*BLT*{_clean(claim.bill_type, 4)}")
        start = claim.statement_from or min(line.service_date for line in claim.lines)
        end = claim.statement_to or max(line.service_date_end or line.service_date for line in claim.lines)
        if start == end:
            segs.append(f"DTP*472*D8*{start:%Y%m%d}")
        else:
            segs.append(f"DTP*472*RD8*{start:%Y%m%d}-{end:%Y%m%d}")
        return segs


def _totals(claims: list[_Claim], *, accepted: str, rejected: str) -> list[str]:
    taken = [c for c in claims if not _rejected(c.result)]
    refused = [c for c in claims if _rejected(c.result)]
    segs = []
    if taken:
        segs.append(f"QTY*{accepted}*{len(taken)}")
    if refused:
        segs.append(f"QTY*{rejected}*{len(refused)}")
    if taken:
        segs.append(f"AMT*YU*{amount(sum((c.result.billed for c in taken), _ZERO))}")
    if refused:
        segs.append(f"AMT*YY*{amount(sum((c.result.billed for c in refused), _ZERO))}")
    return segs
