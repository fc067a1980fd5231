"""Every hook and every installed rule kind is documented (README hook table, docs/rulepacks.md)."""

from __future__ import annotations

import re

from payer_rules import hookspecs
from payer_rules.plugins import get_plugin_manager
from payer_rules.rulepack.plugin import collect_kinds

from .conftest import ROOT
from .readme_blocks import readme_section


def test_every_hook_is_in_the_readme_hook_table():
    table = readme_section("Hook reference")
    documented = set(re.findall(r"^\| `(\w+)\(", table, re.M))
    specs = {name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "payer_rules_spec")}
    assert specs, "no hook specifications found"
    assert specs - documented == set(), "add these hooks to the README hook table"
    assert documented - specs == set(), "the README documents hooks that do not exist"


def test_every_installed_rule_kind_is_in_docs_rulepacks():
    text = (ROOT / "docs" / "rulepacks.md").read_text(encoding="utf-8")
    kinds_table = text[text.index("## Kinds") :]
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", kinds_table, re.M))
    installed = set(collect_kinds(get_plugin_manager()))
    assert installed - documented == set(), "add these kinds to the table in docs/rulepacks.md"
