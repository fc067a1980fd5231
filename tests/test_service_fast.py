"""The judge endpoints' plain-ASGI path (issue 22): the same answers as the documented service.

``POST /v1/adjudicate`` and ``/v1/check`` skip Starlette's middleware and router
(:class:`payer_rules.service.app.Service`); everything else still goes through Starlette. These
tests call the app as an ASGI server would, so each edge case is exact and quick: the answer must
be the one the README documents (status, problem document, limits named), with the headers in
the order the Starlette endpoint gave them, and the same answer routed through Starlette (a
request under a ``root_path`` takes that way). Results are compared with the CLI's.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
import socket
import threading
import time
import types
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the HTTP service needs the serve extra (starlette, uvicorn)")

import uvicorn

from payer_rules.engine import Engine
from payer_rules.service import judge
from payer_rules.service.app import Service, create_app
from payer_rules.service.config import LOGGER_NAME, Limits

from .conftest import EXAMPLES
from .test_service import cli_json

MAX_BODY = 40 * 1024
MAX_CLAIMS = 20
BODY_SECONDS = 0.3
VISIT = EXAMPLES / "claims" / "01-office-visit-2026.json"
BATCH = EXAMPLES / "claims" / "06-member-batch-2026.json"
CROSSOVER = EXAMPLES / "cob" / "01-dual-eligible-crossover.json"
X12 = EXAMPLES / "x12" / "professional.837"
RID = "test-request-1"


class Answer:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        start, *bodies = messages
        assert start["type"] == "http.response.start"
        self.status: int = start["status"]
        self.raw_headers: list[tuple[bytes, bytes]] = list(start["headers"])
        self.body = b"".join(m.get("body", b"") for m in bodies)
        assert not bodies[-1].get("more_body", False)

    @property
    def header_names(self) -> list[str]:
        return [k.decode("latin-1") for k, _ in self.raw_headers]

    def header(self, name: str) -> str | None:
        return next((v.decode("latin-1") for k, v in self.raw_headers if k == name.encode()), None)

    def json(self) -> Any:
        return json.loads(self.body)

    def problem(self, status: int) -> dict[str, Any]:
        assert self.status == status, self.body[:500]
        assert self.header("content-type") == "application/problem+json"
        data = self.json()
        assert data["status"] == status and data["type"] == "about:blank"
        assert data["request_id"] == self.header("x-request-id")
        return data

    def results(self) -> list[dict[str, Any]]:
        assert self.status == 200, self.body[:500]
        data = self.json()
        assert set(data) == {"stage", "versions", "results"}
        return data["results"]


def call(
    app: Any,
    method: str = "POST",
    path: str = "/v1/adjudicate",
    query: str = "payer=medicare",
    body: bytes | Sequence[bytes] = b"",
    headers: Sequence[tuple[str, str]] = (("content-type", "application/json"),),
    *,
    root_path: str = "",
    request_id: str | None = RID,
    stall: bool = False,
    disconnect: bool = False,
) -> Answer:
    """One request through ``app`` as uvicorn hands it over; ``body`` as a list is sent in chunks
    without a Content-Length (chunked transfer encoding); ``stall`` never sends the last chunk."""
    chunks = [body] if isinstance(body, bytes) else list(body)
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    if isinstance(body, bytes) and body:
        raw.append((b"content-length", str(len(body)).encode()))
    if request_id is not None:
        raw.append((b"x-request-id", request_id.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": root_path + path,
        "raw_path": (root_path + path).encode(),
        "root_path": root_path,
        "query_string": query.encode(),
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    if stall or disconnect:
        messages[-1]["more_body"] = True
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        if disconnect:
            return {"type": "http.disconnect"}
        await asyncio.sleep(60)  # a client that stopped sending
        raise AssertionError("the body deadline did not hold")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return Answer(sent)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_installed()


@pytest.fixture(scope="module")
def app(engine: Engine) -> Service:
    return create_app(
        engine, limits=Limits(max_body_bytes=MAX_BODY, max_claims=MAX_CLAIMS, body_seconds=BODY_SECONDS)
    )


def both(app: Service, **kwargs: Any) -> Answer:
    """The answer by the fast path, checked equal (status, headers in order, body) to Starlette's."""
    fast = call(app, **kwargs)
    routed = call(app, root_path="/behind-a-proxy", **kwargs)
    assert (fast.status, fast.raw_headers, fast.body) == (routed.status, routed.raw_headers, routed.body)
    return fast


