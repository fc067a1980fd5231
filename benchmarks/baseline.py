"""``--baseline DIR``: the program of another checkout a benchmark runs beside this one's."""

from __future__ import annotations

import argparse
from pathlib import Path


def baseline_program(parser: argparse.ArgumentParser, checkout: Path, program: str) -> Path:
    """``checkout``'s ``.venv/bin/<program>``; a usage error naming what is missing if it has none."""
    path = checkout.resolve() / ".venv" / "bin" / program
    if not path.is_file():
        parser.error(
            f"--baseline {checkout}: no {path}; expected a checkout with its own .venv "
            "(run `uv sync --all-packages --frozen` there)"
        )
    return path
