"""Each Medicaid test starts from an empty data directory (no imported NCCI tables)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _empty_data_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path_factory.mktemp("empty-data-dir")))
    monkeypatch.delenv("PAYER_RULES_MEDICAID_STATES", raising=False)
