"""Failed payments: Stripe's payment_failed events and Authorize.Net declines, through the real
webhook endpoints, become one review item each with an update-your-card draft and a retry date."""

import json
import time
from datetime import date

import pytest
from django.test import Client

from dues import intake
from dues.collections.card_failures import retry_date
from dues.models import PaymentFailure, WebhookEvent
from reviews.models import ReviewItem
from tests.dues.conftest import anet_body, anet_event, anet_headers, stripe_headers

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(mirror):
    mirror.member("M1", "Ada Lovelace", email="ada@example.org")
    return mirror.invoice("INV-9", "M1", "245.00", number="D-10610")


def stripe_failed(event_id: str = "evt_fail_1") -> bytes:
    # the documented shape of payment_intent.payment_failed (trimmed to what is read)
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "payment_intent.payment_failed",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": "pi_3Fail",
                    "object": "payment_intent",
                    "amount": 24500,
                    "currency": "usd",
                    "receipt_email": "ada@example.org",
                    "metadata": {"invoice_number": "D-10610"},
                    "last_payment_error": {
                        "code": "card_declined",
                        "decline_code": "expired_card",
                        "message": "Your card has expired.",
                    },
                }
            },
        }
    ).encode()


def deliver(path: str, body: bytes, headers: dict) -> WebhookEvent:
    response = Client().post(path, data=body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    event = WebhookEvent.objects.order_by("-id").first()
    return intake.webhook_event_process(event_id=event.pk)


@pytest.mark.parametrize(
    ("failed_on", "attempt", "expected"),
    [
        (date(2026, 12, 7), 1, date(2026, 12, 8)),  # Monday + 1: Tuesday
        (date(2026, 12, 10), 2, date(2026, 12, 14)),  # Thursday + 3: Sunday, so Monday
        (date(2026, 12, 7), 3, date(2026, 12, 14)),  # Monday + 5: Saturday, so Monday
        (date(2026, 12, 7), 4, date(2026, 12, 14)),  # Monday + 7: Monday
        (date(2026, 12, 7), 9, date(2026, 12, 14)),  # beyond the fourth: still 7 days
    ],
)
def test_retry_dates_are_spaced_and_never_on_a_weekend(failed_on, attempt, expected):
    assert retry_date(failed_on, attempt) == expected


def test_stripe_payment_failed_files_one_update_card_item(member):
    body = stripe_failed()

    event = deliver("/webhooks/stripe/", body, stripe_headers(body))
    Client().post(
        "/webhooks/stripe/", data=body, content_type="application/json", **stripe_headers(body)
    )

    assert event.status == WebhookEvent.Status.PROCESSED
    failure = PaymentFailure.objects.get()
    assert (failure.party_id, failure.invoice_id, str(failure.amount)) == ("M1", "INV-9", "245.00")
    assert failure.reason == "expired_card" and failure.attempt == 1
    item = ReviewItem.objects.get(kind="dues.payment_failed")
    assert item.payload["retry_on"] == failure.retry_on.isoformat()
    body_text = item.payload["draft"]["body"]
    assert "$245.00" in body_text and "did not go through" in body_text
    assert not item.payload["draft"]["blocking"]


def test_authorizenet_decline_files_an_item_and_an_approval_is_not_a_failure(member):
    declined = anet_body(
        anet_event(
            notification="n-decline",
            amount="245.00",
            txn="600001",
            responseCode=2,
            invoiceNumber="D-10610",
            customer={"email": "ada@example.org"},
        )
    )
    approved = anet_body(anet_event(notification="n-ok", amount="10.00", txn="600002"))

    assert (
        deliver("/webhooks/authorizenet/", declined, anet_headers(declined)).status == "processed"
    )
    deliver("/webhooks/authorizenet/", approved, anet_headers(approved))

    assert PaymentFailure.objects.get().invoice_id == "INV-9"
    assert ReviewItem.objects.filter(kind="dues.payment_failed").count() == 1
