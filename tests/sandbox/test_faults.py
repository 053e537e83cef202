"""Tests for switchable sandbox faults, over real HTTP where the fault is a transport one."""

import time
from datetime import date

import httpx
import orjson
import pytest

from sandbox.imis import Faults, FaultSpecError, SandboxApp, SandboxServer, generate
from sandbox.imis.faults import parse_spec

AS_OF = date(2025, 6, 30)
FORM = {"grant_type": "password", "username": "sandbox", "password": "sandbox"}


def _client(app, base_url="http://sandbox/imis", **kwargs) -> httpx.Client:
    if base_url.startswith("http://sandbox"):
        kwargs["transport"] = httpx.WSGITransport(app=app)
    c = httpx.Client(base_url=base_url, **kwargs)
    c.headers["Authorization"] = "Bearer " + c.post("/token", data=FORM).json()["access_token"]
    return c


@pytest.fixture(scope="module")
def association():
    return generate(400, seed=9, as_of=AS_OF)


@pytest.fixture
def app(association):
    return SandboxApp(association)


def _audit(outbox_id: str) -> dict:
    return {
        "$type": "Asi.Soa.Core.DataContracts.GenericEntityData, Asi.Contracts",
        "EntityTypeName": "AI_Audit_Log",
        "Properties": {
            "$type": "Asi.Soa.Core.DataContracts.GenericPropertyDataCollection, Asi.Contracts",
            "$values": [
                {"Name": "Action", "Value": "risk.scored"},
                {"Name": "Actor", "Value": "dues-desk"},
                {"Name": "OutboxId", "Value": outbox_id},
            ],
        },
    }


# -- spec ----------------------------------------------------------------------------------------
def test_fault_spec_parses_the_documented_grammar():
    spec = (
        "latency=20ms,429=0.05,retry_after=1,5xx=0.02,reset=0.01,expire=30,mutate=0.01,"
        "commit_timeout=1"
    )
    assert parse_spec(spec) == {
        "latency": 0.02,
        "429": 0.05,
        "retry_after": 1,
        "5xx": 0.02,
        "reset": 0.01,
        "expire": 30.0,
        "mutate": 0.01,
        "commit_timeout": 1.0,
    }


@pytest.mark.parametrize("spec", ["latency", "bogus=1", "429=2", "latency=fast", "burst=x"])
def test_fault_spec_rejects_what_it_cannot_read(spec):
    with pytest.raises(FaultSpecError):
        Faults(spec)


# -- latency, 429, 5xx -----------------------------------------------------------------------
def test_fault_latency_delays_every_request(app):
    client = _client(app)
    app.faults.set("latency=60ms")
    start = time.perf_counter()
    client.get("/api/Item")
    assert time.perf_counter() - start >= 0.06


def test_fault_429_carries_retry_after(app):
    client = _client(app)
    app.faults.fail_next(1, 429, retry_after=2)
    response = client.get("/api/Party")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert client.get("/api/Party").status_code == 200


def test_fault_fail_next_three_with_503_then_recovers(app):
    # given "fail the next 3 requests with 503"
    client = _client(app)
    app.faults.fail_next(3, 503)
    # when four requests are made
    codes = [client.get("/api/Party", params={"limit": 1}).status_code for _ in range(4)]
    # then three fail with the gateway's HTML answer and the fourth succeeds
    assert codes == [503, 503, 503, 200]


def test_fault_fail_next_can_target_one_path(app):
    client = _client(app)
    app.faults.fail_next(1, 500, path="/api/InvoiceSummary")
    assert client.get("/api/Party").status_code == 200
    failed = client.get("/api/InvoiceSummary")
    assert failed.status_code == 500
    assert failed.json()["Message"] == "An error occurred. Please contact the administrator."


def test_fault_random_5xx_is_deterministic_for_a_seed(association):
    def codes(spec):
        app = SandboxApp(association)
        client = _client(app)
        app.faults.set(spec)
        return [client.get("/api/Item").status_code for _ in range(60)]

    first, second = codes("5xx=0.3,seed=7"), codes("5xx=0.3,seed=7")
    assert first == second
    assert {500, 502, 503} & set(first) and 200 in first
    assert codes("5xx=0.3,seed=8") != first


def test_fault_5xx_bursts_repeat_the_failure(association):
    app = SandboxApp(association)
    client = _client(app)
    app.faults.set("500=0.1,burst=3,seed=3")
    codes = [client.get("/api/Item").status_code for _ in range(80)]
    runs = "".join("x" if c == 500 else "." for c in codes).split(".")
    assert any(runs) and all(len(r) % 3 == 0 for r in runs if r)


def test_fault_random_429_rate_one_answers_every_request(association):
    app = SandboxApp(association, faults="429=1,retry_after=4")
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sandbox/imis")
    response = client.post("/token", data=FORM)
    assert response.status_code == 429 and response.headers["Retry-After"] == "4"


# -- resets and ambiguous writes ---------------------------------------------------------------
def test_fault_reset_closes_the_connection_without_an_answer(app):
    with SandboxServer(app) as server:
        client = _client(app, server.base_url)
        app.faults.reset_next(1)
        with pytest.raises(httpx.TransportError):
            client.get("/api/Party")
        assert client.get("/api/Party").status_code == 200


def test_fault_reset_in_process_raises_connection_reset(app):
    client = _client(app)
    app.faults.reset_next(1)
    with pytest.raises(ConnectionResetError):
        client.get("/api/Party")


