"""Sign-in attempts are throttled per username and address; the API is rate-limited."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from common import roles
from common.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_fifth_failed_sign_in_locks_out_and_then_nothing_is_checked_or_audited(client, make_user):
    make_user(roles.FINANCE)
    for _ in range(4):
        response = client.post(reverse("login"), {"username": "frank", "password": "wrong"})
        assert response.status_code == 200
        assert "did not match" in response.content.decode()
    response = client.post(reverse("login"), {"username": "frank", "password": "wrong"})
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 4
    assert AuditEvent.objects.get(action="auth.locked_out").actor_name == "frank"
    # even the right password is refused while locked out, and the lock writes no audit rows
    response = client.post(reverse("login"), {"username": "frank", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 4
    assert AuditEvent.objects.filter(action="auth.locked_out").count() == 1
    assert not AuditEvent.objects.filter(action="auth.login")


def test_another_username_from_the_same_address_is_not_locked(client, make_user):
    make_user(roles.FINANCE)
    make_user(roles.MANAGER)
    for _ in range(5):
        client.post(reverse("login"), {"username": "frank", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "grace", "password": PASSWORD})
    assert response.status_code == 302


def test_api_answers_429_with_retry_after_beyond_the_users_rate(client, make_user, monkeypatch):
    cache.clear()
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    try:
        statuses = [client.get("/api/v1/jobs/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert int(client.get("/api/v1/jobs/")["Retry-After"]) > 0
    finally:
        cache.clear()


def test_api_rates_come_from_the_settings():
    assert SimpleRateThrottle.THROTTLE_RATES == {"user": "600/min", "anon": "30/min"}