# -- the same results, headers and order --------------------------------------------------------


@pytest.mark.parametrize("path", [VISIT, BATCH], ids=lambda p: p.name)
def test_results_equal_the_cli_with_the_documented_headers(app, path):
    answer = both(app, body=path.read_bytes())
    assert answer.results() == cli_json("adjudicate", path)
    assert answer.header_names == ["content-length", "content-type", "x-request-id", "payer-rules-versions"]
    assert answer.header("content-length") == str(len(answer.body))
    assert answer.header("content-type") == "application/json"
    assert answer.header("x-request-id") == RID
    versions = dict(part.split("=", 1) for part in answer.header("payer-rules-versions").split(", "))
    assert versions == answer.json()["versions"] and "payer-rules" in versions


def test_check_equals_the_cli(app):
    assert both(app, path="/v1/check", body=BATCH.read_bytes()).results() == cli_json("check", BATCH)


def test_an_835_says_how_many_it_held_back_first(app, monkeypatch):
    # both ways must write the same bytes: the envelope's date, time and control number come
    # from the clock unless SOURCE_DATE_EPOCH fixes them
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    answer = both(
        app,
        body=X12.read_bytes(),
        headers=[("content-type", "application/edi-x12"), ("accept", "application/edi-x12")],
    )
    assert answer.status == 200 and answer.body.startswith(b"ISA*")
    names = answer.header_names
    assert names[-4:] == ["content-length", "content-type", "x-request-id", "payer-rules-versions"]
    if names[0] == "payer-rules-held-back":  # pended results, held back from the 835
        assert int(answer.header("payer-rules-held-back")) > 0


def test_a_request_id_that_is_not_a_plain_token_is_replaced(app):
    fresh = [
        call(app, body=VISIT.read_bytes(), request_id="bad id\x7f").header("x-request-id"),
        call(app, body=VISIT.read_bytes(), request_id=None).header("x-request-id"),
        call(app, method="GET", path="/health", request_id=None).header("x-request-id"),
    ]
    # the first half of a version-4 UUID, as the service always made them
    assert all(re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{3}", rid) for rid in fresh), fresh
    assert len(set(fresh)) == 3


# -- what is not a judge request takes Starlette's way ------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD"])
def test_wrong_method_is_405_naming_post(app, method):
    answer = call(app, method=method)
    assert answer.status == 405
    assert answer.header("allow") == "POST"
    if method != "HEAD":
        assert answer.problem(405)["title"] == "Method not allowed"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/adjudicate", 405),
        ("POST", "/v1/payers", 405),
        ("GET", "/v1/nothing", 404),
        ("POST", "/v1/adjudicatex", 404),
        ("GET", "/v1/payers/", 307),  # Starlette's redirect to the path without the slash
    ],
)
@pytest.mark.parametrize("given", [RID, None, "bad id"])
def test_starlettes_own_answers_carry_the_request_id_and_versions(app, method, path, status, given):
    """The README: every response carries x-request-id and payer-rules-versions, those Starlette
    makes itself (unknown path, wrong method, redirect) as well as the endpoints'."""
    answer = call(app, method=method, path=path, request_id=given)
    assert answer.status == status
    rid = answer.header("x-request-id")
    if given == RID:
        assert rid == RID
    else:  # none, or not a plain token: a fresh one, as for the endpoints
        assert rid is not None and re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{3}", rid)
    versions = dict(part.split("=", 1) for part in answer.header("payer-rules-versions").split(", "))
    assert versions == call(app, method="GET", path="/ready").json()["versions"]
    assert answer.header_names.count("x-request-id") == 1
    assert answer.header_names.count("payer-rules-versions") == 1
    if status != 307:
        assert answer.problem(status)["request_id"] == rid


def test_an_endpoints_headers_are_not_doubled(app):
    answer = call(app, method="GET", path="/health")
    assert answer.header_names == ["content-length", "content-type", "x-request-id", "payer-rules-versions"]
    assert answer.header("x-request-id") == RID


def test_near_paths_are_not_judged(app):
    assert call(app, path="/v1/adjudicatex").problem(404)["title"] == "Not found"
    assert call(app, path="/v1/adjudicate/", body=VISIT.read_bytes()).status in {307, 404}


# -- limits and bad requests, as documented -----------------------------------------------------


@pytest.mark.parametrize("media", ["text/plain", "application/octet-stream", "text/html", None])
def test_wrong_media_type_is_415_naming_the_types(app, media):
    headers = [("content-type", media)] if media else []
    data = both(app, body=VISIT.read_bytes(), headers=headers).problem(415)
    assert data["title"] == "Unsupported media type"
    assert "application/json" in data["detail"] and "application/edi-x12" in data["detail"]


