"""Commercial COB methods worked by their formulas (COM801, COM803, COM804) and supplement plans
(COM805, COM806), for a paid, a partly paid and a denied primary, and a primary that paid more
than the secondary's allowed amount.

The secondary is a payer defined here (``cobtest``): its own fee of $100.00 for 99213 and one
plan per method, so every expected amount follows from the plan's terms and the method's
formula (``payer_rules_commercial.cob``; NAIC MDL-120 §7 for traditional; plan-document
conventions for non-duplication, carve-out and maintenance of benefits), never from the
engine's answer:

* ``CS(x)``: the plan's cost sharing on ``x``: deductible ``min(D, x)``, then 20% coinsurance
  of the rest (rounded half up); ``N = A - CS(A)``;
* traditional ``min(N, R)``; non-duplication ``max(0, N - P)``; maintenance of benefits
  ``max(0, min(N, R - CS(A)))``; carve-out ``B - CS(B)`` with ``B = max(0, min(A - P, R))``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from attrs import evolve

from payer_rules.engine import Engine
from payer_rules.models import (
    Claim,
    Coverage,
    Diagnosis,
    OtherCoverage,
    OtherPayerAdjustment,
    OtherPayment,
    Person,
    Provider,
    ServiceLine,
)

ZERO = Decimal(0)
FEE = Decimal("100.00")
CHARGE = Decimal("150.00")

PAYER = """
[payer]
id = "cobtest"
name = "COB Test Plan"
version = "1.0.0"
source = "test"

[contract]
fees = [{ procedure = "99213", amount = "100.00" }]

[[plans]]
id = "traditional"
name = "traditional"
default = true
cob = "traditional"
[plans.in_network]
coinsurance = "20"
deductible = "DEDUCTIBLE"

[[plans]]
id = "non-duplication"
name = "non-duplication"
cob = "non-duplication"
[plans.in_network]
coinsurance = "20"
deductible = "DEDUCTIBLE"

[[plans]]
id = "carve-out"
name = "carve-out"
cob = "carve-out"
[plans.in_network]
coinsurance = "20"
deductible = "DEDUCTIBLE"

[[plans]]
id = "maintenance-of-benefits"
name = "maintenance of benefits"
cob = "maintenance-of-benefits"
[plans.in_network]
coinsurance = "20"
deductible = "DEDUCTIBLE"

