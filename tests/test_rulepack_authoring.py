"""What a policy team needs to write a pack: priced pack-only payers, checked case claims,
code shapes per system and a claim-field reference with every field described."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from payer_rules.cli import cli
from payer_rules.io.field_docs import CLAIM_FIELDS_DOC, claim_fields_markdown
from payer_rules.io.schema import claim_schema
from payer_rules.rulepack.kinds.base import (
    _ALNUM,
    _D,
    _LETTER,
    _PROCEDURE_SHAPES,
    _WHOLE,
    DIAGNOSIS,
    PROCEDURE,
    _fits,
    _shape_problem,
    code_problem,
)

from .conftest import EXAMPLES, ROOT

NORTHWIND = ROOT / "rulepacks" / "percent-of-medicare"
CENT = Decimal("0.01")


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def _described(schema: dict) -> list[str]:
    missing = []
    for name, definition in {"Claim": schema, **schema["$defs"]}.items():
        for field, prop in definition["properties"].items():
            if not prop.get("description", "").strip():
                missing.append(f"{name}.{field}")
    return missing


def test_every_claim_field_is_described():
    assert _described(claim_schema()) == [], "add a `#:` comment above each field in payer_rules/models.py"


def test_the_claim_field_reference_is_generated_and_current():
    assert CLAIM_FIELDS_DOC.read_text(encoding="utf-8") == claim_fields_markdown(), (
        "run `uv run python -m payer_rules.service.openapi --write`"
    )
    out = invoke("rulepack", "fields")
    assert out.exit_code == 0 and out.stdout == claim_fields_markdown()
    assert "| `service_facility_zip` |" in out.stdout and "| `units` |" in out.stdout


def _medicare_2026_san_francisco_99213() -> Decimal:
    """CMS CY2026 PFS: 99213 non-facility RVUs (work 1.30, PE 1.46, MP 0.09), locality 01112-05
    GPCIs (1.095, 1.410, 0.425), conversion factor 33.4009 — the published formula."""
    rvu = (
        Decimal("1.30") * Decimal("1.095")
        + Decimal("1.46") * Decimal("1.410")
        + Decimal("0.09") * Decimal("0.425")
    )
    return (rvu * Decimal("33.4009")).quantize(CENT, ROUND_HALF_UP)


def test_a_pack_only_payer_prices_at_a_percent_of_medicare_and_its_other_cases_still_pass():
    expected = (_medicare_2026_san_francisco_99213() * Decimal("1.20")).quantize(CENT, ROUND_HALF_UP)
    assert str(expected) == "141.10"  # the amount the pack's case states
    out = invoke("rulepack", "test", str(NORTHWIND), "--format", "json")
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert {r["outcome"] for r in rows} == {"passed"} and len(rows) == 5
    # NWH101's cases pass although NWH201 cannot price 97110 from the starter pack
    assert {r["rule"] for r in rows} == {"NWH101", "NWH201"}

    claim = json.loads((EXAMPLES / "claims" / "01-office-visit-2026.json").read_text())
    claim["coverage"]["payer_id"] = "northwind-health"
    claim["lines"][0]["charge"] = "200.00"
    args = [
        "--rulepacks",
        str(NORTHWIND),
        "adjudicate",
        "-",
        "--payer",
        "northwind-health",
        "--format",
        "json",
    ]
    run = CliRunner().invoke(cli, args, input=json.dumps(claim))
    assert run.exit_code == 0, run.output
    (result,) = json.loads(run.stdout)
    assert result["status"] == "paid"
    assert result["lines"][0]["allowed"] == str(expected)
    assert result["lines"][0]["basis"].startswith("120% of medicare")


def test_check_reads_case_claims_with_did_you_mean_at_the_case_line(tmp_path):
    pack = (NORTHWIND / "northwind.toml").read_text()
    broken = pack.replace('{ procedure = "97110", units = 5 }', '{ procedure = "97110", unit = 5 }')
    (tmp_path / "p.toml").write_text(broken)
    out = invoke("rulepack", "check", str(tmp_path / "p.toml"))
    assert out.exit_code == 1
    line = broken.splitlines().index("[[rules.cases]]") + 1  # the first case: where the typo is
    assert (
        f"p.toml:{line}: NWH101: case 'five units in one day': unknown key 'unit' (did you mean 'units'?)"
        in (out.stderr)
    )
    assert "@ claim.lines[0]" in out.stderr
    assert out.stderr.count("unknown key") == 1  # one problem, one location


def test_check_refuses_codes_of_the_wrong_shape(tmp_path):
    pack = (NORTHWIND / "northwind.toml").read_text()
    (tmp_path / "p.toml").write_text(pack.replace('procedures = ["97110"]', 'procedures = ["9711"]'))
    out = invoke("rulepack", "check", str(tmp_path / "p.toml"))
    assert out.exit_code == 1 and "procedure code '9711' is not a CPT code" in out.stderr
    four = 'claim = { lines = [{ procedure = "97110", units = 4 }] }'
    (tmp_path / "p.toml").write_text(pack.replace(four, four[:-2] + ', diagnoses = [{ code = "E1" }] }'))
    out = invoke("rulepack", "check", str(tmp_path / "p.toml"))
    assert out.exit_code == 1 and "diagnosis code 'E1' is not an ICD-10-CM code" in out.stderr


@pytest.mark.parametrize(
    ("code", "system"),
    [
        ("99213", PROCEDURE), ("0001U", PROCEDURE), ("0503F", PROCEDURE), ("0075T", PROCEDURE),
        ("G0439", PROCEDURE), ("0DTJ4ZZ", PROCEDURE), ("992*", PROCEDURE), ("99202-99205", PROCEDURE),
        ("E11.9", DIAGNOSIS), ("E11*", DIAGNOSIS), ("S93.401A", DIAGNOSIS), ("Z00.00", DIAGNOSIS),
    ],
)  # fmt: skip
def test_well_formed_codes_pass(code, system):
    assert code_problem(code, system) is None


@pytest.mark.parametrize(
    ("code", "system"),
    [
        ("9711", PROCEDURE), ("992130", PROCEDURE), ("9921X", PROCEDURE), ("99202-9920", PROCEDURE),
        ("E1", DIAGNOSIS), ("1E11", DIAGNOSIS), ("E11.90000", DIAGNOSIS), ("EE1*", DIAGNOSIS),
    ],
)  # fmt: skip
def test_malformed_codes_are_named(code, system):
    assert code_problem(code, system) is not None
    assert code_problem(code) is None or "-" in code  # syntax alone cannot tell


_DIAGNOSIS_SHAPE = (_LETTER, _D, *(_ALNUM,) * 5)


@settings(max_examples=400, deadline=None)
@example(code="0DTJ4ZZ", system=PROCEDURE)
@example(code="0DTJ4OZ", system=PROCEDURE)
@example(code="E11.9", system=DIAGNOSIS)
@given(
    code=st.text(alphabet="0123456789ABFGHIJOTUZ*-. ", min_size=0, max_size=9),
    system=st.sampled_from([PROCEDURE, DIAGNOSIS]),
)
def test_whole_code_fast_path_agrees_with_the_shapes(code, system):
    """Every whole code the one-call pattern accepts is one the per-character shapes accept (a
    code it refuses goes on to the shapes, which give their own verdict and message)."""
    cleaned = code.replace(".", "").strip().upper()
    if _WHOLE[system].fullmatch(cleaned):
        shapes = _PROCEDURE_SHAPES if system == PROCEDURE else (_DIAGNOSIS_SHAPE,)
        assert any(_fits(cleaned, shape, prefix=system == DIAGNOSIS) for shape in shapes)
        assert system == PROCEDURE or len(cleaned) >= 3
        assert _shape_problem(cleaned, system, prefix=False) is None
