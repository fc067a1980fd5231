"""NCCI PTP and MUE from CMS's real excerpts; timely filing, duplicates and prior authorization.

``../shared/data/ncci`` holds the first 160 lines of the 2026 Q3 practitioner PTP file
(``ccipra-v322r0-f1``) and the first 44 codes of the July 2026 practitioner MUE table; tests on
them skip, saying so, when absent. Behaviour the excerpts do not show (an active indicator-0
edit, a MAI 1 line edit) is tested on small hand-written files in the same layouts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial
from pathlib import Path

import attrs
import pytest

from payer_rules.context import Session
from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.models import (
    Claim,
    ClaimType,
    Frequency,
    PriorService,
    Provider,
)
from payer_rules.store import ImportOptions
from payer_rules_medicare.ncci.mue import import_mue
from payer_rules_medicare.ncci.ptp import bypasses, import_ptp, version_of

from .builders import physician_claim, service_line

NCCI = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ncci"
PTP_FILE = NCCI / "ccipra-v322r0-f1.excerpt.txt"
MUE_FILE = NCCI / "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv"

DAY = dt.date(2026, 7, 15)
OTHER_DOCTOR = Provider(npi="1234567893")


make_claim = partial(physician_claim, id="N-1", received_date=dt.date(2026, 8, 1))
line = partial(service_line, day=DAY, charge=Decimal("100.00"))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def denied_by(engine: Engine, claim: Claim, code: str, session: Session | None = None) -> list[int]:
    result = engine.adjudicate(claim, "medicare", session=session)
    return sorted(f.line or 0 for f in result.findings if f.code == code)


@pytest.fixture(scope="module")
def real_ncci(tmp_path_factory) -> Path:
    if not (PTP_FILE.exists() and MUE_FILE.exists()):
        pytest.skip(f"the real NCCI excerpts are not under {NCCI}")
    directory = tmp_path_factory.mktemp("ncci-real")
    report = import_ptp([PTP_FILE], ImportOptions(data_dir=directory))
    assert (report.rows, report.version, report.effective_from) == (
        154,
        "practitioner v322r0",
        dt.date(2026, 7, 1),
    )
    report = import_mue([MUE_FILE], ImportOptions(data_dir=directory))
    assert (report.rows, report.effective_from) == (44, dt.date(2026, 7, 1))
    return directory


@pytest.fixture
def with_real(real_ncci, monkeypatch) -> Path:
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(real_ncci))
    return real_ncci


# -- PTP on the real excerpt -------------------------------------------------------------------


def test_version_names_the_quarter():
    assert version_of(Path("ccipra-v322r0-f1.txt")) == ("v322r0", dt.date(2026, 7, 1))
    assert version_of(Path("ccipra-v310r0-f4.txt")) == ("v310r0", dt.date(2025, 1, 1))


def test_column_two_is_denied_co_236_even_for_unpriced_lab_codes(engine, with_real):
    # 0001U / 0030U: active (deletion '*'), modifier indicator 1, effective 2018-07-01
    claim = make_claim(line("0001U"), line("0030U"))
    result = engine.adjudicate(claim, "medicare")
    (ptp,) = [f for f in result.findings if f.code == "MCR301"]
    assert (ptp.line, ptp.group, ptp.carc) == (2, "CO", "236")
    assert "0001U/0030U" in ptp.message and "Misuse of Column Two code" in ptp.message
    assert result.lines[1].status == "denied"
    assert [(a.group, a.carc) for a in result.lines[1].adjustments] == [("CO", "236")]
    # the order of the lines does not matter: column 2 is denied wherever it is
    assert denied_by(engine, make_claim(line("0030U"), line("0001U")), "MCR301") == [1]


@pytest.mark.parametrize("modifier", ["59", "XU", "91", "25", "79", "F1"])
def test_indicator_1_is_bypassed_by_an_ncci_associated_modifier_on_either_line(engine, with_real, modifier):
    assert denied_by(engine, make_claim(line("0001U"), line("0030U", modifier)), "MCR301") == []
    assert denied_by(engine, make_claim(line("0001U", modifier), line("0030U")), "MCR301") == []


@pytest.mark.parametrize("modifier", ["26", "GA", "76", "QW"])
def test_other_modifiers_do_not_bypass(engine, with_real, modifier):
    assert denied_by(engine, make_claim(line("0001U"), line("0030U", modifier)), "MCR301") == [2]


def test_anatomic_modifiers_bypass_only_for_different_sites():
    assert bypasses(["LT"], ["RT"]) and bypasses([], ["RT"])
    assert not bypasses(["RT"], ["RT"])


def test_same_patient_provider_and_date_only(engine, with_real):
    other_doctor = line("0030U", rendering_provider=OTHER_DOCTOR)
    assert denied_by(engine, make_claim(line("0001U"), other_doctor), "MCR301") == []
    next_day = line("0030U", day=DAY + dt.timedelta(days=1))
    assert denied_by(engine, make_claim(line("0001U"), next_day), "MCR301") == []


def test_effective_and_deletion_dates_and_indicator_0(engine, with_real):
    # 0001A / 36591: indicator 0, effective 2022-01-01, deleted 2023-12-31
    def on(day: dt.date, *mods: str) -> list[int]:
        claim = make_claim(line("0001A", day=day), line("36591", *mods, day=day), received_date=day)
        return denied_by(engine, claim, "MCR301")

    assert on(dt.date(2023, 12, 31), "59") == [2]  # indicator 0: no modifier bypasses it
    assert on(dt.date(2024, 1, 1)) == []  # after the deletion date
    assert on(dt.date(2021, 12, 31)) == []  # before the effective date
    assert on(dt.date(2022, 1, 1)) == [2]


def test_indicator_9_means_the_edit_does_not_apply(engine, with_real):
    # 0001A / 90473: indicator 9 (deleted retroactively, effective = deletion = 2022-01-01)
    claim = make_claim(
        line("0001A", day=dt.date(2022, 1, 1)),
        line("90473", day=dt.date(2022, 1, 1)),
        received_date=dt.date(2022, 2, 1),
    )
    assert denied_by(engine, claim, "MCR301") == []


def test_column_one_on_file_denies_column_two_now(engine, with_real):
    prior = PriorService(claim_id="OLD-1", service_date=DAY, procedure="0001U", provider_npi="1987654328")
    assert denied_by(engine, make_claim(line("0030U"), history=(prior,)), "MCR301") == [1]
    session = Session()
    engine.adjudicate(make_claim(line("0001U")), "medicare", session=session)
    later = make_claim(line("0030U"), id="N-2")
    assert denied_by(engine, later, "MCR301", session) == [1]


# -- PTP on a hand-written file in the official layout ----------------------------------------

PTP_HEADER = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)


def test_an_active_indicator_0_edit_and_parts_of_one_quarter(engine, tmp_path, monkeypatch):
    f1 = tmp_path / "ccipra-v322r0-f1.txt"
    f1.write_text(PTP_HEADER + "99213\t36415\t\t20100101\t*\t0\tMutually exclusive procedures\r\n")
    f2 = tmp_path / "ccipra-v322r0-f2.txt"
    f2.write_text(PTP_HEADER + "99214\t36415\t\t20100101\t*\t1\tStandards of medical / surgical practice\r\n")
    data = tmp_path / "data"
    import_ptp([f1], ImportOptions(data_dir=data))
    report = import_ptp([f2], ImportOptions(data_dir=data))
    assert report.rows == 2  # parts of one quarter add up
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(data))
    assert denied_by(engine, make_claim(line("99213"), line("36415", "59")), "MCR301") == [2]
    assert denied_by(engine, make_claim(line("99214"), line("36415", "59")), "MCR301") == []
    newer = tmp_path / "ccipra-v323r0-f2.txt"
    newer.write_text(
        PTP_HEADER + "99214\t36415\t\t20100101\t*\t1\tStandards of medical / surgical practice\r\n"
    )
    assert import_ptp([newer], ImportOptions(data_dir=data)).rows == 1  # a new quarter replaces the table


def test_a_bad_ptp_row_is_a_located_error(tmp_path):
    bad = tmp_path / "ccipra-v322r0-f1.txt"
    bad.write_text(PTP_HEADER + "99213\t36415\t\t20100101\t*\t0\tx\r\n99213\t364\t\t20100101\t*\t7\tx\r\n")
    with pytest.raises(InputError, match=r"ccipra-v322r0-f1.txt:8: bad PTP edit 99213/364"):
        import_ptp([bad], ImportOptions(data_dir=tmp_path / "d"))


# -- MUE on the real excerpt -------------------------------------------------------------------


def test_date_of_service_mue_adds_units_across_lines(engine, with_real):
    # 0001U: MUE 1, "2 Date of Service Edit: Policy"
    result = engine.adjudicate(make_claim(line("0001U", units=Decimal(2))), "medicare")
    (mue,) = [f for f in result.findings if f.code == "MCR302"]
    assert (mue.group, mue.carc, mue.rarcs) == ("CO", "151", ("N362",))
    assert result.lines[0].status == "denied"  # the whole line, not the units over the limit
    split = make_claim(line("0001U"), line("0001U", "91"))
    assert denied_by(engine, split, "MCR302") == [1, 2]
    assert denied_by(engine, make_claim(line("0001U")), "MCR302") == []
    # 0002M: MUE 1, "3 Date of Service Edit: Clinical"; units on file that day count too
    prior = PriorService(claim_id="OLD-1", service_date=DAY, procedure="0002M", provider_npi="1987654328")
    assert denied_by(engine, make_claim(line("0002M"), history=(prior,)), "MCR302") == [1]
    assert (
        denied_by(
            engine, make_claim(line("0002M", day=DAY + dt.timedelta(days=1)), history=(prior,)), "MCR302"
        )
        == []
    )


def test_mue_release_applies_from_its_effective_date(engine, with_real):
    before = make_claim(line("0001U", units=Decimal(3), day=dt.date(2026, 6, 30)))
    assert denied_by(engine, before, "MCR302") == []


def test_line_edit_compares_each_line(engine, tmp_path, monkeypatch):
    table = tmp_path / "MCR_MUE_PractitionerServices_Eff_01-01-2026.csv"
    table.write_text(
        '"AMA notice\r\n\r\nmore notice",,,\r\n'
        '"HCPCS/\r\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\r\n'
        "36415,2,1 Line Edit,Clinical: Data\r\n"
    )
    data = tmp_path / "data"
    import_mue([table], ImportOptions(data_dir=data))
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(data))
    assert denied_by(engine, make_claim(line("36415", units=Decimal(3))), "MCR302") == [1]
    # two lines of 2 units each pass a line edit
    two = make_claim(line("36415", units=Decimal(2)), line("36415", "91", units=Decimal(2)))
    assert denied_by(engine, two, "MCR302") == []


def test_a_bad_mue_row_is_a_located_error(tmp_path):
    table = tmp_path / "MCR_MUE_PractitionerServices_Eff_01-01-2026.csv"
    table.write_text(
        '"HCPCS/\r\nCPT Code",MUE Values,MUE Adjudication Indicator,MUE Rationale\r\n'
        "36415,two,1 Line Edit,x\r\n"
    )
    with pytest.raises(InputError, match=r"Eff_01-01-2026.csv:3: expected an MUE row"):
        import_mue([table], ImportOptions(data_dir=tmp_path / "d"))


# -- timely filing, duplicates, prior authorization ------------------------------------------


def test_timely_filing_is_twelve_months_from_the_date_of_service(engine):
    visit = line("99213", day=dt.date(2026, 2, 3))
    on_time = make_claim(visit, received_date=dt.date(2027, 2, 3))
    late = make_claim(visit, received_date=dt.date(2027, 2, 4))
    assert denied_by(engine, on_time, "MCR401") == []
    result = engine.adjudicate(late, "medicare")
    assert result.status == "denied" and [(f.code, f.group, f.carc) for f in result.findings] == [
        ("MCR401", "CO", "29")
    ]


def test_duplicates_in_the_batch_and_against_history(engine):
    visit = line("99213", day=dt.date(2026, 2, 3))
    claim = make_claim(visit, received_date=dt.date(2026, 3, 1))
    session = Session()
    first = engine.adjudicate(claim, "medicare", session=session)
    again = engine.adjudicate(attrs.evolve(claim, id="N-2"), "medicare", session=session)
    assert first.status == "paid"
    (dup,) = again.findings
    assert (dup.code, dup.group, dup.carc) == ("MCR402", "OA", "18") and "claim N-1" in dup.message
    # within one claim, and against the history on file
    assert denied_by(engine, make_claim(visit, visit, received_date=dt.date(2026, 3, 1)), "MCR402") == [2]
    prior = PriorService(
        claim_id="OLD", service_date=dt.date(2026, 2, 3), procedure="99213", provider_npi="1987654328"
    )
    assert denied_by(engine, attrs.evolve(claim, history=(prior,)), "MCR402") == [1]
    # a repeat (76/77/91), another provider, or the replacement of the claim on file is not a duplicate
    assert (
        denied_by(
            engine,
            make_claim(visit, attrs.evolve(visit, modifiers=("76",)), received_date=dt.date(2026, 3, 1)),
            "MCR402",
        )
        == []
    )
    assert (
        denied_by(
            engine, attrs.evolve(claim, history=(attrs.evolve(prior, provider_npi="1234567893"),)), "MCR402"
        )
        == []
    )
    replacement = attrs.evolve(
        claim, id="N-3", frequency=Frequency.REPLACEMENT, original_claim_id="OLD", history=(prior,)
    )
    assert denied_by(engine, replacement, "MCR402") == []


def test_prior_authorization_lists(engine):
    facet = line("64490", day=dt.date(2026, 2, 3))
    outpatient = make_claim(facet, claim_type=ClaimType.INSTITUTIONAL, received_date=dt.date(2026, 3, 1))
    result = engine.adjudicate(outpatient, "medicare")
    (pa,) = [f for f in result.findings if f.code == "MCR501"]
    assert (pa.group, pa.carc, result.lines[0].status) == ("CO", "197", "denied")
    assert denied_by(engine, attrs.evolve(outpatient, prior_authorizations=("UTN123",)), "MCR501") == []
    # the OPD list binds the hospital's claim, not the physician's
    assert denied_by(engine, attrs.evolve(outpatient, claim_type=ClaimType.PROFESSIONAL), "MCR501") == []
    # before the facet joint program began (2023-07-01)
    early = attrs.evolve(
        outpatient,
        lines=(attrs.evolve(facet, service_date=dt.date(2023, 6, 30)),),
        received_date=dt.date(2023, 7, 5),
    )
    assert denied_by(engine, early, "MCR501") == []
    # DMEPOS required prior authorization list
    surface = make_claim(line("E0193", day=dt.date(2026, 2, 3)), received_date=dt.date(2026, 3, 1))
    assert denied_by(engine, surface, "MCR501") == [1]


@pytest.mark.parametrize(
    ("code", "day", "required"),
    [
        ("L1833", dt.date(2024, 8, 11), True),  # on the 2022 orthoses list until 2024-08-12
        ("L1833", dt.date(2024, 8, 12), False),  # removed from the list that day
        ("L0631", dt.date(2024, 8, 11), False),  # added 2024-08-12
        ("L0631", dt.date(2024, 8, 12), True),
        ("L1932", dt.date(2026, 4, 12), False),  # added nationwide 2026-04-13
        ("L1932", dt.date(2026, 4, 13), True),
    ],
)
def test_dmepos_orthoses_prior_authorization_follows_the_list_dates(code, day, required):
    """DME MAC orthoses pages (CGS J-B; Noridian): the Required Prior Authorization List by date."""
    from payer_rules_medicare.claims_edits import load_prior_auth

    assert (load_prior_auth().requirement(code, day, institutional=False) is not None) is required
