"""What structural validation with fhir.resources costs beside the FHIR reader.

    uv run python benchmarks/bench_fhir_validate.py [--claims 300] [--repeat 5]

Builds a Bundle of N claims (each with its Patient, Coverage and Practitioner, as
``examples/fhir/claims.json`` holds them) and reports, best of ``--repeat``: reading it
(``read_text``), validating it (``payer_rules.io.fhir.validate.structural_errors``), and the two
together as ``PAYER_RULES_FHIR_VALIDATE=1`` runs them; then the one-off cost of importing the
R4B models, in a fresh interpreter (CPU seconds, so a loaded machine's waiting does not count).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from payer_rules.io.fhir.validate import VALIDATE_ENV, structural_errors
from payer_rules.io.readers import read_text

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fhir" / "claims.json"


def bundle_of(claims: int) -> str:
    base = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    entries = base["entry"]
    claim_entries = [e for e in entries if e["resource"]["resourceType"] == "Claim"]
    others = [e for e in entries if e["resource"]["resourceType"] != "Claim"]
    out = list(others)
    for n in range(claims):
        entry = copy.deepcopy(claim_entries[n % len(claim_entries)])
        entry["resource"]["id"] = f"C{n}"
        entry.pop("fullUrl", None)
        out.append(entry)
    return json.dumps({**base, "entry": out})


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def import_seconds() -> float:
    code = (
        "import time; t = time.process_time(); import fhir.resources.R4B.bundle; "
        "print(time.process_time() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    text = bundle_of(args.claims)
    structural_errors(json.loads(text))  # models imported and built once, as in a long run
    os.environ.pop(VALIDATE_ENV, None)
    read = best(lambda: list(read_text(text, "bench.json")), args.repeat)
    validate = best(lambda: structural_errors(json.loads(text)), args.repeat)
    os.environ[VALIDATE_ENV] = "1"
    both = best(lambda: list(read_text(text, "bench.json")), args.repeat)
    os.environ.pop(VALIDATE_ENV, None)
    per = 1e6 / args.claims
    rows = [
        ("claims per bundle", f"{args.claims:9d}"),
        ("read", f"{read * per:9.1f} us/claim"),
        ("validate (fhir.resources)", f"{validate * per:9.1f} us/claim  ({validate / read:.1f}x reading)"),
        (f"read with {VALIDATE_ENV}=1", f"{both * per:9.1f} us/claim  ({both / read:.1f}x)"),
        ("import the R4B models", f"{import_seconds():9.2f} s CPU, once per process"),
        ("peak RSS", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:9.0f} MB"),
    ]
    for label, value in rows:
        print(f"{label:<38}{value}")


if __name__ == "__main__":
    main()
