"""The iMIS client against the sandbox over real HTTP: login, paging, retries, clear errors."""

import socket

import orjson
import pytest

from imis_client.client import ImisClient
from imis_client.errors import (
    ImisAmbiguousWrite,
    ImisAuthError,
    ImisError,
    ImisRequestError,
    ImisUnavailable,
)
from imis_client.paged import parse_paged_raw


def test_client_login_gets_a_token_once_for_many_calls(client, sandbox):
    client.get("/api/Party", {"limit": 1})
    client.get("/api/Party", {"limit": 1})
    assert client.stats["logins"] == 1


def test_client_wrong_password_says_which_site_and_stops(sandbox, waits):
    bad = ImisClient(sandbox.base_url, "sandbox", "wrong", sleep=waits)
    with pytest.raises(ImisAuthError) as caught:
        bad.get("/api/Party")
    assert str(caught.value).startswith(
        f"iMIS rejected the username or password for {sandbox.base_url}"
    )
    assert waits.waits == []  # no retry can fix credentials
    assert bad.stats["requests"] == 1


def test_client_relogs_in_once_on_401_after_token_expiry(client, sandbox):
    client.get("/api/Party", {"limit": 1})
    sandbox.app.expire_tokens()
    body = client.get("/api/Party", {"limit": 1})
    assert body["Items"]["$values"]
    assert client.stats["logins"] == 2


def test_client_honours_retry_after_on_429(client, sandbox, waits):
    sandbox.faults.fail_next(2, 429, retry_after=3)
    client.get("/api/Party", {"limit": 1})
    assert waits.waits == [3.0, 3.0]


def test_client_survives_a_burst_of_5xx_with_growing_jittered_backoff(client, sandbox, waits):
    sandbox.faults.fail_next(4, 502)
    assert client.get("/api/Party", {"limit": 1})["Items"]["$values"]
    assert len(waits.waits) == 4
    assert all(0 <= w <= min(30, 0.5 * 2**i) for i, w in enumerate(waits.waits))


def test_client_survives_connection_resets(client, sandbox, waits):
    sandbox.faults.reset_next(2)
    assert client.get("/api/Party", {"limit": 1})["Items"]["$values"]
    assert len(waits.waits) == 2


def test_client_gives_up_after_max_attempts_with_last_error(sandbox, waits):
    c = ImisClient(sandbox.base_url, "sandbox", "sandbox", max_attempts=3, sleep=waits)
    c.login()
    sandbox.faults.fail_next(10, 500)
    with pytest.raises(
        ImisUnavailable, match=r"did not answer GET /api/Party after 3 tries; last error: HTTP 500"
    ):
        c.get("/api/Party")


def test_client_unreachable_host_is_reported_after_retries(waits):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = ImisClient(f"http://127.0.0.1:{port}/imis", "u", "p", max_attempts=2, sleep=waits)
    with pytest.raises(
        ImisUnavailable,
        match=rf"iMIS at http://127.0.0.1:{port}/imis did not answer POST /token after 2 tries",
    ):
        c.login()


def test_client_paging_follows_next_offset_past_the_clamped_limit(client, sandbox):
    client.page_size = 5000  # the server clamps to its own maximum
    pages = list(client.iter_pages("Party"))
    total = pages[0].total
    assert pages[0].limit == 500
    assert sum(len(p.items) for p in pages) == total
    ids = [r["PartyId"] for p in pages for r in p.items]
    assert len(ids) == len(set(ids))


def test_client_concurrent_paging_keeps_order(sandbox, waits):
    ordered = ImisClient(sandbox.base_url, "sandbox", "sandbox", page_size=50, concurrency=1)
    parallel = ImisClient(sandbox.base_url, "sandbox", "sandbox", page_size=50, concurrency=4)
    a = [r["PartyId"] for p in ordered.iter_pages("Party", {"OrderBy": "PartyId"}) for r in p.items]
    b = [
        r["PartyId"] for p in parallel.iter_pages("Party", {"OrderBy": "PartyId"}) for r in p.items
    ]
    assert a == b and len(a) > 300


def test_client_write_refused_with_400_carries_imis_message(client):
    with pytest.raises(ImisRequestError) as caught:
        client.post("/api/ComboOrder", {"nonsense": True})
    assert caught.value.status == 400
    assert str(caught.value).startswith("iMIS refused POST /api/ComboOrder with HTTP 400: ")


def test_client_write_that_times_out_after_commit_is_ambiguous(sandbox, waits):
    c = ImisClient(sandbox.base_url, "sandbox", "sandbox", timeout=0.5, sleep=waits)
    c.login()
    sandbox.faults.commit_timeout_next(1, seconds=2)
    from imis_client.contracts import writes

    method, path, body, *_ = writes.party_note(reference="REF-1", party_id="10001", text="hello")
    with pytest.raises(ImisAmbiguousWrite, match="iMIS may or may not have applied it"):
        c.request(method, path, json=body, write=True)


def test_client_keeps_to_the_request_rate_cap(sandbox):
    import time

    capped = ImisClient(sandbox.base_url, "sandbox", "sandbox", max_rps=20)
    capped.login()
    started = time.monotonic()
    for _ in range(10):
        capped.get("/api/Item")
    assert time.monotonic() - started >= 9 / 20 - 0.01


def test_client_raw_pages_hold_each_record_exactly_as_sent(client):
    # given the same list read decoded and raw
    decoded = list(client.iter_pages("Party", {"OrderBy": "PartyId"}))
    raw = list(client.iter_pages("Party", {"OrderBy": "PartyId"}, raw=True))
    # then the raw items are each record's own JSON text, and the paging is the same
    assert [orjson.loads(item) for p in raw for item in p.items] == [
        r for p in decoded for r in p.items
    ]
    assert [(p.offset, p.total, p.next_offset) for p in raw] == [
        (p.offset, p.total, p.next_offset) for p in decoded
    ]
    assert all(isinstance(item, bytes) for p in raw for item in p.items)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"Items": {"$type": "x"}}', "the Party list with Items that hold no \\$values"),
        (b'{"Count": 0}', "the Party list without a PagedResult"),
        (b"[1, 2]", "the Party list without a PagedResult"),
        (b"<html>busy</html>", "GET /api/Party with something that is not JSON"),
    ],
)
def test_raw_page_that_is_not_a_paged_result_says_what_came(body, message):
    with pytest.raises(ImisError, match=message):
        parse_paged_raw(body, "Party", "/api/Party")


def test_raw_page_keeps_escapes_and_unicode_byte_for_byte():
    record = b'{"Name": "Zo\\u00eb \\"Q\\" \xe2\x98\x83",\n "Note": "C:\\\\temp"}'
    page = parse_paged_raw(
        b'{"Items": {"$values": [' + record + b']}, "HasNext": false, "TotalCount": 1}',
        "Party",
        "/api/Party",
    )
    assert page.items == [record] and page.total == 1 and not page.has_next
