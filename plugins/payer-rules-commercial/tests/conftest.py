"""Helpers and isolation for the commercial plugin tests.

Each test starts from an empty data directory (the Medicare starter pack is the reference
for percent-of-Medicare terms, whatever a developer imported) and a fresh CLI engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from payer_rules.cli.state import reset_engine


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path_factory.mktemp("empty-data-dir")))
    monkeypatch.delenv("PAYER_RULES_PATH", raising=False)
    reset_engine()
    yield
    reset_engine()


#: A whole commercial payer in TOML: simple fee-schedule numbers so results are easy to check.
ACME_PAYER = """\
[payer]
id = "acme-health"
name = "Acme Health (test)"
version = "1.0.0"
source = "Acme Health test contract"

[contract]
lesser_of_billed = true
fees = [
  { procedure = "99213", amount = "100.00" },
  { procedure = "70551", amount = "400.00" },
  { procedure = "72148", amount = "450.55" },
  { procedure = "29881", amount = "2000.00" },
  { procedure = "97110", amount = "30.00" },
]

[[categories]]
name = "office-visit"
procedures = ["99202-99215"]

[[categories]]
name = "imaging"
procedures = ["70000-79999"]

[[categories]]
name = "therapy"
procedures = ["97000-97799"]

[[plans]]
id = "gold"
name = "Acme Gold"

[plans.in_network]
deductible = "500.00"
out_of_pocket_max = "1000.00"
coinsurance = "20"

[plans.in_network.categories]
office-visit = { copay = "25.00" }
therapy = { copay = "15.00" }

[plans.out_of_network]
deductible = "1000.00"
out_of_pocket_max = "3000.00"
coinsurance = "50"
balance_billing = true
"""

ACME_PACK = """\
[pack]
name = "acme-edits"
prefix = "ACM"
version = "1.0.0"
payers = ["acme-health"]
effective_from = 2026-01-01
source = "Acme Health test manual"

[[rules]]
code = "ACM101"
name = "knee-arthroscopy-without-prior-authorization"
kind = "prior-authorization"
severity = "deny"
status = "stable"
effective_from = 2026-01-01
summary = "Knee arthroscopy needs an authorization number."
citation = "Acme Health test manual §1"
message = "line {line}: {procedure} needs prior authorization"
carc = "197"
group = "CO"
procedures = ["29881"]

[[rules.cases]]
name = "no authorization"
expect = ["ACM101"]
claim = { lines = [{ procedure = "29881", charge = "3000.00" }] }

[[rules.cases]]
name = "with authorization"
expect = []
claim = { prior_authorizations = ["A1"], lines = [{ procedure = "29881", charge = "3000.00" }] }
"""


def write_acme(root: Path) -> Path:
    """``root/acme/payer.toml`` and ``root/acme/rulepacks/acme.toml``; returns ``root``."""
    (root / "acme" / "rulepacks").mkdir(parents=True)
    (root / "acme" / "payer.toml").write_text(ACME_PAYER, encoding="utf-8")
    (root / "acme" / "rulepacks" / "acme.toml").write_text(ACME_PACK, encoding="utf-8")
    return root


def claim(
    claim_id: str,
    date: str,
    lines: list[dict[str, Any]],
    *,
    payer: str = "acme-health",
    participating: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": claim_id,
        "patient": {"id": "P-77", "birth_date": "1980-05-05", "sex": "M"},
        "coverage": {"payer_id": payer, "member_id": "M-77"},
        "billing_provider": {
            "npi": "1234567893",
            "tax_id": "941234567",
            "participating": participating,
            "address": {"zip": "94110"},
        },
        "service_facility_zip": "94110",
        "received_date": date,
        "diagnoses": [{"code": "M17.11"}],
        "lines": [{"service_date": date, **line} for line in lines],
        **extra,
    }


def write_claims(path: Path, claims: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(c) for c in claims) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def acme_dir(tmp_path: Path) -> Path:
    """A configured directory holding one payer written only in TOML."""
    return write_acme(tmp_path / "payers")


@pytest.fixture
def make_claim() -> Any:
    return claim


@pytest.fixture
def claims_file() -> Any:
    return write_claims
