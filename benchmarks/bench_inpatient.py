"""Inpatient claims per second through the CLI: MS-DRG grouping + MCE, IPPS pricing, 835 out.

    uv run python benchmarks/bench_inpatient.py [--claims 5000]

Generates inpatient (type of bill 111) claims as NDJSON for the example hospital of the starter
pack (heart failure, COPD, pneumonia, sepsis, joint replacement, hip fracture; some transfers
and outliers), then times ``payer-rules adjudicate FILE --payer medicare --format x12-835`` in
a subprocess with an empty data directory (starter pack only). Prints JSON: claims, seconds,
claims per second, and the same for a one-claim run (start-up cost). Not a unit test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAYS = [
    ("I50.23", ["N17.9"], []),
    ("I50.23", ["J96.01"], []),
    ("I50.23", ["I10"], []),
    ("J44.1", ["I10"], []),
    ("J18.9", ["N17.9"], []),
    ("A41.9", ["R65.21"], []),
    ("A41.9", ["N39.0"], []),
    ("M16.11", [], ["0SR9019"]),
    ("S72.001A", ["I10"], ["0QS604Z"]),
]
STATUSES = ["01"] * 8 + ["02", "03", "06"]


def claim(i: int, rng: random.Random) -> dict[str, object]:
    pdx, sdx, procedures = rng.choice(STAYS)
    admitted = dt.date(2026, rng.randint(1, 8), rng.randint(1, 20))
    los = rng.randint(1, 8)
    discharged = admitted + dt.timedelta(days=los)
    room = rng.randint(2000, 9000) * los
    return {
        "id": f"IP{i:07d}",
        "claim_type": "institutional",
        "bill_type": "111",
        "patient": {
            "id": f"P{i}",
            "last_name": "DOE",
            "first_name": "SAM",
            "birth_date": "1948-02-02",
            "sex": "M",
        },
        "coverage": {"payer_id": "medicare", "member_id": f"M{i:07d}"},
        "billing_provider": {
            "npi": "1234567893",
            "name": "MISSION GENERAL HOSPITAL",
            "taxonomy": "282N00000X",
        },
        "provider_ccn": "059999",
        "received_date": (discharged + dt.timedelta(days=7)).isoformat(),
        "statement_from": admitted.isoformat(),
        "statement_to": discharged.isoformat(),
        "admission_date": admitted.isoformat(),
        "discharge_status": rng.choice(STATUSES),
        "diagnoses": [{"code": d, "present_on_admission": "Y"} for d in (pdx, *sdx)],
        "procedures": [{"code": p, "date": admitted.isoformat()} for p in procedures],
        "lines": [
            {
                "procedure": "0120",
                "code_system": "revenue",
                "revenue_code": "0120",
                "units": str(los),
                "charge": f"{room}.00",
                "service_date": admitted.isoformat(),
                "service_date_end": discharged.isoformat(),
            },
            {
                "procedure": "0250",
                "code_system": "revenue",
                "revenue_code": "0250",
                "units": "1",
                "charge": f"{rng.randint(300, 90000)}.00",
                "service_date": admitted.isoformat(),
            },
        ],
    }


def run(path: Path, out: Path, data: Path) -> float:
    env = {**os.environ, "PAYER_RULES_DATA_DIR": str(data), "SOURCE_DATE_EPOCH": "1780000000"}
    start = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "payer-rules"),
            "adjudicate",
            str(path),
            "--payer",
            "medicare",
            "--format",
            "x12-835",
            "--output",
            str(out),
        ],
        check=True,
        env=env,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=5000)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        many, one = root / "claims.ndjson", root / "one.ndjson"
        many.write_text("\n".join(json.dumps(claim(i, rng)) for i in range(args.claims)) + "\n")
        one.write_text(json.dumps(claim(0, random.Random(1))) + "\n")
        (root / "data").mkdir()
        startup = run(one, root / "one.835", root / "data")
        seconds = run(many, root / "many.835", root / "data")
        paid = (root / "many.835").read_text().count("CLP*")
    print(
        json.dumps(
            {
                "claims": args.claims,
                "claims_in_835": paid,
                "seconds": round(seconds, 2),
                "claims_per_second": round(args.claims / seconds),
                "claims_per_second_after_startup": round(args.claims / max(seconds - startup, 1e-9)),
                "one_claim_run_seconds": round(startup, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
