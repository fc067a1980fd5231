"""Claim Check routes without a browser (Starlette's TestClient): status codes, limits, errors,
the no-JavaScript paths, and that the pages say what the CLI says."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="Claim Check needs the serve extra (starlette, uvicorn)")
pytest.importorskip("multipart", reason="Claim Check reads forms with python-multipart (the serve extra)")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")
import warnings

from click.testing import CliRunner

with warnings.catch_warnings():
    # Starlette 1.x suggests httpx2 for its TestClient; httpx is what the dev group installs
    warnings.simplefilter("ignore", UserWarning)  # StarletteDeprecationWarning is a UserWarning
    from starlette.testclient import TestClient

from payer_rules.cli import cli
from payer_rules.codesets.remittance import CARC, RARC
from payer_rules.engine import Engine
from payer_rules.service.app import create_app
from payer_rules.service.config import ENV_UI, LOGGER_NAME, Limits

from .conftest import EXAMPLES, ROOT

CLAIMS = EXAMPLES / "claims"
DIABETES = CLAIMS / "02-glucose-type2-diabetes.json"
SPRAIN = CLAIMS / "03-glucose-ankle-sprain.json"
MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


@pytest.fixture(scope="module")
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine, ui=True, limits=Limits(max_body_bytes=MAX_BODY, max_claims=30))) as c:
        yield c


def _check(client: TestClient, path: Path, *payers: str, **data: str):  # type: ignore[no-untyped-def]
    files = {"upload": (path.name, path.read_bytes(), "application/octet-stream")}
    return client.post("/ui/check", data={"payer": list(payers or ("medicare",)), **data}, files=files)


def _answer(page: str, payer: str) -> str:
    """The HTML of one payer's answer section (the first, for the claim as sent)."""
    return page.split(f'data-payer="{payer}">', 2)[-1].split("</section>")[0]


def test_the_pages_are_off_unless_asked_for(engine):
    with TestClient(create_app(engine)) as plain:
        assert plain.get("/ui/").status_code == 404
        assert plain.get("/v1/payers").status_code == 200


@pytest.mark.parametrize("path", ["/ui/nope", "/ui/rules/MCR101/extra", "/ui/nope%3Cscript%3E"])
def test_an_unknown_page_is_a_404_page_in_the_pages_layout(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "<h1>Page not found</h1>" in response.text
    assert 'href="/ui/static/' in response.text  # the pages' stylesheet: the same layout
    assert 'href="/ui/">Test a claim</a>' in response.text
    assert "<script>" not in response.text.split("<main", 1)[1]  # the path is escaped
    assert response.headers["x-request-id"] in response.text


def test_the_api_and_the_static_files_keep_their_own_404s(client):
    api = client.get("/v1/nope")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    asset = client.get("/ui/static/none.css")
    assert asset.status_code == 404 and not asset.headers["content-type"].startswith("text/html")


def test_workers_serve_the_pages_when_the_environment_says_so(monkeypatch):
    from payer_rules.service.app import app_from_environment

    monkeypatch.setenv(ENV_UI, "1")
    routes = {getattr(r, "path", "") for r in app_from_environment().routes}
    assert "/ui" in routes
    monkeypatch.setenv(ENV_UI, "0")
    assert "/ui" not in {getattr(r, "path", "") for r in app_from_environment().routes}


def test_serve_has_a_ui_flag_off_by_default():
    out = CliRunner().invoke(cli, ["serve", "--help"])
    assert out.exit_code == 0
    assert "--ui / --no-ui" in out.output and "[default: no-ui]" in out.output


def test_the_form_offers_every_installed_payer_and_is_never_cached(client, engine):
    response = client.get("/ui/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    for payer in engine.payers:
        assert f'name="payer" value="{payer}" checked' in response.text
    assert 'href="/ui/static/ui.css"' in response.text and "http://" not in response.text.split("<footer")[0]


def test_static_assets_ship_in_the_package(client):
    css = client.get("/ui/static/ui.css")
    assert css.status_code == 200 and "@media print" in css.text
    assert client.get("/ui/static/ui.js").status_code == 200
    package = ROOT / "src" / "payer_rules" / "web"
    assert (package / "templates" / "base.html.j2").is_file()


@pytest.mark.parametrize("path", sorted(CLAIMS.glob("*.json")), ids=lambda p: p.stem)
def test_every_teaching_claim_gets_an_answer_from_every_payer(client, engine, path):
    response = _check(client, path, *engine.payers)
    assert response.status_code == 200, response.text[:500]
    assert response.text.count('<section class="answer') >= len(engine.payers)


def test_covered_and_not_covered(client):
    covered = _check(client, DIABETES)
    assert 'class="badge status-paid">paid' in _answer(covered.text, "medicare")
    denied = _answer(_check(client, SPRAIN).text, "medicare")
    assert 'class="badge status-denied">denied' in denied
    assert "MCR101" in denied and "CO-50" in denied and CARC["50"] in denied.replace("&#39;", "'")
    assert "N386" in denied and RARC["N386"] in denied


@pytest.mark.parametrize(
    ("path", "media"),
    [(EXAMPLES / "x12" / "professional.837", "x12"), (EXAMPLES / "fhir" / "claims.json", "fhir")],
)
def test_x12_and_fhir_can_be_pasted(client, path, media):
    response = client.post("/ui/check", data={"payer": "medicare", "claim_text": path.read_text()})
    assert response.status_code == 200, response.text[:500]
    assert '<article class="claim"' in response.text


def test_a_claim_built_in_the_form_without_javascript(client):
    form = {
        "payer": "medicare",
        "claim_id": "BUILT-7",
        "member_id": "1EG4TE5MK72",
        "npi": "1234567893",
        "provider_zip": "94110",
        "diagnoses": "S93.401A",
        "received_date": "2025-11-20",
        "line-1-procedure": "82947",
        "line-1-charge": "25.00",
        "line-1-units": "1",
        "line-1-service_date": "2025-11-12",
        "line-1-pointers": "1",
        "line-2-procedure": "",  # a blank row is skipped
    }
    response = client.post("/ui/check", data=form)
    assert response.status_code == 200
    assert "Answers for claim BUILT-7" in response.text
    assert 'data-code="MCR101"' in _answer(response.text, "medicare")


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"claim_text": "{}"}, "pick at least one payer"),
        ({"payer": "nobody", "claim_text": "{}"}, "nobody"),
        ({"payer": "medicare", "claim_text": "not a claim"}, "unrecognised content"),
        ({"payer": "medicare", "claim_text": '{"id": "X"}'}, "X"),
        ({"payer": "medicare", "as_of": "2026-13-01"}, "Rules as of: expected a date as YYYY-MM-DD"),
        ({"payer": "medicare", "line-1-procedure": ""}, "no service line has a procedure code"),
    ],
)
def test_a_bad_form_comes_back_with_what_is_wrong_and_what_was_typed(client, form, says):
    response = client.post("/ui/check", data=form)
    assert response.status_code == 400
    assert "The claim was not checked" in response.text and says in response.text
    if "claim_text" in form:
        assert form["claim_text"].replace('"', "&#34;") in response.text  # kept for the next try


