"""Tests for sandbox authentication: password-grant tokens, wrong credentials, expiry."""

from datetime import date

import httpx
import pytest

from sandbox.imis import SandboxApp, generate

FORM = {"grant_type": "password", "username": "apiuser", "password": "s3cret"}


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture(scope="module")
def association():
    return generate(300, seed=8, as_of=date(2025, 6, 30))


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def app(association, clock):
    return SandboxApp(association, username="apiuser", password="s3cret", token_ttl=60, clock=clock)


@pytest.fixture
def client(app):
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sandbox/imis")


def test_token_password_grant_returns_a_bearer_token(client):
    # when the client logs in with form-encoded credentials
    response = client.post("/token", data=FORM)
    # then it gets an OAuth-style bearer token with a lifetime
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 60
    assert body["access_token"] and body["userName"] == "apiuser"


def test_token_route_is_case_insensitive(client):
    assert client.post("/Token", data=FORM).status_code == 200


def test_token_wrong_password_is_invalid_grant(client):
    response = client.post("/token", data={**FORM, "password": "nope"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response.json()["error_description"]


def test_token_other_grant_types_are_refused(client):
    response = client.post("/token", data={**FORM, "grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_api_without_a_token_is_401_with_an_http_error(client):
    response = client.get("/api/Party")
    assert response.status_code == 401
    assert response.json() == {
        "$type": "System.Web.Http.HttpError, System.Web.Http",
        "Message": "Authorization has been denied for this request.",
    }


def test_api_token_works_until_it_expires_then_401(client, clock):
    # given a fresh token
    token = client.post("/token", data=FORM).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    # when used before and after its lifetime
    before = client.get("/api/Party", headers=headers, params={"limit": 1})
    clock.now += 61
    after = client.get("/api/Party", headers=headers, params={"limit": 1})
    # then it works, then it is refused, and logging in again works
    assert before.status_code == 200
    assert after.status_code == 401
    fresh = client.post("/token", data=FORM).json()["access_token"]
    again = client.get("/api/Party", headers={"Authorization": f"Bearer {fresh}"})
    assert again.status_code == 200


def test_api_expire_fault_shortens_token_lifetime(app, client, clock):
    # given the expire fault
    app.faults.set("expire=5")
    body = client.post("/token", data=FORM).json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    # then new tokens announce and keep the short lifetime
    assert body["expires_in"] == 5
    clock.now += 6
    assert client.get("/api/Party", headers=headers).status_code == 401
    app.faults.clear()


def test_api_expire_tokens_control_invalidates_every_token(app, client):
    token = client.post("/token", data=FORM).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/_sandbox/tokens/expire").status_code == 200
    assert client.get("/api/Party", headers=headers).status_code == 401
