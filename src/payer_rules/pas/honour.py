"""Authorization numbers this engine issued, honoured on the claims that quote them.

A claim quotes authorizations as numbers (837 REF*G1, FHIR ``Claim.insurance.preAuthRef``,
claim JSON ``prior_authorizations``). A number from outside (a payer's own utilization
management) cannot be checked here, so plugins treat any number as present, as before. A number
this engine issued through Da Vinci PAS (:mod:`payer_rules.pas.store`) says exactly what it
covers, and is held to it:

1. The ``authorize`` hooks run on the claim without the engine's own numbers, so each plugin's
   authorization edit (Medicare MCR501, a pack's ``prior-authorization`` rule ...) fires on every
   line that needs an authorization and has none from outside.
2. An authorization finding (CARC 197, "precertification / authorization absent", or 15, "the
   authorization number is missing, invalid, or does not apply") on a line that one of the
   engine's numbers covers -- same payer, member, patient (name and date of birth, as far as the
   authorization names them: a dependant shares the subscriber's member id), procedure, provider
   (billing or rendering NPI),
   every date of the line inside the authorized period, and units within what is left of the
   authorization -- is replaced by ENG021 (info): the edit is met.
3. Otherwise the plugin's finding stands and ENG022 (warning) says why the quoted number does not
   apply (the first of: payer, member, patient, service, dates, provider, units that differs).

What is left is the authorized units less what the member's other claims used of them
(:mod:`payer_rules.pas.usage`: earlier claims of the run and of earlier runs, never the claim
itself nor the claim it replaces) and what the claim's earlier lines take.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from attrs import evolve

from payer_rules.models import Claim, Person
from payer_rules.pas.rules import AUTH_DOES_NOT_APPLY, AUTH_HONOURED
from payer_rules.pas.usage import AuthorizationLedger, Use, member_of, name_part, normal_member
from payer_rules.results import Finding, Severity

if TYPE_CHECKING:
    from payer_rules.pas.store import AuthorizedService

__all__ = ["AUTHORIZATION_CARCS", "authorize_with_issued_numbers", "is_authorization_finding"]

#: CARCs that say a line lacks a (valid) authorization: 197 precertification / authorization /
#: notification absent; 15 the authorization number is missing, invalid or does not apply.
AUTHORIZATION_CARCS = frozenset({"197", "15"})
_DECIDING = frozenset({Severity.REJECT, Severity.DENY, Severity.PEND})


def is_authorization_finding(finding: Finding) -> bool:
    """An ``authorize``-stage finding that a line needs an authorization it does not have."""
    return finding.carc in AUTHORIZATION_CARCS and finding.severity in _DECIDING


def authorize_with_issued_numbers(
    claim: Claim, payer: str, run: Callable[[Claim], list[Finding]], ledger: AuthorizationLedger | None = None
) -> list[Finding]:
    """The ``authorize`` findings for ``claim``, with the engine's own numbers held to what they cover.

    :param run: runs the ``authorize`` hooks on a claim.
    :param ledger: what other claims used of the authorizations; the lines' own use is held in it
        until the claim is settled. ``None``: only this claim's lines count.
    """
    from payer_rules.pas.store import lookup  # only for claims that quote numbers: not at start-up

    issued = lookup(claim.prior_authorizations)
    if not issued:
        return run(claim)
    outside = tuple(n for n in claim.prior_authorizations if n not in issued)
    findings = run(evolve(claim, prior_authorizations=outside))
    if outside or not any(f.line is not None and is_authorization_finding(f) for f in findings):
        if ledger is not None:
            ledger.hold(claim, payer, {})  # uses nothing now, whatever it used when judged before
        return findings
    earlier = ledger.used_by(claim, payer, issued) if ledger is not None else {}
    used: dict[tuple[str, int], Decimal] = {}
    uses: dict[int, Use] = {}
    decided: dict[int, tuple[AuthorizedService | None, str]] = {}  # a line two edits fire on counts once
    out: list[Finding] = []
    for finding in findings:
        if finding.line is None or not is_authorization_finding(finding):
            out.append(finding)
            continue
        if finding.line not in decided:
            decided[finding.line] = _cover(claim, finding.line, payer, issued, earlier, used)
        covering, why = decided[finding.line]
        if covering is not None:
            line = claim.lines[finding.line - 1]
            uses[finding.line] = (covering.number, covering.item, line.units)
            out.append(
                AUTH_HONOURED.finding(
                    f"line {finding.line}: {line.procedure} is authorized by {covering.number} (issued "
                    f"{covering.issued} through Da Vinci PAS for {covering.payer}, member "
                    f"{covering.member_id}, {covering.procedure} x{covering.units} from {covering.start} "
                    f"to {covering.end}): {finding.code} is met",
                    line=finding.line,
                )
            )
            continue
        out.append(finding)
        out.append(AUTH_DOES_NOT_APPLY.finding(f"line {finding.line}: {why}", line=finding.line))
    if ledger is not None:
        ledger.hold(claim, payer, uses)
    return out


def _cover(
    claim: Claim,
    n: int,
    payer: str,
    issued: Mapping[str, Sequence[AuthorizedService]],
    earlier: Mapping[tuple[str, int], Mapping[str, Decimal]],
    used: dict[tuple[str, int], Decimal],
) -> tuple[AuthorizedService | None, str]:
    """The authorized service covering line ``n``, or why none does.

    :param earlier: units of each service other claims used, by claim id.
    :param used: units of each service this claim's earlier lines took; the line's are added.
    """
    line = claim.lines[n - 1]
    npis = {p.npi for p in (claim.billing_provider, claim.rendering_provider) if p is not None and p.npi}
    member = member_of(claim)
    closest: dict[str, tuple[int, str]] = {}  # per number: the service that came nearest, and why not
    for number, services in issued.items():
        for s in services:
            rank, why = _mismatch(
                s,
                line.procedure,
                line.service_date,
                line.last_service_date,
                payer,
                member,
                claim.patient,
                npis,
            )
            if not why:
                key = (s.number, s.item)
                before = earlier.get(key, {})
                here = used.get(key, Decimal(0))
                left = s.units - sum(before.values(), Decimal(0)) - here
                if line.units <= left:
                    used[key] = here + line.units
                    return s, ""
                why = _units_used_up(s, before, here, line.units)
            if rank >= closest.get(number, (-1, ""))[0]:
                closest[number] = (rank, f"{number} {why}")
    return None, "the authorization quoted does not cover it: " + "; ".join(w for _r, w in closest.values())


def _units_used_up(s: AuthorizedService, before: Mapping[str, Decimal], here: Decimal, units: Decimal) -> str:
    """Why a line's units do not fit what is left of ``s``: what it authorizes and who used it."""
    taken = []
    if before:
        claims = ", ".join(f"{claim_id} {before[claim_id]}" for claim_id in sorted(before))
        taken.append(f"{sum(before.values(), Decimal(0))} used by earlier claims ({claims})")
    if here:
        taken.append(f"{here} billed on this claim")
    return (
        f"authorizes {s.units} unit(s) of {s.procedure}"
        + (f", {' and '.join(taken)}" if taken else "")
        + f"; this line bills {units}"
    )


