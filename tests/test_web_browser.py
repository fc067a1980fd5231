"""Claim Check in a real browser (Playwright driving the OS's headless Chromium).

One service (uvicorn on a loopback port, in a thread) and one browser for the module. Each test
drives one page as a person would and saves its screenshot into ``docs/screenshots/`` for the
README. Figures on the pages are checked against the engine's own answer for the same claim:
these tests check that the page shows what the engine decided, line by line; what the engine
decides is checked against the published sources in the engine's and plugins' tests.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="Claim Check needs the serve extra (starlette, uvicorn)")
pytest.importorskip("multipart", reason="Claim Check reads forms with python-multipart (the serve extra)")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the browser tests drive Chromium with Playwright"
)
import uvicorn  # noqa: E402

from payer_rules.context import Session  # noqa: E402
from payer_rules.engine import Engine  # noqa: E402
from payer_rules.io.claims import claim_from_file  # noqa: E402
from payer_rules.service.app import create_app  # noqa: E402

from .conftest import EXAMPLES, ROOT  # noqa: E402
from .test_report_html import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed: the Claim Check browser tests need it"
)

SHOTS = ROOT / "docs" / "screenshots"
CLAIMS = EXAMPLES / "claims"
DIABETES = CLAIMS / "02-glucose-type2-diabetes.json"  # 82947 for E11.9: covered by NCD 190.20
SPRAIN = CLAIMS / "03-glucose-ankle-sprain.json"  # 82947 for S93.401A: not covered
LAPTOP = {"width": 1280, "height": 800}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


@pytest.fixture(scope="module")
def base_url(engine: Engine) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(engine, ui=True), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Claim Check server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/ui"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=LAPTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _png_rows(data: bytes) -> list[bytes]:
    """A PNG's filtered scanlines (enough to tell which rows changed; no imaging library)."""
    width = int.from_bytes(data[16:20], "big")
    pixel = {2: 3, 6: 4}[data[25]]
    chunks, at = [], 8
    while at < len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        if data[at + 4 : at + 8] == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + size])
        at += 12 + size
    raw = zlib.decompress(b"".join(chunks))
    stride = width * pixel + 1
    return [raw[i : i + stride] for i in range(0, len(raw), stride)]


def _shot(page: Any, name: str) -> None:
    """The page at laptop width (the viewport, not the whole scroll): small PNGs for the README.

    Chromium may paint a few rows differently from run to run (antialiasing); a screenshot is
    only rewritten when more than 1% of its rows changed, so a test run leaves the committed
    ones alone unless the page really changed.
    """
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS / f"{name}.png"
    # the same PNG each run: no hover state, no focus ring, no caret
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    new = page.screenshot(animations="disabled", caret="hide")
    assert new[:8] == b"\x89PNG\r\n\x1a\n"
    if target.exists():
        old_rows, new_rows = _png_rows(target.read_bytes()), _png_rows(new)
        changed = (
            len(old_rows) != len(new_rows)
            or sum(a != b for a, b in zip(old_rows, new_rows, strict=False)) > len(new_rows) // 100
        )
        if not changed:
            return
    target.write_bytes(new)


def _money(text: str) -> Decimal:
    return Decimal(text.replace(",", "").strip())


def _submit_file(page: Any, base_url: str, path: Path, payers: tuple[str, ...] | None = None) -> None:
    page.goto(f"{base_url}/")
    page.set_input_files("#upload", str(path))
    if payers is not None:
        for box in page.locator("input[name=payer]").all():
            box.set_checked(box.get_attribute("value") in payers)
    page.get_by_role("button", name="Check the claim").click()
    page.wait_for_selector("article.claim")


def _answer(page: Any, payer: str) -> Any:
    return page.locator(f"article.claim > section.answer[data-payer='{payer}']")


def test_a_covered_claim_is_paid_and_the_page_shows_each_payers_figures(page, base_url, engine):
    _submit_file(page, base_url, DIABETES)
    medicare = _answer(page, "medicare")
    assert medicare.locator("h3 .badge").inner_text() == "paid"
    expected = engine.adjudicate(claim_from_file(DIABETES), "medicare", session=Session())
    row = medicare.locator("table.lines tbody tr").first
    assert row.locator("td").nth(0).inner_text() == "82947"
    assert _money(row.locator("td").nth(5).inner_text()) == expected.lines[0].paid
    assert "CO-45" in row.inner_text() and "fee schedule" in row.inner_text()  # the CARC in words
    assert row.locator("td.basis").inner_text() == expected.lines[0].basis  # how it was priced
    # every installed payer answered, side by side
    glance = page.locator("table.glance tbody tr")
    assert glance.count() == len(engine.payers)
    _shot(page, "claim-result")


