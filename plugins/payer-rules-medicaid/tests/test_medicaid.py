"""State Medicaid programs: each test names the source of the difference it checks.

The claims are the ones in ``examples/medicaid``; the four states are judged on the same claim.
Pricing shipped: Medi-Cal's TRI (87.5% of Medicare for primary-care E/M) and New York's 80% of
Medicare benchmark, both sourced. No Texas or Florida amounts could be confirmed, so none ship;
the tests load made-up fee packs for those two states from ``fixtures/fee-packs`` (marked as
test fixtures) to judge their claims end to end.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from payer_rules.cli import cli as main
from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.io.converters import claim_converter
from payer_rules.models import Claim, OtherCoverage, OtherPayment
from payer_rules.results import ClaimResult, ClaimStatus, Group
from payer_rules.rulepack.problems import RulepackError
from payer_rules.store import ImportOptions
from payer_rules_medicaid.ncci import IMPORTERS
from payer_rules_medicaid.state import BUILTIN_STATES, discover_states, load_state

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "medicaid"
STATES = ("medicaid-ca", "medicaid-ny", "medicaid-tx", "medicaid-fl")
TEST_FEES = Path(__file__).parent / "fixtures" / "fee-packs"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed(rulepack_dirs=[TEST_FEES])


def example(name: str, **changes: object) -> Claim:
    data = json.loads((EXAMPLES / name).read_text())
    claim: Claim = claim_converter().structure(data, Claim)
    return attrs.evolve(claim, **changes)  # type: ignore[arg-type]


def judge(engine: Engine, claim: Claim) -> dict[str, ClaimResult]:
    return {payer: engine.adjudicate(claim, payer) for payer in STATES}


def adjustments(result: ClaimResult) -> dict[tuple[str, str], Decimal]:
    return {(str(a.group), a.carc): a.amount for a in result.adjustments}


def codes(result: ClaimResult) -> set[str]:
    return {f.code for f in result.findings}


def test_plugin_is_installed_and_lists_four_states(engine):
    for payer in STATES:
        assert engine.payer(payer).kind == "medicaid"
        assert engine.payers[payer].provider.startswith("payer-rules-medicaid@")
    assert {"medicaid-ncci-ptp", "medicaid-ncci-mue"} <= set(engine.importers)
    assert "MDB101" in engine.rules and "MCD101" in engine.rules


# -- timely filing -------------------------------------------------------------------------------


def test_timely_filing_100_days_ny_and_tx_deny_ca_and_fl_pay(engine):
    """NY: 90 days (18 NYCRR §540.6(a)(1)); TX: 95 days (1 TAC §354.1003(a)(3));
    FL: 12 months from the date of service (Florida Medicaid Provider Reimbursement Handbook);
    CA: six months after the month of service (W&I Code §14115(a))."""
    results = judge(engine, example("03-late-100-days.json"))
    for payer in ("medicaid-ny", "medicaid-tx"):
        assert results[payer].status is ClaimStatus.DENIED
        assert adjustments(results[payer]) == {("CO", "29"): Decimal("150.00")}
        assert "MCD101" in codes(results[payer])
    assert results["medicaid-ca"].status is ClaimStatus.PAID
    assert results["medicaid-fl"].status is ClaimStatus.PAID


def test_timely_filing_tx_95_days_is_the_last_day(engine):
    """1 TAC §354.1003(a)(3): received within 95 days of each date of service."""
    on_day_95 = example("01-adult-office-visit.json", received_date=dt.date(2026, 5, 9))
    assert engine.adjudicate(on_day_95, "medicaid-tx").status is ClaimStatus.PAID
    assert engine.adjudicate(on_day_95, "medicaid-ny").status is ClaimStatus.DENIED  # 18 NYCRR 540.6: 90


def test_medi_cal_late_claims_paid_at_75_then_50_percent_then_denied(engine):
    """Medi-Cal: full payment within six months after the month of service (W&I Code §14115(a));
    original claims submitted 6-12 months after it are paid reduced (§14115(c)(1)): months 7-9 at
    75%, 10-12 at 50% (the tiers as shipped in ca/state.toml, see its note), later denied CO-29.
    The reduction is CO-B4 (late filing penalty)."""
    claim = example("04-late-8-months.json")  # service 2026-02-03, received 2026-10-05: month 8
    result = engine.adjudicate(claim, "medicaid-ca")
    assert result.status is ClaimStatus.PAID
    assert adjustments(result)[("CO", "B4")] == (result.allowed * Decimal("0.25")).quantize(Decimal("0.01"))
    assert result.paid == result.allowed - adjustments(result)[("CO", "B4")]
    month_11 = engine.adjudicate(attrs.evolve(claim, received_date=dt.date(2027, 1, 4)), "medicaid-ca")
    assert adjustments(month_11)[("CO", "B4")] == (month_11.allowed / 2).quantize(Decimal("0.01"))
    last_day = engine.adjudicate(attrs.evolve(claim, received_date=dt.date(2026, 8, 31)), "medicaid-ca")
    assert ("CO", "B4") not in adjustments(last_day)  # six months after February ends 31 August
    late = engine.adjudicate(attrs.evolve(claim, received_date=dt.date(2027, 3, 1)), "medicaid-ca")
    assert late.status is ClaimStatus.DENIED and "MCD101" in codes(late)


def test_florida_12_months_from_the_date_of_service(engine):
    """Florida Medicaid: claims must be received within 12 months of the date of service."""
    claim = example("01-adult-office-visit.json")
    assert engine.adjudicate(attrs.evolve(claim, received_date=dt.date(2027, 2, 3)), "medicaid-fl").paid > 0
    late = engine.adjudicate(attrs.evolve(claim, received_date=dt.date(2027, 2, 4)), "medicaid-fl")
    assert late.status is ClaimStatus.DENIED


def _with_other(claim: Claim, payer_id: str, paid_date: dt.date) -> Claim:
    other = OtherCoverage(payer_id=payer_id, payment=OtherPayment(paid=Decimal("0.00"), paid_date=paid_date))
    return attrs.evolve(claim, coverage=attrs.evolve(claim.coverage, other_coverage=(other,)))


def test_florida_gives_claims_paid_first_by_other_insurance_six_months_from_that_payment(engine):
    """Florida Medicaid Provider Reimbursement Handbook: for non-Medicare claims, 12 months from
    the date of service or six months from the date of the other insurance payment or denial."""
    claim = example("01-adult-office-visit.json", received_date=dt.date(2027, 4, 1))  # DOS 2026-02-03
    assert engine.adjudicate(claim, "medicaid-fl").status is ClaimStatus.DENIED
    paid_first = _with_other(claim, "acme", dt.date(2026, 12, 15))
    assert "MCD101" not in codes(engine.adjudicate(paid_first, "medicaid-fl"))
    too_late = attrs.evolve(paid_first, received_date=dt.date(2027, 6, 16))
    late = engine.adjudicate(too_late, "medicaid-fl")
    message = next(f.message for f in late.findings if f.code == "MCD101")
    assert "other coverage on the claim allowed until 2027-06-15" in message
    # New York has no such extension in its state.toml: 90 days is 90 days.
    assert "MCD101" in codes(engine.adjudicate(paid_first, "medicaid-ny"))


def test_florida_medicare_crossover_the_greater_of_36_months_or_12_from_medicare(engine):
    """Florida Medicaid Provider Reimbursement Handbook: the filing limit for Medicare claims
    crossing over to Medicaid is the greater of 36 months from the date of service (discharge)
    or 12 months from Medicare's adjudication date."""
    claim = example("01-adult-office-visit.json")  # DOS 2026-02-03
    crossover = _with_other(claim, "medicare", dt.date(2026, 3, 1))
    within_36 = attrs.evolve(crossover, received_date=dt.date(2029, 2, 3))
    assert "MCD101" not in codes(engine.adjudicate(within_36, "medicaid-fl"))
    after_36 = attrs.evolve(crossover, received_date=dt.date(2029, 2, 4))
    assert "MCD101" in codes(engine.adjudicate(after_36, "medicaid-fl"))
    late_medicare = _with_other(claim, "medicare", dt.date(2028, 6, 1))
    twelve_after = attrs.evolve(late_medicare, received_date=dt.date(2029, 5, 30))
    assert "MCD101" not in codes(engine.adjudicate(twelve_after, "medicaid-fl"))