def test_an_upload_that_is_not_utf8_is_a_400(client):
    files = {"upload": ("claims.json", b"\xff\xfe\x00{", "application/json")}
    response = client.post("/ui/check", data={"payer": "medicare"}, files=files)
    assert response.status_code == 400 and "not UTF-8" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_anything_but_a_form_is_a_415(client):
    response = client.post(
        "/ui/check", content=DIABETES.read_bytes(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 415
    assert "Unsupported media type" in response.text and "/v1/adjudicate" in response.text


def test_an_oversize_upload_is_a_413_on_every_form(client):
    big = b"[" + b" " * MAX_BODY + b"]"
    for path in ("/ui/check", "/ui/what-if", "/ui/batch/report"):
        response = client.post(
            path, data={"payer": "medicare"}, files={"upload": ("big.json", big, "application/json")}
        )
        assert response.status_code == 413, path
        assert "exceeds the limit of 65536 bytes" in response.text


def test_more_claims_than_a_page_shows_is_a_422_pointing_at_the_batch_view(client):
    claim = json.loads(DIABETES.read_text())
    many = [{**claim, "id": f"C-{i}"} for i in range(26)]
    response = client.post("/ui/check", data={"payer": "medicare", "claim_text": json.dumps(many)})
    assert response.status_code == 422 and "batch view" in response.text


def _whatif(client, page: str, **changes: str):  # type: ignore[no-untyped-def]
    """Post the first what-if form of ``page`` as a browser without JavaScript would."""
    import html
    import re

    form = page.split('data-whatif="claim-1-whatif-result"', 1)[1].split("</form>")[0]
    data: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form):
        data.setdefault(name, []).append(html.unescape(value))
    for name, value in changes.items():
        data[name.replace("__", ".")] = [value]
    return client.post("/ui/what-if", data=data)


def test_what_if_without_javascript_prints_what_the_command_prints(client, engine):
    page = _check(client, DIABETES, "medicare", "bluepeak").text
    response = _whatif(client, page, diagnoses="S93.401A")
    assert response.status_code == 200
    out = CliRunner().invoke(
        cli,
        [
            "what-if",
            str(DIABETES),
            "--payer",
            "medicare",
            "--payer",
            "bluepeak",
            "--change",
            "diagnoses=S93401A",
        ],
    )
    assert out.exit_code == 0, out.output
    import html

    shown = html.unescape(response.text.split('<pre class="whatif-text">')[1].split("</pre>")[0])
    assert shown == out.output
    assert "paid → <strong>denied</strong>" in response.text


def test_what_if_modifier_units_and_date(client):
    page = _check(client, SPRAIN).text
    moved = _whatif(client, page, line1__modifiers="GA")  # the ABN: the patient is liable
    assert moved.status_code == 200
    assert "change: line1.modifiers=GA" in moved.text
    units = _whatif(client, page, line1__units="2")
    assert "change: line1.units=2" in units.text
    date = _whatif(client, page, line1__service_date="2025-11-13")
    assert "change: line1.service_date=2025-11-13" in date.text


def test_what_if_with_nothing_changed_or_a_bad_change_says_so(client):
    page = _check(client, DIABETES).text
    same = _whatif(client, page)
    assert same.status_code == 400 and "nothing changed" in same.text
    bad = _whatif(client, page, changes="line9.units=2")
    assert bad.status_code == 400 and "has 1 line(s)" in bad.text
    units = _whatif(client, page, line1__units="many")
    assert units.status_code == 400 and "expected a number" in units.text
    lost = client.post("/ui/what-if", data={"payer": "medicare"})
    assert lost.status_code == 400 and "test a claim first" in lost.text


def test_the_rule_browser_lists_every_rule_and_finds_by_code_procedure_and_diagnosis(client, engine):
    everything = client.get("/ui/rules")
    assert everything.status_code == 200
    assert everything.text.count("<tr data-code=") == len(engine.rules)
    for query in ("MCR101", "82947", "82951", "E11.9", "e119"):
        found = client.get("/ui/rules", params={"q": query}).text
        assert '<tr data-code="MCR101">' in found, query
    assert client.get("/ui/rules", params={"q": "zzzz-nothing"}).text.count("<tr data-code=") == 0


def test_each_rule_page_says_what_explain_says(client, engine):
    out = CliRunner().invoke(cli, ["explain", "MCR101", "--format", "json"])
    explained = json.loads(out.output)
    page = client.get("/ui/rules/MCR101")
    assert page.status_code == 200
    import html

    text = html.unescape(page.text)
    for key in ("code", "name", "summary", "why", "citation", "source", "status", "carc"):
        assert str(explained[key]) in text, key
    assert "does not fire" in text and "fires" in text  # the rulepack's cases
    missing = client.get("/ui/rules/NOPE999")
    assert missing.status_code == 404 and "Unknown rule" in missing.text


def test_every_registered_rules_codes_have_words(engine):
    carcs = {r.carc for r in engine.rules.values() if r.carc}
    rarcs = {code for r in engine.rules.values() for code in r.sent_rarcs}
    assert carcs and rarcs
    assert sorted(carcs - set(CARC)) == []
    assert sorted(rarcs - set(RARC)) == []


def test_batch_report_is_the_compare_page_viewed_or_downloaded(client, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796947200")
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([json.loads(DIABETES.read_text()), json.loads(SPRAIN.read_text())]))
    target = tmp_path / "report.html"
    out = CliRunner().invoke(
        cli,
        [
            "compare",
            str(batch),
            "--payer",
            "medicare",
            "--payer",
            "bluepeak",
            "--format",
            "html",
            "-o",
            str(target),
        ],
    )
    assert out.exit_code == 0, out.output
    assert client.get("/ui/batch").status_code == 200
    files = {"upload": ("batch.json", batch.read_bytes(), "application/json")}
    form = {"payer": ["medicare", "bluepeak"]}
    viewed = client.post("/ui/batch/report", data={**form, "action": "view"}, files=files)
    assert viewed.status_code == 200
    assert viewed.headers["content-disposition"] == 'inline; filename="comparison-report.html"'
    assert viewed.text == target.read_text()  # the same page, byte for byte
    downloaded = client.post("/ui/batch/report", data={**form, "action": "download"}, files=files)
    assert downloaded.headers["content-disposition"].startswith("attachment;")
    assert downloaded.text == viewed.text


def test_batch_without_a_file_or_with_unreadable_claims(client):
    empty = client.post("/ui/batch/report", data={"payer": "medicare"})
    assert empty.status_code == 400 and "choose a file" in empty.text
    files = {"upload": ("x.json", b"not claims", "application/json")}
    bad = client.post("/ui/batch/report", data={"payer": "medicare"}, files=files)
    assert bad.status_code == 400 and "x.json" in bad.text


def test_no_claim_content_in_the_log(client, caplog):
    claim = json.loads(SPRAIN.read_text())
    phi = {
        claim["patient"]["last_name"],
        claim["patient"]["first_name"],
        claim["patient"]["birth_date"],
        claim["coverage"]["member_id"],
        "S93401A",
        "S93.401A",
        "82947",
    }
    with caplog.at_level(logging.DEBUG):
        _check(client, SPRAIN)
        client.post("/ui/check", data={"payer": "medicare", "claim_text": SPRAIN.read_text()[:-3]})  # broken
        _whatif(client, _check(client, SPRAIN).text, diagnoses="E11.9")
        client.post(
            "/ui/batch/report", data={"payer": "medicare"}, files={"upload": ("b.json", SPRAIN.read_bytes())}
        )
    records = [r for r in caplog.records if r.name.startswith("payer_rules")]
    assert any(r.name == LOGGER_NAME and "/ui/check" in r.getMessage() for r in records)
    logged = "\n".join(r.getMessage() + repr(vars(r)) for r in records)
    assert not sorted(p for p in phi if p in logged)
