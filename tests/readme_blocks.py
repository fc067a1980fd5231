"""The README's code blocks, by section, for tests that run what a new user would copy."""

from __future__ import annotations

import re

from .conftest import ROOT

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def readme_section(title: str) -> str:
    """The text of the README section whose ``## `` heading is ``title``, up to the next one."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 3)
    return text[start : end if end >= 0 else len(text)]


def code_blocks(title: str, language: str) -> list[str]:
    return [body for lang, body in _FENCE.findall(readme_section(title)) if lang == language]
