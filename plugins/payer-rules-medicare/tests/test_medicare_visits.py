"""Issue 18, visits and money to the patient: deductible year per line, preventive services,
global surgery packages, assignment and the 835's remarks.

Expected amounts are worked out here by CMS's formula from CMS's own files in
``../shared/data/mpfs`` (PPRRVU2025_Oct, GPCI2025, GPCI2026); those tests skip, saying so,
without them. CY2026 RVUs are not in the shared data, so CY2026 lines use the starter pack's
CY2026 rows (CMS-1832-F) with the GPCI2026 file's values.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path

import attrs
import pytest

from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.models import (
    Accumulators,
    Address,
    Diagnosis,
    PriorService,
    Provider,
)
from payer_rules.results import ClaimResult, Group
from payer_rules_medicare.preventive import load_preventive

from .builders import physician_claim, service_line

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
MPFS = SHARED / "mpfs"
needs_files = pytest.mark.skipif(
    not (MPFS / "PPRRVU2025_Oct.csv").exists() or not (MPFS / "GPCI2026.csv").exists(),
    reason=f"CMS RVU25D bundle / GPCI2026.csv not found under {MPFS}",
)
CENT = Decimal("0.01")
SF = ("01112", "05")  # San Francisco, the ZIP 94110 locality

BILLING = Provider(npi="1234567893", tax_id="123456789", address=Address(zip="94110"))
SURGEON = Provider(npi="1987654328", taxonomy="207X00000X")


make_claim = partial(
    physician_claim,
    id="V-1",
    billing_provider=BILLING,
    rendering_provider=SURGEON,
    diagnoses=(Diagnosis(code="M17.11"),),
)
line = partial(service_line, day=dt.date(2025, 6, 2), charge=Decimal("5000.00"))


# -- CMS's formula, from CMS's files ---------------------------------------------------------


def _rvu_rows() -> dict[tuple[str, str], dict[str, str]]:
    with (MPFS / "PPRRVU2025_Oct.csv").open(encoding="latin-1", newline="") as fh:
        rows = list(csv.reader(fh))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "HCPCS")
    caption = rows[head - 1 : head + 1]
    names = [" ".join(r[i].strip() for r in caption).strip() for i in range(len(rows[head]))]
    return {(r[0], r[1]): dict(zip(names, r, strict=False)) for r in rows[head + 1 :] if r and r[0]}


def _gpci(year: int, locality: tuple[str, str] = SF) -> tuple[Decimal, Decimal, Decimal]:
    text = (MPFS / f"GPCI{year}.csv").read_text(encoding="latin-1")
    for r in csv.reader(io.StringIO(text)):
        if len(r) > 6 and r[0].strip() == locality[0] and r[2].strip() == locality[1]:
            return Decimal(r[4]), Decimal(r[5]), Decimal(r[6])
    raise AssertionError(f"no GPCI row for {locality} in GPCI{year}.csv")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fee_2025(code: str, modifier: str = "", *, facility: bool = False) -> Decimal:
    """[(work RVU x work GPCI) + (PE RVU x PE GPCI) + (MP RVU x MP GPCI)] x CF, from the files."""
    row = _RVUS()[(code, modifier)]
    work, pe_g, mp_g = _gpci(2025)
    pe = Decimal(row["FACILITY PE RVU" if facility else "NON-FAC PE RVU"])
    cf = Decimal(row["CONV FACTOR"])
    return cents((Decimal(row["WORK RVU"]) * work + pe * pe_g + Decimal(row["MP RVU"]) * mp_g) * cf)


def fee_2026_starter(work: str, pe: str, mp: str) -> Decimal:
    """A CY2026 fee from CMS-1832-F RVUs (as in the starter pack) and GPCI2026.csv."""
    w, p, m = _gpci(2026)
    return cents((Decimal(work) * w + Decimal(pe) * p + Decimal(mp) * m) * Decimal("33.4009"))


_cache: dict[str, dict[tuple[str, str], dict[str, str]]] = {}


def _RVUS() -> dict[tuple[str, str], dict[str, str]]:
    if "rows" not in _cache:
        _cache["rows"] = _rvu_rows()
    return _cache["rows"]


def row_2025(code: str) -> dict[str, str]:
    return _RVUS()[(code, "")]


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def pr(result: ClaimResult, n: int) -> dict[str, Decimal]:
    return {a.carc: a.amount for a in result.lines[n - 1].adjustments if a.group is Group.PR}


def codes(result: ClaimResult) -> list[str]:
    return [f.code for f in result.findings]


# -- deductible year per line ----------------------------------------------------------------


@needs_files
def test_each_line_takes_its_own_calendar_years_deductible(engine):
    """99213 on 2025-12-30 and on 2026-01-05 in one claim; the 2025 deductible is already met."""
    claim = make_claim(
        line("99213", day=dt.date(2025, 12, 30), charge=Decimal("300.00")),
        line("99213", day=dt.date(2026, 1, 5), charge=Decimal("300.00")),
        accumulators=(Accumulators(year=2025, deductible_met=Decimal("257.00")),),
    )
    session = Session()
    result = engine.adjudicate(claim, "medicare", session=session)
    fee25 = fee_2025("99213")
    fee26 = fee_2026_starter("1.30", "1.46", "0.09")  # starter CY2026 99213 row (CMS-1832-F)
    assert [ln.allowed for ln in result.lines] == [fee25, fee26]
    # 2025: deductible met, 20% coinsurance; 2026: the whole allowed amount goes to the $283 deductible
    assert pr(result, 1) == {"2": cents(fee25 * Decimal("0.2"))}
    assert pr(result, 2) == {"1": fee26}
    # the 2026 deductible this claim used is remembered for the member's next 2026 claim
    later = make_claim(line("99213", day=dt.date(2026, 2, 2), charge=Decimal("300.00")), id="V-2")
    second = engine.adjudicate(later, "medicare", session=session)
    assert pr(second, 1) == {"1": fee26}
    third_claim = make_claim(line("99213", day=dt.date(2026, 2, 9), charge=Decimal("300.00")), id="V-3")
    third = engine.adjudicate(third_claim, "medicare", session=session)
    left = Decimal("283.00") - 2 * fee26
    assert pr(third, 1) == {"1": left, "2": cents((fee26 - left) * Decimal("0.2"))}


def test_a_year_without_a_known_deductible_is_pended(engine):
    """The starter pack names the deductibles it knows; another year is pended, not guessed."""
    from payer_rules.context import Context
    from payer_rules.results import PricedLine, Pricing, Source
    from payer_rules_medicare.cost_sharing import adjudicate_claim
    from payer_rules_medicare.starter import load_starter

    starter = attrs.evolve(load_starter(), deductible={2025: Decimal("257.00")})
    claim = make_claim(line("99213", day=dt.date(2025, 12, 30)), line("99213", day=dt.date(2026, 1, 5)))
    pricing = Pricing(
        lines=(PricedLine(line=1, allowed=Decimal("100")), PricedLine(line=2, allowed=Decimal("100"))),
        source=Source(name="test", version="0"),
    )
    context = Context(payer=engine.payer("medicare"), received_date=dt.date(2026, 3, 1))
    adjudication = adjudicate_claim(claim, context, pricing, starter)
    assert [a.line for a in adjudication.lines] == [1]
    (pend,) = adjudication.findings
    assert (pend.code, pend.line, pend.severity) == ("MCR600", 2, "pend")
    assert dict(adjudication.accumulated_by_year) == {
        2025: {"deductible": Decimal("100"), "out_of_pocket": Decimal("100")}
    }


# -- preventive services -----------------------------------------------------------------------


@needs_files
@pytest.mark.parametrize("code", ["G0439", "G0438", "G0402"])
def test_wellness_visits_carry_no_cost_sharing_with_the_starter_pack(engine, code):
    claim = make_claim(line(code, charge=Decimal("400.00")), place_of_service="11")
    result = engine.adjudicate(claim, "medicare")
    expected = fee_2025(code)
    assert result.lines[0].allowed == expected
    assert pr(result, 1) == {}
    assert result.patient_responsibility == 0
    # only the 2% sequestration comes off the payment
    assert result.lines[0].paid == expected - cents(expected * Decimal("0.02"))
    assert "MCR601" in codes(result)


@needs_files
def test_a_problem_visit_beside_the_awv_takes_the_deductible(engine):
    claim = make_claim(line("G0439", charge=Decimal("400.00")), line("99213", "25", charge=Decimal("200.00")))
    result = engine.adjudicate(claim, "medicare")
    assert pr(result, 1) == {}
    assert pr(result, 2) == {"1": fee_2025("99213")}  # all of it to the $257 deductible


@needs_files
def test_screening_colonoscopy_g0121_has_no_cost_sharing(engine, with_bundle):
    claim = make_claim(line("G0121", place_of_service="22"))
    result = engine.adjudicate(claim, "medicare")
    assert result.lines[0].allowed == fee_2025("G0121", facility=True)
    assert pr(result, 1) == {}


@needs_files
def test_colonoscopy_pt_waives_the_deductible_and_takes_the_years_coinsurance(engine, with_bundle):
    claim = make_claim(line("45385", "PT", place_of_service="22"))
    result = engine.adjudicate(claim, "medicare")
    fee = fee_2025("45385", facility=True)
    assert result.lines[0].allowed == fee
    assert pr(result, 1) == {"2": cents(fee * Decimal("0.15"))}  # 2025: 15%, no deductible
    assert "MCR602" in codes(result)
    # without PT: the deductible first
    plain = engine.adjudicate(make_claim(line("45385", place_of_service="22")), "medicare")
    assert pr(plain, 1) == {"1": Decimal("257.00"), "2": cents((fee - Decimal("257.00")) * Decimal("0.2"))}


@pytest.mark.parametrize(
    ("year", "percent"),
    [
        (2021, "20"),
        (2022, "20"),
        (2023, "15"),
        (2025, "15"),
        (2026, "15"),
        (2027, "10"),
        (2029, "10"),
        (2030, "0"),
    ],
)
def test_pt_coinsurance_follows_the_caa_2021_schedule(year, percent):
    """SSA §1833(dd)(2): Medicare pays 80% in 2022, 85% 2023-2026, 90% 2027-2029, 100% from 2030."""
    assert load_preventive().pt_coinsurance(dt.date(year, 6, 1)) == Decimal(percent)


def test_pt_applies_to_surgery_codes_and_the_listed_others_only():
    listed = load_preventive()
    assert all(listed.pt_applies(c) for c in ("45385", "45380", "G0500", "00811", "99153"))
    assert not any(listed.pt_applies(c) for c in ("99213", "70000", "0001F", "G0121X"))


@needs_files
def test_advance_care_planning_with_the_awv_and_modifier_33(engine, with_bundle):
    claim = make_claim(line("G0439", charge=Decimal("400.00")), line("99497", "33", charge=Decimal("200.00")))
    result = engine.adjudicate(claim, "medicare")
    assert pr(result, 2) == {}
    alone = engine.adjudicate(make_claim(line("99497", "33", charge=Decimal("200.00"))), "medicare")
    assert pr(alone, 1) == {"1": fee_2025("99497")}


# -- global surgery ------------------------------------------------------------------------------

KNEE = dt.date(2025, 6, 2)  # 27447, total knee arthroplasty: GLOB DAYS 090
OTHER = Provider(npi="1245319599", taxonomy="207R00000X")  # another physician, internal medicine


def status(result: ClaimResult, n: int) -> tuple[str, list[str]]:
    ln = result.lines[n - 1]
    return str(ln.status), [f"{a.group}-{a.carc}" for a in ln.adjustments if a.carc not in ("45", "253")]


def line_codes(result: ClaimResult, n: int) -> list[str]:
    return [f.code for f in result.findings if f.line == n]


@needs_files
def test_global_days_and_shares_come_from_the_rvu_file(with_bundle):
    from payer_rules_medicare.global_surgery import global_days
    from payer_rules_medicare.imported import imported
    from payer_rules_medicare.mpfs.schedule import schedule_for
    from payer_rules_medicare.starter import load_starter

    tables, starter = imported(), load_starter()
    for code in ("27447", "10060", "20610", "99213", "G0121"):
        assert global_days(code, KNEE, tables, starter) == row_2025(code)["GLOB DAYS"]
    schedule = schedule_for(KNEE, tables, starter)
    assert schedule is not None
    knee = schedule.row("27447")
    assert knee is not None
    assert (knee.pre_op, knee.intra_op, knee.post_op) == tuple(
        Decimal(row_2025("27447")[c]) for c in ("PRE OP", "INTRA OP", "POST OP")
    )


@needs_files
@pytest.mark.parametrize(
    ("modifiers", "expected"),
    [((), "MCR620"), (("25",), "MCR620"), (("57",), None), (("FT",), None)],
)
def test_visit_on_the_day_of_a_major_surgery(engine, with_bundle, modifiers, expected):
    claim = make_claim(
        line("27447", day=KNEE, place_of_service="22"),
        line("99213", *modifiers, day=KNEE, place_of_service="22", charge=Decimal("200.00")),
        place_of_service="22",
    )
    result = engine.adjudicate(claim, "medicare")
    if expected:
        assert line_codes(result, 2) == [expected]
        assert status(result, 2) == ("denied", ["CO-97"])
        assert result.lines[1].rarcs == ("M144",) and result.lines[1].paid == 0
    else:
        assert status(result, 2)[0] == "paid"
        assert result.lines[1].allowed == fee_2025("99213", facility=True)
    assert result.lines[0].allowed == fee_2025("27447", facility=True)


@needs_files
def test_visit_the_day_before_a_major_surgery_needs_57(engine, with_bundle):
    day_before = KNEE - dt.timedelta(days=1)
    claim = make_claim(line("27447", day=KNEE), line("99213", day=day_before, charge=Decimal("200.00")))
    assert line_codes(engine.adjudicate(claim, "medicare"), 2) == ["MCR620"]
    claim = make_claim(line("27447", day=KNEE), line("99213", "57", day=day_before, charge=Decimal("200.00")))
    assert line_codes(engine.adjudicate(claim, "medicare"), 2) == []


@needs_files
def test_post_operative_visit_ten_days_later_from_the_runs_history(engine, with_bundle):
    session = Session()
    surgery = make_claim(line("27447", day=KNEE, place_of_service="22"), id="S-1", place_of_service="22")
    assert engine.adjudicate(surgery, "medicare", session=session).status == "paid"
    later = KNEE + dt.timedelta(days=10)
    visit = make_claim(line("99213", day=later, charge=Decimal("200.00")), id="S-2")
    result = engine.adjudicate(visit, "medicare", session=session)
    assert line_codes(result, 1) == ["MCR621"]
    assert status(result, 1) == ("denied", ["CO-97"]) and result.lines[0].rarcs == ("M144",)
    assert "claim S-1" in result.findings[0].message
    unrelated = make_claim(line("99213", "24", day=later, charge=Decimal("200.00")), id="S-3")
    ok = engine.adjudicate(unrelated, "medicare", session=session)
    assert status(ok, 1)[0] == "paid" and ok.lines[0].allowed == fee_2025("99213")
    # another physician of another specialty is not bound by the surgeon's package
    other = make_claim(line("99213", day=later, charge=Decimal("200.00")), id="S-4", rendering_provider=OTHER)
    assert status(engine.adjudicate(other, "medicare", session=session), 1)[0] == "paid"
    # the same group and specialty is
    partner = Provider(npi="1245319599", taxonomy=SURGEON.taxonomy)
    colleague = make_claim(
        line("99213", day=later + dt.timedelta(days=1), charge=Decimal("200.00")),
        id="S-5",
        rendering_provider=partner,
    )
    assert line_codes(engine.adjudicate(colleague, "medicare", session=session), 1) == ["MCR621"]
    # day 91 is outside the package
    after = make_claim(line("99213", day=KNEE + dt.timedelta(days=91), charge=Decimal("200.00")), id="S-6")
    assert status(engine.adjudicate(after, "medicare", session=session), 1)[0] == "paid"


@needs_files
def test_post_operative_visit_from_the_claims_own_history_across_the_new_year(engine, with_bundle):
    """A 2025-12-15 knee replacement on file; a 2026-01-05 visit (CY2026 starter fees) is in its period."""
    prior = PriorService(
        claim_id="OLD-1",
        service_date=dt.date(2025, 12, 15),
        procedure="27447",
        provider_npi=SURGEON.npi,
    )
    visit = make_claim(line("99213", day=dt.date(2026, 1, 5), charge=Decimal("200.00")), history=(prior,))
    result = engine.adjudicate(visit, "medicare")
    assert line_codes(result, 1) == ["MCR621"] and "claim OLD-1" in result.findings[0].message
    with_24 = make_claim(
        line("99213", "24", day=dt.date(2026, 1, 5), charge=Decimal("200.00")), history=(prior,)
    )
    paid = engine.adjudicate(with_24, "medicare")
    assert paid.lines[0].allowed == fee_2026_starter("1.30", "1.46", "0.09")


@needs_files
def test_minor_procedures_same_day_needs_25_and_ten_day_period(engine, with_bundle):
    # 20610 (arthrocentesis, 000): only the day of the procedure
    same_day = make_claim(line("20610"), line("99213", charge=Decimal("200.00")))
    assert line_codes(engine.adjudicate(same_day, "medicare"), 2) == ["MCR620"]
    with_25 = make_claim(line("20610"), line("99213", "25", charge=Decimal("200.00")))
    assert line_codes(engine.adjudicate(with_25, "medicare"), 2) == []
    tomorrow = KNEE + dt.timedelta(days=1)
    next_day = make_claim(line("20610"), line("99213", day=tomorrow, charge=Decimal("200.00")))
    assert line_codes(engine.adjudicate(next_day, "medicare"), 2) == []
    # 10060 (incision and drainage, 010): the day of and ten days after
    for offset, expected in ((5, ["MCR621"]), (10, ["MCR621"]), (11, [])):
        claim = make_claim(
            line("10060"), line("99213", day=KNEE + dt.timedelta(days=offset), charge=Decimal("200.00"))
        )
        assert line_codes(engine.adjudicate(claim, "medicare"), 2) == expected, offset


@needs_files
def test_procedure_in_the_post_operative_period_needs_58_78_or_79(engine, with_bundle):
    prior = PriorService(claim_id="OLD-2", service_date=KNEE, procedure="27447", provider_npi=SURGEON.npi)
    day = KNEE + dt.timedelta(days=20)
    plain = make_claim(line("20610", day=day), history=(prior,))
    assert line_codes(engine.adjudicate(plain, "medicare"), 1) == ["MCR622"]
    for modifier in ("58", "79"):
        claim = make_claim(line("20610", modifier, day=day), history=(prior,))
        result = engine.adjudicate(claim, "medicare")
        assert line_codes(result, 1) == [] and result.lines[0].allowed == fee_2025("20610")


@needs_files
def test_split_care_is_priced_with_the_pre_intra_post_shares(engine, with_bundle):
    fee = fee_2025("27447", facility=True)
    row = row_2025("27447")
    pre, intra, post = (Decimal(row[c]) for c in ("PRE OP", "INTRA OP", "POST OP"))
    claim = make_claim(
        line("27447", "54", place_of_service="22"),
        line("27447", "55", place_of_service="22", day=KNEE + dt.timedelta(days=3)),
        line("27447", "78", place_of_service="22", day=KNEE + dt.timedelta(days=30)),
        place_of_service="22",
    )
    result = engine.adjudicate(claim, "medicare")
    allowed = [ln.allowed for ln in result.lines]
    assert allowed == [cents(fee * (pre + intra)), cents(fee * post), cents(fee * intra)]
    assert "PRE OP + INTRA OP share 79%" in result.lines[0].basis
    # a code with no post-operative period cannot be split: CO-4
    bad = engine.adjudicate(make_claim(line("99213", "54", charge=Decimal("200.00"))), "medicare")
    assert line_codes(bad, 1) == ["MCR623"] and status(bad, 1) == ("denied", ["CO-4"])


# -- assignment ------------------------------------------------------------------------------------

NON_PAR = attrs.evolve(BILLING, participating=False)


@needs_files
@pytest.mark.parametrize("day", [dt.date(2025, 6, 2), dt.date(2026, 2, 3)])
def test_unassigned_non_par_claim_over_the_limiting_charge(engine, day):
    fee = fee_2025("99213") if day.year == 2025 else fee_2026_starter("1.30", "1.46", "0.09")
    non_par = cents(fee * Decimal("0.95"))  # the non-participating fee schedule amount
    limit = cents(non_par * Decimal("1.15"))  # the limiting charge
    claim = make_claim(
        line("99213", day=day, charge=Decimal("200.00")),
        billing_provider=NON_PAR,
        accept_assignment=False,
        rendering_provider=Provider(npi="1987654328", taxonomy="207Q00000X"),
    )
    result = engine.adjudicate(claim, "medicare")
    assert result.lines[0].allowed == non_par
    (over,) = [f for f in result.findings if f.code == "MCR641"]
    assert over.line == 1 and over.severity == "warn"
    assert f"limiting charge {limit}" in over.message and f"({Decimal('200.00') - limit})" in over.message
    (to_patient,) = [f for f in result.findings if f.code == "MCR640"]
    assert to_patient.line is None and to_patient.rarcs == ("MA28",)
    # at the limiting charge: nothing to refund; the money never changes
    at_limit = engine.adjudicate(
        attrs.evolve(claim, lines=(line("99213", day=day, charge=limit),)), "medicare"
    )
    assert "MCR641" not in codes(at_limit) and at_limit.lines[0].paid == result.lines[0].paid
    # the same provider accepting assignment: no limiting charge, nothing to the patient
    assigned = engine.adjudicate(attrs.evolve(claim, accept_assignment=True), "medicare")
    assert not {"MCR640", "MCR641"} & set(codes(assigned))


def test_mandatory_assignment_and_participating_providers_are_processed_as_assigned(engine):
    npp = Provider(npi="1987654328", taxonomy="363LF0000X")  # nurse practitioner
    claim = make_claim(
        line("99213", charge=Decimal("900.00"), rendering_provider=npp),
        line("82947", charge=Decimal("90.00")),
        billing_provider=NON_PAR,
        accept_assignment=False,
        diagnoses=(Diagnosis(code="E11.9"),),
    )
    result = engine.adjudicate(claim, "medicare", received_date=dt.date(2025, 7, 1))
    assert sorted((f.code, f.line) for f in result.findings if f.code.startswith("MCR64")) == [
        ("MCR642", 1),
        ("MCR642", 2),
    ]
    par = engine.adjudicate(make_claim(line("99213"), accept_assignment=False), "medicare")
    assert [f.code for f in par.findings if f.code.startswith("MCR64")] == ["MCR642"]


@needs_files
def test_split_care_packages_and_78_79(engine, with_bundle):
    # the physician who billed 55 (post-operative care only) has no same-day package, but the post-op one
    post_only = PriorService(
        claim_id="POST-1", service_date=KNEE, procedure="27447", modifiers=("55",), provider_npi=SURGEON.npi
    )
    same_day = make_claim(line("99213", charge=Decimal("200.00")), history=(post_only,))
    assert line_codes(engine.adjudicate(same_day, "medicare"), 1) == []
    later = make_claim(
        line("99213", day=KNEE + dt.timedelta(days=30), charge=Decimal("200.00")), history=(post_only,)
    )
    assert line_codes(engine.adjudicate(later, "medicare"), 1) == ["MCR621"]
    # the surgeon who billed 54 gave up the post-operative care
    surgery_only = attrs.evolve(post_only, modifiers=("54",))
    assert line_codes(engine.adjudicate(attrs.evolve(later, history=(surgery_only,)), "medicare"), 1) == []
    # a 78 return to the operating room starts no new package; a 79 procedure does
    knee = PriorService(claim_id="K-1", service_date=KNEE, procedure="27447", provider_npi=SURGEON.npi)
    for modifier, expected in (("78", []), ("79", ["MCR621"])):
        redo = attrs.evolve(
            knee, claim_id="K-2", modifiers=(modifier,), service_date=KNEE + dt.timedelta(days=80)
        )
        visit = make_claim(
            line("99213", day=KNEE + dt.timedelta(days=100), charge=Decimal("200.00")), history=(knee, redo)
        )
        assert line_codes(engine.adjudicate(visit, "medicare"), 1) == expected, modifier