def test_media_type_parameters_and_case_are_read(app):
    answer = call(app, body=VISIT.read_bytes(), headers=[("content-type", "Application/JSON; charset=utf-8")])
    assert answer.results() == cli_json("adjudicate", VISIT)


def test_unacceptable_accept_is_406(app):
    data = both(
        app, body=VISIT.read_bytes(), headers=[("content-type", "application/json"), ("accept", "text/html")]
    ).problem(406)
    assert "application/json" in data["detail"]
    # an 835 reports money: scrubbing (check) offers none
    check = call(
        app,
        path="/v1/check",
        body=VISIT.read_bytes(),
        headers=[("content-type", "application/json"), ("accept", "application/edi-x12")],
    )
    assert "application/edi-x12" not in check.problem(406)["detail"].split("one of ")[1]


def _over_limit() -> bytes:
    claim = json.loads(VISIT.read_text())
    body = json.dumps([claim] * 50).encode()
    assert len(body) > MAX_BODY
    return body


def test_declared_body_over_the_limit_is_413(app):
    data = both(app, body=_over_limit()).problem(413)
    assert data["limit"] == {"name": "max_body_bytes", "value": MAX_BODY}
    assert str(MAX_BODY) in data["detail"]


def test_chunked_body_over_the_limit_is_413(app):
    body = _over_limit()
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    assert both(app, body=chunks).problem(413)["limit"]["name"] == "max_body_bytes"


def test_chunked_body_within_the_limit_is_judged_as_one(app):
    body = BATCH.read_bytes()
    chunks = [body[i : i + 100] for i in range(0, len(body), 100)] + [b""]
    assert both(app, body=chunks).results() == cli_json("adjudicate", BATCH)


def test_a_body_judged_in_the_worker_thread_equals_the_cli(app, tmp_path):
    claims = json.loads(BATCH.read_text())
    claims = claims if isinstance(claims, list) else claims["claims"]
    body = json.dumps(claims * 6, indent=2).encode()
    assert judge.INLINE_BODY_BYTES < len(body) <= MAX_BODY
    path = tmp_path / "batch.json"
    path.write_bytes(body)
    assert call(app, body=body).results() == cli_json("adjudicate", path)


def test_a_body_that_does_not_arrive_is_408(app):
    started = time.monotonic()
    data = call(app, body=[b'{"id": ', b'"X"'], stall=True).problem(408)
    assert time.monotonic() - started < 10
    assert data["limit"] == {"name": "body_seconds", "value": BODY_SECONDS}
    assert "10 bytes came" in data["detail"]


