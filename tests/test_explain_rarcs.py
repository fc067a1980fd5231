"""``payer-rules explain CODE`` lists every remark code the rule can send.

A rule registers its default RARCs (on every finding) and the ones it sends on some findings
only (``RuleInfo.other_rarcs``): MCR010 names a rendering or referring provider's bad NPI by
N290 / N286 instead of N257; an NCD rule (MCR101) adds M38 when a signed ABN (GA) is on file.
The example claims, plus the office-visit example with bad billing, rendering and referring NPIs and the NCD
example with GA, bring them out; each code any finding carries must be in ``explain``'s list.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from attrs import evolve
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.engine import Engine
from payer_rules.io.readers import read_path
from payer_rules.models import Claim, Provider

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def sent() -> dict[str, set[str]]:
    """The RARCs each rule's findings carried, over the example claims and every payer."""
    engine = Engine.from_installed()
    claims = [
        c
        for pattern in ("*.json", "*.837")
        for path in sorted(EXAMPLES.rglob(pattern))
        for c in read_path(str(path))
        if isinstance(c, Claim)
    ]
    assert len(claims) > 40
    [office] = [
        c for c in read_path(str(EXAMPLES / "claims" / "01-office-visit-2026.json")) if isinstance(c, Claim)
    ]
    bad = "1234567890"  # 123456789 takes check digit 3 (Luhn with the 80840 prefix), so 0 fails
    claims.append(
        evolve(
            office,
            id="BAD-NPIS",
            billing_provider=evolve(office.billing_provider, npi=bad),
            rendering_provider=Provider(npi=bad, name="Rendering"),
            referring_provider=Provider(npi=bad, name="Referring"),
        )
    )
    found: dict[str, set[str]] = defaultdict(set)
    ncd: list[tuple[Claim, int]] = []
    for claim in claims:
        for _, result in engine.adjudicate_pairs([claim], sorted(engine.payers)):
            for f in result.findings:
                found[f.code].update(f.rarcs)
                if f.code == "MCR101" and f.line is not None:
                    ncd.append((claim, f.line))
    assert ncd, "an example claim brings out MCR101 (NCD 190.20)"
    for claim, n in ncd:  # the same service with a signed ABN on file (GA): the patient is liable
        line = claim.lines[n - 1]
        lines = list(claim.lines)
        lines[n - 1] = evolve(line, modifiers=(*line.modifiers, "GA"))
        for f in engine.adjudicate(
            evolve(claim, id=f"{claim.id}-GA", lines=tuple(lines)), "medicare"
        ).findings:
            found[f.code].update(f.rarcs)
    return found


def explained(code: str) -> tuple[list[str], list[str], str]:
    runner = CliRunner()
    as_json = runner.invoke(cli, ["explain", code, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    text = runner.invoke(cli, ["explain", code])
    assert text.exit_code == 0, text.output
    return data["rarcs"], data["other_rarcs"], text.output


def test_the_cases_that_send_other_codes_are_brought_out(sent) -> None:
    assert {"N257", "N290", "N286"} <= sent["MCR010"]
    assert "M38" in sent["MCR101"]


def test_explain_lists_every_remark_code_each_rule_sent(sent) -> None:
    missing = {}
    for code, rarcs in sorted(sent.items()):
        if not rarcs:
            continue
        default, other, text = explained(code)
        listed = set(default) | set(other)
        if rarcs - listed:
            missing[code] = sorted(rarcs - listed)
        for rarc in rarcs:
            assert rarc in text, (code, rarc)
    assert missing == {}


def test_the_default_codes_on_findings_are_unchanged() -> None:
    """Registering the other codes changes what explain lists, not what a finding carries."""
    engine = Engine.from_installed()
    assert engine.rule("MCR010").rarcs == ("N257",)
    assert engine.rule("MCR010").finding("x").rarcs == ("N257",)
    default, other, text = explained("MCR010")
    assert default == ["N257"] and other == ["N290", "N286"]
    assert "Also sends: N290 N286" in text
    default, other, _ = explained("MCR101")
    assert "M38" not in default and other == ["M38"]
