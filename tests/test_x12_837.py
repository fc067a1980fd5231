"""837P / 837I in: delimiters, loops, codes, located errors, round trips."""

from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal

import pytest

from payer_rules.errors import InputError
from payer_rules.io.readers import read_claims, read_text
from payer_rules.io.x12.reader_837.walk import Reader
from payer_rules.io.x12.segments import Segment, X12Error, tokenize
from payer_rules.io.x12.writer_837 import claims_to_837
from payer_rules.models import (
    Claim,
    ClaimType,
    CodeSystem,
    Coverage,
    Diagnosis,
    Frequency,
    OtherCoverage,
    OtherPayerAdjustment,
    OtherPayment,
    Person,
    Procedure,
    Provider,
    Relationship,
)

from .conftest import EXAMPLES
from .helpers import make_claim

PROFESSIONAL = (EXAMPLES / "x12" / "professional.837").read_text()
INSTITUTIONAL = (EXAMPLES / "x12" / "institutional.837").read_text()


def read(text: str, name: str = "t.837") -> list[Claim | InputError]:
    return list(read_text(text, name))


def claims_of(items: list[Claim | InputError]) -> list[Claim]:
    bad = [i for i in items if isinstance(i, InputError)]
    assert not bad, [str(b) for b in bad]
    return [i for i in items if isinstance(i, Claim)]


def errors_of(items: list[Claim | InputError]) -> list[str]:
    return [str(i) for i in items if isinstance(i, InputError)]


def test_delimiters_come_from_the_isa():
    text = PROFESSIONAL.replace("*", "|").replace(":", ">").replace("~", "!")
    text = text.replace("|^|", "|+|")  # ISA11 repetition separator
    assert [c.id for c in claims_of(read(text))] == [c.id for c in claims_of(read(PROFESSIONAL))]


def test_segments_are_numbered_from_the_isa():
    segs = [s for s in tokenize(PROFESSIONAL) if isinstance(s, Segment)]
    assert segs[0].id == "ISA" and segs[0].number == 1
    assert segs[2].id == "ST" and segs[2].number == 3


def test_837p_maps_loops_and_codes():
    by_id = {c.id: c for c in claims_of(read(PROFESSIONAL))}
    assert set(by_id) == {c.id for c in read_claims([str(EXAMPLES / "claims")]) if isinstance(c, Claim)}
    c = by_id["CLM-1001"]
    assert c.claim_type is ClaimType.PROFESSIONAL
    assert c.billing_provider.npi == "1234567893" and c.billing_provider.taxonomy == "207Q00000X"
    assert c.billing_provider.tax_id == "941234567"
    assert c.rendering_provider is not None and c.rendering_provider.npi == "1987654328"
    assert c.rendering_provider.taxonomy == "207Q00000X"
    assert c.service_facility_zip == "94110"
    assert c.received_date == dt.date(2026, 2, 10)  # BHT04
    assert c.coverage.member_id == "1EG4TE5MK72" and c.coverage.filing_indicator == "MB"
    assert c.diagnoses == (Diagnosis(code="I10"),)
    assert c.lines[0].procedure == "99213" and c.lines[0].charge == Decimal(150)
    ga = by_id["CLM-1004"].lines[0]
    assert ga.modifiers == ("GA",)


def test_837i_reads_institutional_fields():
    [c] = claims_of(read(INSTITUTIONAL))
    assert c.claim_type is ClaimType.INSTITUTIONAL
    assert c.bill_type == "111"
    assert c.diagnoses[0].code == "K3580" and c.diagnoses[0].present_on_admission == "Y"
    assert c.admitting_diagnosis == Diagnosis(code="R1031")
    assert c.procedures[0] == Procedure(code="0DTJ4ZZ", date=dt.date(2026, 3, 2))
    assert c.lines[0].revenue_code == "0120" and c.lines[0].code_system is CodeSystem.REVENUE
    assert c.lines[1].procedure == "36415" and c.lines[1].revenue_code == "0300"
    assert (c.admission_type, c.admission_source, c.discharge_status) == ("1", "7", "01")
    assert c.statement_from == dt.date(2026, 3, 1) and c.statement_to == dt.date(2026, 3, 4)
    assert c.attending_provider is not None and c.attending_provider.npi == "1987654328"