def test_a_client_that_goes_away_is_logged_at_info(app, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    answer = call(app, body=[b"[", b"{"], disconnect=True)
    assert answer.problem(400)["title"] == "Client disconnected"
    assert [r.levelno for r in caplog.records if "client disconnected" in r.getMessage()] == [logging.INFO]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_too_many_claims_is_422(app):
    claim = json.loads(VISIT.read_text())
    body = json.dumps([claim] * (MAX_CLAIMS + 1), separators=(",", ":")).encode()
    assert len(body) <= MAX_BODY
    assert both(app, body=body).problem(422)["limit"] == {"name": "max_claims", "value": MAX_CLAIMS}


def test_malformed_json_is_a_located_400(app):
    data = both(app, body=b'{"id": "X",\n "lines": [}\n').problem(400)
    assert data["title"] == "Unreadable claims"
    assert data["detail"].startswith("request.json:2:") and "invalid JSON" in data["detail"]
    assert data["errors"][0]["location"].startswith("request.json:2:")
    assert both(app, body=b"").problem(400)["errors"]
    assert "not UTF-8" in both(app, body=b"\xff\xfe{}").problem(400)["detail"]


def test_an_unexpected_failure_is_a_500_logged_by_type_only(app, engine, monkeypatch, caplog):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("Jane Doe 1931-02-30")

    monkeypatch.setattr(engine, "adjudicate_pairs", broken)
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    data = call(app, body=VISIT.read_bytes()).problem(500)
    assert data["title"] == "Internal error"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [f"request={RID} unexpected ValueError (details withheld from the log)"]
    assert "Jane" not in caplog.text


def test_not_ready_is_503_without_versions(engine):
    app = create_app(build=lambda: engine)  # no lifespan run: the engine is not built yet
    answer = call(app, body=VISIT.read_bytes())
    assert answer.problem(503)["title"] == "Not ready"
    assert "payer-rules-versions" not in answer.header_names


# -- query parameters ---------------------------------------------------------------------------


def test_a_then_chain_equals_the_cli_chain(app):
    args = ["--payer", "medicare", "--then", "medicaid-ny"]
    from click.testing import CliRunner

    from payer_rules.cli import cli

    out = CliRunner().invoke(cli, ["adjudicate", str(CROSSOVER), "--format", "json", *args])
    assert out.exit_code == 0, out.output
    chained = both(app, query="payer=medicare&then=medicaid-ny", body=CROSSOVER.read_bytes()).results()
    assert chained == json.loads(out.stdout)
    # asked again: the remembered reading of the query gives the same answer
    assert (
        call(app, query="payer=medicare&then=medicaid-ny", body=CROSSOVER.read_bytes()).results() == chained
    )


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("", 400, "name at least one payer"),
        ("payers=medicare", 400, "unknown query parameter payers"),
        ("payer=medicar", 422, "did you mean 'medicare'"),
        ("payer=medicare&payer=bluepeak&then=medicaid-ny", 400, "then follows one payer"),
        ("payer=medicare&then=medicare", 400, "once in a chain"),
        ("payer=medicare&then=medicaid-nyy", 422, "did you mean"),
        ("payer=medicare&as_of=2026-13-01", 400, "as_of: expected a date"),
        ("payer=medicare&received_date=9999-12-31", 400, "received_date: 9999-12-31 is out of range"),
    ],
)
def test_bad_query_parameters_are_problems_every_time(app, query, status, says):
    first = both(app, query=query, body=VISIT.read_bytes())
    again = call(app, query=query, body=VISIT.read_bytes())
    assert says in first.problem(status)["detail"]
    assert (again.status, again.raw_headers, again.body) == (first.status, first.raw_headers, first.body)


def test_payer_selection(app):
    body = BATCH.read_bytes()
    one = call(app, query="payer=medicare", body=body).results()
    assert call(app, query="payer=Medicare,medicare&payer=MEDICARE", body=body).results() == one
    two = call(app, query="payer=medicare,bluepeak", body=body).results()
    assert [r["payer"] for r in two] == ["medicare", "bluepeak"] * len(one)
    assert two == cli_json("adjudicate", BATCH, "medicare", "bluepeak")


def test_as_of_is_read(app, tmp_path):
    from click.testing import CliRunner

    from payer_rules.cli import cli

    out = CliRunner().invoke(
        cli, ["adjudicate", str(VISIT), "--format", "json", "--payer", "medicare", "--as-of", "2026-06-30"]
    )
    assert out.exit_code == 0, out.output
    assert call(
        app, query="payer=medicare&as_of=2026-06-30", body=VISIT.read_bytes()
    ).results() == json.loads(out.stdout)


def test_the_remembered_queries_stay_bounded(app):
    state = app.state.payer_rules
    for i in range(judge.MEMO_SIZE + 50):
        assert call(app, query=f"payer=medicare&x{i}=1", body=b"[]").problem(400)
    assert 0 < len(state.memo) <= judge.MEMO_SIZE
    assert both(app, body=VISIT.read_bytes()).results() == cli_json("adjudicate", VISIT)


# -- on the wire: uvicorn with chunked bodies ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def port(app: Service) -> Iterator[int]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=_free_port(), log_config=None, access_log=False, server_header=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "in-process server did not start"
        time.sleep(0.05)
    yield config.port
    server.should_exit = True
    thread.join(timeout=10)