# -- copays and exemptions ---------------------------------------------------------------------


def test_adult_office_visit_copays_differ(engine):
    """FL: physician visit $2.00 per provider per day, payment reduced (Fla. Admin. Code R. 59G-1.056(3));
    CA: $1 per visit collected on top, payment not reduced (W&I Code §14134(a)(2), (a)(4));
    NY: no copay for practitioner office visits (18 NYCRR §360-7.12(d)); TX: no copays."""
    results = judge(engine, example("01-adult-office-visit.json"))
    assert adjustments(results["medicaid-fl"])[("PR", "3")] == Decimal("2.00")
    assert results["medicaid-fl"].paid == results["medicaid-fl"].allowed - Decimal("2.00")
    assert results["medicaid-ca"].patient_responsibility == 0
    assert results["medicaid-ca"].paid == results["medicaid-ca"].allowed
    assert "MCD403" in codes(results["medicaid-ca"])
    for payer in ("medicaid-ny", "medicaid-tx"):
        assert results[payer].patient_responsibility == 0
        assert results[payer].paid == results[payer].allowed


def test_ny_clinic_visit_copay(engine):
    """18 NYCRR §360-7.12(d), (f): clinic visits $3.00, the payment reduced by it (§360-7.12(a))."""
    result = engine.adjudicate(example("01-adult-office-visit.json", place_of_service="22"), "medicaid-ny")
    assert adjustments(result)[("PR", "3")] == Decimal("3.00")


