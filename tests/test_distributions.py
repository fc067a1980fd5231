"""payer_rules.distributions answers as importlib.metadata does, without importing it at start-up."""

from __future__ import annotations

import importlib.metadata as md
import sys
import zipfile

import pytest

from payer_rules import distributions
from payer_rules.distributions import Distribution, EntryPoint, entry_points, version

GROUPS = ["payer_rules", "pytest11", "console_scripts"]


def _theirs(group: str) -> set[tuple[str, str, str, str, str]]:
    found = md.entry_points(group=group)
    return {(ep.name, ep.value, ep.group, ep.dist.name, ep.dist.version) for ep in found}


def _ours(group: str) -> set[tuple[str, str, str, str, str]]:
    return {(ep.name, ep.value, ep.group, ep.dist.name, ep.dist.version) for ep in entry_points(group)}


@pytest.mark.parametrize("group", GROUPS)
def test_the_installed_entry_points_are_those_importlib_metadata_finds(group):
    assert _ours(group) == _theirs(group)
    if group == "payer_rules":
        assert {"medicare", "medicaid", "commercial", "codesets"} <= {ep[0] for ep in _ours(group)}


@pytest.mark.parametrize(
    "name",
    ["payer-rules", "payer-rules-medicare", "payer_rules_medicaid", "Payer.Rules.Codesets", "attrs", "click"],
)
def test_versions_are_those_importlib_metadata_reads(name):
    assert version(name) == md.version(name)


def test_a_distribution_not_installed_is_a_lookup_error():
    with pytest.raises(LookupError, match="no-such-distribution"):
        version("no-such-distribution")


def _dist_info(root, folder, name, ver, entry_points_txt=None, metadata="METADATA"):
    path = root / folder
    path.mkdir(parents=True)
    headers = f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n"
    (path / metadata).write_text(headers + "\nName: not a header (the body)\n")
    if entry_points_txt is not None:
        (path / "entry_points.txt").write_text(entry_points_txt)


def test_path_order_first_distribution_of_a_name_wins_and_egg_info_is_read(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    _dist_info(first, "acme_plugin-2.0.dist-info", "acme-plugin", "2.0", "[payer_rules]\nacme = acme.hooks\n")
    _dist_info(second, "acme_plugin-1.0.dist-info", "acme_plugin", "1.0", "[payer_rules]\nold = acme.old\n")
    _dist_info(
        second,
        "legacy.egg-info",
        "legacy",
        "0.9",
        "# a comment\n; another\n[console_scripts]\nx = y:z\n\n"
        "[payer_rules]\nlegacy = legacy.hooks:plugin.attr\n",
        metadata="PKG-INFO",
    )
    monkeypatch.setattr(sys, "path", [str(first), str(tmp_path / "missing"), str(second)])
    got = entry_points("payer_rules")
    assert got == [
        EntryPoint("acme", "acme.hooks", "payer_rules", Distribution("acme-plugin", "2.0")),
        EntryPoint("legacy", "legacy.hooks:plugin.attr", "payer_rules", Distribution("legacy", "0.9")),
    ]
    assert _ours("payer_rules") == _theirs("payer_rules")
    assert version("ACME_plugin") == "2.0" == md.version("acme-plugin")
    assert version("legacy") == "0.9"


def test_an_entry_point_loads_the_object_it_names():
    dist = Distribution("x", "1")
    assert EntryPoint("a", "payer_rules.distributions", "g", dist).load() is distributions
    assert EntryPoint("b", "payer_rules.distributions:EntryPoint.load", "g", dist).load() is EntryPoint.load
    # extras say what the distribution needs, not where the object is (as importlib.metadata reads)
    extras = EntryPoint("c", "payer_rules.distributions:EntryPoint [fast, serve]", "g", dist)
    assert extras.load() is EntryPoint


def test_an_archive_on_the_path_is_read_by_importlib_metadata(tmp_path, monkeypatch):
    archive = tmp_path / "dists.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zipped-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped\nVersion: 1.0\n")
        z.writestr("zipped-1.0.dist-info/entry_points.txt", "[payer_rules]\nzipped = zipped.hooks\n")
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert entry_points("payer_rules") == [
        EntryPoint("zipped", "zipped.hooks", "payer_rules", Distribution("zipped", "1.0"))
    ]
    assert version("zipped") == "1.0"


def test_a_new_install_on_the_path_is_seen(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert entry_points("payer_rules") == []
    _dist_info(tmp_path, "late-1.0.dist-info", "late", "1.0", "[payer_rules]\nlate = late.hooks\n")
    assert [ep.name for ep in entry_points("payer_rules")] == ["late"]