def test_a_claim_not_covered_for_its_diagnosis_is_denied_with_the_reason_in_words(page, base_url):
    _submit_file(page, base_url, SPRAIN, payers=("medicare", "bluepeak"))
    medicare = _answer(page, "medicare")
    assert medicare.locator("h3 .badge").inner_text() == "denied"
    finding = medicare.locator("li.finding[data-code='MCR101']")
    text = finding.inner_text()
    assert "CO-50" in text and "medical necessity" in text  # CARC 50 in words
    assert "N386" in text and "National Coverage Determination" in text  # RARC in words
    assert "190.20" in text  # the citation: NCD 190.20
    assert _answer(page, "bluepeak").locator("h3 .badge").inner_text() == "paid"  # BluePeak has no such edit
    assert finding.locator("a.rule").get_attribute("href").endswith("/ui/rules/MCR101")


def test_a_claim_built_in_the_form(page, base_url, engine):
    page.goto(f"{base_url}/")
    page.fill("#diagnoses", "E11.9")
    page.fill("input[name='line-1-procedure']", "82947")
    page.fill("input[name='line-1-charge']", "25.00")
    page.fill("input[name='line-1-service_date']", "2025-11-12")
    page.fill("#received_date", "2025-11-20")  # within a year: timely
    for box in page.locator("input[name=payer]").all():
        box.set_checked(box.get_attribute("value") == "medicare")
    page.locator("fieldset.builder").evaluate(
        "el => window.scrollTo(0, Math.round(el.getBoundingClientRect().top + window.scrollY))"
    )
    _shot(page, "claim-form")
    page.get_by_role("button", name="Add a line").click()  # the script adds a fifth row
    assert page.locator("table[data-lines] tbody tr").count() == 5
    assert page.evaluate("document.activeElement.name") == "line-5-procedure"  # ready to type
    page.get_by_role("button", name="Check the claim").click()
    page.wait_for_selector("article.claim")
    assert page.locator("h1").inner_text() == "Answers for claim FORM-1"
    assert _answer(page, "medicare").locator("h3 .badge").inner_text() == "paid"


def test_what_if_a_diagnosis_changes_shows_what_moved_for_every_payer_in_place(page, base_url):
    _submit_file(page, base_url, DIABETES, payers=("medicare", "bluepeak"))
    before = page.url
    page.fill("#claim-1-dx", "S93.401A")
    page.get_by_role("button", name="Show what changes").click()
    result = page.locator("#claim-1-whatif-result")
    result.locator("table.moved").wait_for()
    assert page.url == before  # answered in place, by the page's script
    medicare = result.locator("table.moved tr[data-payer='medicare']")
    assert "paid → denied" in medicare.inner_text()
    assert "MCR101 CO-50" in medicare.inner_text()
    assert "nothing moved" in result.locator("table.moved tr[data-payer='bluepeak']").inner_text()
    text = result.locator("pre.whatif-text").inner_text()
    assert text.startswith("change: diagnoses=S93401A")
    assert "claim CLM-1002  payer medicare: paid -> denied" in text
    result.scroll_into_view_if_needed()
    _shot(page, "what-if")


def test_find_a_rule_by_procedure_code_and_open_its_page(page, base_url):
    page.goto(f"{base_url}/rules")
    page.fill("#q", "82947")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/rules?q=82947")
    row = page.locator("tr[data-code='MCR101']")
    assert row.count() == 1
    _shot(page, "rules")
    row.locator("a").click()
    page.wait_for_url("**/ui/rules/MCR101")
    facts = page.locator("dl.facts").inner_text()
    assert "NCD 190.20" in facts or "190.20" in facts
    cases = page.locator("table tbody tr")
    assert cases.count() >= 2
    assert {"fires", "does not fire"} <= {
        c.split(" (")[0] for c in cases.locator("td:nth-child(2)").all_inner_texts()
    }
    _shot(page, "rule")


def test_upload_a_batch_view_and_download_the_report(page, base_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796947200")  # the report's run date: a stable screenshot
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([json.loads(DIABETES.read_text()), json.loads(SPRAIN.read_text())]))
    page.goto(f"{base_url}/batch")
    page.set_input_files("#batch-upload", str(batch))
    for box in page.locator("input[name=payer]").all():
        box.set_checked(box.get_attribute("value") in ("medicare", "bluepeak"))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the report").click()
    saved = tmp_path / "report.html"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "comparison-report.html"
    report = saved.read_text()
    assert "CLM-1003" in report and "MCR101" in report  # the claim where the payers differ, and why
    page.get_by_role("button", name="View the report").click()
    page.wait_for_selector("#differences")
    assert "CLM-1003" in page.locator("#differences").inner_text()
    _shot(page, "batch-report")


def test_keyboard_labels_landmarks_print_and_nothing_from_elsewhere(page, base_url):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base_url}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    assert page.locator("header").count() == 1 and page.locator("main").count() == 1
    assert page.locator("nav[aria-label]").count() == 1
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(el => !el.labels.length && !el.getAttribute('aria-label')).map(el => el.name)"""
    )
    assert unlabelled == []
    page.emulate_media(media="print")
    assert page.eval_on_selector("header nav", "el => getComputedStyle(el).display") == "none"
    # the page, its stylesheet and its script, all from the service: it works offline
    assert len(requested) >= 3 and all(url.startswith(base_url) for url in requested), requested
