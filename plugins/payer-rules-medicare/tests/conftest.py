"""Each Medicare test starts from an empty data directory unless it points at one itself, so the
starter pack answers and a developer's own imports never change a result; ``with_bundle`` points
at CMS's CY2025 RVU bundle (RVU25D, October release) imported once for the session."""

from __future__ import annotations

from pathlib import Path

import pytest

from payer_rules.store import ImportOptions
from payer_rules_medicare.mpfs.importer import import_mpfs

from .mpfs_files import MPFS


@pytest.fixture(autouse=True)
def _empty_medicare_data_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(tmp_path_factory.mktemp("empty-data-dir")))


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the CY2025 RVU bundle from ``../shared/data/mpfs`` imported (read only)."""
    if not (MPFS / "PPRRVU2025_Oct.csv").exists():
        pytest.skip(f"CMS RVU25D bundle not found under {MPFS}")
    directory = tmp_path_factory.mktemp("mpfs-2025")
    import_mpfs([MPFS], ImportOptions(data_dir=directory))
    return directory


@pytest.fixture
def with_bundle(bundle_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(bundle_dir))
    return bundle_dir
