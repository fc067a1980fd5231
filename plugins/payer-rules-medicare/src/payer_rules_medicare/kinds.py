"""How Medicare pays each kind of claim this plugin does not price (yet), and what would.

Inpatient (type of bill 11x) is priced (``inpatient/``): without its grouper the claim pends
with MCR800 naming ``payer-rules-medicare[inpatient]``.

The engine quotes these in its not-modelled finding (ENG005) for every line of such a claim,
instead of pricing it from the Part B fee schedules. Each names the payment system and the
regulation that sets it.
"""

from __future__ import annotations

from payer_rules.claim_kinds import ClaimKind
from payer_rules.payers import KindHint

__all__ = ["MEDICARE_KIND_HINTS"]

_NONE_YET = "a plugin that models {} for Medicare (none is installed)"

MEDICARE_KIND_HINTS: tuple[KindHint, ...] = (
    KindHint(
        kind=ClaimKind.OUTPATIENT_HOSPITAL,
        method="the outpatient prospective payment system (OPPS) by APC",
        remedy=_NONE_YET.format("OPPS (APC assignment, status indicators, packaging)"),
        citation="42 CFR Part 419; Medicare Claims Processing Manual (Pub. 100-04) ch. 4",
    ),
    KindHint(
        kind=ClaimKind.ASC,
        method="the ASC payment system (ASC addenda AA / BB rates, wage-adjusted)",
        remedy="the ASC part of payer-rules-medicare with the CMS ASC addenda imported",
        citation="42 CFR Part 416 subpart F; Medicare Claims Processing Manual (Pub. 100-04) ch. 14",
    ),
    KindHint(
        kind=ClaimKind.SNF,
        method="the SNF prospective payment system per diem (PDPM)",
        remedy=_NONE_YET.format("the SNF PPS"),
        citation="42 CFR Part 413 subpart J",
    ),
    KindHint(
        kind=ClaimKind.HOME_HEALTH,
        method="the home health prospective payment system per 30-day period (PDGM)",
        remedy=_NONE_YET.format("the HH PPS"),
        citation="42 CFR Part 484 subpart E",
    ),
    KindHint(
        kind=ClaimKind.HOSPICE,
        method="hospice per diem rates by level of care",
        remedy=_NONE_YET.format("hospice payment"),
        citation="42 CFR Part 418 subpart G",
    ),
    KindHint(
        kind=ClaimKind.CRITICAL_ACCESS,
        method="101 percent of reasonable cost",
        remedy=_NONE_YET.format("critical access hospital cost-based payment"),
        citation="42 CFR 413.70",
    ),
    KindHint(
        kind=ClaimKind.CLINIC,
        method="the payment system of the clinic's type of bill (RHC / FQHC rates, ESRD PPS, ...)",
        remedy=_NONE_YET.format("RHC, FQHC, ESRD or CORF payment"),
        citation="42 CFR Part 405 subpart X (RHC / FQHC); 42 CFR Part 413 subpart H (ESRD)",
    ),
    KindHint(
        kind=ClaimKind.DENTAL,
        method="no payment for most dental services (excluded from coverage)",
        remedy="the member's dental plan; Medicare pays dental services only in the narrow cases "
        "the exclusion allows",
        citation="Social Security Act section 1862(a)(12)",
    ),
)
