"""The sandbox's failed card payments: profile b's declines become signed Stripe and
Authorize.Net webhooks that the desk stores as events, with no payment, for the right member."""

from datetime import date

import pytest
from django.utils import timezone

from dues.collections.card_failures import failed_payment_days
from dues.models import Payment, WebhookEvent
from sandbox.imis import generate
from sandbox.payments.failures import card_failures, failure_events
from tests.dues.conftest import ANET_KEY, STRIPE_SECRET
from tests.dues.test_webhooks import process_all

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    settings.AUTHORIZENET_SIGNATURE_KEY = ANET_KEY


def test_profile_b_declines_arrive_as_signed_webhooks_for_their_members(client):
    assoc = generate(400, seed=5, as_of=date(2025, 6, 30), profile="b")
    failures = card_failures(assoc)
    assert len(failures) > 20
    requests = failure_events(failures, stripe_secret=STRIPE_SECRET, anet_key=ANET_KEY)
    assert {r.path for r in requests} == {"/webhooks/stripe/", "/webhooks/authorizenet/"}
    for r in requests:
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in r.headers.items()}
        headers.pop("HTTP_CONTENT_TYPE")
        response = client.post(r.path, data=r.body, content_type="application/json", **headers)
        assert response.status_code == 200, response.content
    assert WebhookEvent.objects.count() == len(failures)
    assert {e.status for e in process_all()} == {"processed"}  # a failure, for its member
    assert Payment.objects.count() == 0
    days = failed_payment_days()
    assert sorted(days["party_id"]) == sorted(f.party_id for f in failures)
    # Stripe's events keep the decline's day; Authorize.Net's are dated at delivery
    stripe_days = {(f.party_id, timezone.localtime(f.when).date()) for f in failures[::2]}
    assert stripe_days <= set(zip(days["party_id"], days["date"], strict=True))


def test_the_default_profile_logs_no_declines():
    assert card_failures(generate(200, seed=5, as_of=date(2025, 6, 30))) == []
