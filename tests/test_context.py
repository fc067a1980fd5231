"""The session's history: what a judged claim leaves behind for the member's later claims."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from payer_rules.context import Session, _prior_service
from payer_rules.engine import Engine
from payer_rules.models import PriorService, Provider

from .helpers import make_claim


def test_a_history_record_filled_in_directly_is_the_record_the_class_builds():
    values = dict(
        claim_id="C-1",
        service_date=dt.date(2026, 3, 2),
        procedure="99213",
        modifiers=("25", "GA"),
        units=Decimal(2),
        charge=Decimal("150.00"),
        provider_npi="1234567893",
        provider_tax_id="12-3456789",
        provider_taxonomy="207Q00000X",
        payer_id="medicare",
        status="paid:line1",
    )
    direct = _prior_service(*values.values())
    built = PriorService(**values)  # type: ignore[arg-type]
    assert direct == built and hash(direct) == hash(built) and repr(direct) == repr(built)
    assert list(values) == [a.name for a in attrs.fields(PriorService)]  # declaration order


def test_remembered_lines_keep_what_the_claim_said_and_how_each_line_ended():
    engine = Engine.from_installed()
    session = Session()
    claim = make_claim(
        lines=[
            {"procedure": "99213", "charge": Decimal("100.00"), "modifiers": ("25",)},
            {
                "procedure": "82947",
                "charge": Decimal("25.00"),
                "units": Decimal(2),
                "rendering_provider": Provider(npi="1245319599", taxonomy="207Q00000X"),
            },
        ],
        diagnoses=("E11.9",),
        billing_provider=Provider(npi="1234567893", tax_id="12-3456789"),
    )
    result = engine.adjudicate(claim, "medicare", session=session)
    history = session.services("medicare", claim.member_key)
    assert [p.procedure for p in history] == [ln.procedure for ln in claim.lines]
    for number, (prior, line, outcome) in enumerate(zip(history, claim.lines, result.lines, strict=True), 1):
        assert prior == PriorService(
            claim_id=claim.id,
            service_date=line.service_date,
            procedure=line.procedure,
            modifiers=line.modifiers,
            units=line.units,
            charge=line.charge,
            provider_npi=claim.rendering_for(line).npi,
            provider_tax_id=claim.billing_provider.tax_id,
            provider_taxonomy=claim.rendering_for(line).taxonomy,
            payer_id="medicare",
            status=f"{outcome.status}:line{number}",
        )
