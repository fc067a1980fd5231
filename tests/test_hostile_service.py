"""Issue 19: the HTTP service under hostile clients, on a loopback port, every wait bounded.

Unsupported media types are a 415, a body that trickles in is cut off with a 408 (slowloris),
a client that goes away is logged at INFO, and the bodies that crashed the readers are a 400
problem, not a 500.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("starlette", reason="the HTTP service needs the serve extra (starlette, uvicorn)")

import httpx
import uvicorn

from payer_rules.engine import Engine
from payer_rules.service.app import create_app
from payer_rules.service.config import LOGGER_NAME, Limits

from .conftest import EXAMPLES

BODY_SECONDS = 1.0
OFFICE_VISIT = (EXAMPLES / "claims" / "01-office-visit-2026.json").read_bytes()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    app = create_app(Engine.from_installed(), limits=Limits(body_seconds=BODY_SECONDS))
    config = uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "in-process server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{config.port}"
    server.should_exit = True
    thread.join(timeout=10)


def _post(url: str, body: bytes, content_type: str | None) -> httpx.Response:
    headers = {"content-type": content_type} if content_type is not None else {}
    return httpx.post(f"{url}/v1/adjudicate?payer=medicare", content=body, headers=headers, timeout=30)


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", "image/png", None])
def test_unsupported_media_types_are_415(url, content_type):
    response = _post(url, OFFICE_VISIT, content_type)
    assert response.status_code == 415
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == 415 and "application/json" in problem["detail"]


def test_supported_media_type_still_judges(url):
    response = _post(url, OFFICE_VISIT, "application/json")
    assert response.status_code == 200
    assert response.json()["results"][0]["claim_id"] == "CLM-1001"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"[" * 100_000, "application/json"),
        (b'{"resourceType": "Bundle", "entry": {"a": 1}}', "application/fhir+json"),
        (b'{"resourceType": "Claim", "id": "x", "insurance": ["Coverage/1"]}', "application/fhir+json"),
    ],
)
def test_bodies_that_crashed_the_readers_are_400_problems(url, body, content_type):
    response = _post(url, body, content_type)
    assert response.status_code == 400, response.text
    assert response.json()["title"] == "Unreadable claims"


def _slow_client(port: int, results: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=BODY_SECONDS * 10) as sock:
        sock.sendall(
            b"POST /v1/adjudicate?payer=medicare HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"
        )
        received = b""
        try:
            # one byte every half second: never the whole body
            for _ in range(40):
                sock.sendall(b" ")
                sock.settimeout(0.5)
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                received += chunk
                if b"\r\n\r\n" in received:
                    break
        except OSError:  # reset after the answer: the server closed the connection
            pass
        results.append(received)


def test_slow_bodies_are_cut_off_with_408(url):
    port = int(url.rsplit(":", 1)[1])
    results: list[bytes] = []
    clients = [threading.Thread(target=_slow_client, args=(port, results)) for _ in range(6)]
    started = time.monotonic()
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=30)
    assert not any(c.is_alive() for c in clients)
    assert time.monotonic() - started < BODY_SECONDS * 10
    assert len(results) == 6
    assert all(r.startswith(b"HTTP/1.1 408") for r in results), results
    # and the service still answers
    assert _post(url, OFFICE_VISIT, "application/json").status_code == 200


def test_client_disconnect_is_logged_at_info(url, caplog):
    port = int(url.rsplit(":", 1)[1])
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/adjudicate?payer=medicare HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"
        )
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while not any("client disconnected" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, [r.getMessage() for r in caplog.records]
        time.sleep(0.05)
    disconnects = [r for r in caplog.records if "client disconnected" in r.getMessage()]
    assert all(r.levelno == logging.INFO for r in disconnects)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_problem_documents_stay_rfc_9457(url):
    response = _post(url, b"{", "application/json")
    assert response.status_code == 400
    problem = json.loads(response.text)
    assert {"type", "title", "status", "detail"} <= set(problem)


def _damage_first(text: str, segment: str, value: str) -> str:
    """``text`` with the first ``segment``'s count (element 1) replaced by ``value``."""
    segments = text.split("~")
    index = next(i for i, s in enumerate(segments) if s.strip().startswith(f"{segment}*"))
    elements = segments[index].split("*")
    elements[1] = value
    segments[index] = "*".join(elements)
    return "~".join(segments)


@pytest.mark.parametrize(("segment", "value"), [("SE", "999"), ("GE", "7"), ("IEA", "0")])
@pytest.mark.parametrize("accept", ["application/json", "application/x-ndjson"])
def test_x12_envelope_errors_are_a_located_400_not_a_silent_200(url, segment, value, accept):
    """A trailer that does not match stands for no claim: no result can carry it, so the
    service refuses the body, locating it, instead of answering 200 without it."""
    text = (EXAMPLES / "x12" / "professional.837").read_text()
    response = httpx.post(
        f"{url}/v1/adjudicate?payer=medicare",
        content=_damage_first(text, segment, value).encode(),
        headers={"content-type": "application/edi-x12", "accept": accept},
        timeout=30,
    )
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["title"] == "Broken X12 envelope"
    assert problem["errors"], problem
    for error in problem["errors"]:
        assert error["location"].startswith("request.x12: segment "), error
        assert error["claim_id"] is None
    assert f"{segment}01" in problem["errors"][0]["message"]
    assert problem["errors"][0]["location"] in problem["detail"]


def test_x12_with_a_sound_envelope_is_still_judged(url):
    text = (EXAMPLES / "x12" / "professional.837").read_text()
    claims = text.count("~CLM*") + text.count("\nCLM*")
    response = httpx.post(
        f"{url}/v1/adjudicate?payer=medicare&payer=bluepeak",
        content=text.encode(),
        headers={"content-type": "application/edi-x12"},
        timeout=30,
    )
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["results"]) == claims * 2