def _exchange(port: int, request: bytes, *more: bytes) -> tuple[bytes, bytes]:
    """Send ``request`` (then each of ``more`` after a pause) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        for part in more:
            time.sleep(0.05)
            sock.sendall(part)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"content-length: (\d+)", head).group(1))
        while len(body) < length:
            body += sock.recv(65536)
    return head, body


def test_a_chunked_request_on_the_wire_is_judged_with_the_documented_headers(port):
    body = VISIT.read_bytes()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:50], body[50:])) + b"0\r\n\r\n"
    head, answer = _exchange(
        port,
        b"POST /v1/adjudicate?payer=medicare HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nX-Request-ID: wire-1\r\n\r\n" + chunked,
    )
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 200 OK"
    names = [line.split(b":")[0] for line in lines[1:]]
    assert names == [b"date", b"content-length", b"content-type", b"x-request-id", b"payer-rules-versions"]
    assert json.loads(answer)["results"] == cli_json("adjudicate", VISIT)


def test_a_body_sent_after_the_head_on_the_wire_is_waited_for_and_judged(port):
    """uvicorn has the head before the body: the body is waited for (under the deadline)."""
    body = VISIT.read_bytes()
    head, answer = _exchange(
        port,
        b"POST /v1/adjudicate?payer=medicare HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body),
        body,
    )
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert json.loads(answer)["results"] == cli_json("adjudicate", VISIT)


def test_a_body_that_never_comes_on_the_wire_is_408(port):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/adjudicate?payer=medicare HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 500\r\n\r\n{"
        )
        data = b""
        while b"}" not in data:
            data += sock.recv(65536)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert BODY_SECONDS <= time.monotonic() - started < 10
    assert b"1 bytes came" in data


# -- the body reader (receive_body) ---------------------------------------------------------------


def _read(receive: Any, limit: int = 100) -> bytes:
    return asyncio.run(judge.receive_body(receive, "", limit, BODY_SECONDS))


def _request(body: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


def test_a_body_that_has_arrived_is_read_with_no_deadline_armed(monkeypatch):
    def timeout(seconds: float) -> Any:
        raise AssertionError("a deadline was armed for a body already there")

    async def receive() -> dict[str, Any]:
        return _request(b"abc")

    monkeypatch.setattr(judge, "asyncio", types.SimpleNamespace(timeout=timeout))  # judge's only
    assert _read(receive) == b"abc"
    with pytest.raises(judge.Problem) as refused:
        _read(receive, limit=2)
    assert refused.value.status == 413


def test_a_body_waited_for_arrives_whole():
    messages = [_request(b"ab", more=True), _request(b"c", more=True), _request(b"")]

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.01)  # not there yet: the first step of receive() waits
        return messages.pop(0)

    assert _read(receive) == b"abc"


def test_a_first_message_that_never_comes_is_408_and_the_wait_is_cancelled():
    cancelled = []

    async def receive() -> dict[str, Any]:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        raise AssertionError("the body deadline did not hold")

    started = time.monotonic()
    with pytest.raises(judge.Problem) as refused:
        _read(receive)
    assert refused.value.status == 408 and "0 bytes came" in refused.value.detail
    assert time.monotonic() - started < 10
    assert cancelled == [True]


def test_a_client_gone_before_its_body_is_a_disconnect():
    from starlette.requests import ClientDisconnect

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.01)
        return {"type": "http.disconnect"}

    with pytest.raises(ClientDisconnect):
        _read(receive)


def test_a_judge_request_skips_starlette(engine):
    """The hand-over itself: Starlette builds its middleware on the first request it routes."""
    app = create_app(engine)
    assert call(app, body=VISIT.read_bytes()).results() == cli_json("adjudicate", VISIT)
    assert app.middleware_stack is None
    assert call(app, method="GET", path="/health").json() == {"status": "ok"}
    assert app.middleware_stack is not None


def test_a_server_app_freezes_what_is_alive_at_start_up(engine):
    """``serve`` makes its app with ``freeze=True``: once started, the engine is out of the cyclic
    collector's sight (gc.freeze), as in the batch runners; other apps leave the collector be."""
    from starlette.testclient import TestClient

    gc.unfreeze()
    try:
        with TestClient(create_app(engine)) as client:
            assert client.get("/ready").status_code == 200
            assert gc.get_freeze_count() == 0
        with TestClient(create_app(engine, freeze=True)) as client:
            assert client.get("/ready").status_code == 200
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("count", [1, 18], ids=["inline", "judging-thread"])
def test_no_cyclic_collection_while_a_request_is_judged(app, monkeypatch, count):
    """As in the batch runners, the collector is paused while a request is judged (on the event
    loop for a small body, in the judging thread for a large one) and back once it is answered."""
    claim = json.loads(VISIT.read_text())
    body = json.dumps([{**claim, "id": f"GC-{i}"} for i in range(count)]).encode()
    assert (len(body) > judge.INLINE_BODY_BYTES) == (count > 1)
    enabled: list[bool] = []
    render = judge._render

    def watched(*args: Any) -> Any:
        enabled.append(gc.isenabled())
        return render(*args)

    monkeypatch.setattr(judge, "_render", watched)
    assert gc.isenabled()
    assert len(call(app, body=body).results()) == count
    assert enabled == [False]
    assert gc.isenabled()