def test_child_is_exempt_everywhere(engine):
    """42 CFR 447.56(a)(1): children; FL under 21 (R. 59G-1.056(4)(a)), CA 18 or under
    (W&I Code §14134(a)(5)), NY under 21 (18 NYCRR §360-7.12(c))."""
    results = judge(engine, example("02-child-office-visit.json"))
    for result in results.values():
        assert result.patient_responsibility == 0
    assert "MCD401" in codes(results["medicaid-fl"]) and "MCD401" in codes(results["medicaid-ca"])


def test_exemption_age_differs_ca_19_fl_21(engine):
    """A 19-year-old: exempt in Florida (under 21, R. 59G-1.056(4)(a)), not in California (18 or
    under, W&I Code §14134(a)(5))."""
    claim = example("01-adult-office-visit.json")
    claim = attrs.evolve(claim, patient=attrs.evolve(claim.patient, birth_date=dt.date(2006, 6, 1)))
    assert engine.adjudicate(claim, "medicaid-fl").patient_responsibility == 0
    assert "MCD403" in codes(engine.adjudicate(claim, "medicaid-ca"))  # copay applies (collected on top)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"diagnoses": "Z34.01"}, "pregnancy-related"),  # 42 CFR 447.56(a)(2)(ii)
        ({"place_of_service": "23"}, "emergency"),  # 42 CFR 447.56(a)(2)(iv)
        ({"diagnoses": "Z30.011"}, "family planning"),  # 42 CFR 447.56(a)(2)(v)
        ({"place_of_service": "34"}, "hospice"),  # 42 CFR 447.56(a)(1)(ix)
        ({"place_of_service": "32"}, "institutionalized"),  # 42 CFR 447.56(a)(1)(vi)
        ({"aian": True}, "American Indian"),  # 42 CFR 447.56(a)(1)(x)
    ],
)
def test_federal_exemptions_in_florida(engine, change, reason):
    """Fla. Admin. Code R. 59G-1.056(4) and 42 CFR 447.56(a): exempt members and services."""
    from payer_rules.models import Diagnosis

    claim = example("01-adult-office-visit.json")
    if "diagnoses" in change:
        claim = attrs.evolve(claim, diagnoses=(Diagnosis(code=change["diagnoses"]),))
    if "place_of_service" in change:
        claim = attrs.evolve(claim, place_of_service=change["place_of_service"])
    if "aian" in change:
        claim = attrs.evolve(claim, patient=attrs.evolve(claim.patient, american_indian_alaska_native=True))
    result = engine.adjudicate(claim, "medicaid-fl")
    assert result.patient_responsibility == 0
    assert any(f.code == "MCD401" and reason in f.message for f in result.findings)