def _mismatch(
    s: AuthorizedService,
    procedure: str,
    first: dt.date,
    last: dt.date,
    payer: str,
    member: str,
    patient: Person,
    npis: set[str],
) -> tuple[int, str]:
    """How far ``s`` matches the line (payer, member, patient, service, dates, provider: 0 to 6)
    and why it does not; ``(6, "")`` when it covers the line but for its units."""
    if s.payer != payer:
        return 0, f"was issued for payer {s.payer}, not {payer}"
    if normal_member(s.member_id) != member:
        return 1, f"was issued for another member ({s.member_id})"
    other = _other_patient(s, patient)
    if other:
        return 2, other
    if s.procedure != procedure:
        return 3, f"authorizes {s.procedure}, not {procedure}"
    if not (s.start <= first and last <= s.end):
        return 4, f"authorizes {s.procedure} from {s.start} to {s.end}; this line is on {first}" + (
            f" to {last}" if last != first else ""
        )
    if s.npis and not npis & set(s.npis):
        return 5, (
            f"was issued for provider NPI {', '.join(s.npis)}, not {', '.join(sorted(npis)) or 'this claim'}"
        )
    return 6, ""


def _other_patient(s: AuthorizedService, patient: Person) -> str:
    """Why the claim's patient is not the one ``s`` was issued for, or ``""``.

    Each of family name, given name and date of birth the authorization names must be the
    claim's (names compared as :func:`~payer_rules.pas.usage.name_part` spells them); one it does
    not name (a request without it, an authorization issued before patients were kept) is not
    compared. The message names no one: which part differs is enough to find it.
    """
    parts = (
        ("family name", name_part(s.patient_last), name_part(patient.last_name)),
        ("given name", name_part(s.patient_first), name_part(patient.first_name)),
        (
            "date of birth",
            s.patient_birth.isoformat() if s.patient_birth else "",
            patient.birth_date.isoformat() if patient.birth_date else "",
        ),
    )
    missing = [what for what, wanted, got in parts if wanted and not got]
    if missing:
        return "was issued for a patient this claim does not identify: it gives no patient " + " or ".join(
            missing
        )
    differ = [what for what, wanted, got in parts if wanted and wanted != got]
    if differ:
        return (
            f"was issued for another patient of member {s.member_id} (the patient's "
            f"{' and '.join(differ)} differ{'s' if len(differ) == 1 else ''})"
        )
    return ""
