"""pytest support for policy teams and plugin authors: run rulepack cases as test items.

Installed with payer-rules as a ``pytest11`` plugin, so a policy team's repository needs one
line of configuration::

    [tool.pytest.ini_options]
    payer_rules_rulepacks = ["rulepacks"]

Every ``*.toml`` pack under those directories becomes a test file, each case of each rule a
test item (``MCR101[an ankle sprain does not: provider liable]``); a pack that does not load is
one failing item with the located error. Rule kinds from installed plugins are available.
Fixtures: ``rulepack_kinds`` (every kind the installed plugins offer).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from payer_rules.rulepack.kinds import KindTable, RuleKind
    from payer_rules.rulepack.loader import Pack

INI = "payer_rules_rulepacks"
_KINDS = pytest.StashKey["KindTable"]()
_PACKS = pytest.StashKey[list["Pack"]]()
_PRICER = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI, type="paths", default=[], help="directories whose *.toml rulepacks' cases run as tests"
    )


def _kinds(config: pytest.Config) -> KindTable:
    if _KINDS not in config.stash:
        from payer_rules.plugins import get_plugin_manager
        from payer_rules.rulepack.plugin import collect_kinds

        config.stash[_KINDS] = collect_kinds(get_plugin_manager())
    return config.stash[_KINDS]


def _reference_packs(config: pytest.Config) -> list[Pack]:
    """Every loadable pack under the configured roots, for ``percent-of-reference``."""
    if _PACKS not in config.stash:
        from payer_rules.rulepack.loader import find_packs, load_pack
        from payer_rules.rulepack.problems import RulepackError

        packs = []
        for path in find_packs([p for p in config.getini(INI) if Path(p).exists()]):
            try:
                packs.append(load_pack(path, _kinds(config)))
            except RulepackError:
                continue  # reported by that file's own item
        config.stash[_PACKS] = packs
    return config.stash[_PACKS]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".toml" or file_path.name == "payer.toml":  # payer definitions are not packs
        return None
    for root in parent.config.getini(INI):
        if file_path.is_relative_to(Path(root)):
            return RulepackFile.from_parent(parent, path=file_path)
    return None


def _reference_pricer(config: pytest.Config) -> Any:
    """The installed plugins' ``reference_price``, from one engine per session (``None`` if it fails)."""
    if _PRICER not in config.stash:
        from payer_rules.engine import Engine
        from payer_rules.errors import PayerRulesError

        try:
            config.stash[_PRICER] = Engine.from_installed().reference_price
        except PayerRulesError:
            config.stash[_PRICER] = None
    return config.stash[_PRICER]


class RulepackFile(pytest.File):
    """A pack file: one item per case, or one failing item if it does not load."""

    def collect(self) -> Iterator[pytest.Item]:
        from payer_rules.rulepack.evaluator import compile_packs
        from payer_rules.rulepack.loader import lint_cases, load_pack
        from payer_rules.rulepack.problems import RulepackError

        kinds = _kinds(self.config)
        try:
            pack = load_pack(self.path, kinds)
            lint = lint_cases([pack])
            if lint:
                raise RulepackError(lint)
        except RulepackError as exc:
            yield RulepackErrorItem.from_parent(self, name="load", error=str(exc))
            return
        compiled: dict[str, Any] = {}
        for rule in pack.rules:
            if str(rule.status) == "removed":
                continue
            for index, case in enumerate(rule.cases):
                payer = case.payer or (pack.meta.payers[0] if pack.meta.payers else "case-payer")
                if payer not in compiled:
                    try:
                        compiled[payer] = compile_packs(
                            [pack], kinds, reference_packs=_reference_packs(self.config), only_payer=payer
                        )
                    except RulepackError as exc:
                        yield RulepackErrorItem.from_parent(self, name="compile", error=str(exc))
                        return
                yield RulepackCaseItem.from_parent(
                    self,
                    name=f"{rule.code}[{case.name}]",
                    pack=pack,
                    rule=rule,
                    index=index,
                    compiled=compiled[payer],
                )


class RulepackCaseFailure(Exception):
    """A case whose findings differ from what it expects."""


class RulepackCaseItem(pytest.Item):
    def __init__(self, *, pack: Pack, rule: Any, index: int, compiled: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pack = pack
        self.rule = rule
        self.index = index
        self.compiled = compiled

    def runtest(self) -> None:
        from payer_rules.rulepack.cases import run_case

        result = run_case(
            self.compiled,
            self.pack,
            self.rule,
            self.index,
            self.rule.cases[self.index],
            reference_pricer=_reference_pricer(self.config),
        )
        if result.skipped:
            pytest.skip(result.detail)
        if not result.passed:
            raise RulepackCaseFailure(f"{result.location}: {result.title}: {result.detail}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RulepackCaseFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        line = self.pack.rule_line(self.pack.rules.index(self.rule), "cases", self.index)
        return self.path, (line - 1) if line else None, f"{self.rule.code} case {self.index + 1}"


class RulepackErrorItem(pytest.Item):
    """Stands for a pack that does not load: fails with the located problems."""

    def __init__(self, *, error: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise RulepackCaseFailure(self.error)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return self.path, None, "rulepack"


@pytest.fixture(scope="session")
def rulepack_kinds(request: pytest.FixtureRequest) -> dict[str, RuleKind]:
    """Every rule kind the installed plugins offer, by name."""
    return dict(_kinds(request.config).items())