def test_five_percent_of_income_cap(engine):
    """42 CFR 447.56(f): premiums and cost sharing at most 5% of family income for the period."""
    claim = example("01-adult-office-visit.json")
    capped = attrs.evolve(
        claim,
        coverage=attrs.evolve(
            claim.coverage, family_income=Decimal("300.00"), cost_sharing_incurred=Decimal("14.00")
        ),
    )  # cap 15.00, 14.00 used: 1.00 left of the $2 copay
    result = engine.adjudicate(capped, "medicaid-fl")
    assert adjustments(result)[("PR", "3")] == Decimal("1.00")
    assert "MCD402" in codes(result)
    # later claims of the run see what this one took: the next visit in the quarter pays nothing
    from payer_rules.context import Session

    session = Session()
    engine.adjudicate(capped, "medicaid-fl", session=session)
    second = attrs.evolve(
        capped, id="MCD-01b", lines=(attrs.evolve(capped.lines[0], service_date=dt.date(2026, 2, 5)),)
    )
    assert engine.adjudicate(second, "medicaid-fl", session=session).patient_responsibility == 0


def test_pregnancy_example(engine):
    """42 CFR 447.56(a)(2)(ii); R. 59G-1.056(4)(b): pregnancy-related services carry no copay."""
    results = judge(engine, example("08-pregnancy-visit.json"))
    assert all(r.patient_responsibility == 0 for r in results.values())


# -- prior authorization -----------------------------------------------------------------------


def test_texas_requires_prior_authorization_for_outpatient_mri(engine):
    """TMPPM Radiology and Laboratory Services Handbook §3.2.6: outpatient nonemergent MRI needs
    prior authorization (not in the emergency department)."""
    results = judge(engine, example("05-brain-mri-no-authorization.json"))
    assert results["medicaid-tx"].status is ClaimStatus.DENIED
    assert adjustments(results["medicaid-tx"]) == {("CO", "197"): Decimal("900.00")}
    for payer in ("medicaid-ca", "medicaid-ny", "medicaid-fl"):
        assert ("CO", "197") not in adjustments(results[payer])  # no prior authorization needed
    assert results["medicaid-fl"].status is ClaimStatus.PAID
    er = engine.adjudicate(
        example("05-brain-mri-no-authorization.json", place_of_service="23"), "medicaid-tx"
    )
    assert er.status is ClaimStatus.PAID
    authorized = example("05-brain-mri-no-authorization.json", prior_authorizations=("TX-PA-1",))
    assert engine.adjudicate(authorized, "medicaid-tx").status is ClaimStatus.PAID


# -- pricing -----------------------------------------------------------------------------------


def test_medi_cal_prices_primary_care_at_87_5_percent_of_medicare(engine):
    """W&I Code §14105.201; DHCS Targeted Rate Increases: primary care at 87.5% of Medicare."""
    claim = example("01-adult-office-visit.json")
    medicare = engine.adjudicate(
        attrs.evolve(claim, coverage=attrs.evolve(claim.coverage, payer_id="medicare")), "medicare"
    )
    ca = engine.adjudicate(claim, "medicaid-ca")
    assert ca.allowed == (medicare.allowed * Decimal("0.875")).quantize(Decimal("0.01"))
    assert len({r.allowed for r in judge(engine, claim).values()}) == 4  # four states, four prices


