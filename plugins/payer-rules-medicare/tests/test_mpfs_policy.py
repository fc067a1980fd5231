"""MPFS payment-policy indicators on the real CY2025 RVU file (RVU25D), by date of service.

Every expected amount is worked here from ``PPRRVU2025_Oct.csv`` and ``GPCI2025.csv`` by CMS's
formula (:mod:`.mpfs_files`) and the percentage the record layout (RVU25D.pdf) and Pub. 100-04
Ch. 12 §40 give, never copied from the engine. San Francisco (01112-05, ZIP 94110) throughout;
surgery in a facility setting (POS 22), imaging and therapy in the office (POS 11).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from payer_rules.engine import Engine
from payer_rules.models import Provider

from .mpfs_files import PPRRVU_2025, cents, codes_where, components, fee, gpci, rvu
from .test_mpfs_clfs import engine, line, make_claim  # noqa: F401

pytestmark = pytest.mark.skipif(not PPRRVU_2025.exists(), reason=f"{PPRRVU_2025} not found")

HALF = Decimal("0.5")
SF = gpci("GPCI2025.csv", "01112", "05")


def judge(engine: Engine, *lines, **changes):  # noqa: F811
    return engine.adjudicate(make_claim(*lines, **changes), "medicare")


def surgery(code: str, *modifiers: str, **kw):
    return line(code, *modifiers, place_of_service="22", **kw)


def only(result, code: str):
    (found,) = [f for f in result.findings if f.code == code]
    return found


# -- the table, row by row ---------------------------------------------------------------


def test_co_surgery_22633_62_pays_each_surgeon_62_5_percent(engine, with_bundle):  # noqa: F811
    assert rvu("22633")["CO- SURG"] == "2"
    result = judge(engine, surgery("22633", "62"))
    assert result.lines[0].allowed == cents(fee("22633", facility=True) * Decimal("0.625"))


def test_team_surgery_22633_66_with_indicator_0_is_denied(engine, with_bundle):  # noqa: F811
    assert rvu("22633")["TEAM SURG"] == "0"
    result = judge(engine, surgery("22633", "66"))
    denial = only(result, "MCR214")
    assert result.status == "denied" and (denial.group, denial.carc) == ("CO", "54")


def test_endoscopy_family_45385_45380_pays_the_second_less_the_base(engine, with_bundle):  # noqa: F811
    assert rvu("45380")["ENDO BASE"] == rvu("45385")["ENDO BASE"] == "45378"
    result = judge(engine, surgery("45380"), surgery("45385"))
    full = fee("45385", facility=True)
    second = fee("45380", facility=True) - fee("45378", facility=True)
    assert [ln.allowed for ln in result.lines] == [second, full]
    # the base billed with its family is not paid separately
    with_base = judge(engine, surgery("45385"), surgery("45378"))
    assert [ln.allowed for ln in with_base.lines] == [full, Decimal("0.00")]


def test_endoscopy_beside_another_surgery_enters_the_100_50_ranking(engine, with_bundle):  # noqa: F811
    assert rvu("29881")["MULT PROC"] == "3" and rvu("64721")["MULT PROC"] == "2"
    knee, hand = fee("29881", facility=True), fee("64721", facility=True)
    assert knee > hand
    result = judge(engine, surgery("64721"), surgery("29881"))
    assert [ln.allowed for ln in result.lines] == [cents(hand * HALF), knee]


def test_an_endoscopy_family_ranks_as_one_procedure(engine, with_bundle):  # noqa: F811
    family = fee("45385", facility=True) + fee("45380", facility=True) - fee("45378", facility=True)
    knee = fee("27447", facility=True)
    assert knee > family
    result = judge(engine, surgery("45385"), surgery("45380"), surgery("27447"))
    second = fee("45380", facility=True) - fee("45378", facility=True)
    assert [ln.allowed for ln in result.lines] == [
        cents(fee("45385", facility=True) * HALF),
        cents(second * HALF),
        knee,
    ]


def _pc_tc(code: str) -> tuple[Decimal, Decimal]:
    return fee(code, "26"), fee(code, "TC")


def test_imaging_72148_74177_reduces_the_lower_tc_50_and_its_pc_95(engine, with_bundle):  # noqa: F811
    assert rvu("72148")["MULT PROC"] == rvu("74177")["MULT PROC"] == "4"
    pc_72148, tc_72148 = _pc_tc("72148")
    pc_74177, tc_74177 = _pc_tc("74177")
    assert tc_74177 > tc_72148 and pc_74177 > pc_72148  # 74177 ranks first on both
    result = judge(engine, line("72148"), line("74177"))
    lower = cents(pc_72148 * Decimal("0.95")) + cents(tc_72148 * HALF)
    assert [ln.allowed for ln in result.lines] == [lower, fee("74177")]
    # components billed apart reduce the same way
    split = judge(engine, line("72148", "TC"), line("74177", "TC"), line("72148", "26"), line("74177", "26"))
    assert [ln.allowed for ln in split.lines] == [
        cents(tc_72148 * HALF),
        tc_74177,
        cents(pc_72148 * Decimal("0.95")),
        pc_74177,
    ]
    # another session (modifier 59) is not reduced
    apart = judge(engine, line("72148", "59"), line("74177"))
    assert [ln.allowed for ln in apart.lines] == [fee("72148"), fee("74177")]


def test_therapy_97110_two_units_second_unit_pe_at_half(engine, with_bundle):  # noqa: F811
    record = rvu("97110")
    assert record["MULT PROC"] == "5"
    work, pe, mp = components(record, SF)
    factor = Decimal(record["CONV FACTOR"])
    second = cents((work + pe * HALF + mp) * factor)
    result = judge(engine, line("97110", units=Decimal(2)))
    assert result.lines[0].allowed == fee("97110") + second


def test_pc_modifier_on_a_pctc_0_code_is_denied_co_4(engine, with_bundle):  # noqa: F811
    assert rvu("99213")["PCTC IND"] == "0"
    for day in (dt.date(2025, 6, 2), dt.date(2026, 2, 2)):  # CY2026: the starter's 99213 record
        result = judge(engine, line("99213", "26", day=day))
        denial = only(result, "MCR210")
        assert result.status == "denied" and (denial.group, denial.carc) == ("CO", "4")


def test_status_b_n_i_x_m_are_denied_with_medicares_codes(engine, with_bundle):  # noqa: F811
    expected = {
        "B": ("MCR203", "CO", "97", ("M15",)),
        "N": ("MCR208", "CO", "96", ("N431",)),
        "I": ("MCR206", "CO", "181", ("M51",)),
        "M": ("MCR207", "CO", "246", ("N620",)),
    }
    for status, (rule, group, carc, rarcs) in expected.items():
        code = "99024" if status == "B" else codes_where("STATUS CODE", status)[0]
        assert rvu(code)["STATUS CODE"] == status
        result = judge(engine, line(code))
        found = only(result, rule)
        assert result.status == "denied" and (found.group, found.carc, found.rarcs) == (group, carc, rarcs)
    # X: a CPT code outside 'physician services' (no CLFS rate) is a statutory exclusion
    donor = next(c for c in codes_where("STATUS CODE", "X") if c[0].isdigit() and not c.startswith("8"))
    result = judge(engine, line(donor))
    assert result.status == "denied" and only(result, "MCR209").carc == "204"
    # with GY (statutorily excluded, notice not required) the beneficiary is liable
    liable = judge(engine, line(donor, "GY"))
    assert only(liable, "MCR209").group == "PR"


def test_status_c_e_pend_and_say_why_and_j_is_anesthesia(engine, with_bundle):  # noqa: F811
    for status, rule, words in (
        ("C", "MCR204", "contractor-priced"),
        ("E", "MCR205", "excluded from the fee schedule"),
    ):
        # not a drug code (immune globulins, vaccines, A9xxx ... are the ASP rules' own, MCR710)
        code = next(c for c in codes_where("STATUS CODE", status) if c.startswith(("0", "G")))
        result = judge(engine, line(code))
        assert result.status == "pended" and words in only(result, rule).message
    # J (anesthesia) is never priced from RVUs: the anesthesia rules (MCR700-MCR703) take it
    anesthesia = judge(engine, line(codes_where("STATUS CODE", "J")[0]))
    assert {f.code for f in anesthesia.findings} & {"MCR700", "MCR701", "MCR702", "MCR703"}


def test_status_t_injection_alone_paid_with_another_service_bundled(engine, with_bundle):  # noqa: F811
    code = codes_where("STATUS CODE", "T")[0]
    assert judge(engine, line(code)).lines[0].allowed == fee(code)
    both = judge(engine, line(code), line("99213"))
    assert only(both, "MCR203").line == 1 and both.lines[1].allowed == fee("99213")


# -- each indicator value the CY2025 file has ----------------------------------------------------


@pytest.mark.parametrize("value", ["2", "3", "4", "5", "7", "9"])
def test_pctc_values_that_refuse_26(engine, with_bundle, value):  # noqa: F811
    code = next(c for c in codes_where("PCTC IND", value) if rvu(c)["STATUS CODE"] in "AR")
    assert only(judge(engine, line(code, "26")), "MCR210").carc == "4"


def test_pctc_1_and_6_price_26_from_its_row(engine, with_bundle):  # noqa: F811
    assert judge(engine, line("72148", "26")).lines[0].allowed == fee("72148", "26")
    assert rvu("83020", "26")["PCTC IND"] == "6"
    assert judge(engine, line("83020", "26")).lines[0].allowed == fee("83020", "26")


def test_pctc_8_is_paid_only_for_an_inpatient(engine, with_bundle):  # noqa: F811
    assert rvu("85060")["PCTC IND"] == "8"
    assert only(judge(engine, line("85060")), "MCR211").carc == "58"
    inpatient = judge(engine, line("85060", place_of_service="21"))
    assert inpatient.lines[0].allowed == fee("85060", facility=True)


def test_pctc_5_incident_to_is_not_paid_for_a_hospital_patient(engine, with_bundle):  # noqa: F811
    code = next(c for c in codes_where("PCTC IND", "5") if rvu(c)["STATUS CODE"] == "A")
    assert judge(engine, line(code)).lines[0].allowed == fee(code)
    assert only(judge(engine, line(code, place_of_service="22")), "MCR211").carc == "58"


@pytest.mark.parametrize(("value", "share"), [("0", "1"), ("1", "1.5"), ("2", "1"), ("3", "2")])
def test_bilateral_surgery_indicators(engine, with_bundle, value, share):  # noqa: F811
    code = next(
        c
        for c in codes_where("BILAT SURG", value)
        if rvu(c)["STATUS CODE"] == "A" and rvu(c)["MULT PROC"] in "0249"
    )
    result = judge(engine, surgery(code, "50"))
    assert result.lines[0].allowed == cents(fee(code, facility=True) * Decimal(share))


@pytest.mark.parametrize(("value", "rule", "outcome"), [("0", "MCR212", "denied"), ("1", "MCR213", "pended")])
def test_co_surgery_indicators_0_and_1(engine, with_bundle, value, rule, outcome):  # noqa: F811
    code = next(c for c in codes_where("CO- SURG", value) if rvu(c)["STATUS CODE"] == "A")
    result = judge(engine, surgery(code, "62"))
    assert result.status == outcome and only(result, rule)


def test_co_surgery_and_team_surgery_indicator_9_deny(engine, with_bundle):  # noqa: F811
    code = next(c for c in codes_where("CO- SURG", "9") if rvu(c)["STATUS CODE"] == "A")
    assert judge(engine, line(code, "62")).status == "denied"
    assert judge(engine, line(code, "66")).status == "denied"


@pytest.mark.parametrize("value", ["1", "2"])
def test_team_surgery_1_and_2_are_priced_by_report(engine, with_bundle, value):  # noqa: F811
    code = next(c for c in codes_where("TEAM SURG", value) if rvu(c)["STATUS CODE"] == "A")
    result = judge(engine, surgery(code, "66"))
    assert result.status == "pended" and "by report" in only(result, "MCR215").message


def test_assistant_at_surgery_indicator_9_denies(engine, with_bundle):  # noqa: F811
    assert rvu("74177")["ASST SURG"] == "9"
    assert only(judge(engine, line("74177", "80")), "MCR202").carc == "54"


def test_more_than_five_procedures_the_sixth_is_by_report(engine, with_bundle):  # noqa: F811
    codes = [c for c in codes_where("MULT PROC", "2") if rvu(c)["STATUS CODE"] == "A"][:6]
    fees = {c: fee(c, facility=True) for c in codes}
    ranked = sorted(codes, key=lambda c: -fees[c])
    result = judge(engine, *(surgery(c) for c in codes))
    lowest = codes.index(ranked[5])
    assert only(result, "MCR217").line == lowest + 1
    paid = {codes[i]: ln.allowed for i, ln in enumerate(result.lines) if i != lowest}
    assert paid[ranked[0]] == fees[ranked[0]]
    for code in ranked[1:5]:
        assert paid[code] == cents(fees[code] * HALF)


@pytest.mark.parametrize(("indicator", "share"), [("6", "0.75"), ("7", "0.80")])
def test_cardiovascular_and_ophthalmology_tc_reductions(engine, with_bundle, indicator, share):  # noqa: F811
    codes = [
        c
        for c in codes_where("MULT PROC", indicator)
        if rvu(c)["STATUS CODE"] == "A" and rvu(c)["PCTC IND"] == "1"
    ][:2]
    first, second = sorted(codes, key=lambda c: -fee(c, "TC"))
    result = judge(engine, line(second, "TC"), line(first, "TC"))
    assert [ln.allowed for ln in result.lines] == [
        cents(fee(second, "TC") * Decimal(share)),
        fee(first, "TC"),
    ]
    # the professional components are not reduced for these families
    pcs = judge(engine, line(second, "26"), line(first, "26"))
    assert [ln.allowed for ln in pcs.lines] == [fee(second, "26"), fee(first, "26")]


def test_mult_proc_0_is_never_reduced(engine, with_bundle):  # noqa: F811
    result = judge(engine, line("99213"), line("97110"))
    assert result.lines[0].allowed == fee("99213")


def test_modifiers_22_52_and_53(engine, with_bundle):  # noqa: F811
    assert judge(engine, surgery("45378", "53")).lines[0].allowed == fee("45378", "53", facility=True)
    for modifier in ("22", "52", "53"):
        result = judge(engine, surgery("27447", modifier))
        assert result.status == "pended" and only(result, "MCR216")


def test_a_2026_surgery_is_never_priced_from_2025_rvus(engine, with_bundle):  # noqa: F811
    result = judge(engine, surgery("22633", "62", day=dt.date(2026, 2, 2)))
    assert result.status == "pended" and "PPRRVU2026" in only(result, "MCR201").message


def test_npp_and_co_surgeon_together(engine, with_bundle):  # noqa: F811
    claim_np = {"rendering_provider": Provider(npi="1987654328", taxonomy="363A00000X")}
    result = judge(engine, surgery("22633", "62"), **claim_np)
    co = cents(fee("22633", facility=True) * Decimal("0.625"))
    assert result.lines[0].allowed == cents(co * Decimal("0.85"))


def test_the_starter_pack_prices_the_examples_as_the_files_do(engine):  # noqa: F811
    """With nothing imported, the starter's RVU25D records give the same money as the files."""
    assert judge(engine, line("97110", units=Decimal(2))).lines[0].allowed == judge_file_97110()
    result = judge(engine, line("72148"), line("74177"))
    pc, tc = _pc_tc("72148")
    assert [ln.allowed for ln in result.lines] == [
        cents(pc * Decimal("0.95")) + cents(tc * HALF),
        fee("74177"),
    ]


