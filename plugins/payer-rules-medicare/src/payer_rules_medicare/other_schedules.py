"""Lines Medicare prices outside the RVU formula: anesthesia (base + time units x the anesthesia
CF, :mod:`.anesthesia`) and drugs and biologicals (ASP + 6%, :mod:`.drugs`).

:func:`price_other` answers for a line these schedules own, and ``None`` for every other line,
so :func:`payer_rules_medicare.pricing.price_claim` asks it first and goes on with the physician
and lab fee schedules otherwise.
"""

from __future__ import annotations

import datetime as dt

from payer_rules.models import Claim, ServiceLine
from payer_rules.results import Finding, PricedLine
from payer_rules_medicare.anesthesia import anesthesia_line, is_anesthesia
from payer_rules_medicare.drugs import drug_line
from payer_rules_medicare.edits import finding
from payer_rules_medicare.imported import ImportedTables
from payer_rules_medicare.mpfs.schedule import claim_locality
from payer_rules_medicare.starter import Starter

__all__ = ["VACCINE_ADMINISTRATION", "price_other"]

#: Part B preventive vaccine administration: influenza, pneumococcal, hepatitis B.
VACCINE_ADMINISTRATION = frozenset({"G0008", "G0009", "G0010"})


def price_other(
    number: int, line: ServiceLine, claim: Claim, day: dt.date, tables: ImportedTables, starter: Starter
) -> list[PricedLine | Finding] | None:
    """The line's price and findings (or the finding why there is no price) when anesthesia or a
    drug, else ``None``."""
    if is_anesthesia(line):
        locality = claim_locality(claim, day, tables, starter)
        return [anesthesia_line(number, line, claim, day, tables, starter, locality)]
    if line.procedure in VACCINE_ADMINISTRATION:
        return [
            finding(
                "MCR713",
                f"line {number}: {line.procedure} (vaccine administration) is paid at CMS's annual, "
                f"geographically adjusted administration rate for CY{day.year}, which is not loaded",
                line=number,
            )
        ]
    return drug_line(number, line, day, tables, starter)