def test_new_york_prices_physician_services_at_80_percent_of_medicare(engine):
    """NYS Medicaid Update, August 2023 (Vol. 39, No. 13): practitioner fees at 80% of Medicare
    from 2023-10-01 (Medicine, Surgery, Radiology schedules; lab is on its own schedule)."""
    claim = example("01-adult-office-visit.json")
    medicare = engine.adjudicate(
        attrs.evolve(claim, coverage=attrs.evolve(claim.coverage, payer_id="medicare")), "medicare"
    )
    assert engine.adjudicate(claim, "medicaid-ny").allowed == (medicare.allowed * Decimal("0.8")).quantize(
        Decimal("0.01")
    )


def test_a_state_without_a_loaded_fee_schedule_pends_naming_where_it_is_published():
    """No Texas amount could be confirmed, so none ships: the line pends (MCD601), naming the
    TMHP schedule (1 TAC §355.8085); loading a fee pack prices it."""
    shipped = Engine.from_installed()
    result = shipped.adjudicate(example("01-adult-office-visit.json"), "medicaid-tx")
    assert result.status is ClaimStatus.PENDED
    (pend,) = [f for f in result.findings if f.code == "MCD601"]
    assert "TMHP" in pend.message and (pend.group, pend.carc) == ("OA", "133")
    with_fees = Engine.from_installed(rulepack_dirs=[TEST_FEES])
    assert with_fees.adjudicate(example("01-adult-office-visit.json"), "medicaid-tx").allowed == Decimal(
        "53.50"
    )


# -- payer of last resort ----------------------------------------------------------------------


def test_other_coverage_without_primary_adjudication_is_denied_co_22(engine):
    """42 U.S.C. 1396a(a)(25); 42 CFR 433.139: Medicaid pays after other coverage."""
    for result in judge(engine, example("06-other-coverage-no-primary-eob.json")).values():
        assert result.status is ClaimStatus.DENIED
        assert adjustments(result) == {("CO", "22"): Decimal("150.00")}
        assert result.lines[0].rarcs == ("MA04",)


def test_primary_payment_is_taken_from_the_medicaid_allowed_amount(engine):
    """42 CFR 433.139(b): Medicaid pays up to its allowed amount less what the primary paid."""
    results = judge(engine, example("07-other-coverage-primary-paid.json"))
    for payer in ("medicaid-ny", "medicaid-tx", "medicaid-ca"):
        r = results[payer]
        assert adjustments(r)[("OA", "23")] == Decimal("40.00")
        assert r.paid == r.allowed - Decimal("40.00")
    claim = example("07-other-coverage-primary-paid.json")
    rich = attrs.evolve(
        claim,
        coverage=attrs.evolve(
            claim.coverage,
            other_coverage=(OtherCoverage(payer_id="acme", payment=OtherPayment(paid=Decimal("500.00"))),),
        ),
    )
    r = engine.adjudicate(rich, "medicaid-ny")
    assert r.paid == 0 and adjustments(r)[("OA", "23")] == r.allowed  # never below zero


