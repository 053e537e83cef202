"""Tests for the sandbox's real HTTP server on 127.0.0.1."""

import threading
from datetime import date

import httpx
import pytest

from sandbox.imis import SandboxApp, SandboxServer, generate

FORM = {"grant_type": "password", "username": "sandbox", "password": "sandbox"}


@pytest.fixture(scope="module")
def server():
    with SandboxServer(generate(800, seed=31, as_of=date(2025, 6, 30))) as running:
        yield running


def test_server_base_url_has_a_virtual_directory(server):
    assert server.base_url.startswith("http://127.0.0.1:")
    assert server.base_url.endswith("/imis")
    assert httpx.get(server.base_url.rsplit("/imis", 1)[0] + "/api/Party").status_code == 404


def test_server_serves_concurrent_page_requests(server):
    # given one token and eight threads reading different pages at once
    token = httpx.post(f"{server.base_url}/token", data=FORM).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    barrier = threading.Barrier(8)
    results, errors = {}, []

    def read(page: int) -> None:
        try:
            with httpx.Client(base_url=server.base_url, headers=headers) as client:
                barrier.wait(timeout=5)
                body = client.get("/api/Party", params={"limit": 100, "offset": page * 100}).json()
                results[page] = [r["PartyId"] for r in body["Items"]["$values"]]
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(p,)) for p in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # then every page came back, with no overlap
    assert errors == []
    ids = [pid for page in sorted(results) for pid in results[page]]
    assert len(ids) == 800 == len(set(ids))


def test_server_keeps_connections_alive_between_pages(server):
    token = httpx.post(f"{server.base_url}/token", data=FORM).json()["access_token"]
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}) as c:
        first = c.get("/api/Item")
        second = c.get("/api/Item")
    assert first.status_code == second.status_code == 200
    assert first.headers.get("connection", "").lower() != "close"


def test_server_control_advance_over_http(server):
    before = httpx.get(f"{server.base_url}/_sandbox/").json()
    moved = httpx.post(f"{server.base_url}/_sandbox/advance", json={"days": 3}).json()
    assert moved["now"].startswith("2025-07-03")
    assert before["rows"]["Party"] <= moved["changes"].get("Party", 0) + before["rows"]["Party"]


def test_server_stops_and_frees_its_port():
    app = SandboxApp(generate(300, seed=32, as_of=date(2025, 6, 30)))
    server = SandboxServer(app)
    url = server.start()
    assert httpx.post(f"{url}/token", data=FORM).status_code == 200
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{url}/token", data=FORM, timeout=1)
