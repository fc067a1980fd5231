"""Service details: build time on /ready, no server paths in /v1/payers, JSON logs, and the
HTTP JSON shape beside the CLI's."""

from __future__ import annotations

import json
import re
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
    assert {"time", "level", "logger", "message"} <= set(request)
    assert "Jane" not in json_logging_server.log  # never the claim's content


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
