"""The HTTP service, through a real uvicorn server on a loopback port.

Results must equal the runner's (`payer-rules adjudicate --format json`) for the same claims;
every JSON answer is validated against the shipped result schema and OpenAPI document.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the HTTP service needs the serve extra (starlette, uvicorn)")
httpx = pytest.importorskip("httpx", reason="the service tests talk HTTP with httpx")
import jsonschema  # noqa: E402
import uvicorn  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from payer_rules.cli import cli  # noqa: E402
from payer_rules.engine import Engine  # noqa: E402
from payer_rules.io.schema import result_schema  # noqa: E402
from payer_rules.service.app import create_app, negotiate  # noqa: E402
from payer_rules.service.config import Limits  # noqa: E402
from payer_rules.service.openapi import OPENAPI  # noqa: E402

from .conftest import EXAMPLES  # noqa: E402
from .test_hooks import PayerPlugin  # noqa: E402

MAX_CLAIMS = 20
MAX_BODY = 64 * 1024
JSON_EXAMPLES = sorted((EXAMPLES / "claims").glob("*.json"))
X12_EXAMPLES = sorted(p for p in EXAMPLES.rglob("*") if p.suffix.lower() in {".837", ".837p", ".x12", ".edi"})
FHIR_EXAMPLES = sorted((EXAMPLES / "fhir").glob("*.json")) if (EXAMPLES / "fhir").is_dir() else []

RESULT = jsonschema.Draft202012Validator(result_schema())
_OPENAPI = json.loads(OPENAPI.read_text(encoding="utf-8"))


def _component(name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": _OPENAPI["components"]}
    return jsonschema.Draft202012Validator(schema)


JUDGE_RESPONSE = _component("JudgeResponse")
PROBLEM = _component("Problem")


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A `payer-rules serve` subprocess on a free loopback port, its stderr kept in a file."""

    def __init__(self, log_path: Path, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        command = [sys.executable, "-c", "from payer_rules.cli import main; main()", "serve"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.client = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}: {self.log}")
            try:
                if self.client.get("/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server not ready in 60 s: {self.log}")
            time.sleep(0.1)

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    srv = Server(
        tmp_path_factory.mktemp("serve") / "server.log",
        "--max-claims",
        str(MAX_CLAIMS),
        "--max-body-bytes",
        str(MAX_BODY),
    )
    yield srv
    srv.stop()


def cli_json(command: str, path: Path, *payers: str) -> list[dict]:
    args = [command, str(path), "--format", "json"]
    for payer in payers or ("medicare",):
        args += ["--payer", payer]
    out = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def post(srv: Server, path: Path | bytes, *, endpoint="adjudicate", params="payer=medicare", **headers):
    body = path if isinstance(path, bytes) else path.read_bytes()
    headers.setdefault("content-type", "application/json")
    return srv.client.post(f"/v1/{endpoint}?{params}", content=body, headers=headers)


def judged(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    JUDGE_RESPONSE.validate(data)
    for result in data["results"]:
        RESULT.validate(result)
    return data["results"]


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    data = response.json()
    PROBLEM.validate(data)
    assert data["status"] == status
    return data


# -- the same results as the runner ----------------------------------------------------------


@pytest.mark.parametrize("path", JSON_EXAMPLES, ids=lambda p: p.name)
def test_adjudicate_json_examples_equal_the_cli(server, path):
    assert judged(post(server, path)) == cli_json("adjudicate", path)


@pytest.mark.parametrize("path", JSON_EXAMPLES, ids=lambda p: p.name)
def test_check_json_examples_equal_the_cli(server, path):
    assert judged(post(server, path, endpoint="check")) == cli_json("check", path)


@pytest.mark.skipif(
    not _has_module("payer_rules.io.x12"), reason="X12 837 reader (payer_rules.io.x12) not there yet"
)
@pytest.mark.skipif(not X12_EXAMPLES, reason="no example 837 under examples/")
@pytest.mark.parametrize("content_type", ["application/edi-x12", "application/x12"])
def test_adjudicate_837_equals_the_cli(server, content_type):
    for path in X12_EXAMPLES:
        results = judged(post(server, path, **{"content-type": content_type}))
        assert results == cli_json("adjudicate", path)
        assert results and all(r["status"] != "error" for r in results)


@pytest.mark.skipif(
    not _has_module("payer_rules.io.fhir.reader"), reason="FHIR reader (payer_rules.io.fhir) not there yet"
)
@pytest.mark.skipif(not FHIR_EXAMPLES, reason="no example FHIR claims under examples/fhir/")
def test_adjudicate_fhir_equals_the_cli(server):
    for path in FHIR_EXAMPLES:
        results = judged(post(server, path, **{"content-type": "application/fhir+json"}))
        assert results == cli_json("adjudicate", path)
        assert results and all(r["status"] != "error" for r in results)


def test_ndjson_in_and_out(server, tmp_path):
    claims = [json.loads(p.read_text()) for p in JSON_EXAMPLES[:3]]
    batch = tmp_path / "batch.ndjson"
    batch.write_text("\n".join(json.dumps(c) for c in claims))
    response = post(
        server, batch, **{"content-type": "application/x-ndjson", "accept": "application/x-ndjson"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    # One request is one run: a member's earlier claims count for the later ones, as in the CLI.
    assert lines == cli_json("adjudicate", batch)


def test_835_and_fhir_out_by_accept(server):
    path = EXAMPLES / "claims" / "01-office-visit-2026.json"
    formats = server.client.get("/ready").json()["formats"]
    if "application/edi-x12" in formats:
        response = post(server, path, accept="application/edi-x12")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/edi-x12")
        assert response.text.startswith("ISA") and "CLP*CLM-1001" in response.text
        assert "Payer-Rules-Held-Back" not in response.headers
        # a pended claim is not an adjudication: held back from the 835, counted in a header
        pended = post(server, EXAMPLES / "x12" / "outpatient-hospital.837", accept="application/edi-x12")
        assert pended.status_code == 200, pended.text
        assert "CLP*" not in pended.text and pended.headers["Payer-Rules-Held-Back"] == "1"
        # An 835 reports money: scrubbing has none to offer.
        assert problem(post(server, path, endpoint="check", accept="application/edi-x12"), 406)
    if "application/fhir+json" in formats:
        response = post(server, path, accept="application/fhir+json")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/fhir+json")
        assert response.json()["resourceType"] in {"Bundle", "ClaimResponse"}


def test_versions_are_reported(server):
    response = post(server, EXAMPLES / "claims" / "01-office-visit-2026.json")
    data = response.json()
    assert data["versions"]["payer-rules"] and data["versions"]["payer-rules-medicare"]
    assert response.headers["payer-rules-versions"] == ", ".join(
        f"{k}={v}" for k, v in data["versions"].items()
    )
    assert response.headers["x-request-id"]
    assert data["results"][0]["versions"]["payer-rules-medicare"]


def test_engine_is_built_once_per_worker(server):
    before = server.client.get("/ready").json()
    for path in JSON_EXAMPLES:
        post(server, path)
    after = server.client.get("/ready").json()
    assert after["built_at"] == before["built_at"] and after["pid"] == before["pid"]


# -- batches, errors and limits --------------------------------------------------------------


def test_an_unreadable_claim_in_a_batch_is_an_error_result(server):
    good = json.loads((EXAMPLES / "claims" / "01-office-visit-2026.json").read_text())
    bad = {**good, "id": "BAD-1", "lines": [{**good["lines"][0], "service_date": "2026-02-30"}]}
    other = json.loads((EXAMPLES / "claims" / "02-glucose-type2-diabetes.json").read_text())
    results = judged(post(server, json.dumps([good, bad, other]).encode()))
    assert [r["status"] for r in results] == ["paid", "error", "paid"]
    assert results[1]["claim_id"] == "BAD-1"
    assert "2026-02-30" in results[1]["findings"][0]["message"]


def test_an_unparseable_body_is_a_located_400(server):
    data = problem(post(server, b'{"id": "X",\n "lines": [}\n'), 400)
    assert data["detail"].startswith("request.json:2:") and "invalid JSON" in data["detail"]
    assert data["errors"][0]["location"].startswith("request.json:2:")
    assert problem(post(server, b""), 400)["errors"]
    assert "not UTF-8" in problem(post(server, b"\xff\xfe{}"), 400)["detail"]


def test_body_over_the_limit_is_413_naming_it(server):
    claim = json.loads((EXAMPLES / "claims" / "01-office-visit-2026.json").read_text())
    body = json.dumps([claim] * 200).encode()
    assert len(body) > MAX_BODY
    data = problem(post(server, body), 413)
    assert data["limit"] == {"name": "max_body_bytes", "value": MAX_BODY}
    assert str(MAX_BODY) in data["detail"]


def test_body_over_the_limit_without_content_length_is_413(server):
    claim = (EXAMPLES / "claims" / "01-office-visit-2026.json").read_bytes()

    def chunks():
        yield b"["
        for _ in range(200):
            yield claim + b","
        yield claim + b"]"

    response = server.client.post(
        "/v1/adjudicate?payer=medicare", content=chunks(), headers={"content-type": "application/json"}
    )
    assert problem(response, 413)["limit"]["name"] == "max_body_bytes"


def test_too_many_claims_is_422_naming_the_limit(server):
    claim = json.loads((EXAMPLES / "claims" / "01-office-visit-2026.json").read_text())
    data = problem(post(server, json.dumps([claim] * (MAX_CLAIMS + 1)).encode()), 422)
    assert data["limit"] == {"name": "max_claims", "value": MAX_CLAIMS}
    assert len(judged(post(server, json.dumps([claim] * MAX_CLAIMS).encode()))) == MAX_CLAIMS


def test_bad_requests(server):
    path = EXAMPLES / "claims" / "01-office-visit-2026.json"
    assert "did you mean 'medicare'" in problem(post(server, path, params="payer=medicar"), 422)["detail"]
    assert "name at least one payer" in problem(post(server, path, params=""), 400)["detail"]
    assert "as_of" in problem(post(server, path, params="payer=medicare&as_of=2026-13-01"), 400)["detail"]
    assert "payers" in problem(post(server, path, params="payers=medicare"), 400)["detail"]
    assert "text/html" in problem(post(server, path, **{"content-type": "text/html"}), 415)["detail"]
    assert "application/json" in problem(post(server, path, accept="text/html"), 406)["detail"]
    for path, status in (("/v1/adjudicate", 405), ("/v1/nothing", 404)):
        # Starlette's own answers carry the request id and versions too (README)
        response = server.client.get(path)
        assert problem(response, status)["request_id"] == response.headers["x-request-id"]
        assert response.headers["payer-rules-versions"].startswith("payer-rules=")


def test_repeated_and_comma_separated_payers(server):
    path = EXAMPLES / "claims" / "01-office-visit-2026.json"
    assert len(judged(post(server, path, params="payer=medicare&payer=Medicare,medicare"))) == 1


# -- catalogue, health, contract --------------------------------------------------------------


def test_explain_payers_plugins(server):
    rule = server.client.get("/v1/rules/mcr101").json()
    out = CliRunner().invoke(cli, ["explain", "MCR101", "--json"], catch_exceptions=False)
    assert rule == json.loads(out.stdout)
    _component("RuleInfo").validate(rule)
    assert (
        "unknown rule code 'MCR10'; did you mean"
        in problem(server.client.get("/v1/rules/MCR10"), 404)["detail"]
    )
    rules = server.client.get("/v1/rules").json()
    _component("RuleList").validate(rules)
    assert any(r["code"] == "MCR101" for r in rules["rules"])
    payers = server.client.get("/v1/payers").json()
    _component("PayerList").validate(payers)
    assert "medicare" in [p["id"] for p in payers["payers"]]  # beside the other installed payers
    plugins = server.client.get("/v1/plugins").json()
    _component("PluginList").validate(plugins)
    assert any(p["name"] == "medicare" and p["version"] for p in plugins["plugins"])


def test_health_ready_and_documents(server):
    assert server.client.get("/health").json() == {"status": "ok"}
    ready = server.client.get("/ready").json()
    _component("Readiness").validate(ready)
    assert ready["status"] == "ready" and ready["limits"]["max_claims"] == MAX_CLAIMS
    assert server.client.get("/openapi.json").content == OPENAPI.read_bytes()
    assert server.client.get("/schema/result.schema.json").json() == result_schema()


def test_logs_hold_claim_ids_and_outcomes_but_no_claim_content(server):
    phi: set[str] = set()

    def collect(claim: dict) -> None:
        for key in ("patient", "subscriber"):
            person = claim.get(key) or {}
            phi.update(
                str(person[k]) for k in ("id", "last_name", "first_name", "birth_date") if person.get(k)
            )
            phi.update(str(v) for v in (person.get("address") or {}).values() if v)
        phi.add(str(claim["coverage"]["member_id"]))

    ids = []
    for path in JSON_EXAMPLES:
        data = json.loads(path.read_text())
        for claim in data if isinstance(data, list) else data.get("claims", [data]):
            collect(claim)
            ids.append(claim["id"])
        post(server, path)
        post(server, path, endpoint="check")
    # a claim that fails, quoting its own content in the error message
    bad = json.loads(JSON_EXAMPLES[0].read_text())
    bad["patient"]["birth_date"] = "1931-02-30"
    post(server, json.dumps([bad, json.loads(JSON_EXAMPLES[1].read_text())]).encode())
    phi.add("1931-02-30")
    time.sleep(0.2)
    log = server.log
    assert all(f"claim={claim_id} " in log for claim_id in ids)
    assert "status=denied codes=MCR101" in log
    phi = {p for p in phi if len(p) >= 4}
    assert phi
    leaked = sorted(p for p in phi if p in log)
    assert not leaked, f"claim content in the service log: {leaked}"


def test_negotiate():
    offers = ("application/json", "application/x-ndjson", "application/edi-x12")
    assert negotiate(None, offers) == "application/json"
    assert negotiate("*/*", offers) == "application/json"
    assert negotiate("application/edi-x12", offers) == "application/edi-x12"
    assert negotiate("application/*;q=0.5, application/x-ndjson", offers) == "application/x-ndjson"
    assert negotiate("application/json;q=0, */*;q=0.1", offers) == "application/x-ndjson"
    assert negotiate("text/html", offers) is None


# -- in process: a second payer, and several workers -------------------------------------------


@pytest.fixture
def two_payer_url() -> Iterator[str]:
    """uvicorn in a thread, serving an engine with Medicare and a test payer 'acme'."""
    engine = Engine.from_installed(plugins=[PayerPlugin()])
    app = create_app(engine, limits=Limits(max_claims=5))
    config = uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_config=None, access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "in-process server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{config.port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_results_are_claims_times_payers(two_payer_url):
    good = json.loads((EXAMPLES / "claims" / "01-office-visit-2026.json").read_text())
    bad = {**good, "id": "BAD-1", "billing_provider": None}
    response = httpx.post(
        f"{two_payer_url}/v1/adjudicate?payer=medicare&payer=acme",
        content=json.dumps([good, bad]),
        headers={"content-type": "application/json"},
    )
    results = judged(response)
    assert [(r["claim_id"], r["payer"], r["status"]) for r in results] == [
        ("CLM-1001", "medicare", "paid"),
        ("CLM-1001", "acme", "paid"),
        ("BAD-1", "medicare", "error"),
        ("BAD-1", "acme", "error"),
    ]
    assert results[1]["paid"] == "70.00"


def test_serve_with_two_workers(tmp_path):
    srv = Server(tmp_path / "server.log", "--workers", "2")
    try:
        path = EXAMPLES / "claims" / "06-member-batch-2026.json"
        assert judged(post(srv, path)) == cli_json("adjudicate", path)
    finally:
        srv.stop()
    assert srv.log.count("engine ready") == 2


def test_serve_without_the_extra_says_how_to_install_it():
    code = (
        "import sys; sys.modules['uvicorn'] = None; sys.modules['starlette'] = None\n"
        "import payer_rules.engine, payer_rules.cli, payer_rules.service.openapi\n"
        "from payer_rules.cli import main; main(['serve'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stderr
    assert "payer-rules[serve]" in out.stderr and "Traceback" not in out.stderr


def test_a_payer_chain_equals_the_cli_chain(server):
    path = EXAMPLES / "cob" / "01-dual-eligible-crossover.json"
    args = ["adjudicate", str(path), "--format", "json", "--payer", "medicare", "--then", "medicaid-ny"]
    out = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    chained = judged(post(server, path, params="payer=medicare&then=medicaid-ny"))
    assert chained == json.loads(out.stdout)
    assert [r["payer"] for r in chained] == ["medicare", "medicaid-ny"]
    assert "MCD801" in {f["code"] for f in chained[1]["findings"]}  # Medicaid read Medicare's payment
    unchained = judged(post(server, path, params="payer=medicare&payer=medicaid-ny"))
    assert "MCD801" not in {f["code"] for f in unchained[1]["findings"]}
    detail = problem(post(server, path, params="payer=medicare&payer=bluepeak&then=medicaid-ny"), 400)[
        "detail"
    ]
    assert "then follows one payer" in detail
    assert (
        "once in a chain" in problem(post(server, path, params="payer=medicare&then=medicare"), 400)["detail"]
    )
    assert (
        "did you mean"
        in problem(post(server, path, params="payer=medicare&then=medicaid-nyy"), 422)["detail"]
    )
