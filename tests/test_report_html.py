"""The HTML report a client reads: built from autoescaped templates, checked in a real browser."""

from __future__ import annotations

import datetime as dt
import html
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.compare.diff import LineComparison, PayerLine
from payer_rules.compare.html import HtmlComparison, ReportContext
from payer_rules.compare.summary import PayerSummary
from payer_rules.engine import Engine

from .conftest import EXAMPLES, ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (the README test block installs it)"
)


def _report(tmp_path: Path, *payers: str, extra: tuple[str, ...] = ()) -> Path:
    target = tmp_path / "report.html"
    args = ["compare", str(EXAMPLES / "claims"), *(a for p in payers for a in ("--payer", p))]
    out = CliRunner().invoke(cli, [*args, "--format", "html", "-o", str(target), *extra])
    assert out.exit_code == 0, out.output
    return target


def test_the_report_says_when_and_from_what(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796947200")  # 2026-12-11 00:00 UTC
    page = _report(tmp_path, "medicare", "medicaid-tx", extra=("--as-of", "2026-03-01")).read_text()
    assert "2026-12-11 00:00 UTC" in page
    assert "Rules as of</dt><dd>2026-03-01" in page
    engine = Engine.from_installed()
    for payer in ("medicare", "medicaid-tx"):  # names, not ids
        assert html.escape(engine.payer(payer).name) in page
    assert "payer-rules-medicare 0.1.0" in page and "ICD-10-CM" in page  # plugins and data releases
    assert "<script>" in page and "http://" not in page  # self-contained


def test_a_payer_nothing_priced_says_so_instead_of_zero(tmp_path):
    page = _report(tmp_path, "medicare", "medicaid-tx").read_text()
    texas = page.split('data-payer="medicaid-tx"')[1].split("</tr>")[0]
    assert "not priced: no fee schedule loaded" in texas
    assert "0.0%" not in texas and "$0.00" not in texas
    medicare = page.split('<tr data-payer="medicare"')[1].split("</tr>")[0]
    assert "%" in medicare and "not priced" not in medicare


def test_every_value_is_escaped():
    hostile = "<img src=x onerror=alert(1)>"
    stream = io.StringIO()
    writer = HtmlComparison(
        stream,
        ["evil"],
        ReportContext(run_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), payer_names={"evil": hostile}),
    )
    outcome = PayerLine(
        payer="evil", status="denied", allowed=0, paid=0, patient_responsibility=0,
        reasons=(f"X001 CO-50: {hostile}",), rule_codes=("X001",),
    )  # fmt: skip
    other = PayerLine(
        payer="evil", status="paid", allowed=1, paid=1, patient_responsibility=0, reasons=(), rule_codes=()
    )
    writer.claim([LineComparison(claim_id=hostile, line=1, procedure="99213", outcomes=(outcome, other))])
    summary = PayerSummary(payer="evil")
    writer.finish([summary], {"X001": hostile})
    page = stream.getvalue()
    assert hostile not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_templates_ship_in_the_package():
    templates = ROOT / "src" / "payer_rules" / "compare" / "templates"
    assert {p.name for p in templates.iterdir()} >= {"report.html.j2", "report.css", "report.js"}
    assert "@media print" in (templates / "report.css").read_text()


@needs_chromium
def test_the_report_in_a_real_browser_charts_counts_print_and_narrow_windows(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    target = _report(tmp_path, "medicare", "bluepeak", "medicaid-tx")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(target.as_uri())
            assert int(page.get_attribute("body", "data-bars-drawn")) >= 3
            counts = page.locator("#chart-denials text.total").all_text_contents()
            assert counts and all(t.endswith("line(s)") for t in counts)
            assert page.locator("#chart-reimbursement text.muted").text_content().startswith("not priced")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

            # a narrow window scrolls the table sideways instead of wrapping a word a line
            page.set_viewport_size({"width": 420, "height": 800})
            width = page.eval_on_selector("#differences td.why", "td => td.getBoundingClientRect().width")
            line_height = page.eval_on_selector(
                "#differences td.why", "td => parseFloat(getComputedStyle(td).lineHeight) || 18"
            )
            assert width >= 300
            tallest = page.eval_on_selector_all(
                "#differences td.why", "tds => Math.max(...tds.map(td => td.getBoundingClientRect().height))"
            )
            assert tallest < 12 * line_height
            page.screenshot(path=str(tmp_path / "narrow.png"), full_page=True)

            # print: the filters go, the table header repeats
            page.emulate_media(media="print")
            assert page.eval_on_selector(".filters", "el => getComputedStyle(el).display") == "none"
            assert page.eval_on_selector("#differences thead", "el => getComputedStyle(el).display") == (
                "table-header-group"
            )
        finally:
            browser.close()
