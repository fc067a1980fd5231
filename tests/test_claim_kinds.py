"""Nothing priced by accident: claim kinds a payer does not price pend (ENG005), revenue-only lines
on line-priced kinds pend (ENG006), and pended results stay off the 835."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from payer_rules import hookimpl
from payer_rules.claim_kinds import ASC_TAXONOMY, ClaimKind, claim_kind
from payer_rules.cli import cli
from payer_rules.engine import Engine, Stages
from payer_rules.models import ClaimType, CodeSystem, Provider
from payer_rules.payers import KindHint, PayerInfo, PayerKind
from payer_rules.results import (
    Adjudication,
    ClaimStatus,
    Finding,
    Group,
    LineStatus,
    PricedLine,
    Pricing,
    Severity,
    Source,
)

from .conftest import EXAMPLES
from .helpers import assert_balanced, make_claim
from .x12_helpers import pyx12_errors

SRC = Source(name="greedy", version="1.0")
OUTPATIENT = EXAMPLES / "x12" / "outpatient-hospital.837"


class GreedyPayer:
    """Prices every line it is asked about at 80.00: the engine must not ask about the wrong kinds."""

    def __init__(self, kinds=(ClaimKind.PROFESSIONAL,), hints=()):
        self.kinds = kinds
        self.hints = hints
        self.calls: list[str] = []

    @hookimpl
    def register_payers(self, register):
        register(
            PayerInfo(
                id="greedy",
                name="Greedy",
                kind=PayerKind.COMMERCIAL,
                claim_kinds=self.kinds,
                kind_hints=self.hints,
            )
        )

    @hookimpl
    def validate(self, claim, context):
        self.calls.append("validate")
        return ()

    @hookimpl
    def price(self, claim, context):
        self.calls.append("price")
        return Pricing(
            lines=tuple(PricedLine(line=n, allowed=Decimal("80.00")) for n in range(1, len(claim.lines) + 1)),
            source=SRC,
        )

    @hookimpl
    def adjudicate(self, claim, context, pricing):
        return Adjudication(lines=(), source=SRC)


def engine_with(plugin: GreedyPayer) -> Engine:
    return Engine.from_installed(plugins=[plugin], load_entrypoints=False)


def institutional(bill_type: str, **fields):
    return make_claim(
        "I-1",
        claim_type=ClaimType.INSTITUTIONAL,
        bill_type=bill_type,
        lines=[
            {
                "procedure": "0450",
                "code_system": CodeSystem.REVENUE,
                "revenue_code": "0450",
                "charge": Decimal(300),
            },
            {"procedure": "71046", "revenue_code": "0320", "charge": Decimal(120)},
        ],
        **fields,
    )


KIND_CLAIMS = {
    ClaimKind.INPATIENT: ("111", "inpatient hospital claim (type of bill 111)"),
    ClaimKind.OUTPATIENT_HOSPITAL: ("131", "outpatient hospital claim (type of bill 131)"),
    ClaimKind.SNF: ("211", "skilled nursing facility claim (type of bill 211)"),
    ClaimKind.HOME_HEALTH: ("329", "home health claim (type of bill 329)"),
    ClaimKind.HOSPICE: ("811", "hospice claim (type of bill 811)"),
    ClaimKind.CLINIC: ("771", "clinic (RHC, FQHC, ESRD, CORF, CMHC) claim (type of bill 771)"),
    ClaimKind.CRITICAL_ACCESS: ("851", "critical access hospital claim (type of bill 851)"),
    ClaimKind.INSTITUTIONAL_OTHER: ("651", "institutional claim (type of bill 651)"),
}


@pytest.mark.parametrize("kind", sorted(KIND_CLAIMS), ids=str)
def test_each_institutional_kind_a_payer_does_not_price_pends_every_line(kind):
    bill_type, described = KIND_CLAIMS[kind]
    plugin = GreedyPayer()
    claim = institutional(bill_type)
    assert claim_kind(claim) is kind
    result = engine_with(plugin).adjudicate(claim, "greedy")
    assert plugin.calls == []  # not validated, not priced: no professional rule touches it
    assert result.status is ClaimStatus.PENDED
    assert [ln.status for ln in result.lines] == [LineStatus.PENDED, LineStatus.PENDED]
    assert result.allowed == result.paid == Decimal(0)
    assert [(f.code, f.line, f.severity, f.carc, f.group) for f in result.findings] == [
        ("ENG005", 1, "pend", "133", "OA"),
        ("ENG005", 2, "pend", "133", "OA"),
    ]
    message = result.findings[0].message
    assert message.startswith(f"line 1: {described} is paid under ")
    assert "no installed plugin models that for greedy (it prices professional here)" in message
    assert f"with '{kind}' in its claim kinds" in message  # no hint: the generic remedy
    assert_balanced(result)


def test_an_asc_claim_is_its_own_kind():
    plugin = GreedyPayer()
    claim = make_claim("ASC-1", billing_provider=Provider(npi="1234567893", taxonomy=ASC_TAXONOMY))
    result = engine_with(plugin).adjudicate(claim, "greedy")
    assert result.status is ClaimStatus.PENDED and plugin.calls == []
    assert "ambulatory surgical center facility claim (billing provider taxonomy 261QA1903X)" in (
        result.findings[0].message
    )


def test_the_payers_hint_names_its_method_remedy_and_citation():
    hint = KindHint(
        kind=ClaimKind.OUTPATIENT_HOSPITAL,
        method="OPPS by APC",
        remedy="install payer-rules-greedy[opps]",
        citation="42 CFR Part 419",
    )
    result = engine_with(GreedyPayer(hints=(hint,))).adjudicate(institutional("131"), "greedy")
    finding = result.findings[0]
    assert finding.message == (
        "line 1: outpatient hospital claim (type of bill 131) is paid under OPPS by APC; no installed "
        "plugin models that for greedy (it prices professional here). What would price it: install "
        "payer-rules-greedy[opps]"
    )
    assert finding.source.citation == "42 CFR Part 419"


def test_one_hint_per_kind():
    hint = KindHint(kind="snf", method="per diem")
    with pytest.raises(ValueError, match="one hint per claim kind"):
        PayerInfo(id="x", name="X", kind_hints=(hint, hint))


def test_a_kind_the_payer_prices_goes_to_its_plugins_and_revenue_only_lines_pend():
    plugin = GreedyPayer(kinds=(ClaimKind.PROFESSIONAL, ClaimKind.OUTPATIENT_HOSPITAL))
    result = engine_with(plugin).adjudicate(institutional("131"), "greedy")
    assert "price" in plugin.calls
    assert [ln.status for ln in result.lines] == [LineStatus.PENDED, LineStatus.PAID]
    assert result.lines[0].allowed == Decimal(0) and result.lines[1].allowed == Decimal("80.00")
    [eng006] = [f for f in result.findings if f.code == "ENG006"]
    assert eng006.line == 1
    assert eng006.message.startswith(
        "line 1: revenue code 0450 has no HCPCS code; greedy prices outpatient hospital claims line "
        "by line from HCPCS codes"
    )
    assert_balanced(result)


def test_revenue_only_lines_are_fine_on_a_kind_paid_per_case():
    plugin = GreedyPayer(kinds=(ClaimKind.INPATIENT,))
    result = engine_with(plugin).adjudicate(institutional("111"), "greedy")
    assert not [f for f in result.findings if f.code in ("ENG005", "ENG006")]
    assert result.status is ClaimStatus.PAID


class AuthorizingPayer(GreedyPayer):
    """Also requires prior authorization for 71046, whatever the kind of claim."""

    @hookimpl
    def authorize(self, claim, context):
        self.calls.append("authorize")
        return [
            Finding(
                code="TST197",
                severity=Severity.DENY,
                message="71046 needs prior authorization",
                source=SRC,
                line=n,
                carc="197",
                group=Group.CO,
            )
            for n, ln in enumerate(claim.lines, 1)
            if ln.procedure == "71046"
        ]


def test_authorization_still_binds_a_kind_the_payer_does_not_price():
    plugin = AuthorizingPayer()
    result = engine_with(plugin).adjudicate(institutional("131"), "greedy")
    assert plugin.calls == ["authorize"]  # never validate or price
    assert [ln.status for ln in result.lines] == [LineStatus.PENDED, LineStatus.DENIED]
    assert result.status is ClaimStatus.PENDED
    assert [(f.code, f.line) for f in result.findings] == [("ENG005", 1), ("TST197", 2), ("ENG005", 2)]
    assert_balanced(result)


def test_check_mode_pends_the_kind_too():
    result = engine_with(GreedyPayer()).adjudicate(institutional("131"), "greedy", stages=Stages.CHECK)
    assert result.status is ClaimStatus.PENDED
    assert {f.code for f in result.findings} == {"ENG005"}


def test_engine_rules_are_explained():
    engine = engine_with(GreedyPayer())
    assert engine.rule("ENG005").name == "claim-kind-not-priced"
    assert engine.rule("eng006").severity == "pend"


# -- the outpatient-hospital example through the CLI: JSON, table, 835 (held back), FHIR -------------------


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_outpatient_example_json_names_opps_on_every_line():
    out = run("adjudicate", str(OUTPATIENT), "--payer", "medicare", "--format", "json")
    assert out.exit_code == 0, out.output
    [result] = json.loads(out.output)
    assert result["status"] == "pended" and result["paid"] == "0.00" and result["allowed"] == "0.00"
    assert [f["code"] for f in result["findings"]] == ["ENG005"] * 4
    assert [f["line"] for f in result["findings"]] == [1, 2, 3, 4]
    assert "outpatient hospital claim (type of bill 131)" in result["findings"][0]["message"]
    assert "outpatient prospective payment system (OPPS) by APC" in result["findings"][0]["message"]
    assert result["findings"][0]["citation"].startswith("42 CFR Part 419")
    assert {ln["status"] for ln in result["lines"]} == {"pended"}


def test_outpatient_example_table():
    out = run("adjudicate", str(OUTPATIENT), "--payer", "medicare")
    assert out.exit_code == 0, out.output
    assert "claim OPH-4001  payer medicare  PENDED  billed 1218.00  allowed 0.00  paid 0.00" in out.output
    assert out.output.count("ENG005 pend line") == 4


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_outpatient_example_is_held_back_from_the_835_and_counted_on_stderr(tmp_path, jobs):
    out_file = tmp_path / "out.835"
    runner = CliRunner()
    out = runner.invoke(
        cli,
        [
            "adjudicate",
            str(OUTPATIENT),
            str(EXAMPLES / "x12" / "professional.837"),
            "--payer",
            "medicare",
            "--format",
            "x12-835",
            "-o",
            str(out_file),
            "--jobs",
            jobs,
        ],
        catch_exceptions=False,
    )
    assert out.exit_code == 0, out.output
    text = out_file.read_text()
    assert pyx12_errors(out_file) == []
    assert "CLP*OPH-4001" not in text
    assert "CLP*CLM-1001" in text  # the professional claims are adjudicated and remitted
    assert "payer-rules: 1 pended claim result was held back from the 835: a pend is not an adjudication" in (
        out.stderr
    )


def test_an_835_of_only_pended_claims_is_empty_and_says_why(tmp_path):
    out = run("adjudicate", str(OUTPATIENT), "--payer", "medicare", "--format", "x12-835")
    assert out.exit_code == 0
    assert "CLP*" not in out.stdout
    assert "1 pended claim result was held back" in out.stderr


def test_outpatient_example_fhir_claim_response_is_queued():
    out = run("adjudicate", str(OUTPATIENT), "--payer", "medicare", "--format", "fhir")
    assert out.exit_code == 0, out.output
    bundle = json.loads(out.output)
    [response] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ClaimResponse"]
    assert response["outcome"] == "queued"
    assert response["payment"]["amount"]["value"] == 0
    assert [i["adjudication"][-1]["reason"]["coding"][0]["code"] for i in response["item"]] == ["133"] * 4
