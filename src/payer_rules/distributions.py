"""Installed distributions' entry points and versions, read from their ``.dist-info`` folders.

This answers what :func:`importlib.metadata.entry_points` and :func:`importlib.metadata.version`
answer, for the two questions every process asks when it builds its engine (which plugins the
``payer_rules`` entry-point group names; the version of each, and of payer-rules), without
importing :mod:`importlib.metadata`: on Python 3.11 that module imports ``email``, ``zipfile``
and ``csv`` at import, a twentieth of a one-claim run (``benchmarks/bench_startup.py``).

It reads the same files the same way: every ``sys.path`` entry in order (``""`` is the current
directory), its ``*.dist-info`` and ``*.egg-info`` folders, the first distribution of each
normalized name winning (PEP 503); ``entry_points.txt`` in the INI form of the entry-point
specification; ``Name`` and ``Version`` from the ``METADATA`` (``PKG-INFO``) headers. A
``sys.path`` entry that is a file (a zip archive), which this module does not read, hands the
question to :mod:`importlib.metadata`. ``tests/test_distributions.py`` checks both agree on the
installed environment.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from attrs import frozen

__all__ = ["Distribution", "EntryPoint", "entry_points", "version"]

_SUFFIXES = (".dist-info", ".egg-info")
_SECTION = re.compile(r"\[(?P<name>.+)\]\Z")


@frozen
class Distribution:
    """An installed distribution: its name as its metadata spells it, and its version."""

    name: str
    version: str


@frozen
class EntryPoint:
    """One entry point: ``name = value`` in ``group``, declared by ``dist``."""

    name: str
    value: str
    group: str
    dist: Distribution

    def load(self) -> object:
        """The object ``value`` names (``module`` or ``module:attribute.path``)."""
        # ``module:attr [extra1, extra2]``: the extras say what the distribution needs, not where
        # the object is (importlib.metadata.EntryPoint.pattern)
        module, _, attributes = self.value.partition("[")[0].partition(":")
        found: object = importlib.import_module(module.strip())
        for attribute in filter(None, attributes.strip().split(".")):
            found = getattr(found, attribute)
        return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _info_folders() -> Iterator[Path] | None:
    """Every distribution's metadata folder (or ``.egg-info`` file) on ``sys.path``, in order;
    ``None`` when a path entry is an archive this module does not read."""
    folders: list[Path] = []
    for entry in sys.path:
        root = entry or "."
        if os.path.isfile(root):
            return None
        try:
            names = sorted(os.listdir(root))
        except OSError:
            continue  # a missing or unreadable path entry holds no distribution
        folders += [Path(root, n) for n in names if n.lower().endswith(_SUFFIXES)]
    return iter(folders)


def _headers(folder: Path) -> Distribution | None:
    """The distribution a metadata folder (or an ``.egg-info`` file, itself the metadata) describes."""
    if folder.is_file():
        metadata = folder
    else:
        metadata = folder / ("METADATA" if folder.name.lower().endswith(".dist-info") else "PKG-INFO")
    try:
        text = metadata.read_text(encoding="utf-8")
    except OSError:
        return None
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first empty line
        key, sep, value = line.partition(":")
        if sep and key.lower() in {"name", "version"} and key.lower() not in found:
            found[key.lower()] = value.strip()
    if "name" not in found:
        return None
    return Distribution(name=found["name"], version=found.get("version", ""))


#: The last scan, with the ``sys.path`` and folder times it was made for.
_scanned: tuple[tuple[tuple[str, int], ...], list[Path] | None] | None = None


def _distributions() -> list[Path] | None:
    """Every distribution's metadata on ``sys.path``, the first of each name; scanned again when
    ``sys.path`` or one of its folders changed (an install adds or removes a metadata folder)."""
    global _scanned
    key = tuple((entry, _mtime(entry or ".")) for entry in sys.path)
    if _scanned is not None and _scanned[0] == key:
        return _scanned[1]
    found = _scan()
    _scanned = (key, found)
    return found


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _stem_name(folder: Path) -> str:
    """The distribution's name as its folder spells it (``payer_rules_medicare-0.1.0.dist-info``),
    normalized: what ``importlib.metadata`` tells distributions apart by, without reading them."""
    return _normalized(folder.name.rpartition(".")[0].partition("-")[0])


def _scan() -> list[Path] | None:
    folders = _info_folders()
    if folders is None:
        return None
    seen: set[str] = set()
    found: list[Path] = []
    for folder in folders:
        name = _stem_name(folder)
        if name not in seen:
            seen.add(name)
            found.append(folder)
    return found


def _parse_entry_points(text: str, dist: Distribution) -> Iterator[EntryPoint]:
    group = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        section = _SECTION.match(line)
        if section:
            group = section.group("name").strip()
            continue
        name, sep, value = line.partition("=")
        if sep and group is not None:
            yield EntryPoint(name=name.strip(), value=value.strip(), group=group, dist=dist)


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group`` every installed distribution declares, in ``sys.path`` order.

    :func:`importlib.metadata.entry_points` answers instead when a ``sys.path`` entry is an archive.
    """
    found = _distributions()
    if found is None:
        import importlib.metadata as md

        return [
            EntryPoint(name=ep.name, value=ep.value, group=ep.group, dist=_from_metadata(ep.dist))
            for ep in md.entry_points(group=group)
        ]
    points: list[EntryPoint] = []
    for folder in found:
        try:
            text = (folder / "entry_points.txt").read_text(encoding="utf-8")
        except OSError:
            continue
        if f"[{group}]" not in text.replace(" ", ""):
            continue  # the metadata is read only for distributions with entry points in the group
        dist = _headers(folder)
        if dist is not None:
            points += [ep for ep in _parse_entry_points(text, dist) if ep.group == group]
    return points


def _from_metadata(dist: object) -> Distribution:
    name, version = getattr(dist, "name", None), getattr(dist, "version", None)
    return Distribution(name=str(name or "?"), version=str(version or ""))


def version(distribution: str) -> str:
    """The version of the installed ``distribution`` (any spelling of its name).

    :raises LookupError: it is not installed (:class:`importlib.metadata.PackageNotFoundError`
        is one).
    """
    found = _distributions()
    if found is None:
        import importlib.metadata as md

        return md.version(distribution)
    wanted = _normalized(distribution)
    for folder in found:
        if _stem_name(folder) == wanted:
            dist = _headers(folder)
            if dist is not None:
                return dist.version
            break
    msg = f"No package metadata was found for {distribution}"
    raise LookupError(msg)