def test_new_york_copays_stop_at_200_dollars_a_year_from_april_first(engine):
    """NYS DOH GIS 05 MA/026: the annual co-payment maximum is $200 per recipient; the co-pay year
    runs April 1 to March 31. 18 NYCRR §360-7.12(a): the payment is reduced by the copay."""
    claim = example("01-adult-office-visit.json", place_of_service="22")  # a $3.00 clinic visit
    session = Session()
    copays = []
    for i in range(68):
        day = dt.date(2025, 12, 1) + dt.timedelta(days=i)  # the co-pay year from 2025-04-01
        visit = attrs.evolve(
            claim,
            id=f"NY-{i}",
            received_date=day + dt.timedelta(days=5),
            lines=(attrs.evolve(claim.lines[0], service_date=day),),
        )
        result = engine.adjudicate(visit, "medicaid-ny", session=session)
        copays.append(adjustments(result).get(("PR", "3"), Decimal(0)))
    assert copays[:66] == [Decimal("3.00")] * 66  # $198
    assert copays[66:] == [Decimal("2.00"), Decimal("0")]  # the $200 maximum
    assert "MCD404" in codes(result)
    next_year = attrs.evolve(
        claim,
        id="NY-next",
        received_date=dt.date(2026, 4, 5),
        lines=(attrs.evolve(claim.lines[0], service_date=dt.date(2026, 4, 1)),),
    )
    assert adjustments(engine.adjudicate(next_year, "medicaid-ny", session=session))[("PR", "3")] == Decimal(
        "3.00"
    )


def test_unconfirmed_prior_authorization_rules_run_in_preview(engine):
    """Rules whose source could not be confirmed (NY and FL bariatric surgery, Medi-Cal PET) run
    as previews: reported, money unchanged, until their policy text is checked."""
    claim = example("01-adult-office-visit.json")
    bariatric = attrs.evolve(
        claim, lines=(attrs.evolve(claim.lines[0], procedure="43644", charge=Decimal("5000.00")),)
    )
    for payer, code in (("medicaid-ny", "MDNY201"), ("medicaid-fl", "MDFL201")):
        result = engine.adjudicate(bariatric, payer)
        found = next(f for f in result.findings if f.code == code)
        assert found.severity == "warn" and found.message.startswith("[preview]")
        assert ("CO", "197") not in adjustments(result)


def test_medi_cal_tar_for_codes_the_tar_list_marks_2(engine):
    """Medi-Cal Provider Manual, TAR and Non-Benefit List (tar and non cd8): 81162 carries
    restriction 2, a TAR for the primary provider (22 CCR §51003). Other states do not ask."""
    claim = example("01-adult-office-visit.json")
    brca = attrs.evolve(
        claim, lines=(attrs.evolve(claim.lines[0], procedure="81162", charge=Decimal("2500")),)
    )
    ca = engine.adjudicate(brca, "medicaid-ca")
    assert ca.status is ClaimStatus.DENIED and "MDCA202" in codes(ca)
    assert adjustments(ca) == {("CO", "197"): Decimal("2500.00")}
    assert "MDCA202" not in codes(
        engine.adjudicate(attrs.evolve(brca, prior_authorizations=("TAR1",)), "medicaid-ca")
    )
    assert "MDCA202" not in codes(engine.adjudicate(brca, "medicaid-ny"))


# -- NCCI, modifiers, EPSDT --------------------------------------------------------------------

PTP_HEADER = "Column1\tColumn2\t*\tEffective\tDeletion\tModifier\tRationale\r\n"


def test_medicaid_ncci_tables_are_imported_apart_and_edit_medicaid_claims(engine, tmp_path, monkeypatch):
    """Medicaid NCCI (42 U.S.C. 1396b(r)): Medicaid's own PTP table, read with Medicare's importer."""
    ptp = tmp_path / "medicaid-ptp-v322r0-f1.txt"
    ptp.write_text(PTP_HEADER + "99213\t36415\t\t20100101\t*\t0\tMutually exclusive procedures\r\n")
    data = tmp_path / "data"
    importer = next(i for i in IMPORTERS if i.kind == "medicaid-ncci-ptp")
    report = importer.run([ptp], ImportOptions(data_dir=data))
    assert report.kind == "medicaid-ncci-ptp" and report.database.name == "medicaid-ncci-ptp.sqlite"
    assert not (data / "medicare-ncci-ptp.sqlite").exists()  # Medicare's table is untouched
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(data))
    claim = example("01-adult-office-visit.json")
    two = attrs.evolve(
        claim, lines=(claim.lines[0], attrs.evolve(claim.lines[0], procedure="36415", charge=Decimal("10")))
    )
    result = engine.adjudicate(two, "medicaid-ny")
    assert [f.line for f in result.findings if f.code == "MCD301"] == [2]
    medicare = engine.adjudicate(
        attrs.evolve(two, coverage=attrs.evolve(two.coverage, payer_id="medicare")), "medicare"
    )
    assert "MCR301" not in codes(medicare)


