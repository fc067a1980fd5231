"""``--x12-st03``: the 835 with the guide reference in ST03, which pyx12's ``x12valid`` needs."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from payer_rules.cli import cli

from .conftest import EXAMPLES
from .x12_helpers import pyx12_errors


def _835(tmp_path: Path, *extra: str) -> Path:
    target = tmp_path / "out.835"
    args = ["adjudicate", str(EXAMPLES / "x12" / "professional.837"), "--payer", "medicare"]
    out = CliRunner().invoke(cli, [*args, "--format", "x12-835", "-o", str(target), *extra])
    assert out.exit_code == 0, out.output
    return target


def _st_segments(path: Path) -> list[str]:
    return [seg.strip() for seg in path.read_text().split("~") if seg.strip().startswith("ST*")]


def test_st03_is_left_out_by_default_and_written_on_request(tmp_path):
    plain = _st_segments(_835(tmp_path))
    assert plain and all(seg.count("*") == 2 for seg in plain)  # ST*835*0001: ST03 is "not used"
    assert pyx12_errors(tmp_path / "out.835") == []  # pyx12's 835 map accepts it as it is
    (tmp_path / "a").mkdir()
    marked = _st_segments(_835(tmp_path / "a", "--x12-st03"))
    assert len(marked) == len(plain)
    assert all(seg.endswith("*005010X221A1") for seg in marked)


def test_x12_st03_is_for_the_835_only(tmp_path):
    out = CliRunner().invoke(
        cli, ["adjudicate", str(EXAMPLES / "claims"), "--payer", "medicare", "--format", "json", "--x12-st03"]
    )
    assert out.exit_code == 2 and "--x12-st03 applies to --format x12-835" in out.stderr


def test_the_readme_ci_recipe_validates_the_835_with_a_clean_exit(tmp_path):
    """README: validate the 835 in CI with pyx12 through ``--format x12-999`` (exit 0, a 999 accepting it)."""
    target = _835(tmp_path)
    out = CliRunner().invoke(cli, ["adjudicate", str(target), "--payer", "medicare", "--format", "x12-999"])
    assert out.exit_code == 0, out.output
    assert "AK2*835*0001~" in out.stdout and "IK5*A~" in out.stdout
    assert "Traceback" not in out.output
