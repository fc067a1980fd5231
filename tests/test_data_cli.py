"""`payer-rules data`: importers registered by plugins, the catalogue and its checksums."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from click.testing import CliRunner

from payer_rules import hookimpl
from payer_rules.cli import cli
from payer_rules.cli.state import use_engine
from payer_rules.engine import Engine
from payer_rules.errors import InputError
from payer_rules.plugins import get_plugin_manager
from payer_rules.store import ImporterInfo, ImportReport


def _import_words(paths, options):
    rows = 0
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.isalpha():
                raise InputError(f"{path}:{number}", f"expected one word per line, got {line!r}")
            rows += 1
    db = options.data_dir / "words.sqlite"
    db.write_bytes(b"")
    return ImportReport(
        kind="words",
        version="W1",
        rows=rows,
        sources=tuple(paths),
        database=db,
        effective_from=options.effective or dt.date(2026, 1, 1),
    )


class WordsPlugin:
    @hookimpl
    def register_importers(self, register):
        register(ImporterInfo(kind="words", summary="one word per line", run=_import_words))


def test_import_records_rows_dates_and_checksums(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path / "data"))
    use_engine(Engine(get_plugin_manager(plugins=[WordsPlugin()], load_entrypoints=False)))
    src = tmp_path / "words.txt"
    src.write_text("alpha\nbeta\n")
    runner = CliRunner()
    out = runner.invoke(cli, ["data", "import", "words", str(src), "--effective", "2026-04-01"])
    assert out.exit_code == 0, out.output
    assert "imported words W1: 2 rows, effective 2026-04-01" in out.output
    listed = json.loads(runner.invoke(cli, ["data", "list", "--json"]).output)["datasets"]
    assert listed[0]["rows"] == 2 and listed[0]["effective_from"] == "2026-04-01"
    assert listed[0]["sources"] == [
        {"file": "words.txt", "sha256": hashlib.sha256(src.read_bytes()).hexdigest()}
    ]


def test_bad_file_and_unknown_kind_are_located_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path / "data"))
    use_engine(Engine(get_plugin_manager(plugins=[WordsPlugin()], load_entrypoints=False)))
    src = tmp_path / "words.txt"
    src.write_text("alpha\n42\n")
    out = CliRunner().invoke(cli, ["data", "import", "words", str(src)])
    assert out.exit_code == 1 and f"{src}:2: expected one word per line" in out.stderr
    out = CliRunner().invoke(cli, ["data", "import", "wordz", str(src)])
    assert out.exit_code == 2 and "did you mean 'words'" in out.stderr