def test_state_defined_modifier_the_state_does_not_define_warns(engine):
    """HCPCS U1-UD are defined by each state's Medicaid program: Medi-Cal defines U7 (physician
    assistant; Medi-Cal Provider Manual, Modifiers: Approved List), Texas does not."""
    claim = example("01-adult-office-visit.json")
    claim = attrs.evolve(claim, lines=(attrs.evolve(claim.lines[0], modifiers=("U7",)),))
    result = engine.adjudicate(claim, "medicaid-tx")
    assert "MCD501" in codes(result) and result.status is ClaimStatus.PAID
    assert "MCD501" not in codes(engine.adjudicate(claim, "medicaid-ca"))


def test_texas_deliveries_need_a_gestational_age_modifier(engine):
    """TMHP notice 2018-12-14 (TMPPM January 2019): delivery codes 59409 ... S8415 must carry U1
    (before 39 weeks, medically necessary), U2 (39 weeks or later) or U3 (before 39 weeks, not
    medically necessary). No other state ships that rule, and U2 means nothing to them."""
    claim = example("09-delivery-without-gestational-age-modifier.json")
    results = judge(engine, claim)
    tx = results["medicaid-tx"]
    assert tx.status is ClaimStatus.DENIED and "MDTX301" in codes(tx)
    assert adjustments(tx) == {("CO", "4"): Decimal("1800.00")} and tx.lines[0].rarcs == ("N822",)
    for payer in ("medicaid-ny", "medicaid-ca", "medicaid-fl"):
        assert "MDTX301" not in codes(results[payer])
    with_u2 = attrs.evolve(claim, lines=(attrs.evolve(claim.lines[0], modifiers=("U2",)),))
    assert not {"MDTX301", "MCD501"} & codes(engine.adjudicate(with_u2, "medicaid-tx"))
    assert "MCD501" in codes(engine.adjudicate(with_u2, "medicaid-ny"))
    meanings = {m.code: m.meaning for m in discover_states()["medicaid-tx"].modifiers}
    assert meanings["U2"] == "delivery at 39 weeks of gestation or later"


def test_epsdt_pediatric_preventive_code_for_an_adult_is_denied_by_the_base(engine):
    """Base pack MDB101 (CPT 99391-99394 by age; EPSDT, 42 U.S.C. 1396d(r)) applies to every state."""
    claim = example("01-adult-office-visit.json")
    adult = attrs.evolve(claim, lines=(attrs.evolve(claim.lines[0], procedure="99393"),))
    for result in judge(engine, adult).values():
        assert result.status is ClaimStatus.DENIED and "MDB101" in codes(result)
    child = attrs.evolve(example("02-child-office-visit.json"), lines=adult.lines)
    assert engine.adjudicate(child, "medicaid-fl").status is ClaimStatus.PAID


# -- the four-state run, a fifth state as data, broken definitions -------------------------------


def test_four_states_in_one_cli_run():
    args = ["--rulepacks", str(TEST_FEES), "adjudicate", str(EXAMPLES), "--format", "ndjson"]
    for payer in STATES:
        args += ["--payer", payer]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    by = {(r["claim_id"], r["payer"]): r for r in rows}
    assert len(by) == 9 * 4
    assert by[("MCD-03", "medicaid-ny")]["status"] == "denied"
    assert by[("MCD-03", "medicaid-fl")]["status"] == "paid"
    assert by[("MCD-05", "medicaid-tx")]["status"] == "denied"
    assert by[("MCD-09", "medicaid-tx")]["status"] == "denied"  # no gestational-age modifier
    assert by[("MCD-09", "medicaid-ny")]["status"] == "pended"
    assert Decimal(by[("MCD-01", "medicaid-fl")]["patient_responsibility"]) == Decimal("2.00")


