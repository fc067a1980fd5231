"""Commercial payers defined by configuration alone: discovery, pricing, benefits, errors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.engine import Engine
from payer_rules.errors import PayerRulesError, PluginError
from payer_rules.io.json_claims import structure_claim
from payer_rules.io.readers import read_claims
from payer_rules.models import Claim
from payer_rules.results import ClaimResult, LineStatus
from payer_rules_commercial import __version__, load_definition
from payer_rules_commercial.definition import DefinitionError

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "commercial-payers"
PROVIDER = f"payer-rules-commercial@{__version__}"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out = CliRunner().invoke(cli, list(args), env=env)
    return out.exit_code, out.stdout, out.stderr


def d(value: str) -> Decimal:
    return Decimal(value)


def claim_from_dict(data: dict[str, object]) -> Claim:
    claim = structure_claim(data, "test")
    assert isinstance(claim, Claim), claim
    return claim


def adjustments(result: ClaimResult, line: int) -> dict[str, Decimal]:
    return {f"{a.group}-{a.carc}": a.amount for a in result.lines[line - 1].adjustments}


# -- discovery ----------------------------------------------------------------------------------


def test_plugin_is_installed_and_lists_its_payers_next_to_medicare():
    code, out, err = run("payers", "--json")
    assert code == 0, err
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["bluepeak"]["provider"] == PROVIDER
    assert rows["harborline"]["kind"] == "commercial"
    assert rows["medicare"]["provider"].startswith("payer-rules-medicare@")


@pytest.mark.parametrize("how", ["--rulepacks", "PAYER_RULES_PATH"])
def test_a_payer_written_only_in_toml_in_a_temporary_directory_is_listed_and_applied(
    acme_dir, make_claim, claims_file, tmp_path, how
):
    (acme_dir / "rules-only").mkdir()  # a pure-rule payer beside it stays the rulepack plugin's
    (acme_dir / "rules-only" / "pack.toml").write_text(
        (ROOT / "rulepacks" / "examples" / "demo-commercial.toml").read_text(encoding="utf-8")
    )
    claims = claims_file(
        tmp_path / "claims.ndjson",
        [
            make_claim("A-1", "2026-02-02", [{"procedure": "99213", "charge": "150.00"}]),
            make_claim("A-2", "2026-02-03", [{"procedure": "29881", "charge": "3000.00"}]),
        ],
    )
    prefix, env = (
        ([], {"PAYER_RULES_PATH": str(acme_dir)})
        if how == "PAYER_RULES_PATH"
        else (
            ["--rulepacks", str(acme_dir)],
            None,
        )
    )
    code, out, err = run(*prefix, "payers", "--json", env=env)
    assert code == 0, err
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["acme-health"]["provider"] == PROVIDER
    assert rows["demo-commercial"]["provider"] == "rulepacks"  # declared by a pack: the builtin
    assert {"bluepeak", "harborline", "medicare"} <= rows.keys()  # installed ones still listed
    code, out, err = run(
        *prefix, "adjudicate", str(claims), "--payer", "acme-health", "--format", "json", env=env
    )
    assert code == 0, err
    first, second = json.loads(out)
    # contract fee 100.00 (lesser of billed), office-visit copay 25.00, the rest paid
    assert (first["allowed"], first["paid"], first["patient_responsibility"]) == ("100.00", "75.00", "25.00")
    assert first["lines"][0]["adjustments"] == [
        {"group": "CO", "carc": "45", "amount": "50.00"},
        {"group": "PR", "carc": "3", "amount": "25.00"},
    ]
    # the directory's own rulepack: prior authorization, denied with its rule code
    assert second["status"] == "denied"
    assert [f["code"] for f in second["findings"]] == ["ACM101"]


def test_a_directory_pack_may_not_declare_a_payer_a_definition_owns(acme_dir):
    pack = (acme_dir / "acme" / "rulepacks" / "acme.toml").read_text(encoding="utf-8")
    pack = pack.replace("[[rules]]", '[payer]\nid = "acme-health"\nname = "Acme again"\n\n[[rules]]', 1)
    (acme_dir / "acme" / "rulepacks" / "acme.toml").write_text(pack, encoding="utf-8")
    with pytest.raises(PluginError, match=r"payer 'acme-health' is registered twice: by .* and by .*"):
        Engine.from_installed(rulepack_dirs=[acme_dir])


# -- two shipped payers, one set of claims ------------------------------------------------------


@pytest.fixture(scope="module")
def compared() -> dict[tuple[str, str], ClaimResult]:
    engine = Engine.from_installed()
    claims = list(read_claims([str(p) for p in sorted(EXAMPLES.glob("*.json"))]))
    return {(r.claim_id, r.payer): r for r in engine.adjudicate_many(claims, ["bluepeak", "harborline"])}


def test_every_denial_names_a_rule_code(compared):
    for result in compared.values():
        for number, line in enumerate(result.lines, 1):
            if line.status in (LineStatus.DENIED, LineStatus.PENDED, LineStatus.REJECTED):
                reasons = [f for f in result.findings if f.line in (number, None) and f.carc]
                assert reasons, (result.claim_id, result.payer, number)


@pytest.mark.parametrize(
    ("claim_id", "bluepeak", "harborline"),
    [
        # BluePeak bundles venipuncture into the visit (BPK201, CO-97); Harborline pays its fee
        ("CM-3001", ("partial", "BPK201"), ("paid", None)),
        # BluePeak needs prior authorization for a brain MRI (BPK101, CO-197); Harborline does not
        ("CM-3002", ("denied", "BPK101"), ("paid", None)),
        # Harborline's medical policy: A1c needs a diabetes diagnosis (HBL101, CO-11)
        ("CM-3003", ("paid", None), ("partial", "HBL101")),
        # four units of 97110: BluePeak's limit is 4 a day, Harborline's 3 (HBL301, CO-151)
        ("CM-3004", ("paid", None), ("denied", "HBL301")),
        # filed 132 days after the visit: past BluePeak's 90 days (BPK001), within Harborline's 180
        ("CM-3006", ("denied", "BPK001"), ("paid", None)),
    ],
)
def test_the_two_shipped_payers_differ_for_a_named_reason(compared, claim_id, bluepeak, harborline):
    for payer, (status, code) in (("bluepeak", bluepeak), ("harborline", harborline)):
        result = compared[(claim_id, payer)]
        assert result.status == status, (payer, result.findings)
        denials = {f.code for f in result.findings if f.severity in ("deny", "reject", "pend")}
        assert denials == ({code} if code else set()), payer


def test_the_two_contracts_price_the_same_visit_differently(compared):
    blue, harbor = compared[("CM-3001", "bluepeak")], compared[("CM-3001", "harborline")]
    # BluePeak: 130% of the 2026 Medicare amount for San Francisco (117.58); Harborline: its fee
    assert blue.lines[0].allowed == d("152.85")
    assert harbor.lines[0].allowed == d("95.00")
    assert adjustments(blue, 1)["PR-3"] == d("30.00")
    assert adjustments(harbor, 1)["PR-3"] == d("25.00")


def test_out_of_network_balance_billing_is_the_plans_choice(compared):
    blue, harbor = compared[("CM-3005", "bluepeak")], compared[("CM-3005", "harborline")]
    assert blue.lines[0].allowed == harbor.lines[0].allowed == d("117.58")  # 100% of Medicare
    assert adjustments(blue, 1) == {"PR-45": d("82.42"), "PR-1": d("117.58")}  # balance billed
    assert adjustments(harbor, 1) == {"CO-45": d("82.42"), "PR-1": d("117.58")}  # held harmless
    assert blue.patient_responsibility == d("200.00")
    assert harbor.patient_responsibility == d("117.58")


# -- accumulators across a batch ----------------------------------------------------------------


def test_one_members_claims_in_a_batch_consume_deductible_and_out_of_pocket_to_the_cent(acme_dir, make_claim):
    """Deductible 500, out-of-pocket maximum 1,000, coinsurance 20%, office copay 25."""
    raw = [
        make_claim("B-1", "2026-01-10", [{"procedure": "99213", "charge": "150.00"}]),
        make_claim("B-2", "2026-02-01", [{"procedure": "70551", "charge": "900.00"}]),
        make_claim("B-3", "2026-03-01", [{"procedure": "72148", "charge": "900.00"}]),
        make_claim(
            "B-4",
            "2026-04-01",
            [{"procedure": "99213", "charge": "150.00"}, {"procedure": "70551", "charge": "900.00"}],
        ),
        make_claim(
            "B-5", "2026-05-01", [{"procedure": "29881", "charge": "3000.00"}], prior_authorizations=["A-9"]
        ),
        make_claim("B-6", "2026-06-01", [{"procedure": "99213", "charge": "150.00"}]),
    ]
    engine = Engine.from_installed(rulepack_dirs=[acme_dir])
    results = list(engine.adjudicate_many([claim_from_dict(c) for c in raw], ["acme-health"]))
    got = [
        [
            {a: v for a, v in adjustments(r, n).items() if a.startswith("PR")}
            for n in range(1, len(r.lines) + 1)
        ]
        for r in results
    ]
    assert got == [
        [{"PR-3": d("25.00")}],  # copay; no deductible on office visits      OOP  25.00
        [{"PR-1": d("400.00")}],  # deductible 400 of 500                      OOP 425.00
        # the last 100.00 of deductible, then 20% of 350.55 = 70.11          OOP 595.11
        [{"PR-1": d("100.00"), "PR-2": d("70.11")}],
        [{"PR-3": d("25.00")}, {"PR-2": d("80.00")}],  # copay + 20% of 400     OOP 700.11
        [{"PR-2": d("299.89")}],  # 20% of 2,000 = 400.00, capped at 1,000 - 700.11
        [{}],  # out-of-pocket maximum met: no copay
    ]
    assert [r.paid for r in results] == [
        d("75.00"),
        d("0.00"),
        d("280.44"),
        d("395.00"),
        d("1700.11"),
        d("100.00"),
    ]
    assert sum((r.patient_responsibility for r in results), Decimal(0)) == d("1000.00")
    # the COM100 explanation of the last claim shows the accumulators
    assert "out of pocket 1000.00 of 1000.00" in results[-1].findings[0].message


def test_out_of_network_keeps_its_own_accumulators_and_claim_accumulators_count(acme_dir, make_claim):
    carried = [{"year": 2026, "deductible_met": "450.00", "out_of_pocket_met": "450.00"}]
    raw = [
        make_claim("O-1", "2026-01-10", [{"procedure": "70551", "charge": "900.00"}], accumulators=carried),
        make_claim("O-2", "2026-01-11", [{"procedure": "70551", "charge": "900.00"}], participating=False),
    ]
    engine = Engine.from_installed(rulepack_dirs=[acme_dir])
    first, second = engine.adjudicate_many([claim_from_dict(c) for c in raw], ["acme-health"])
    # in network: 50.00 of deductible left, then 20% of 350.00
    assert adjustments(first, 1) == {"CO-45": d("500.00"), "PR-1": d("50.00"), "PR-2": d("70.00")}
    # out of network: its own 1,000 deductible takes all of the 400.00; 500.00 balance billed
    assert adjustments(second, 1) == {"PR-45": d("500.00"), "PR-1": d("400.00")}


# -- broken definitions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ('deductible = "500.00"', 'deductable = "500.00"'),
            r"payer\.toml:34: plans\[0\]: unknown key 'deductable' \(did you mean 'deductible'\?\).*"
            r" @ plans\[0\]\.in_network\.deductable",
        ),
        (
            ('therapy = { copay = "15.00" }', 'theraphy = { copay = "15.00" }'),
            r"payer\.toml:40: plans\[0\]: unknown category 'theraphy' \(did you mean 'therapy'\?\)",
        ),
        (('coinsurance = "20"', 'coinsurance = "120"'), r"coinsurance is a percent from 0 to 100, got 120"),
        (
            ('amount = "400.00"', 'amount = "four hundred"'),
            r"payer\.toml:9: \[contract\]: expected a number .* @ contract\.fees\[1\]\.amount",
        ),
        (("[[plans]]", "[[plans]"), r"payer\.toml:\d+:\d+: TOML: invalid TOML"),
    ],
)
def test_a_broken_definition_is_one_located_line_without_a_traceback(acme_dir, tmp_path, edit, expected):
    definition = acme_dir / "acme" / "payer.toml"
    definition.write_text(definition.read_text(encoding="utf-8").replace(*edit, 1), encoding="utf-8")
    with pytest.raises(DefinitionError, match=expected):
        load_definition(definition)
    code, _out, err = run("--rulepacks", str(acme_dir), "payers")
    assert code == 1
    assert "Traceback" not in err
    assert err.startswith("payer-rules: error: ") and str(definition) in err


def test_two_definitions_of_one_payer_name_both_files(acme_dir):
    (acme_dir / "copy").mkdir()
    (acme_dir / "copy" / "payer.toml").write_text(
        (acme_dir / "acme" / "payer.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(
        PayerRulesError,
        match=r"copy/payer\.toml:2: \[payer\]: payer 'acme-health' is already defined by .*acme/payer\.toml",
    ):
        Engine.from_installed(rulepack_dirs=[acme_dir])


def test_an_unknown_plan_is_rejected_and_a_plan_without_out_of_network_benefits_denies(make_claim, acme_dir):
    engine = Engine.from_installed(rulepack_dirs=[acme_dir])
    unknown = make_claim("U-1", "2026-01-10", [{"procedure": "99213", "charge": "150.00"}])
    unknown["coverage"]["plan"] = "platinum"
    result = engine.adjudicate(claim_from_dict(unknown), "acme-health")
    assert result.status == "rejected" and [f.code for f in result.findings] == ["COM002"]
    hmo = make_claim("U-2", "2026-01-10", [{"procedure": "99213", "charge": "150.00"}], payer="bluepeak")
    hmo["coverage"]["plan"] = "hmo-500"
    hmo["billing_provider"]["participating"] = False
    result = engine.adjudicate(claim_from_dict(hmo), "bluepeak")
    assert result.status == "denied"
    assert [(f.code, f.group, f.carc) for f in result.findings] == [("COM003", "CO", "242")]


# -- facility claims: not contracted in payer.toml, so they pend (ENG005) --------------------------


@pytest.mark.parametrize("payer", ["bluepeak", "harborline"])
def test_an_outpatient_hospital_claim_pends_until_the_contract_has_facility_terms(payer):
    from payer_rules.claim_kinds import ClaimKind
    from payer_rules.results import ClaimStatus

    engine = Engine.from_installed()
    info = engine.payer(payer)
    assert info.claim_kinds == frozenset({ClaimKind.PROFESSIONAL})
    path = Path(__file__).resolve().parents[3] / "examples" / "x12" / "outpatient-hospital.837"
    [claim] = [c for c in read_claims([str(path)]) if isinstance(c, Claim)]
    result = engine.adjudicate(claim, payer)
    assert result.status is ClaimStatus.PENDED and result.paid == 0
    assert {f.code for f in result.findings} == {"ENG005"}
    assert "facility contract terms (not in its payer.toml)" in result.findings[0].message
    assert "prices professional lines and, with [[contract.inpatient]], inpatient stays" in (
        result.findings[0].message
    )
