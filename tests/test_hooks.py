"""Hook semantics, with small test plugins and a fresh plugin manager per test."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payer_rules import distributions, hookimpl
from payer_rules.context import Session
from payer_rules.engine import Engine, Stages
from payer_rules.errors import PluginError, UsageError
from payer_rules.payers import PayerInfo, PayerKind
from payer_rules.plugins import get_plugin_manager
from payer_rules.results import (
    Adjudication,
    Adjustment,
    CaseGroup,
    CasePayment,
    Finding,
    Group,
    LineAdjudication,
    PricedLine,
    Pricing,
    Severity,
    Source,
)

from .helpers import assert_balanced, make_claim

SRC = Source(name="test-plugin", version="9.9")


class PayerPlugin:
    """Owns payer 'acme': every line allowed at 80, 10 copay, records stage order."""

    def __init__(self, payer_id="acme", findings=(), calls=None):
        self.payer_id = payer_id
        self.findings = list(findings)
        self.calls = calls if calls is not None else []

    @hookimpl
    def register_payers(self, register):
        register(PayerInfo(id=self.payer_id, name="Acme", kind=PayerKind.COMMERCIAL))

    @hookimpl
    def validate(self, claim, context):
        self.calls.append("validate")
        return [f for f in self.findings if context.payer.id == self.payer_id]

    @hookimpl
    def authorize(self, claim, context):
        self.calls.append("authorize")
        return ()

    @hookimpl
    def price(self, claim, context):
        self.calls.append("price")
        if context.payer.id != self.payer_id:
            return None
        return Pricing(
            lines=tuple(PricedLine(line=n, allowed=Decimal("80.00")) for n in range(1, len(claim.lines) + 1)),
            source=SRC,
        )

    @hookimpl
    def adjudicate(self, claim, context, pricing):
        self.calls.append("adjudicate")
        if context.payer.id != self.payer_id:
            return None
        return Adjudication(
            lines=tuple(
                LineAdjudication(
                    line=p.line, adjustments=(Adjustment(group=Group.PR, carc="3", amount="10.00"),)
                )
                for p in pricing.lines
            ),
            source=SRC,
            accumulated={"out_of_pocket": Decimal("10.00") * len(pricing.lines)},
        )


def engine_with(*plugins) -> Engine:
    return Engine(get_plugin_manager(plugins=plugins, load_entrypoints=False))


def finding(severity, line=None, code="T001", group=Group.CO, carc="16"):
    return Finding(
        code=code,
        severity=severity,
        message="m",
        source=SRC,
        line=line,
        carc=carc if severity.rank <= Severity.PEND.rank else None,
        group=group if severity.rank <= Severity.PEND.rank else None,
    )


def test_stages_run_in_order_and_money_balances():
    calls: list[str] = []
    engine = engine_with(PayerPlugin(calls=calls))
    result = engine.adjudicate(make_claim(lines=[{"procedure": "99213", "charge": Decimal("100")}]), "acme")
    assert calls == ["validate", "authorize", "price", "adjudicate"]
    assert result.status == "paid"
    assert (result.billed, result.allowed, result.paid, result.patient_responsibility) == (
        Decimal("100.00"),
        Decimal("80.00"),
        Decimal("70.00"),
        Decimal("10.00"),
    )
    assert [(a.group, a.carc, a.amount) for a in result.lines[0].adjustments] == [
        ("CO", "45", Decimal("20.00")),
        ("PR", "3", Decimal("10.00")),
    ]
    assert result.versions["test-plugin"] == "9.9"
    assert_balanced(result)


def test_a_rejecting_validation_stops_the_claim():
    calls: list[str] = []
    engine = engine_with(PayerPlugin(findings=[finding(Severity.REJECT)], calls=calls))
    result = engine.adjudicate(
        make_claim(
            lines=[{"procedure": "A", "charge": Decimal(5)}, {"procedure": "B", "charge": Decimal(7)}]
        ),
        "acme",
    )
    assert calls == ["validate"]
    assert result.status == "rejected"
    assert [ln.status for ln in result.lines] == ["rejected", "rejected"]
    assert result.paid == 0 and result.lines[1].adjustments[0].amount == Decimal("7.00")
    assert_balanced(result)


def test_a_line_denial_denies_only_that_line():
    engine = engine_with(PayerPlugin(findings=[finding(Severity.DENY, line=2, carc="50")]))
    result = engine.adjudicate(
        make_claim(
            lines=[{"procedure": "A", "charge": Decimal(100)}, {"procedure": "B", "charge": Decimal(100)}]
        ),
        "acme",
    )
    assert result.status == "partial"
    assert [ln.status for ln in result.lines] == ["paid", "denied"]
    assert result.lines[1].adjustments == (Adjustment(group=Group.CO, carc="50", amount="100.00"),)
    assert_balanced(result)


def test_a_claim_level_denial_denies_every_line():
    engine = engine_with(PayerPlugin(findings=[finding(Severity.DENY, carc="29")]))
    result = engine.adjudicate(
        make_claim(
            lines=[{"procedure": "A", "charge": Decimal(1)}, {"procedure": "B", "charge": Decimal(2)}]
        ),
        "acme",
    )
    assert result.status == "denied"
    assert {a.carc for ln in result.lines for a in ln.adjustments} == {"29"}


def test_warnings_change_no_money():
    engine = engine_with(PayerPlugin(findings=[finding(Severity.WARN, line=1)]))
    result = engine.adjudicate(make_claim(), "acme")
    assert result.status == "paid" and result.paid == Decimal("70.00")
    assert [f.severity for f in result.findings] == ["warn"]


def test_check_mode_runs_validate_and_authorize_only():
    calls: list[str] = []
    engine = engine_with(PayerPlugin(calls=calls))
    result = engine.adjudicate(make_claim(), "acme", stages=Stages.CHECK)
    assert calls == ["validate", "authorize"]
    assert result.status == "clean" and result.lines[0].status == "clean"


def test_a_payer_no_plugin_prices_is_pended_with_a_reason():
    class NoPricing:
        @hookimpl
        def register_payers(self, register):
            register(PayerInfo(id="bare", name="Bare"))

    result = engine_with(NoPricing()).adjudicate(make_claim(), "bare")
    assert result.status == "pended"
    assert (
        result.findings[0].code == "ENG002"
        and "no installed plugin prices bare" in result.findings[0].message
    )


def test_two_plugins_claiming_one_payer_is_an_error_naming_both():
    class Other(PayerPlugin):
        pass

    with pytest.raises(PluginError, match=r"payer 'acme' is registered twice"):
        engine_with(PayerPlugin(), Other())


def test_a_misspelled_hook_fails_at_load():
    class Typo:
        @hookimpl
        def adjudcate(self, claim, context):
            return None

    with pytest.raises(PluginError, match="adjudcate"):
        engine_with(Typo())


def test_an_unknown_hook_argument_fails_at_load():
    class BadArgs:
        @hookimpl
        def validate(self, claim, contxt):
            return ()

    with pytest.raises(PluginError, match="contxt"):
        engine_with(BadArgs())


def test_unknown_payer_suggests_the_closest():
    engine = engine_with(PayerPlugin())
    with pytest.raises(UsageError, match="did you mean 'acme'"):
        engine.adjudicate(make_claim(), "acmee")


def test_accumulators_carry_across_claims_of_a_session():
    class Deductible(PayerPlugin):
        @hookimpl
        def adjudicate(self, claim, context, pricing):
            met = context.accumulated(claim, 2026, "deductible")
            take = min(Decimal("100") - met, Decimal("80"))
            return Adjudication(
                lines=(
                    LineAdjudication(
                        line=1, adjustments=(Adjustment(group=Group.PR, carc="1", amount=take),)
                    ),
                ),
                source=SRC,
                accumulated={"deductible": take},
            )

    engine = engine_with(Deductible())
    session = Session()
    first = engine.adjudicate(make_claim("A"), "acme", session=session)
    second = engine.adjudicate(make_claim("B"), "acme", session=session)
    assert (first.patient_responsibility, second.patient_responsibility) == (
        Decimal("80.00"),
        Decimal("20.00"),
    )
    assert len(session.services("acme", make_claim().member_key)) == 2


class _FakeDist:
    name = "broken-dist"
    version = "1.0"


class _FakeEntryPoint:
    name = "broken"
    value = "no_such_module_for_payer_rules:plugin"
    group = "payer_rules"
    dist = _FakeDist()

    def load(self):
        raise ImportError("No module named 'no_such_module_for_payer_rules'")


def test_a_plugin_that_fails_to_load_is_a_loud_error(monkeypatch):
    monkeypatch.setattr(distributions, "entry_points", lambda group: [_FakeEntryPoint()])
    with pytest.raises(PluginError, match=r"plugin 'broken' from broken-dist does not load"):
        get_plugin_manager()


def test_the_allow_list_controls_entry_points(monkeypatch):
    monkeypatch.setattr(distributions, "entry_points", lambda group: [_FakeEntryPoint()])
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "")
    assert Engine.from_installed().plugins == ()
    monkeypatch.delenv("PAYER_RULES_LOAD_PLUGINS")
    monkeypatch.setenv("PAYER_RULES_DISABLE_PLUGINS", "broken")
    assert Engine.from_installed().plugins == ()


def test_installed_medicare_plugin_is_discovered_through_its_entry_point():
    engine = Engine.from_installed()
    assert engine.payers["medicare"].provider.startswith("payer-rules-medicare@")
    info = next(p for p in engine.plugins if p.name == "medicare")
    assert {"validate", "price", "adjudicate", "register_payers"} <= set(info.hooks)


def test_a_payer_can_price_as_a_percentage_of_the_medicare_reference():
    class PercentOfMedicare(PayerPlugin):
        @hookimpl
        def price(self, claim, context):
            if context.payer.id != self.payer_id:
                return None
            reference = context.reference_price("medicare", claim, 1)
            assert reference is not None
            return Pricing(
                lines=(PricedLine(line=1, allowed=reference.allowed * Decimal("1.5")),), source=SRC
            )

    engine = Engine(get_plugin_manager(plugins=[PercentOfMedicare()]))
    claim = make_claim(
        lines=[{"procedure": "99213", "charge": Decimal("300.00")}],
        service_facility_zip="94110",
    )
    result = engine.adjudicate(claim, "acme")
    assert result.allowed == Decimal("176.37")  # 150% of Medicare's CY2026 San Francisco $117.58


def test_hook_reference_case_and_group_case_reach_the_asking_payer():
    """A payer paying per case asks another plugin for the case's group and its reference
    payment through the engine, whoever owns them; unowned schemes and references answer None."""
    seen: dict[str, object] = {}

    class Reference:
        @hookimpl
        def reference_case(self, reference, claim, context):
            if reference != "toy-reference":
                return None
            case = CasePayment(drg="100", weight=Decimal("1.5"), amount=Decimal("1000.00"))
            return Pricing(lines=(), source=SRC, case=case)

        @hookimpl
        def group_case(self, scheme, claim, context):
            return CaseGroup(scheme=scheme, code="100", weight=Decimal("1.5")) if scheme == "toy" else None

    class PerCase(PayerPlugin):
        @hookimpl
        def price(self, claim, context):
            if context.payer.id != self.payer_id:
                return None
            seen["group"] = context.group_case("toy", claim)
            seen["unowned"] = (context.group_case("other", claim), context.reference_case("other", claim))
            reference = context.reference_case("toy-reference", claim)
            assert reference is not None and reference.case is not None
            allowed = reference.case.amount * Decimal("1.2")
            return Pricing(lines=(PricedLine(line=1, allowed=allowed),), source=SRC)

    engine = Engine(get_plugin_manager(plugins=[PerCase(), Reference()]))
    result = engine.adjudicate(make_claim(lines=[{"procedure": "A", "charge": Decimal("5000.00")}]), "acme")
    assert result.allowed == Decimal("1200.00")
    assert seen["group"] == CaseGroup(scheme="toy", code="100", weight=Decimal("1.5"))
    assert seen["unowned"] == (None, None)


def test_denied_lines_never_reach_cost_sharing():
    seen: list[tuple[int, ...]] = []

    class Recording(PayerPlugin):
        @hookimpl
        def adjudicate(self, claim, context, pricing):
            seen.append(tuple(p.line for p in pricing.lines))
            return super().adjudicate(claim, context, pricing)

    engine = engine_with(Recording(findings=[finding(Severity.DENY, line=1, carc="50")]))
    claim = make_claim(
        lines=[{"procedure": "A", "charge": Decimal(100)}, {"procedure": "B", "charge": Decimal(100)}]
    )
    result = engine.adjudicate(claim, "acme")
    assert seen == [(2,)]
    assert result.lines[0].status == "denied" and result.lines[1].status == "paid"


def test_a_plugin_failing_on_one_claim_gives_an_error_result_and_the_batch_goes_on(monkeypatch):
    class Fragile(PayerPlugin):
        @hookimpl
        def validate(self, claim, context):
            if claim.id == "BOOM":
                raise KeyError("no such code table")
            return ()

    engine = engine_with(Fragile())
    claims = [make_claim("A"), make_claim("BOOM"), make_claim("C")]
    results = list(engine.adjudicate_many(claims, ["acme"]))
    assert [r.status for r in results] == ["paid", "error", "paid"]
    (finding,) = results[1].findings
    assert finding.code == "ENG004" and "KeyError" in finding.message and results[1].claim_id == "BOOM"
    monkeypatch.setenv("PAYER_RULES_DEBUG", "1")
    with pytest.raises(KeyError):
        list(engine.adjudicate_many(claims, ["acme"]))