def test_fault_commit_then_timeout_applies_the_write_exactly_once(app):
    # given a write whose answer the server holds longer than the client waits
    with SandboxServer(app) as server:
        client = _client(app, server.base_url, timeout=0.3)
        app.faults.commit_timeout_next(1, seconds=0.8)
        # when the client posts and times out
        with pytest.raises(httpx.TimeoutException):
            client.post("/api/AI_Audit_Log", json=_audit("ob-timeout-1"))
        # then the write was applied once and can be found by the client's reference
        time.sleep(0.6)
        rows = client.get("/api/AI_Audit_Log", params={"OutboxId": "eq:ob-timeout-1"}).json()
        assert rows["TotalCount"] == 1


def test_fault_commit_drop_applies_the_write_and_drops_the_answer(app):
    client = _client(app)
    app.faults.commit_drop_next(1)
    with pytest.raises(ConnectionResetError):
        client.post("/api/AI_Audit_Log", json=_audit("ob-drop-1"))
    rows = client.get("/api/AI_Audit_Log", params={"OutboxId": "eq:ob-drop-1"}).json()
    assert rows["TotalCount"] == 1
    assert app.counters["writes_lost"]["/api/ai_audit_log"] == 1


def test_fault_commit_faults_skip_reads(app):
    client = _client(app)
    app.faults.commit_drop_next(1)
    assert client.get("/api/Party").status_code == 200
    with pytest.raises(ConnectionResetError):
        client.post("/api/AI_Audit_Log", json=_audit("ob-drop-2"))


# -- rows changing mid-scan ------------------------------------------------------------------
def _naive_scan(client, entity, page=20, **params):
    seen, offset = [], 0
    while True:
        body = client.get(
            f"/api/{entity}", params={"limit": page, "offset": offset, **params}
        ).json()
        seen += body["Items"]["$values"]
        if not body["HasNext"]:
            return seen
        offset = body["NextOffset"]


def test_fault_mutate_makes_naive_offset_paging_skip_rows(association):
    # given a scan of open invoices, with rows paid off between page 1 and page 2
    app = SandboxApp(generate(400, seed=9, as_of=AS_OF))
    client = _client(app)
    before = {r["InvoiceId"] for r in _naive_scan(client, "InvoiceSummary", Balance="ne:0")}
    app.faults.mutate_next(1)
    # when the client pages naively by offset
    seen = {r["InvoiceId"] for r in _naive_scan(client, "InvoiceSummary", Balance="ne:0")}
    after = {r["InvoiceId"] for r in _naive_scan(client, "InvoiceSummary", Balance="ne:0")}
    # then rows that stayed open were never returned: the mutation shifted the offsets
    assert after < before
    assert after - seen, "a still-open invoice was skipped"


def test_fault_mutate_inserts_and_updates_parties_mid_scan(association):
    app = SandboxApp(generate(300, seed=9, as_of=AS_OF))
    client = _client(app)
    count = client.get("/api/Party", params={"limit": 1}).json()["TotalCount"]
    stamp = max(r["UpdateInformation"]["UpdatedOn"] for r in _naive_scan(client, "Party", 100))
    app.faults.set("mutate=1,seed=2")
    rows = _naive_scan(client, "Party", page=100)
    app.faults.clear()
    assert len(rows) > count  # new people appeared while paging
    changed = client.get("/api/Party", params={"UpdatedOn": f"gt:{stamp}", "limit": 500}).json()
    assert changed["TotalCount"] >= 3


# -- control endpoints and malformed rows -------------------------------------------------------
def test_control_endpoints_queue_faults_and_count_requests(app):
    client = _client(app)
    client.delete("/_sandbox/counters")
    queued = client.post("/_sandbox/faults/next", json={"kind": "fail", "count": 2, "status": 502})
    assert queued.status_code == 200
    codes = [client.get("/api/Party").status_code for _ in range(3)]
    counters = client.get("/_sandbox/counters").json()
    assert codes == [502, 502, 200]
    assert counters["requests"]["GET /api/party"] == 3
    assert counters["status"] == {"502": 2, "200": 1}
    spec = client.put("/_sandbox/faults", json={"spec": "latency=1ms"}).json()
    assert spec["settings"] == {"latency": 0.001}
    assert client.delete("/_sandbox/faults").json()["settings"] == {}
    assert client.put("/_sandbox/faults", json={"spec": "nonsense=1"}).status_code == 400


def test_malformed_rows_serialise_with_a_bad_field_until_cleared(app):
    client = _client(app)
    good = client.get("/api/Party/10005").content
    reply = client.post(
        "/_sandbox/malformed", json={"entity": "Party", "ids": ["10005"], "kind": "bad_date"}
    )
    assert reply.json() == {"malformed": 1}
    bad = client.get("/api/Party/10005").json()
    join = next(p for p in bad["AdditionalAttributes"]["$values"] if p["Name"] == "JoinDate")
    assert join["Value"] == "31/02/2024 25:61"
    page = client.get("/api/Party", params={"PartyId": "in:10004|10005|10006"}).json()
    assert len(page["Items"]["$values"]) == 3
    app.association.malform("Party", ["10006"], "missing_type")
    assert "$type" not in client.get("/api/Party/10006").json()
    client.delete("/_sandbox/malformed")
    assert client.get("/api/Party/10005").content == good
    assert "$type" in orjson.loads(client.get("/api/Party/10006").content)
