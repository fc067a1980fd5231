"""The core's prior-authorization rules (ENG021-ENG026): Da Vinci PAS reviews and the numbers
they issue, honoured on later claims."""

from __future__ import annotations

from payer_rules import __version__
from payer_rules.rules import RuleInfo

__all__ = [
    "AUTH_APPROVED",
    "AUTH_DOES_NOT_APPLY",
    "AUTH_HONOURED",
    "AUTH_NOT_REQUIRED",
    "AUTH_ONLY_RULES",
    "PAS_RULES",
    "SERVICE_NOT_CODED",
]

_SOURCE = f"payer-rules@{__version__}"
_PAS = (
    "HL7 Da Vinci Prior Authorization Support (PAS) IG STU 2 (2.0.1): PASClaimResponse, "
    "extension-reviewAction; X12 005010X217 HCR01 action codes (element 1371)"
)
_CITATION = f"payer-rules docs/prior-authorization.md; {_PAS}"

AUTH_HONOURED = RuleInfo(
    code="ENG021",
    name="authorization-number-honoured",
    summary="A line that needs prior authorization quotes a number this engine issued through Da Vinci "
    "PAS for the same payer, member, patient, service, dates, provider and units: the authorization "
    "edit is met.",
    why="The number was issued for exactly this service, so the payer's authorization requirement "
    "(MCR501, a pack's prior-authorization rule ...) is satisfied; the line goes on to pricing.",
    citation=_CITATION,
    severity="info",
    source=_SOURCE,
)
AUTH_DOES_NOT_APPLY = RuleInfo(
    code="ENG022",
    name="authorization-number-does-not-apply",
    summary="A claim quotes a number this engine issued through Da Vinci PAS, but not for this line: "
    "another payer, member, patient (a dependant sharing the subscriber's member id), service, "
    "provider, dates outside the authorized period, or more units than are left (authorized, less "
    "what the patient's other claims and this claim's earlier lines used). The payer's "
    "authorization edit decides the line as if no number were quoted.",
    why="An authorization covers the services it was issued for; a number for other services, dates "
    "or another member or patient does not authorize this one (CARC 15: the authorization number "
    "does not apply to the billed services or provider).",
    citation=_CITATION,
    severity="warn",
    source=_SOURCE,
)
SERVICE_NOT_CODED = RuleInfo(
    code="ENG023",
    name="pas-service-not-coded",
    summary="A prior-authorization item names its service only by an X12 service type (or no code) and "
    "no CPT / HCPCS code, here or in its requested-service resource: it is pended (A4).",
    why="The payers' authorization lists and edits are kept by CPT / HCPCS code; a service type such as "
    "'Consultation' does not say which list applies, so nothing installed can decide it.",
    citation=_CITATION,
    severity="pend",
    carc="133",
    group="OA",
    source=_SOURCE,
)
AUTH_APPROVED = RuleInfo(
    code="ENG024",
    name="pas-certified",
    summary="A prior-authorization item that the payer's rules require authorization for, and that no "
    "other installed edit denies or pends: certified in total (A1) with an authorization number.",
    why="The engine stands in for the payer's utilization review with the rules installed for that "
    "payer: a service they require authorization for and do not otherwise refuse is certified as "
    "requested (dates, units, provider), and a later claim quoting the number passes the edit.",
    citation=_CITATION,
    severity="info",
    source=_SOURCE,
)
AUTH_NOT_REQUIRED = RuleInfo(
    code="ENG025",
    name="pas-not-required",
    summary="A prior-authorization item for a service no installed rule of this payer requires "
    "authorization for: no action required (NA); no number is issued.",
    why="A claim for the service needs no authorization number, so none is issued; other findings "
    "(a code that is not valid on the date, say) are still reported.",
    citation=_CITATION,
    severity="info",
    source=_SOURCE,
)
AUTH_ONLY_RULES = RuleInfo(
    code="ENG026",
    name="pas-authorization-rules-only",
    summary="A prior-authorization request of a kind of claim this payer's installed plugins do not "
    "price (outpatient hospital for Medicare, say): only its authorization rules judged it.",
    why="Plugins validate only the kinds of claim they price (a professional edit must not judge a "
    "facility line), but authorization requirements bind however the claim is paid.",
    citation=_CITATION,
    severity="info",
    source=_SOURCE,
)

PAS_RULES = (
    AUTH_HONOURED,
    AUTH_DOES_NOT_APPLY,
    SERVICE_NOT_CODED,
    AUTH_APPROVED,
    AUTH_NOT_REQUIRED,
    AUTH_ONLY_RULES,
)