def judge_file_97110() -> Decimal:
    record = rvu("97110")
    work, pe, mp = components(record, SF)
    return fee("97110") + cents((work + pe * HALF + mp) * Decimal(record["CONV FACTOR"]))


def test_explain_shows_every_payment_policy_rule():
    from click.testing import CliRunner

    from payer_rules.cli import cli

    for number in range(201, 218):
        out = CliRunner().invoke(cli, ["explain", f"MCR{number}"])
        assert out.exit_code == 0, out.output
        assert "Citation:" in out.output and f"MCR{number}" in out.output


def test_status_p_bundled_and_status_r_priced(engine, with_bundle):  # noqa: F811
    supply = codes_where("STATUS CODE", "P")[0]
    assert only(judge(engine, line(supply)), "MCR203").carc == "97"
    restricted = next(
        c
        for c in codes_where("STATUS CODE", "R")
        if Decimal(rvu(c)["WORK RVU"]) > 0 and rvu(c)["MULT PROC"] in "09"
    )
    assert judge(engine, line(restricted)).lines[0].allowed == fee(restricted)


def test_mult_proc_9_and_bilateral_9_and_assistant_1(engine, with_bundle):  # noqa: F811
    nine = [c for c in codes_where("MULT PROC", "9") if rvu(c)["STATUS CODE"] == "A"][:2]
    result = judge(engine, *(line(c) for c in nine))
    assert [ln.allowed for ln in result.lines] == [fee(c) for c in nine]  # never reduced
    bilateral = next(c for c in codes_where("BILAT SURG", "9") if rvu(c)["STATUS CODE"] == "A")
    assert judge(engine, line(bilateral, "50")).lines[0].allowed == fee(bilateral)  # paid once
    never = next(c for c in codes_where("ASST SURG", "1") if rvu(c)["STATUS CODE"] == "A")
    assert "never" in only(judge(engine, surgery(never, "80")), "MCR202").message
