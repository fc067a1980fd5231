"""Where payer definitions are, and which payers they define, without reading them whole.

:mod:`.definition` reads a ``payer.toml`` into a checked :class:`~.definition.PayerDefinition`;
a run that judges other payers (``adjudicate --payer medicare``) only needs to know that none of
these files defines one of its payers, which :func:`defined_ids` tells from the parsed TOML (and
a run that judges one of them loads the definitions from the documents it parsed).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payer_rules.rulepack.parsed import ParsedFiles

__all__ = ["DEFINITION_FILE", "defined_ids", "find_definitions"]

#: The file name a payer definition must have; rulepack loaders skip it.
DEFINITION_FILE = "payer.toml"


def find_definitions(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """``payer.toml`` files under ``paths`` (recursively, sorted); a missing path finds none
    (the rulepack plugin reports missing directories)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(DEFINITION_FILE) if p.is_file()))
        elif path.is_file() and path.name == DEFINITION_FILE:
            found.append(path)
    return found


def defined_ids(
    paths: Iterable[str | os.PathLike[str]], *, parsed: ParsedFiles | None = None
) -> set[str] | None:
    """The payer ids (``[payer] id``) the definitions under ``paths`` define, or ``None`` when a
    file does not tell (unreadable, not TOML, no string id): only reading it whole can say.

    :param parsed: keeps each parsed document for :func:`~.definition.load_definitions` with the
        same ``parsed``, which then does not parse the file again.
    """
    from payer_rules.rulepack.parsed import ParsedFiles

    files = parsed or ParsedFiles()
    ids: set[str] = set()
    for path in find_definitions(paths):
        try:
            _text, doc = files.read(path, keep=True)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        payer = doc.get("payer")
        payer_id = payer.get("id") if isinstance(payer, dict) else None
        if not isinstance(payer_id, str):
            return None
        ids.add(payer_id.strip().lower())
    return ids