def _roundtrip_claim(**fields: object) -> Claim:
    base = make_claim(
        "RT-1",
        lines=[
            {
                "procedure": "99214",
                "charge": Decimal("220.00"),
                "modifiers": ("25",),
                "diagnosis_pointers": (1, 2),
                "unit_basis": "UN",  # SV103 always states the basis
            },
            {
                "procedure": "82947",
                "charge": Decimal("25.00"),
                "units": Decimal(2),
                "unit_basis": "UN",
                "service_date_end": dt.date(2026, 2, 4),
            },
        ],
        diagnoses=("E119", "I10"),
        patient=Person(id="M1", last_name="DOE", first_name="JANE", birth_date=dt.date(1950, 1, 1)),
        coverage=Coverage(payer_id="medicare", member_id="M1", filing_indicator="MB"),
        billing_provider=Provider(npi="1234567893", name="CLINIC"),
        prior_authorizations=("AUTH1",),
    )
    from attrs import evolve

    return evolve(base, **fields)


def test_837p_round_trip():
    claim = _roundtrip_claim(
        frequency=Frequency.REPLACEMENT,
        original_claim_id="ORIG-9",
        referring_provider=Provider(npi="1987654328", name="ANA REYES"),
    )
    [back] = claims_of(read(claims_to_837([claim])))
    assert back == claim


def test_837p_round_trip_dependent_with_cob():
    claim = _roundtrip_claim(
        subscriber=Person(id="M1", last_name="DOE", first_name="JOHN"),
        patient=Person(
            id="M1-DOE-JUNE-2010-05-05", last_name="DOE", first_name="JUNE", birth_date=dt.date(2010, 5, 5)
        ),
        coverage=Coverage(
            payer_id="medicare",
            member_id="M1",
            relationship=Relationship.CHILD,
            filing_indicator="CI",
            other_coverage=(
                OtherCoverage(
                    payer_id="ACME",
                    member_id="M1",
                    priority="primary",
                    payment=OtherPayment(
                        paid=Decimal("150.00"),
                        paid_date=dt.date(2026, 2, 8),
                        adjustments=(OtherPayerAdjustment(group="PR", carc="1", amount=Decimal("20.00")),),
                        line_paid=(Decimal("150.00"), Decimal("0")),
                        line_adjustments=(
                            (OtherPayerAdjustment(group="CO", carc="45", amount=Decimal("70.00")),),
                            (),
                        ),
                    ),
                ),
            ),
        ),
    )
    [back] = claims_of(read(claims_to_837([claim])))
    assert back == claim


def test_837i_round_trip():
    [claim] = claims_of(read(INSTITUTIONAL))
    [back] = claims_of(read(claims_to_837([claim])))
    assert back == claim


def test_frequency_void_and_prior_auth():
    claim = _roundtrip_claim(frequency=Frequency.VOID, original_claim_id="X1")
    [back] = claims_of(read(claims_to_837([claim])))
    assert back.frequency is Frequency.VOID and back.original_claim_id == "X1"
    assert back.prior_authorizations == ("AUTH1",)


# -- bad input: located errors, the other claims still judged ----------------------------------------


def test_bad_date_fails_only_its_claim():
    items = read(PROFESSIONAL.replace("DTP*472*D8*20260203", "DTP*472*D8*20260230"))
    errors = errors_of(items)
    assert len(errors) == 1
    assert errors[0].startswith("t.837: segment ")
    assert (
        "(DTP*472*D8*20260230): claim CLM-1001: '20260230' is not a real date; expected CCYYMMDD" in errors[0]
    )
    assert len([i for i in items if isinstance(i, Claim)]) == len(claims_of(read(PROFESSIONAL))) - 1


def test_se_count_mismatch_is_located():
    text = PROFESSIONAL.replace("SE*27*0001", "SE*25*0001", 1)
    assert "SE*27*0001" in PROFESSIONAL
    errors = errors_of(read(text))
    assert errors == [
        next(e for e in errors if "SE01 says the transaction set has 25 segments, but it has 27" in e)
    ]
    assert errors[0].startswith("t.837: segment ") and "(SE*25*0001)" in errors[0]


def test_truncated_interchange():
    cut = (
        PROFESSIONAL[: PROFESSIONAL.index("CLM*CLM-1003")]
        + "CLM*CLM-1003*25***11:B:1*Y*A*Y*Y~\nLX*1~\nSV1*HC:8"
    )
    items = read(cut)
    errors = errors_of(items)
    assert any("the last segment is not terminated by '~': the interchange is cut short" in e for e in errors)
    assert any("CLM-1003" in e and "cut short" in e for e in errors)
    assert {c.id for c in items if isinstance(c, Claim)} == {"CLM-1001", "CLM-1002"}


