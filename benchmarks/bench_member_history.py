"""Cost per claim against the length of a member's history: flat, or growing with it?

    uv run python benchmarks/bench_member_history.py [--claims 8000] [--payer medicare] [--rounds 3]

Judges the same generated claims twice in one process: once spread over many members (4 claims
each) and once all for one member, so every later claim of the second run has thousands of
services on file. Duplicates, NCCI PTP / MUE, global surgery and the rulepack history kinds
(frequency limits, new patient, visit prior authorization) all ask what the member had on or
around a date; with the session's date index each question costs the same whatever the
history's length. Claims are in date order within each member, as the runners deliver them.

Prints one JSON object: microseconds per claim for the spread and the single-member run (the
best of ``--rounds`` alternating rounds, so both see the same machine), their ratio, and the
single-member run's last quarter alone (where the history is longest). Target: ratio <= 1.15.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from decimal import Decimal

from payer_rules.batch.collector import paused_collector
from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine

PROCEDURES = [
    ("99213", "150.00"),
    ("99214", "220.00"),
    ("82947", "25.00"),
    ("97110", "60.00"),
    ("36415", "10.00"),
]
DIAGNOSES = ["E11.9", "I10", "E78.5", "M54.50"]


def generate(count: int, members: int, seed: int = 3) -> list[Claim]:
    """``count`` claims; member ``i % members``; dates rising through 2026 for each member."""
    rng = random.Random(seed)
    start = dt.date(2026, 1, 2)
    claims = []
    for i in range(count):
        member = i % members
        nth = i // members
        day = start + dt.timedelta(days=(nth * 300) // max(1, count // members))
        lines = tuple(
            ServiceLine(procedure=code, charge=Decimal(charge), service_date=day)
            for code, charge in rng.sample(PROCEDURES, rng.randint(1, 3))
        )
        claims.append(
            Claim(
                id=f"H-{i:06d}",
                patient=Person(id=f"P-{member}", birth_date=dt.date(1950, 1, 1)),
                coverage=Coverage(payer_id="medicare", member_id=f"M{member}"),
                billing_provider=Provider(npi="1234567893", tax_id="123456789", address=Address(zip="94110")),
                service_facility_zip="94110",
                received_date=dt.date(2026, 12, 1),
                diagnoses=(Diagnosis(code=rng.choice(DIAGNOSES)),),
                lines=lines,
            )
        )
    return claims


def timed(engine: Engine, claims: list[Claim], payer: str) -> list[float]:
    """Seconds per claim, claim by claim, for one run with one session."""
    session = Session()
    times = []
    clock = time.perf_counter
    with paused_collector():
        for claim in claims:
            began = clock()
            engine.adjudicate(claim, payer, session=session)
            times.append(clock() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=8000)
    parser.add_argument("--payer", default="medicare")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engine = Engine.from_installed()
    spread = generate(args.claims, members=max(1, args.claims // 4))
    single = generate(args.claims, members=1)
    timed(engine, spread[:500], args.payer)  # warm the caches and the code sets
    best: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for name, claims in (("spread", spread), ("single", single)):
            times = timed(engine, claims, args.payer)
            if name not in best or sum(times) < sum(best[name]):
                best[name] = times
    per = {name: sum(t) / len(t) * 1e6 for name, t in best.items()}
    last = best["single"][-len(best["single"]) // 4 :]
    print(
        json.dumps(
            {
                "claims": args.claims,
                "payer": args.payer,
                "spread_us_per_claim": round(per["spread"], 1),
                "single_member_us_per_claim": round(per["single"], 1),
                "ratio": round(per["single"] / per["spread"], 3),
                "single_member_last_quarter_us": round(sum(last) / len(last) * 1e6, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
