"""Service details: build time on /ready, no server paths in /v1/payers, JSON logs, and the
HTTP JSON shape beside the CLI's."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

pytest.importorskip("uvicorn")
pytest.importorskip("httpx")

from payer_rules.cli import cli

from .conftest import EXAMPLES
from .test_service import Server

VISIT = EXAMPLES / "claims" / "01-office-visit-2026.json"
_ABSOLUTE_PATH = re.compile(r"(^|[\s(\"'=])/[A-Za-z0-9._-]+/")


@pytest.fixture(scope="module")
def json_logging_server(tmp_path_factory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("serve-json") / "server.log", "--log-format", "json")
    yield srv
    srv.stop()


def test_ready_reports_how_long_the_engine_took_to_build(json_logging_server):
    ready = json_logging_server.client.get("/ready").json()
    assert isinstance(ready["build_seconds"], float) and ready["build_seconds"] > 0


def test_payer_descriptions_name_no_server_path(json_logging_server):
    payers = json_logging_server.client.get("/v1/payers").json()["payers"]
    assert {"bluepeak", "medicaid-ca"} <= {p["id"] for p in payers}
    for payer in payers:
        assert not _ABSOLUTE_PATH.search(payer["description"]), payer


def test_json_logs_are_one_object_per_line_with_the_request_fields(json_logging_server):
    response = json_logging_server.client.post(
        "/v1/adjudicate", params={"payer": "medicare"}, content=VISIT.read_bytes(),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    deadline = time.monotonic() + 10
    while request_id not in json_logging_server.log and time.monotonic() < deadline:
        time.sleep(0.1)
    records = [json.loads(line) for line in json_logging_server.log.splitlines() if line.startswith("{")]
    assert records, json_logging_server.log
    mine = [r for r in records if r.get("request_id") == request_id]
    claim = next(r for r in mine if "claim_id" in r)
    assert claim["claim_id"] == "CLM-1001" and claim["payer"] == "medicare" and claim["status"] == "paid"
    request = next(r for r in mine if "http_status" in r)
    assert request["http_status"] == 200 and request["path"] == "/v1/adjudicate" and request["claims"] == 1
    # the request fields and the five every record has, nothing of where it was logged from
    common = {"time", "level", "logger", "process", "message", "request_id"}
    assert set(request) == common | {"method", "path", "http_status", "claims", "ms"}
    assert set(claim) == common | {"claim_id", "payer", "status", "codes"}
    assert "Jane" not in json_logging_server.log  # never the claim's content


def test_a_process_logging_as_the_service_makes_lean_records_and_the_same_lines():
    """``log_config`` turns off what no service format prints (the caller's file and line, the
    thread, the process name), in the process it configures only; the text line is unchanged."""
    code = (
        "import logging, logging.config\n"
        "from payer_rules.service.config import log_config\n"
        "assert logging._srcfile and logging.logThreads and logging.logMultiprocessing\n"
        "logging.config.dictConfig(log_config('info', 'text'))\n"
        "assert logging._srcfile is None and not logging.logThreads and not logging.logMultiprocessing\n"
        "logging.getLogger('payer_rules.service').info('request=%s %s', 'r-1', 'POST')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    line = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO payer_rules\.service \[\d+\] request=r-1 POST"
    assert re.fullmatch(line, out.stderr.strip()), out.stderr
    assert logging._srcfile is not None  # this process: untouched


def test_the_service_text_line_is_the_stdlib_formatters_to_the_character():
    """``LineFormatter`` makes the time's text once a second; every line is the stdlib's."""
    from payer_rules.service.config import _TEXT_FORMAT, LineFormatter

    ours, stdlib = LineFormatter(_TEXT_FORMAT), logging.Formatter(_TEXT_FORMAT)
    base = 1_796_000_000.0
    for created in (base, base + 0.25, base + 0.9995, base + 1.0004, base + 61.5, base + 0.5, base + 86_400):
        record = logging.makeLogRecord({"name": "payer_rules.service", "msg": "request=%s", "args": ("r",)})
        record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
        assert ours.format(record) == stdlib.format(record)
    assert ours.formatTime(record, "%H:%M") == stdlib.formatTime(record, "%H:%M")


def test_http_results_are_the_cli_list_inside_an_envelope(json_logging_server):
    body = json_logging_server.client.post(
        "/v1/adjudicate", params={"payer": "medicare"}, content=VISIT.read_bytes(),
        headers={"content-type": "application/json"},
    ).json()  # fmt: skip
    assert set(body) == {"stage", "versions", "results"}
    cli_list = json.loads(
        CliRunner().invoke(cli, ["adjudicate", str(VISIT), "--payer", "medicare", "--format", "json"]).stdout
    )
    assert body["results"] == cli_list
