"""Every CARC / RARC the installed rules send has its published words (payer_rules.codesets.remittance).

``tests/test_web_routes.py`` checks the codes each registered rule names; a rule may also send
codes it chooses per case (MCR010 names the provider whose NPI fails, MCR101 adds M38 when an ABN
is on file), so these tests look at what the rules actually send.
"""

from __future__ import annotations

import pytest
from attrs import evolve

from payer_rules.codesets.remittance import CARC, GROUPS, RARC, describe_carc, describe_group, describe_rarc
from payer_rules.engine import Engine
from payer_rules.io.readers import read_path
from payer_rules.models import Claim, Provider
from payer_rules.results import ClaimResult

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


def _codes(results: list[ClaimResult]) -> tuple[set[str], set[str], set[str]]:
    carcs: set[str] = set()
    rarcs: set[str] = set()
    groups: set[str] = set()
    for r in results:
        for f in r.findings:
            carcs.update([f.carc] if f.carc else [])
            rarcs.update(f.rarcs)
            groups.update([str(f.group)] if f.group else [])
        for ln in r.lines:
            rarcs.update(ln.rarcs)
            for a in ln.adjustments:
                carcs.add(a.carc)
                groups.add(str(a.group))
    return carcs, rarcs, groups


def test_every_code_the_example_claims_bring_out_has_words(engine: Engine) -> None:
    claims = [
        c
        for pattern in ("*.json", "*.837")
        for path in sorted(EXAMPLES.rglob(pattern))
        for c in read_path(str(path))
        if isinstance(c, Claim)
    ]
    assert len(claims) > 40
    results = [r for c in claims for _, r in engine.adjudicate_pairs([c], sorted(engine.payers))]
    carcs, rarcs, groups = _codes(results)
    assert len(carcs) > 10 and len(rarcs) > 5  # the examples exercise many rules
    assert sorted(c for c in carcs if describe_carc(c) is None) == []
    assert sorted(r for r in rarcs if describe_rarc(r) is None) == []
    assert sorted(g for g in groups if describe_group(g) is None) == []


def test_an_invalid_npi_names_the_provider_by_its_own_remark_code(engine: Engine) -> None:
    """MCR010 sends N257 (billing), N290 (rendering) or N286 (referring), each with words."""
    [claim] = [
        c for c in read_path(str(EXAMPLES / "claims" / "01-office-visit-2026.json")) if isinstance(c, Claim)
    ]
    bad = "1234567890"  # 123456789 takes check digit 3 (Luhn with the 80840 prefix), so 0 fails
    claim = evolve(
        claim,
        billing_provider=evolve(claim.billing_provider, npi=bad),
        rendering_provider=Provider(npi=bad, name="Rendering"),
        referring_provider=Provider(npi=bad, name="Referring"),
    )
    result = engine.adjudicate(claim, "medicare")
    sent = {r for f in result.findings if f.code == "MCR010" for r in f.rarcs}
    assert sent == {"N257", "N290", "N286"}
    assert all(describe_rarc(r) for r in sent)


def test_the_words_are_descriptions_not_the_lists_usage_notes() -> None:
    for text in (*CARC.values(), *RARC.values()):
        assert "Usage:" not in text and "835 Healthcare Policy" not in text, text
        assert "(paraphrase)" not in text or text.endswith("(paraphrase)"), text
    assert set(GROUPS) == {"CO", "PR", "OA", "PI", "CR"}
