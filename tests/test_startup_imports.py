"""What a run imports and builds: only what its claims and command need (issue 22, cheap start).

The costs themselves are measured in ``benchmarks/bench_startup.py``; these tests hold the
structure that makes them small, in a fresh interpreter (``sys.modules`` of this one is full).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from payer_rules.store import ImportOptions, ImportReport, imported_on_call

ROOT = Path(__file__).resolve().parent.parent
OFFICE_VISIT = ROOT / "examples" / "claims" / "01-office-visit-2026.json"
INPATIENT = ROOT / "examples" / "x12" / "inpatient.837"

#: Modules a professional claim against Medicare has no use for: other claim kinds', batch
#: runners', other payers' and the rule kinds Medicare's packs do not use.
NOT_FOR_A_PROFESSIONAL_CLAIM = (
    "payer_rules_medicare.inpatient.claims",
    "payer_rules_medicare.inpatient.grouping",
    "payer_rules_medicare.inpatient.pricing",
    "payer_rules_medicare.asc.pricing",
    "payer_rules_medicare.asc.importer",
    "payer_rules_medicare.mpfs.importer",
    "payer_rules_medicare.inpatient.psf",
    "payer_rules.batch.partition",
    "payer_rules.io.x12.reader_837.units",
    "payer_rules.pas.store",
    "payer_rules_commercial.definition",
    "payer_rules_medicaid.state",
    "payer_rules.rulepack.kinds.claim",
    "payer_rules.rulepack.kinds.history",
    "payer_rules.rulepack.kinds.ncci",
    "payer_rules.rulepack.kinds.pricing",
)


def _modules_after(args: list[str], tmp_path: Path) -> set[str]:
    """The ``payer_rules*`` modules loaded by ``payer-rules ARGS`` run in a fresh interpreter."""
    code = (
        "import sys\n"
        "from payer_rules.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('payer_rules'))\n"
        "print('MODULES', __import__('json').dumps(loaded))\n"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PAYER_RULES_DATA_DIR": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    line = next(x for x in out.stdout.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


def test_a_professional_claim_imports_no_inpatient_asc_importer_or_batch_module(tmp_path):
    loaded = _modules_after(["adjudicate", str(OFFICE_VISIT), "--payer", "medicare"], tmp_path)
    assert "payer_rules_medicare.pricing" in loaded  # it did judge the claim
    assert loaded.isdisjoint(NOT_FOR_A_PROFESSIONAL_CLAIM), sorted(loaded & set(NOT_FOR_A_PROFESSIONAL_CLAIM))


def test_an_inpatient_claim_still_reaches_the_inpatient_modules(tmp_path):
    loaded = _modules_after(["adjudicate", str(INPATIENT), "--payer", "medicare"], tmp_path)
    assert {"payer_rules_medicare.inpatient.claims", "payer_rules_medicare.inpatient.pricing"} <= loaded


def test_imported_on_call_imports_the_target_only_when_run(tmp_path, monkeypatch):
    package = tmp_path / "late_importer_pkg.py"
    package.write_text(
        "from payer_rules.store import ImportReport\n"
        "CALLS = []\n"
        "def run_it(paths, options):\n"
        "    CALLS.append((tuple(paths), options))\n"
        "    return ImportReport(\n"
        "        kind='late', version='v1', rows=len(paths), sources=tuple(paths),\n"
        "        database=options.data_dir,\n"
        "    )\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "late_importer_pkg", raising=False)
    run = imported_on_call("late_importer_pkg:run_it")
    assert "late_importer_pkg" not in sys.modules
    assert run.__name__ == "run_it"
    options = ImportOptions(data_dir=tmp_path)
    report = run([tmp_path / "a.csv", tmp_path / "b.csv"], options)
    assert isinstance(report, ImportReport)
    assert (report.kind, report.rows) == ("late", 2)
    calls = sys.modules["late_importer_pkg"].CALLS
    assert calls == [((tmp_path / "a.csv", tmp_path / "b.csv"), options)]


def test_imported_on_call_names_a_missing_function(tmp_path, monkeypatch):
    (tmp_path / "late_importer_empty.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AttributeError, match="run_it"):
        imported_on_call("late_importer_empty:run_it")([], ImportOptions(data_dir=tmp_path))


def test_the_kind_table_names_each_built_in_kind_where_it_is_defined():
    from payer_rules.rulepack.kinds import BUILTIN, BUILTIN_KINDS, KindTable, builtin_kinds

    assert [kind.name for kind in BUILTIN_KINDS] == list(BUILTIN)
    table = builtin_kinds()
    assert isinstance(table, KindTable) and list(table) == list(BUILTIN) and len(table) == 16
    assert "fee-schedule" in table and "no-such-kind" not in table
    assert dict(table.items()) == {kind.name: kind for kind in BUILTIN_KINDS}
    with pytest.raises(KeyError):
        table["no-such-kind"]
