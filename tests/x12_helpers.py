"""pyx12 validation for the tests: is this X12 file accepted, and if not, why."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any


def _errors(node: Any, found: list[str]) -> list[str]:
    if isinstance(node, dict):
        found.extend(str(e.get("err_str")) for e in node.get("errors") or [])
        for value in node.values():
            if isinstance(value, (dict, list)):
                _errors(value, found)
    elif isinstance(node, list):
        for value in node:
            _errors(value, found)
    return found


def pyx12_errors(path: Path) -> list[str]:
    """pyx12's complaints about an X12 file; empty when it accepts it."""
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    out, js = io.StringIO(), io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=str(path), fd_997=out, fd_html=None, fd_json=js
    )
    errors = _errors(json.loads(js.getvalue() or "{}"), [])
    if not ok and not errors:
        errors.append("pyx12 rejected the file without naming an error")
    return errors
