"""Failed card payments arrive as signed webhooks: they are stored as events like any other,
create no payment, and become the card failures of the member they were for."""

import json
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from dues.collections.card_failures import failed_payment_days, payment_failures_backfill
from dues.models import Payment, PaymentFailure, WebhookEvent
from imis_client.models import ImisInvoice
from tests.dues.conftest import (
    anet_body,
    anet_event,
    anet_headers,
    stripe_headers,
    stripe_object,
)
from tests.dues.test_webhooks import ANET, STRIPE, post, process_all

pytestmark = pytest.mark.django_db


def _invoice(imis_id: str, number: str, party: str) -> None:
    ImisInvoice.objects.create(
        imis_id=imis_id,
        number=number,
        sold_to_id=party,
        bill_to_id=party,
        raw={},
        raw_hash=0,
        synced_at=timezone.now(),
        invoice_date=timezone.localdate() - timedelta(days=10),
        is_open=True,
    )


def _stripe(kind: str, obj: dict, event_id: str) -> bytes:
    event = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
    }
    return json.dumps(event).encode()


def test_failures_are_stored_create_no_payment_and_count_for_the_member(client):
    _invoice("7001", "INV-7001", "P-31")
    intent = stripe_object("payment_intent")
    intent.update(status="requires_payment_method", metadata={"invoice_number": "INV-7001"})
    stripe_invoice = stripe_object("invoice")
    stripe_invoice.update(status="open", metadata={"imis_id": "P-42"})
    declined = anet_event(
        notification="a1f0", txn="60020990001", responseCode=2, customer={"id": "P-55"}
    )
    bodies = [
        (STRIPE, _stripe("payment_intent.payment_failed", intent, "evt_fail_1")),
        (STRIPE, _stripe("invoice.payment_failed", stripe_invoice, "evt_fail_2")),
        (ANET, anet_body(declined)),
    ]
    for url, body in bodies:
        headers = stripe_headers(body) if url == STRIPE else anet_headers(body)
        response = post(client, url, body, headers)
        assert response.status_code == 200, response.content
    assert WebhookEvent.objects.count() == 3
    events = process_all()
    # each is a failure recorded for its member (none is in the mirror: no item is filed)
    assert {e.status for e in events} == {"processed"}
    assert Payment.objects.count() == 0
    assert sorted(PaymentFailure.objects.values_list("party_id", "invoice_id")) == [
        ("P-31", "7001"),
        ("P-42", ""),
        ("P-55", ""),
    ]
    assert not PaymentFailure.objects.exclude(review_item=None).exists()
    days = failed_payment_days()
    assert sorted(days["party_id"]) == ["P-31", "P-42", "P-55"]
    assert set(days["date"]) == {timezone.localdate()}


def test_a_successful_capture_is_not_a_failure(client):
    body = anet_body(anet_event(notification="b2", txn="60020990002", customer={"id": "P-9"}))
    assert post(client, ANET, body, anet_headers(body)).status_code == 200
    assert failed_payment_days().empty


def test_the_model_reads_the_failures_the_items_are_filed_from(client, mirror):
    # a member in the mirror: the failure files an update-your-card item and is a model event
    mirror.member("P-77", "Ada Lovelace", email="ada@example.org")
    held = anet_event(notification="c3", txn="60020990003", responseCode=4, customer={"id": "P-78"})
    declined = anet_event(
        notification="c4", txn="60020990004", responseCode=2, customer={"id": "P-77"}
    )
    for event in (held, declined):
        body = anet_body(event)
        assert post(client, ANET, body, anet_headers(body)).status_code == 200
    process_all()

    failure = PaymentFailure.objects.get()  # held for review is not a failure
    assert failure.party_id == "P-77" and failure.review_item is not None
    days = failed_payment_days()
    assert list(days["party_id"]) == ["P-77"]
    # removing the recorded failure removes the model's event: one source, no second reading
    PaymentFailure.objects.all().delete()
    assert failed_payment_days().empty


def test_backfill_records_failures_stored_before_they_were_kept_once(client, mirror):
    # given two declines delivered and stored while failures were still ignored: one a month
    # ago, one yesterday, both for a member of the mirror
    mirror.member("P-88", "Ada Lovelace", email="ada@example.org")
    for notification, txn in (("d1", "60020990011"), ("d2", "60020990012")):
        event = anet_event(
            notification=notification, txn=txn, responseCode=2, customer={"id": "P-88"}
        )
        body = anet_body(event)
        assert post(client, ANET, body, anet_headers(body)).status_code == 200
    process_all()
    PaymentFailure.objects.all().delete()  # what the desk kept before failures were recorded
    old = WebhookEvent.objects.order_by("pk").first()
    month_ago = (timezone.now() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.0Z")
    old.payload = {**old.payload, "eventDate": month_ago}
    old.save(update_fields=["payload"])

    # when the backfill runs twice
    out = StringIO()
    call_command("payment_failures_backfill", stdout=out)
    again = payment_failures_backfill()

    # then each decline is a failure of the member once; only yesterday's asks for a new card
    assert json.loads(out.getvalue()) == {
        "events": 2,
        "recorded": 2,
        "already_kept": 0,
        "not_a_failure": 0,
        "filed": 1,
    }
    assert (again["recorded"], again["already_kept"]) == (0, 2)
    assert sorted(failed_payment_days()["party_id"]) == ["P-88", "P-88"]
    assert PaymentFailure.objects.exclude(review_item=None).count() == 1