def test_wrong_terminator():
    text = PROFESSIONAL.replace("~\n", "\n").replace(":\n", ":~\n", 1)
    errors = errors_of(read(text))
    assert errors and "line break inside a segment" in errors[0]


def test_missing_billing_provider_loop():
    text = PROFESSIONAL.replace("NM1*85*2*Mission Family Medicine*****XX*1234567893~", "", 1)
    errors = errors_of(read(text))
    assert "no billing provider (loop 2010AA NM1*85) above this claim" in errors[0]
    assert "CLM-1001" in errors[0]


def test_not_an_isa():
    errors = errors_of(read("ISA*00*short~"))
    assert errors and "ISA is cut short" in errors[0]


def test_charge_total_must_match_lines():
    errors = errors_of(read(PROFESSIONAL.replace("CLM*CLM-1001*150*", "CLM*CLM-1001*151*")))
    assert "CLM02 total charge 151 is not the sum of the line charges 150" in errors[0]


@pytest.mark.parametrize("transaction", ["835", "270"])
def test_other_transactions_are_refused(transaction):
    text = PROFESSIONAL.replace("ST*837*0001*005010X222A1", f"ST*{transaction}*0001*005010X222A1", 1)
    errors = errors_of(read(text))
    assert f"transaction set '{transaction}' is not a claim; expected 837" in errors[0]


def test_tokenizer_reports_bad_segment_ids():
    bad = [s for s in tokenize(PROFESSIONAL.replace("N4*San", "n4*San", 1)) if isinstance(s, X12Error)]
    assert bad and "'n4' is not a segment id" in str(bad[0])


@pytest.mark.parametrize(
    ("clm07", "clm08", "accept", "benefits"),
    [("A", "Y", True, True), ("C", "N", False, False), ("B", "W", False, False), ("", "", True, True)],
)
def test_clm07_assignment_and_clm08_benefits_are_read(clm07, clm08, accept, benefits):
    text = PROFESSIONAL.replace(
        "CLM*CLM-1001*150***11:B:1*Y*A*Y*Y~", f"CLM*CLM-1001*150***11:B:1*Y*{clm07}*{clm08}*Y~"
    )
    claim = next(c for c in claims_of(read(text)) if c.id == "CLM-1001")
    assert (claim.accept_assignment, claim.benefits_assigned) == (accept, benefits)


def test_a_bad_clm07_is_located_and_unassigned_claims_round_trip():
    text = PROFESSIONAL.replace("CLM*CLM-1001*150***11:B:1*Y*A*Y*Y~", "CLM*CLM-1001*150***11:B:1*Y*X*Y*Y~")
    (error,) = errors_of(read(text))
    assert "CLM07 assignment code 'X' is not A (assigned)" in error
    claim = _roundtrip_claim(accept_assignment=False, benefits_assigned=False)
    [back] = claims_of(read(claims_to_837([claim])))
    assert back == claim


def test_nm109_is_an_npi_only_when_nm108_says_xx():
    rendering = "NM1*82*1*Reyes*Dr. Ana****XX*1987654328~"
    assert rendering in PROFESSIONAL
    by_id = {
        c.id: c for c in claims_of(read(PROFESSIONAL.replace(rendering, rendering.replace("*XX*", "*24*"))))
    }
    provider = by_id["CLM-1001"].rendering_provider
    assert provider is not None and provider.npi == "" and provider.name == "Dr. Ana Reyes"
    billing = by_id["CLM-1001"].billing_provider
    assert billing.npi == "1234567893"  # NM1*85 ... XX*1234567893 still is one


def test_reading_keeps_no_segments_of_the_claims_read_before():
    """Levels live as long as their transaction set (a later HL may name one as its parent);
    what they keep of their segments must not grow with the claims read."""
    text = claims_to_837(
        [make_claim(f"C{i}", coverage=Coverage(payer_id="test", member_id=f"M{i}")) for i in range(300)]
    )
    assert text.count("ST*837*") == 1  # every claim in one transaction set
    before = sum(1 for o in gc.get_objects() if type(o) is Segment)
    reader = Reader(text, "t.837").read()
    read_before = [next(reader) for _ in range(250)]
    assert all(isinstance(c, Claim) for c in read_before)
    alive = sum(1 for o in gc.get_objects() if type(o) is Segment) - before
    assert alive < 50, alive  # the current claim's and level's; not 4 or 5 for each claim read
    assert len([*read_before, *reader]) == 300
