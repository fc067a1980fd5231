"""Facility claims against the state programs: each state names its inpatient and outpatient method
(``[[institutional]]`` in its state.toml) and the claim pends with it (ENG005), never priced from
the professional fee schedule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from payer_rules.claim_kinds import ClaimKind
from payer_rules.engine import Engine
from payer_rules.io.readers import read_claims
from payer_rules.models import Claim
from payer_rules.results import ClaimStatus, LineStatus
from payer_rules.rulepack.problems import RulepackError
from payer_rules_medicaid.state import BUILTIN_STATES, load_state

ROOT = Path(__file__).resolve().parents[3]
OUTPATIENT = ROOT / "examples" / "x12" / "outpatient-hospital.837"
INPATIENT = ROOT / "examples" / "x12" / "institutional.837"

#: state -> (words of the inpatient method, words of the outpatient method, a citation each)
NAMED = {
    "medicaid-ca": ("APR-DRG", "fee-for-service rates", "W&I Code §14105.28", "DHCS Medi-Cal rates"),
    "medicaid-ny": (
        "APR-DRG",
        "Ambulatory Patient Groups (APG)",
        "10 NYCRR Subpart 86-1",
        "10 NYCRR Subpart 86-8",
    ),
    "medicaid-tx": ("APR-DRG", "1 TAC §355.8061", "1 TAC §355.8052", "1 TAC §355.8061"),
    "medicaid-fl": ("APR-DRG", "Enhanced Ambulatory Patient Groups (EAPG)", "§409.905(5)(c)", "R. 59G-6.031"),
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def only_claim(path: Path) -> Claim:
    [claim] = [c for c in read_claims([str(path)]) if isinstance(c, Claim)]
    return claim


@pytest.mark.parametrize("payer", sorted(NAMED))
def test_each_state_names_its_inpatient_and_outpatient_method(engine, payer):
    inpatient_words, outpatient_words, inpatient_cite, outpatient_cite = NAMED[payer]
    info = engine.payer(payer)
    assert ClaimKind.INPATIENT not in info.claim_kinds
    inpatient, outpatient = info.hint(ClaimKind.INPATIENT), info.hint(ClaimKind.OUTPATIENT_HOSPITAL)
    assert inpatient is not None and outpatient is not None
    assert inpatient_words in inpatient.method and inpatient_cite in inpatient.citation
    assert outpatient_words in outpatient.method and outpatient_cite in outpatient.citation


@pytest.mark.parametrize("payer", sorted(NAMED))
@pytest.mark.parametrize("path", [OUTPATIENT, INPATIENT], ids=["outpatient", "inpatient"])
def test_a_facility_claim_pends_with_the_states_method(engine, payer, path):
    claim = only_claim(path)
    result = engine.adjudicate(claim, payer)
    assert result.status is ClaimStatus.PENDED and result.paid == result.allowed == 0
    assert {ln.status for ln in result.lines} == {LineStatus.PENDED}
    eng005 = [f for f in result.findings if f.code == "ENG005"]
    assert [f.line for f in eng005] == list(range(1, len(claim.lines) + 1))
    kind = ClaimKind.OUTPATIENT_HOSPITAL if path is OUTPATIENT else ClaimKind.INPATIENT
    hint = engine.payer(payer).hint(kind)
    assert hint is not None
    assert f"is paid under {hint.method}" in eng005[0].message
    assert "payer-rules-medicaid prices professional claims only so far" in eng005[0].message
    assert eng005[0].source.citation == hint.citation


def test_an_unknown_kind_in_state_toml_is_located(tmp_path):
    folder = tmp_path / "zz"
    shutil.copytree(BUILTIN_STATES / "tx", folder)
    text = (folder / "state.toml").read_text().replace('kind = "outpatient-hospital"', 'kind = "outpatient"')
    (folder / "state.toml").write_text(text)
    with pytest.raises(RulepackError) as exc:
        load_state(folder)
    line = text.splitlines().index('kind = "outpatient"') + 1
    assert (
        f"state.toml:{line}: [[institutional]]: kind 'outpatient' is not a claim kind; did you mean "
        in str(exc.value)
    )
