"""837P in -> adjudication against Medicare -> 835 out, against pyx12's parse-and-validate.

    uv run python benchmarks/bench_x12.py [--claims 10000]

Generates a 10,000-claim 837P (005010X222A1), then in one run times (1) payer-rules reading it,
adjudicating every claim against Medicare and writing the 835, and (2) pyx12 parsing and
validating the same file (``x12n_document`` with a 999 written). Prints JSON with both
throughputs and the ratio. Not a unit test: no assertion on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import logging
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from payer_rules.context import Session
from payer_rules.engine import RUNNER_CHUNK_SIZE, Engine
from payer_rules.io.readers import read_text
from payer_rules.io.x12.writer_835 import X12_835Writer
from payer_rules.io.x12.writer_837 import claims_to_837
from payer_rules.models import Address, Claim, Coverage, Diagnosis, Person, Provider, ServiceLine, Sex

DIAGNOSES = ["E11.9", "I10", "E78.5", "S93.401A", "J06.9", "R73.03", "Z00.00", "K21.9"]
PROCEDURES = [("99213", "150.00"), ("99214", "220.00"), ("82947", "25.00"), ("99213", "140.00")]


def generate(count: int, seed: int = 7) -> list[Claim]:
    rng = random.Random(seed)
    billing = Provider(
        npi="1234567893",
        name="MISSION FAMILY MEDICINE",
        tax_id="941234567",
        taxonomy="207Q00000X",
        address=Address(line1="100 MAIN ST", city="SAN FRANCISCO", state="CA", zip="941101234"),
    )
    claims = []
    for i in range(count):
        day = dt.date(2026, rng.randint(1, 10), rng.randint(1, 28))
        lines = []
        for _ in range(rng.randint(1, 3)):
            code, charge = rng.choice(PROCEDURES)
            lines.append(ServiceLine(procedure=code, charge=Decimal(charge), service_date=day))
        member = f"M{i % 2500:05d}"
        claims.append(
            Claim(
                id=f"B{i:07d}",
                patient=Person(
                    id=member,
                    last_name="DOE",
                    first_name=f"P{i % 2500}",
                    birth_date=dt.date(1950, 6, 1),
                    sex=Sex.FEMALE,
                    address=Address(line1="1 ELM ST", city="SAN FRANCISCO", state="CA", zip="941101234"),
                ),
                coverage=Coverage(payer_id="medicare", member_id=member, filing_indicator="MB"),
                billing_provider=billing,
                service_facility_zip="941101234",
                received_date=dt.date(2026, 11, 30),
                diagnoses=(Diagnosis(code=rng.choice(DIAGNOSES)),),
                lines=tuple(lines),
            )
        )
    return claims


def ours(text: str, engine: Engine) -> tuple[int, int, float]:
    start = time.perf_counter()
    out = io.StringIO()
    writer = X12_835Writer(out)
    count = 0
    for item, result in engine.adjudicate_pairs(
        read_text(text, "bench.837"), ["medicare"], session=Session(), chunk_size=RUNNER_CHUNK_SIZE
    ):
        writer.write(result, item)
        count += 1
    writer.close()
    return count, len(out.getvalue()), time.perf_counter() - start


def pyx12(path: Path) -> tuple[bool, float]:
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    start = time.perf_counter()
    ok = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=str(path), fd_997=io.StringIO(), fd_html=None
    )
    return bool(ok), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=10_000)
    args = parser.parse_args()
    text = claims_to_837(generate(args.claims))
    engine = Engine.from_installed()
    ours(claims_to_837(generate(200, seed=1)), engine)  # warm caches
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.837"
        path.write_text(text)
        results, size_835, our_time = ours(text, engine)
        valid, their_time = pyx12(path)
    report = {
        "claims": args.claims,
        "segments_837": text.count("~"),
        "bytes_837": len(text),
        "payer_rules": {
            "seconds": round(our_time, 3),
            "claims_per_second": round(args.claims / our_time),
            "results": results,
            "bytes_835": size_835,
            "does": "parse 837P + adjudicate against medicare + write 835",
        },
        "pyx12": {
            "seconds": round(their_time, 3),
            "claims_per_second": round(args.claims / their_time),
            "valid": valid,
            "does": "parse + validate 837P (x12n_document, 999 written)",
        },
        "ratio": round(their_time / our_time, 2),
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
