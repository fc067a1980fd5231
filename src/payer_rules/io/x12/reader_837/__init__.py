"""837P (005010X222A1) and 837I (005010X223A2) claims in: one ``Claim`` or ``InputError`` per CLM.

The reader walks the segments once, keeping only the loops the current claim sits in: the
billing provider (2000A), the subscriber and payer (2000B), the patient (2000C), then the claim
(2300) with its providers (2310), other payers (2320 / 2330) and service lines (2400 / 2420 /
2430). A problem inside a claim makes that claim an error located at the offending segment
(``claims.837: segment 42 (DTP*472*D8*20260230): claim 26407789: ...``); the other claims of
the file are still read. A problem above the claims (a bad subscriber date of birth) reaches
every claim beneath it. Envelope problems (SE / GE / IEA counts and control numbers) are errors
of their own; the claims inside are still judged, since their segments were read whole.

4010 (X098A1 / X096A1) files are read with the same map, where it fits, so older test files
give results or located errors rather than a refusal; their diagnoses are ICD-9-CM (``BK``).

The package is split by responsibility: :mod:`.walk` (envelopes, HL levels, which loop a segment
belongs to), :mod:`.loops` (what is kept of each loop while a claim is read), :mod:`.header`
(CLM, NM1 parties, HI code lists), :mod:`.lines` (SV1 / SV2 / CAS), :mod:`.values` (dates,
amounts, code systems) and :mod:`.build` (a claim read whole becomes a ``Claim``).
"""

from __future__ import annotations

from collections.abc import Iterator

from payer_rules.errors import InputError
from payer_rules.io.x12.reader_837.walk import Reader
from payer_rules.models import Claim

__all__ = ["read_837_text"]


def read_837_text(text: str, name: str) -> Iterator[Claim | InputError]:
    """Claims from 837 text; ``name`` is the file name used in messages."""
    yield from Reader(text, name).read()