[[plans]]
id = "supplement"
name = "a supplement (standard COB on approved lines only)"
cob = "traditional"
supplement = true
[plans.in_network]
coinsurance = "0"
deductible = "0"
"""

METHODS = ("traditional", "non-duplication", "carve-out", "maintenance-of-benefits")
#: (case, primary paid P, patient responsibility the primary left R, how R is made up)
CASES = [
    ("paid", Decimal("80.00"), Decimal("20.00"), "2"),
    ("partly paid: the primary's deductible", Decimal("30.00"), Decimal("70.00"), "1"),
    ("denied by the primary", ZERO, ZERO, ""),
    ("paid more than the secondary's allowed", Decimal("110.00"), Decimal("10.00"), "2"),
]


def cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def cost_sharing(amount: Decimal, deductible: Decimal) -> Decimal:
    taken = min(deductible, amount)
    return taken + cents((amount - taken) * Decimal("0.20"))


def expected(method: str, paid: Decimal, patient: Decimal, deductible: Decimal) -> Decimal:
    normal = FEE - cost_sharing(FEE, deductible)
    if not paid and not patient:
        return normal  # the primary did not cover the line: paid as primary
    if method == "traditional":
        return min(normal, patient)
    if method == "non-duplication":
        return max(ZERO, normal - paid)
    if method == "maintenance-of-benefits":
        return max(ZERO, min(normal, patient - cost_sharing(FEE, deductible)))
    balance = max(ZERO, min(FEE - paid, patient))
    return balance - cost_sharing(balance, deductible)


@pytest.fixture(scope="module", params=[ZERO, Decimal("50.00")], ids=["no deductible", "deductible 50"])
def setup(request, tmp_path_factory) -> tuple[Engine, Decimal]:
    deductible = request.param
    folder = tmp_path_factory.mktemp("cobtest") / "cobtest"
    folder.mkdir()
    (folder / "payer.toml").write_text(PAYER.replace("DEDUCTIBLE", f"{deductible:.2f}"), encoding="utf-8")
    return Engine.from_installed(rulepack_dirs=[folder.parent]), deductible


def claim(plan: str, other: OtherCoverage | None = None) -> Claim:
    return Claim(
        id="COB-1",
        patient=Person(id="P1", birth_date=dt.date(1980, 5, 1)),
        coverage=Coverage(
            payer_id="cobtest",
            member_id="M1",
            plan=plan,
            other_coverage=(other,) if other else (),
        ),
        billing_provider=Provider(npi="1234567893", tax_id="941234567"),
        diagnoses=(Diagnosis(code="I10"),),
        lines=(ServiceLine(procedure="99213", charge=CHARGE, service_date=dt.date(2026, 2, 3)),),
        received_date=dt.date(2026, 2, 10),
    )


def primary(paid: Decimal, patient: Decimal, carc: str) -> OtherCoverage:
    adjustments = [OtherPayerAdjustment(group="PR", carc=carc, amount=patient)] if patient else []
    rest = CHARGE - paid - patient
    adjustments.append(OtherPayerAdjustment(group="CO", carc="45" if paid or patient else "50", amount=rest))
    payment = OtherPayment(paid=paid, line_paid=(paid,), line_adjustments=(tuple(adjustments),))
    return OtherCoverage(payer_id="bluepeak", priority="primary", payment=payment)


@pytest.mark.parametrize(("case", "paid", "patient", "carc"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("method", METHODS)
def test_each_method_pays_by_its_formula(setup, method, case, paid, patient, carc) -> None:
    engine, deductible = setup
    result = engine.adjudicate(claim(method, primary(paid, patient, carc)), "cobtest")
    [line] = result.lines
    want = expected(method, paid, patient, deductible)
    assert line.allowed == FEE
    assert line.paid == want, case
    assert line.billed == line.paid + sum((a.amount for a in line.adjustments), ZERO)  # the money invariant
    codes = [f.code for f in result.findings]
    coordinated = bool(paid or patient)
    code = {"carve-out": "COM803", "maintenance-of-benefits": "COM804"}.get(method, "COM801")
    assert (code in codes) is coordinated
    if coordinated:
        # the member owes at most what the primary left less this payment
        assert result.patient_responsibility <= patient - want
        # and the prior payer's impact is what the allowed amount leaves after both
        oa = sum((a.amount for a in line.adjustments if (a.group, a.carc) == ("OA", "23")), ZERO)
        assert oa == FEE - want - result.patient_responsibility


def test_the_four_methods_on_the_textbook_line() -> None:
    """Allowed 100 by both plans, 20% coinsurance, the primary paid 80 and left 20."""
    from payer_rules_commercial.cob import carve_out_balance, cob_line

    def pay(method: str, base: Decimal, coinsurance: Decimal) -> Decimal:
        return cob_line(method, FEE, ZERO, ZERO, coinsurance, Decimal(80), Decimal(20), base=base).payment

    assert pay("traditional", FEE, Decimal(20)) == Decimal(20)
    assert pay("non-duplication", FEE, Decimal(20)) == ZERO
    assert pay("maintenance-of-benefits", FEE, Decimal(20)) == ZERO
    balance = carve_out_balance(FEE, Decimal(80), Decimal(20))
    assert balance == Decimal(20)
    assert pay("carve-out", balance, Decimal(4)) == Decimal(16)


def test_a_supplement_pays_only_after_the_primary_approved(setup) -> None:
    engine, _deductible = setup
    alone = engine.adjudicate(claim("supplement"), "cobtest")
    assert [f.code for f in alone.findings if f.severity == "deny"] == ["COM805"]
    assert alone.paid == 0 and alone.lines[0].adjustments[0].carc == "22"
    denied = engine.adjudicate(claim("supplement", primary(ZERO, ZERO, "")), "cobtest")
    assert "COM806" in [f.code for f in denied.findings] and denied.paid == 0
    paid = engine.adjudicate(claim("supplement", primary(Decimal(80), Decimal(20), "2")), "cobtest")
    assert paid.paid == Decimal(20)  # standard COB: min(N = 100, R = 20)
    deductible_only = engine.adjudicate(claim("supplement", primary(ZERO, Decimal(100), "1")), "cobtest")
    assert deductible_only.paid == Decimal(100)  # approved (the deductible), no payment: still a benefit


def test_an_unknown_method_is_a_located_error(tmp_path: Path) -> None:
    from payer_rules_commercial.definition import DefinitionError, load_definition

    bad = tmp_path / "payer.toml"
    bad.write_text(PAYER.replace('cob = "carve-out"', 'cob = "carveout"').replace("DEDUCTIBLE", "0"))
    with pytest.raises(DefinitionError) as info:
        load_definition(bad)
    assert "payer.toml:" in str(info.value) and "carveout" in str(info.value)


COB_EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "cob"
#: CMS CY2026 PFS, 99213, San Francisco (locality 01112-05), non-facility
MEDICARE_FEE = Decimal("117.58")
#: The Part B deductible by year: CMS fact sheets "2025 Medicare Parts A & B Premiums and
#: Deductibles" (2024-11-08: $257) and "2026 Medicare Parts A & B Premiums and Deductibles"
#: (2025-11-14: $283).
PART_B_BY_YEAR = {2025: Decimal("257.00"), 2026: Decimal("283.00")}
PART_B_DEDUCTIBLE = PART_B_BY_YEAR[2026]


def pfs_99213_san_francisco(year: int) -> Decimal:
    """The non-facility fee of 99213 in San Francisco (locality 01112-05): (work RVU x work GPCI
    + non-facility PE RVU x PE GPCI + MP RVU x MP GPCI) x conversion factor, to the cent. RVU25D
    and GPCI2025 (CF 32.3465); RVU26A and CMS-1832-F Addendum E (CF 33.4009)."""
    rvus, gpcis, factor = {
        2025: (("1.30", "1.35", "0.10"), ("1.088", "1.419", "0.445"), "32.3465"),
        2026: (("1.30", "1.46", "0.09"), ("1.095", "1.410", "0.425"), "33.4009"),
    }[year]
    total = sum((Decimal(r) * Decimal(g) for r, g in zip(rvus, gpcis, strict=True)), ZERO)
    return cents(total * Decimal(factor))


@pytest.mark.parametrize("met", [ZERO, Decimal("233.00"), PART_B_DEDUCTIBLE], ids=["none", "partly", "all"])
def test_silverleaf_plans_f_and_g_after_medicare(met) -> None:
    """Medicare, then the Medigap plan named in the claim's other coverage. Medicare: the Part B
    deductible left, then 20% coinsurance, less 2% sequestration. Plan F pays what Medicare left
    (standard COB: min(N, R)); Plan G (carve-out, its deductible the one Medicare took) pays the
    coinsurance and leaves the member the deductible Medicare took."""
    from payer_rules.io.json_claims import read_json_text

    text = (COB_EXAMPLES / "01-dual-eligible-crossover.json").read_text()
    (example,) = list(read_json_text(text, "example"))
    assert isinstance(example, Claim)
    engine = Engine.from_installed()
    deductible = min(PART_B_DEDUCTIBLE - met, MEDICARE_FEE)
    coinsurance = cents((MEDICARE_FEE - deductible) * Decimal("0.20"))
    approved = MEDICARE_FEE - deductible - coinsurance
    medicare_paid = approved - cents(approved * Decimal("0.02"))
    left = deductible + coinsurance
    for plan, pays, owes in (("plan-f", left, ZERO), ("plan-g", coinsurance, deductible)):
        claim = evolve(
            example,
            accumulators=(evolve(example.accumulators[0], deductible_met=met, out_of_pocket_met=met),),
            coverage=evolve(
                example.coverage,
                qmb=False,
                other_coverage=(OtherCoverage(payer_id="silverleaf", plan=plan, priority="secondary"),),
            ),
        )
        medicare, gap = [
            r for _, r in engine.adjudicate_pairs([claim], ["medicare", "silverleaf"], chain=True)
        ]
        assert medicare.paid == medicare_paid
        assert gap.paid == pays, plan
        assert gap.patient_responsibility == owes, plan
        assert gap.billed == gap.paid + sum((a.amount for ln in gap.lines for a in ln.adjustments), ZERO)


def _medicare_then_plan_g(example: Claim, lines: list[dt.date], met: dict[int, Decimal]):
    from payer_rules.models import Accumulators

    claim = evolve(
        example,
        id=f"G-{lines[0].year}-{len(lines)}",
        lines=tuple(evolve(example.lines[0], service_date=day) for day in lines),
        received_date=lines[-1] + dt.timedelta(days=7),
        accumulators=tuple(
            Accumulators(year=y, deductible_met=m, out_of_pocket_met=m) for y, m in sorted(met.items())
        ),
        coverage=evolve(
            example.coverage,
            qmb=False,
            other_coverage=(OtherCoverage(payer_id="silverleaf", plan="plan-g", priority="secondary"),),
        ),
    )
    engine = Engine.from_installed()
    medicare, gap = [r for _, r in engine.adjudicate_pairs([claim], ["medicare", "silverleaf"], chain=True)]
    return medicare, gap


@pytest.mark.parametrize("year", [2025, 2026])
def test_plan_g_leaves_the_part_b_deductible_of_the_year_of_service(year) -> None:
    """$200 of the year's Part B deductible met: Medicare takes the rest of that year's
    deductible ($57 of $257 in 2025, $83 of $283 in 2026), then 20% coinsurance; Plan G pays the
    coinsurance and the member keeps exactly the deductible."""
    from payer_rules.io.json_claims import read_json_text

    (example,) = list(
        read_json_text((COB_EXAMPLES / "01-dual-eligible-crossover.json").read_text(), "example")
    )
    assert isinstance(example, Claim)
    met = Decimal("200.00")
    fee = pfs_99213_san_francisco(year)
    deductible = min(PART_B_BY_YEAR[year] - met, fee)
    assert deductible == {2025: Decimal("57.00"), 2026: Decimal("83.00")}[year]
    coinsurance = cents((fee - deductible) * Decimal("0.20"))
    medicare, gap = _medicare_then_plan_g(example, [dt.date(year, 3, 3)], {year: met})
    assert medicare.allowed == fee
    assert gap.paid == coinsurance
    assert gap.patient_responsibility == deductible
    assert gap.billed == gap.paid + sum((a.amount for ln in gap.lines for a in ln.adjustments), ZERO)


def test_plan_g_on_a_claim_spanning_the_new_year_keeps_each_years_deductible() -> None:
    """Lines on 2025-12-30 and 2026-01-02, $200 of 2025's deductible met and none of 2026's:
    Medicare takes $57 (what is left of 2025's $257) and 20% of the rest on the 2025 line, and
    2026's deductible on the 2026 line (the whole fee, under $283); Plan G pays the 2025 line's
    coinsurance and leaves the member $57 plus the 2026 fee."""
    from payer_rules.io.json_claims import read_json_text

    (example,) = list(
        read_json_text((COB_EXAMPLES / "01-dual-eligible-crossover.json").read_text(), "example")
    )
    assert isinstance(example, Claim)
    fee_2025, fee_2026 = pfs_99213_san_francisco(2025), pfs_99213_san_francisco(2026)
    deductible_2025 = min(PART_B_BY_YEAR[2025] - Decimal("200.00"), fee_2025)
    coinsurance_2025 = cents((fee_2025 - deductible_2025) * Decimal("0.20"))
    deductible_2026 = min(PART_B_BY_YEAR[2026], fee_2026)
    assert deductible_2026 == fee_2026  # the 2026 line is all deductible
    medicare, gap = _medicare_then_plan_g(
        example, [dt.date(2025, 12, 30), dt.date(2026, 1, 2)], {2025: Decimal("200.00"), 2026: ZERO}
    )
    assert [ln.allowed for ln in medicare.lines] == [fee_2025, fee_2026]
    assert gap.paid == coinsurance_2025
    assert gap.patient_responsibility == deductible_2025 + deductible_2026
    by_line = [sum((a.amount for a in ln.adjustments if a.group == "PR"), ZERO) for ln in gap.lines]
    assert by_line == [deductible_2025, deductible_2026]


def test_primary_deductible_with_a_deductible_of_its_own_is_a_located_error(tmp_path: Path) -> None:
    from payer_rules_commercial.definition import DefinitionError, load_definition

    bad = tmp_path / "payer.toml"
    bad.write_text(
        PAYER.replace("DEDUCTIBLE", "100.00").replace(
            'coinsurance = "20"', 'coinsurance = "20"\nprimary_deductible = true', 1
        )
    )
    with pytest.raises(DefinitionError) as info:
        load_definition(bad)
    assert "payer.toml:" in str(info.value) and "primary_deductible" in str(info.value)


def test_silverleaf_denies_what_medicare_denied() -> None:
    """A duplicate Medicare denies (MCR402, OA-18) is no Medigap benefit: COM806, not paid as primary."""
    from payer_rules.io.json_claims import read_json_text

    text = (COB_EXAMPLES / "01-dual-eligible-crossover.json").read_text()
    (example,) = list(read_json_text(text, "example"))
    assert isinstance(example, Claim)
    engine = Engine.from_installed()
    pairs = list(
        engine.adjudicate_pairs([example, evolve(example, id="DUP")], ["medicare", "silverleaf"], chain=True)
    )
    medicare, gap = pairs[2][1], pairs[3][1]
    assert medicare.status == "denied"
    assert gap.paid == 0 and "COM806" in [f.code for f in gap.findings]
    alone = engine.adjudicate(example, "silverleaf")
    assert "COM805" in [f.code for f in alone.findings] and alone.paid == 0


PERIODS = """
[payer]
id = "cobdated"
name = "COB by contract period"
version = "1.0.0"
source = "test"

[contract]
fees = [{ procedure = "99213", amount = "100.00" }]

[[plans]]
id = "renewed"
name = "traditional until 2025, carve-out from the 2026 renewal"
cob = "traditional"
cob_periods = [
  { method = "traditional", effective_from = 2025-01-01, effective_to = 2025-12-31 },
  { method = "carve-out", effective_from = 2026-01-01 },
]
[plans.in_network]
coinsurance = "20"
"""


def test_the_cob_method_follows_the_contract_period_of_the_date_of_service(tmp_path: Path) -> None:
    folder = tmp_path / "cobdated"
    folder.mkdir()
    (folder / "payer.toml").write_text(PERIODS, encoding="utf-8")
    engine = Engine.from_installed(rulepack_dirs=[tmp_path])
    paid, patient = Decimal("80.00"), Decimal("20.00")
    secondary = claim("renewed", primary(paid, patient, "2"))
    base = evolve(secondary, coverage=evolve(secondary.coverage, payer_id="cobdated"))
    for day, method in ((dt.date(2025, 12, 31), "traditional"), (dt.date(2026, 1, 1), "carve-out")):
        dated = evolve(
            base, lines=(evolve(base.lines[0], service_date=day),), received_date=day + dt.timedelta(days=5)
        )
        result = engine.adjudicate(dated, "cobdated")
        assert result.lines[0].paid == expected(method, paid, patient, ZERO), method
        code = "COM803" if method == "carve-out" else "COM801"
        assert code in [f.code for f in result.findings]


def test_overlapping_cob_periods_are_a_located_error(tmp_path: Path) -> None:
    from payer_rules_commercial.definition import DefinitionError, load_definition

    bad = tmp_path / "payer.toml"
    bad.write_text(
        PERIODS.replace("effective_from = 2026-01-01", "effective_from = 2025-06-01"), encoding="utf-8"
    )
    with pytest.raises(DefinitionError) as info:
        load_definition(bad)
    text = str(info.value)
    assert "overlap cob_periods[0]" in text and f"{bad}:" in text
