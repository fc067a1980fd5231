"""Claims per second for a two-payer chain, beside the same claims judged by the two payers apart.

    uv run python benchmarks/bench_chain.py [--claims 2000] [--payers medicare,medicaid-ca] [--rounds 3]

The chain (``adjudicate_pairs(..., chain=True)``) judges each claim by the first payer, builds
the claim the second payer sees (:func:`payer_rules.chains.after`) and judges it again with the
second payer's secondary rules (a Medicare crossover, MSP, commercial COB). Unchained, the same
two payers judge the same claims without each other's results. Both runs use fresh sessions,
alternate over ``--rounds`` and keep the best. Prints one JSON object: claims per second (a claim
counts once, judged by both payers) for each, and the chain's cost relative to unchained.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from decimal import Decimal

from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine


def claims(count: int) -> list[Claim]:
    out = []
    for n in range(count):
        out.append(
            Claim(
                id=f"B-{n}",
                patient=Person(id=f"P-{n}", birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=n % 3000)),
                coverage=Coverage(payer_id="medicare", member_id=f"M{n:08d}"),
                billing_provider=Provider(
                    npi="1234567893",
                    tax_id="941234567",
                    address=Address(line1="100 Main St", city="San Francisco", state="CA", zip="94110"),
                ),
                place_of_service="11",
                service_facility_zip="94110",
                diagnoses=(Diagnosis(code="I10"),),
                lines=(
                    ServiceLine(
                        procedure="99213" if n % 2 else "99214",
                        charge=Decimal("150.00") if n % 2 else Decimal("220.00"),
                        service_date=dt.date(2026, 2, 3) + dt.timedelta(days=n % 20),
                    ),
                ),
                received_date=dt.date(2026, 3, 1),
            )
        )
    return out


def run(engine: Engine, batch: list[Claim], payers: list[str], chain: bool) -> float:
    start = time.perf_counter()
    results = list(engine.adjudicate_pairs(batch, payers, session=Session(), chain=chain))
    elapsed = time.perf_counter() - start
    assert len(results) == len(batch) * len(payers)
    return len(batch) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--payers", default="medicare,medicaid-ca")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    payers = args.payers.split(",")
    engine = Engine.from_installed()
    batch = claims(args.claims)
    run(engine, batch[:50], payers, True)  # warm caches and imports
    chained = unchained = 0.0
    for _ in range(args.rounds):
        unchained = max(unchained, run(engine, batch, payers, False))
        chained = max(chained, run(engine, batch, payers, True))
    print(
        json.dumps(
            {
                "payers": payers,
                "claims": args.claims,
                "chained_claims_per_second": round(chained, 1),
                "unchained_claims_per_second": round(unchained, 1),
                "chain_cost_ratio": round(unchained / chained, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