def test_a_fifth_state_is_data(tmp_path, monkeypatch):
    """A new folder with state.toml and a fee pack becomes a payer: no code."""
    folder = tmp_path / "states" / "zz"
    shutil.copytree(BUILTIN_STATES / "tx", folder)
    state = (
        (folder / "state.toml")
        .read_text()
        .replace('"medicaid-tx"', '"medicaid-zz"')
        .replace("Texas Medicaid", "Zedland Medicaid")
    )
    (folder / "state.toml").write_text(state.replace("days = 95", "days = 30"))
    fees = (TEST_FEES / "test-tx-fees.toml").read_text()
    (folder / "rulepacks" / "fees.toml").write_text(
        fees.replace("medicaid-tx", "medicaid-zz").replace("TSTTX", "TSTZZ")
    )
    for pack in (folder / "rulepacks").glob("*.toml"):
        text = pack.read_text().replace("medicaid-tx", "medicaid-zz").replace("MDTX", "MDZZ")
        pack.write_text(text)
    monkeypatch.setenv("PAYER_RULES_MEDICAID_STATES", str(tmp_path / "states"))
    engine = Engine.from_installed()
    assert engine.payer("medicaid-zz").name == "Zedland Medicaid"
    claim = example("03-late-100-days.json")
    assert engine.adjudicate(claim, "medicaid-zz").status is ClaimStatus.DENIED
    on_time = engine.adjudicate(example("01-adult-office-visit.json"), "medicaid-zz")
    assert on_time.status is ClaimStatus.PAID and on_time.allowed == Decimal("53.50")


def test_broken_state_definition_is_located(tmp_path):
    folder = tmp_path / "xx"
    folder.mkdir()
    (folder / "state.toml").write_text(
        '[state]\npayer_id = "medicaid-xx"\nname = "X"\nstate = "XX"\nsource = "s"\n\n'
        '[timely_filing]\ndays = "ninety"\ncitation = "c"\n\n'
        '[cost_sharing]\ncitation = "c"\n\n'
        '[[copays]]\ncategory = "visit"\nammount = "1.00"\nprocedures = ["99213"]\ncitation = "c"\n'
    )
    with pytest.raises(RulepackError) as exc:
        load_state(folder)
    text = str(exc.value)
    assert f"{folder / 'state.toml'}:8: [timely_filing]: expected an integer, got 'ninety'" in text
    assert ":16: [copays]: unknown key 'ammount' (did you mean 'amount'?)" in text
    with pytest.raises(RulepackError, match="no such directory"):
        discover_states([tmp_path / "missing"])


def test_state_lint_messages(tmp_path):
    folder = tmp_path / "yy"
    folder.mkdir()
    (folder / "state.toml").write_text(
        '[state]\npayer_id = "yy"\nname = "Y"\nstate = "YY"\nsource = "s"\n\n'
        '[timely_filing]\ndays = 90\nmonths = 3\ncitation = "c"\n\n'
        '[cost_sharing]\ncitation = "c"\ncap_period = "year"\n'
    )
    with pytest.raises(RulepackError) as exc:
        load_state(folder)
    text = str(exc.value)
    assert ":2: [state]: payer_id must look like 'medicaid-xx'" in text
    assert "give exactly one of 'days' or 'months'" in text
    assert ":14: [cost_sharing]: cap_period is 'month' or 'quarter'" in text


def test_every_result_balances(engine):
    for path in sorted(EXAMPLES.glob("*.json")):
        claim = example(path.name)
        for result in judge(engine, claim).values():
            total = result.paid + sum((a.amount for a in result.adjustments), Decimal(0))
            assert total == result.billed
            assert all(a.group in Group for a in result.adjustments)
