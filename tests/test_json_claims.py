"""Reading claim JSON: well-formed claims build models, every problem is located by its JSON path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from payer_rules.errors import InputError
from payer_rules.io.json_claims import structure_claim
from payer_rules.models import Claim


def _claim(**changes: object) -> dict[str, object]:
    claim: dict[str, object] = {
        "id": "C-1",
        "patient": {"id": "P1", "birth_date": "1950-06-01", "sex": "F"},
        "coverage": {"payer_id": "medicare", "member_id": "M1"},
        "billing_provider": {"npi": "1234567893", "address": {"zip": "94110"}},
        "diagnoses": [{"code": "E11.9"}, {"code": "I10"}],
        "lines": [
            {"procedure": "99213", "charge": "150.00", "service_date": "2026-03-02"},
            {"procedure": "82947", "charge": 25, "service_date": "2026-03-02", "modifiers": ["qw"]},
        ],
    }
    claim.update(changes)
    return claim


def test_a_well_formed_claim_reads_into_models():
    claim = structure_claim(_claim(), "c.json:1")
    assert isinstance(claim, Claim)
    assert claim.patient.birth_date == dt.date(1950, 6, 1)
    assert [d.code for d in claim.diagnoses] == ["E119", "I10"]
    assert claim.lines[1].charge == Decimal(25) and claim.lines[1].modifiers == ("QW",)
    assert claim.rendering_provider is None and claim.billing_provider.address is not None


def test_problems_in_several_list_items_and_optional_fields_are_each_located():
    data = _claim(
        patient={"id": "P1", "birth_date": "1950-02-30"},
        lines=[
            {"procedure": "99213", "charge": "150.00", "service_date": "2026-03-02"},
            {"procedure": "82947", "charge": "lots", "service_date": "2026-03-02"},
            {"procedure": "82947", "charge": "5.00", "service_date": "03/02/2026"},
        ],
    )
    error = structure_claim(data, "c.json:1")
    assert isinstance(error, InputError)
    text = str(error)
    assert text.startswith("c.json:1: claim C-1")
    assert "$.patient.birth_date" in text and "2026-03-02" not in text
    assert "$.lines[1].charge" in text and "$.lines[2].service_date" in text
    assert "$.lines[0]" not in text


def test_a_list_where_a_list_belongs_and_nothing_else():
    # neither an object's keys nor a string's characters are taken for the items
    error = structure_claim(_claim(diagnoses={"code": "E11.9"}), "c.json:1")
    assert str(error) == "c.json:1: claim C-1: expected a list, got an object @ $.diagnoses"
    lines = [{"procedure": "99213", "charge": "1.00", "service_date": "2026-03-02", "modifiers": "GA"}]
    error = structure_claim(_claim(lines=lines), "c.json:1")
    assert str(error) == "c.json:1: claim C-1: expected a list, got 'GA' @ $.lines[0].modifiers"
    error = structure_claim(_claim(lines=[]), "c.json:1")
    assert isinstance(error, InputError) and "lines" in str(error)
