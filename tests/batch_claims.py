"""A generated batch for the batch runners' tests: members with several claims, and bad lines.

Each member's claims come in date order and interleave with other members', so the Part B
deductible one claim uses up changes what the member's next claim pays: a runner that split a
member, or reordered its claims, would give different results.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

PROCEDURES = [("99213", "150.00"), ("99214", "220.00"), ("82947", "25.00")]
DIAGNOSES = ["E11.9", "I10", "S93.401A", "J06.9"]
#: Lines that cannot be read, by their position in the file: the runners must keep them in place.
BAD_LINES = {7: '{"id": "BAD-1", \n', 19: "[1, 2]\n", 23: "   \n", 31: '{"id": "BAD-2", "lines": []}\n'}


def make_claims(count: int, *, members: int = 12, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    claims = []
    for i in range(count):
        member = rng.randrange(members)
        day = f"2026-{1 + i * 11 // count:02d}-{rng.randint(1, 28):02d}"
        lines = [
            {"procedure": code, "charge": charge, "service_date": day, "diagnosis_pointers": [1]}
            for code, charge in rng.sample(PROCEDURES, rng.randint(1, 2))
        ]
        claims.append(
            {
                "id": f"T-{i:05d}",
                "patient": {"id": f"P{member:03d}", "birth_date": "1950-06-01", "sex": "F"},
                "coverage": {"payer_id": "medicare", "member_id": f"M{member:03d}"},
                "billing_provider": {"npi": "1234567893", "address": {"zip": "94110"}},
                "service_facility_zip": "94110",
                "received_date": "2026-11-30",
                "diagnoses": [{"code": rng.choice(DIAGNOSES)}],
                "lines": lines,
            }
        )
    return claims


def write_ndjson(path: Path, count: int, *, bad: dict[int, str] = BAD_LINES, **kwargs: Any) -> Path:
    """The claims as NDJSON, with ``bad`` lines (by default :data:`BAD_LINES`) among them."""
    with path.open("w", encoding="utf-8") as out:
        for i, claim in enumerate(make_claims(count, **kwargs)):
            if i in bad:
                out.write(bad[i])
            out.write(json.dumps(claim) + "\n")
    return path
