"""The session's history: what a judged claim leaves behind for the member's later claims."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from payer_rules.context import Context, Session, _prior_service
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


def test_a_session_for_one_claim_keeps_no_history_and_judges_alike():
    """The service judges a single-claim request with ``keeps_history=False``: the claim gets
    the result it gets in a session that keeps history, and nothing is left behind."""
    engine = Engine.from_installed()
    claim = make_claim(
        lines=[
            {"procedure": "99213", "charge": Decimal("100.00")},
            {"procedure": "99213", "charge": Decimal("100.00")},
        ],
        diagnoses=("E11.9",),
    )
    kept, dropped = Session(), Session(keeps_history=False)
    assert engine.adjudicate(claim, "medicare", session=dropped) == engine.adjudicate(
        claim, "medicare", session=kept
    )
    assert len(kept.services("medicare", claim.member_key)) == 2
    assert dropped.services("medicare", claim.member_key) == ()


def test_the_date_index_answers_as_a_scan_of_the_whole_history_would():
    """history_on / history_between give exactly the services a filter over history() gives,
    in the same order: the claim's own history first, then this run's, each as kept (claims
    judged out of date order included)."""
    engine = Engine.from_installed()
    session = Session()
    days = [dt.date(2026, 3, d) for d in (5, 1, 9, 1, 5, 20, 2)]  # out of order on purpose
    for n, day in enumerate(days):
        claim = make_claim(
            f"D{n}",
            lines=[
                {"procedure": "99213", "charge": Decimal("100.00"), "service_date": day},
                {"procedure": "36415", "charge": Decimal("10.00"), "service_date": day},
            ],
        )
        engine.adjudicate(claim, "medicare", session=session)
    own = tuple(
        PriorService(claim_id=f"H{d}", service_date=dt.date(2026, 3, d), procedure="97110")
        for d in (9, 1, 14, 5)
    )
    claim = make_claim("NEW", history=own)
    context = Context(payer=engine.payer("medicare"), received_date=dt.date(2026, 4, 1), session=session)
    everything = context.history(claim)
    for wanted in ({dt.date(2026, 3, 1)}, {dt.date(2026, 3, 5), dt.date(2026, 3, 9)}, {dt.date(2026, 4, 1)}):
        assert context.history_on(claim, wanted) == [p for p in everything if p.service_date in wanted]
    for start, end in (
        (dt.date(2026, 3, 1), dt.date(2026, 3, 5)),
        (dt.date(2026, 3, 2), dt.date(2026, 3, 30)),
    ):
        assert context.history_between(claim, start, end) == [
            p for p in everything if start <= p.service_date <= end
        ]
