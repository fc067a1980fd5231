"""Fuzz rulepacks and importer files through the CLI (``rulepack check``, ``data import``).

For every input: exit 0, 1 or 2, no traceback, every error line located (the file, and a line
where one can be known) and bounded, within a time bound; a failed import leaves the dataset
imported before it in force.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from payer_rules.cli import cli
from payer_rules.cli.state import get_engine
from payer_rules.engine import Engine
from payer_rules.errors import LINE_CHARS, PayerRulesError
from payer_rules.store import ImportOptions

from ..conftest import EXAMPLES
from .conftest import clock, examples, within_bound
from .mutations import TOML_VALUES, damage_text, mutate_lines

ROOT = EXAMPLES.parent
PACKS = sorted(
    [*ROOT.glob("rulepacks/examples/*.toml"), *ROOT.glob("plugins/*/src/*/rulepacks/*.toml")],
)
TIME_BOUND = 20.0


PREFIX = "payer-rules: error: "


def _assert_clean(result: Result, path: Path) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    for line in result.stderr.splitlines():
        assert len(line) <= LINE_CHARS + len(PREFIX), len(line)
        body = line.removeprefix(PREFIX)
        assert body.startswith((str(path), path.name)) or result.exit_code == 2, line


@examples(80)
@given(st.data())
def test_fuzz_rulepack_check(data):
    pack = data.draw(st.sampled_from(PACKS), label="pack")
    text = mutate_lines(data, pack.read_text(encoding="utf-8"), TOML_VALUES)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / pack.name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        get_engine()  # built outside the per-input time bound
        started = clock()
        result = CliRunner().invoke(cli, ["rulepack", "check", str(path)])
        within_bound(started, TIME_BOUND)
    _assert_clean(result, path)


_CLFS = (
    '"Clinical Laboratory Fee Schedule 2026 Q1"\n'
    "YEAR,HCPCS,MOD,EFF_DATE,INDICATOR,RATE,SHORTDESC\n"
    "2026,82947,,20260101,N,5.50,Assay glucose blood quant\n"
    "2026,83036,,20260101,N,9.71,Glycosylated hemoglobin test\n"
    "2026,80061,QW,20260101,N,13.39,Lipid panel\n"
)
_MUE = (
    '"HCPCS/CPT Code","Practitioner Services MUE Values","MUE Adjudication Indicator","MUE Rationale"\n'
    '"82947","3","3 Date of Service Edit: Clinical","Clinical: Data"\n'
    '"99213","1","2 Date of Service Edit: Policy","Code Descriptor / CPT Instruction"\n'
    '"97110","8","3 Date of Service Edit: Clinical","Clinical: Data"\n'
)
_CSV_VALUES = [
    "",
    '"',
    '""',
    "x" * 200_000,
    "1e400",
    "-1",
    "0.001",
    "abc",
    "99999999999999999999",
    "2026-02-30",
]
IMPORTS = [
    ("clfs", "CLFS 2026 Q1V1.csv", _CLFS),
    ("ncci-mue", "MCR_MUE_PractitionerServices_Eff_01-01-2026.csv", _MUE),
    ("medicaid-ncci-mue", "MCD_MUE_PractitionerServices_Eff_01-01-2026.csv", _MUE),
]


@functools.cache
def engine() -> Engine:
    return Engine.from_installed()


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.glob("*.sqlite"))}


@examples(80)
@given(st.data())
def test_fuzz_data_import(data):
    """The importers as ``data import`` runs them, in process; a failure changes no database."""
    kind, name, good = data.draw(st.sampled_from(IMPORTS), label="importer")
    text = damage_text(data, mutate_lines(data, good, _CSV_VALUES, sep=","))
    importer = engine().importer(kind)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "data"
        first = Path(tmp) / "first" / name
        first.parent.mkdir()
        first.write_text(good)
        importer.run([first], ImportOptions(data_dir=directory))
        before = _digest(directory)
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        started = clock()
        try:
            importer.run([path], ImportOptions(data_dir=directory))
        except PayerRulesError as exc:
            line = str(exc)
            assert "\n" not in line and len(line) <= LINE_CHARS, line
            assert line.startswith((str(path), str(directory))), line
            assert _digest(directory) == before  # the previous dataset stays in force
        within_bound(started, TIME_BOUND)
