"""Each Medicare test starts from an empty data directory unless it points at one itself, so the
starter pack answers and a developer's own imports never change a result."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _empty_medicare_data_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path_factory.mktemp("empty-data-dir")))
