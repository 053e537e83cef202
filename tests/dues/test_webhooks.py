"""Webhooks: only genuine, fresh, well-formed events are stored; each once; a worker processes."""

import json
import threading
import time
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from common import roles
from dues import intake
from dues.matching.run import remittance_for
from dues.models import JournalTransaction, Payment, WebhookEvent
from sandbox.imis import SandboxServer
from sandbox.payments.anet_api import API_PATH, AnetTransactionApi
from tests.conftest import PASSWORD, wait_for
from tests.dues.conftest import (
    ANET_KEY,
    STRIPE_SECRET,
    anet_body,
    anet_event,
    anet_headers,
    stripe_charge_event,
    stripe_headers,
)

STRIPE = "/webhooks/stripe/"
ANET = "/webhooks/authorizenet/"


def post(client, url, body: bytes, headers: dict):
    return client.post(url, data=body, content_type="application/json", **headers)


def assert_nothing_stored():
    assert (WebhookEvent.objects.count(), Payment.objects.count(), OrmQ.objects.count()) == (
        0,
        0,
        0,
    )


def process_all() -> list[WebhookEvent]:
    return [
        intake.webhook_event_process(event_id=pk)
        for pk in WebhookEvent.objects.order_by("id").values_list("pk", flat=True)
    ]


# --- Stripe ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_stripe_valid_event_is_stored_queued_and_becomes_one_payment(client):
    body = json.dumps(stripe_charge_event()).encode()
    response = post(client, STRIPE, body, stripe_headers(body))
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    event = WebhookEvent.objects.get()
    assert (event.source, event.event_type, event.status) == (
        "stripe",
        "charge.succeeded",
        "received",
    )
    assert event.body == body.decode()
    assert OrmQ.objects.count() == 1  # processing is queued, not done in the request
    assert Payment.objects.count() == 0
    # when the worker processes it
    (event,) = process_all()
    payment = Payment.objects.get()
    assert event.status == "processed" and event.payment == payment
    assert (payment.amount, payment.currency, payment.method) == (Decimal("120.00"), "USD", "card")
    assert (payment.payer_name, payment.payer_email) == ("Jenny Rosen", "jenny.rosen@example.com")
    assert payment.memo == "Dues 2026 INV 10234"
    assert payment.dedupe_key == "pi_3PgcQ2B7WZ01zgkW0Yp1aBcD"
    assert payment.raw["id"] == "ch_1PgafuB7WZ01zgkWXYmPNZs8"
    assert JournalTransaction.objects.filter(payment=payment, kind="intake").count() == 1


@pytest.mark.django_db
def test_stripe_card_billing_postal_code_is_kept_for_matching(client):
    body = json.dumps(stripe_charge_event(postal_code="02139-4307")).encode()
    assert post(client, STRIPE, body, stripe_headers(body)).status_code == 200
    process_all()
    payment = Payment.objects.get()
    assert payment.payer_postal_code == "02139-4307"
    assert remittance_for(payment).payer_postal_code == "02139-4307"


@pytest.mark.django_db
def test_stripe_body_changed_by_one_byte_is_refused_and_nothing_stored(client):
    body = json.dumps(stripe_charge_event()).encode()
    headers = stripe_headers(body)
    tampered = body.replace(b'"amount": 12000', b'"amount": 92000')
    assert len(tampered) == len(body)
    response = post(client, STRIPE, tampered, headers)
    assert response.status_code == 400
    assert response.json() == {"error": "No v1 signature matches the body."}
    assert_nothing_stored()


@pytest.mark.django_db
def test_stripe_missing_header_is_refused(client):
    body = json.dumps(stripe_charge_event()).encode()
    response = post(client, STRIPE, body, {})
    assert response.status_code == 400
    assert response.json() == {"error": "The Stripe-Signature header is missing."}
    assert_nothing_stored()


@pytest.mark.django_db
def test_stripe_signature_301_seconds_old_is_refused(client, clock):
    clock("2026-11-10T12:00", tick=False)  # the age is read again when the request arrives
    body = json.dumps(stripe_charge_event()).encode()
    response = post(client, STRIPE, body, stripe_headers(body, at=int(time.time()) - 301))
    assert response.status_code == 400
    assert response.json() == {
        "error": "The signature is 301 s old; signatures are accepted for 300 s."
    }
    assert_nothing_stored()


@pytest.mark.django_db
def test_stripe_two_v1_signatures_of_which_one_is_valid_is_accepted(client):
    # a secret being rolled: Stripe signs with both, and only one is ours
    body = json.dumps(stripe_charge_event()).encode()
    stamp, valid = stripe_headers(body)["HTTP_STRIPE_SIGNATURE"].split(",v1=")
    other = stripe_headers(body, secret="whsec_rolled_away")["HTTP_STRIPE_SIGNATURE"]
    invalid = other.split(",v1=")[1]
    header = f"{stamp},v1={invalid},v1={valid}"
    assert post(client, STRIPE, body, {"HTTP_STRIPE_SIGNATURE": header}).status_code == 200
    # while two that are both wrong are refused
    both_wrong = f"{stamp},v1={invalid},v1={'0' * 64}"
    second = json.dumps(stripe_charge_event(event_id="evt_second")).encode()
    response = post(client, STRIPE, second, {"HTTP_STRIPE_SIGNATURE": both_wrong})
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "error"),
    [
        # a v1 value with a non-ASCII character (a latin-1 byte as WSGI decodes it)
        ("t={now},v1=\u00e9" + "0" * 63, "The Stripe-Signature v1 signature is not 64 hex digits."),
        ("t={now},v1=" + "\u0661" * 64, "The Stripe-Signature v1 signature is not 64 hex digits."),
        ("t={now},v1=" + "g" * 64, "The Stripe-Signature v1 signature is not 64 hex digits."),
        ("t={now},v1=" + "0" * 63, "The Stripe-Signature v1 signature is not 64 hex digits."),
        # digits that str.isdigit() accepts but are not a Unix time
        (
            "t=\u00b2,v1=" + "0" * 64,
            "The Stripe-Signature header has no timestamp or no v1 signature.",
        ),
        (
            "t=\u0661\u0662,v1=" + "0" * 64,
            "The Stripe-Signature header has no timestamp or no v1 signature.",
        ),
    ],
)
def test_stripe_signature_header_that_is_not_ascii_hex_is_refused_with_400(client, header, error):
    body = json.dumps(stripe_charge_event()).encode()
    signature = header.replace("{now}", str(int(time.time())))
    response = post(client, STRIPE, body, {"HTTP_STRIPE_SIGNATURE": signature})
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert_nothing_stored()


@pytest.mark.django_db
def test_stripe_well_signed_body_that_is_not_an_event_is_refused(client):
    body = b'{"hello": "world"'
    response = post(client, STRIPE, body, stripe_headers(body))
    assert response.status_code == 400
    assert response.json()["error"].startswith("The body is not JSON:")
    body = b'{"id": "evt_1", "type": "charge.succeeded"}'
    response = post(client, STRIPE, body, stripe_headers(body))
    assert response.json() == {"error": "The body is not a Stripe event: it has no data.object."}
    assert_nothing_stored()


@pytest.mark.django_db
def test_stripe_without_a_configured_secret_refuses_with_503(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = json.dumps(stripe_charge_event()).encode()
    assert post(client, STRIPE, body, stripe_headers(body)).status_code == 503
    assert_nothing_stored()


@pytest.mark.django_db
def test_stripe_redelivery_and_the_intent_event_of_the_same_payment_store_one_payment(client):
    charge = json.dumps(stripe_charge_event()).encode()
    assert post(client, STRIPE, charge, stripe_headers(charge)).json()["duplicate"] is False
    assert post(client, STRIPE, charge, stripe_headers(charge)).json()["duplicate"] is True
    intent = stripe_charge_event(event_id="evt_intent", kind="charge.succeeded")
    intent["type"] = "payment_intent.succeeded"
    intent["data"]["object"].update(
        id="pi_3PgcQ2B7WZ01zgkW0Yp1aBcD", object="payment_intent", amount_received=12000
    )
    body = json.dumps(intent).encode()
    assert post(client, STRIPE, body, stripe_headers(body)).status_code == 200
    events = process_all()
    assert [e.status for e in events] == ["processed", "duplicate"]
    assert Payment.objects.count() == 1
    assert JournalTransaction.objects.count() == 1


def _distinct_charge(event_id: str, n: int) -> dict:
    event = stripe_charge_event(event_id=event_id, intent=f"pi_burst_{n:04d}", amount=10000 + n)
    event["data"]["object"]["id"] = f"ch_burst_{n:04d}"
    return event


@pytest.mark.django_db
def test_a_burst_of_events_queues_one_drain_that_processes_them_all_in_order(client):
    bodies = [json.dumps(_distinct_charge(f"evt_burst_{n}", n)).encode() for n in range(30)]
    for body in bodies:
        assert post(client, STRIPE, body, stripe_headers(body)).status_code == 200
    # thirty deliveries, one queued run: staff decisions' effects do not wait behind thirty tasks
    assert [task.name() for task in OrmQ.objects.all()] == ["wake-dues.webhooks"]
    assert intake.webhook_events_drain() == {"processed": 30}
    assert Payment.objects.count() == 30
    assert list(
        WebhookEvent.objects.order_by("processed_at", "pk").values_list("event_id", flat=True)
    ) == [f"evt_burst_{n}" for n in range(30)]
    # the run cleared its wake on starting: the next delivery queues the next run
    more = json.dumps(_distinct_charge("evt_after", 99)).encode()
    post(client, STRIPE, more, stripe_headers(more))
    assert OrmQ.objects.count() == 2


@pytest.mark.django_db
def test_a_drain_past_its_time_budget_queues_its_successor_and_loses_nothing(client):
    for n in range(5):
        body = json.dumps(_distinct_charge(f"evt_b_{n}", n)).encode()
        post(client, STRIPE, body, stripe_headers(body))
    OrmQ.objects.all().delete()  # as the worker took the queued run
    first = intake.webhook_events_drain(budget_seconds=0)
    assert first == {"processed": 1, "continued": 1}
    assert [task.name() for task in OrmQ.objects.all()] == ["wake-dues.webhooks"]
    assert intake.webhook_events_drain() == {"processed": 4}
    assert WebhookEvent.objects.filter(status="processed").count() == 5


@pytest.mark.django_db
def test_stripe_refund_of_an_unapplied_payment_returns_the_money(client):
    charge = json.dumps(stripe_charge_event()).encode()
    post(client, STRIPE, charge, stripe_headers(charge))
    refund = json.dumps(
        stripe_charge_event(event_id="evt_refund", kind="charge.refunded", refunded=12000)
    ).encode()
    post(client, STRIPE, refund, stripe_headers(refund))
    assert [e.status for e in process_all()] == ["processed", "processed"]
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == ("refunded", Decimal("120.00"))
    assert list(payment.journal.values_list("kind", flat=True)) == ["intake", "refund"]


def test_same_stripe_event_delivered_ten_times_concurrently_is_one_payment(
    live_server, transactional_db
):
    # given one signed event and ten deliveries racing over real HTTP (ten connections)
    body = json.dumps(stripe_charge_event()).encode()
    header = stripe_headers(body)["HTTP_STRIPE_SIGNATURE"]
    barrier = threading.Barrier(10)
    codes = []

    def deliver():
        with httpx.Client(base_url=live_server.url, timeout=30) as http:
            barrier.wait()
            response = http.post(
                STRIPE,
                content=body,
                headers={"Stripe-Signature": header, "Content-Type": "application/json"},
            )
            codes.append(response.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then every delivery got 2xx, one event was stored and queued once
    assert codes == [200] * 10
    assert WebhookEvent.objects.count() == 1
    assert OrmQ.objects.count() == 1
    # and processing it (twice, as a retried task would) makes one payment, one journal entry
    process_all()
    process_all()
    assert Payment.objects.count() == 1
    assert JournalTransaction.objects.count() == 1


@pytest.fixture
def worker_env():
    return {"STRIPE_WEBHOOK_SECRET": STRIPE_SECRET, "AUTHORIZENET_SIGNATURE_KEY": ANET_KEY}


def test_a_real_worker_turns_an_accepted_event_into_a_payment(client, worker):
    body = json.dumps(stripe_charge_event()).encode()
    assert post(client, STRIPE, body, stripe_headers(body)).status_code == 200
    payment = wait_for(lambda: Payment.objects.first(), timeout=60)
    assert payment.amount == Decimal("120.00")
    assert wait_for(lambda: WebhookEvent.objects.get().status == "processed", timeout=30)


# --- Authorize.Net --------------------------------------------------------------------------


@pytest.mark.django_db
def test_authorizenet_valid_event_becomes_a_payment(client):
    body = anet_body(anet_event(invoiceNumber="10234", description="Annual dues"))
    response = post(client, ANET, body, anet_headers(body))
    assert response.status_code == 200
    (event,) = process_all()
    payment = Payment.objects.get()
    assert (event.status, payment.source, payment.dedupe_key) == (
        "processed",
        "authorizenet",
        "60020981676",
    )
    assert (payment.amount, payment.reference, payment.memo) == (
        Decimal("45.00"),
        "10234",
        "Annual dues",
    )


@pytest.mark.django_db
def test_authorizenet_bill_to_name_and_zip_are_kept_when_the_payload_has_them(client):
    body = anet_body(anet_event(billTo={"firstName": "Ana", "lastName": "Lima", "zip": "30301"}))
    assert post(client, ANET, body, anet_headers(body)).status_code == 200
    process_all()
    payment = Payment.objects.get()
    assert (payment.payer_name, payment.payer_postal_code) == ("Ana Lima", "30301")


@pytest.mark.django_db
def test_authorizenet_body_changed_by_one_byte_is_refused(client):
    body = anet_body(anet_event())
    headers = anet_headers(body)
    tampered = body.replace(b"45.00", b"95.00")
    response = post(client, ANET, tampered, headers)
    assert response.status_code == 400
    assert response.json() == {"error": "The signature does not match the body."}
    assert_nothing_stored()


@pytest.mark.django_db
def test_authorizenet_missing_or_misshapen_header_is_refused(client):
    body = anet_body(anet_event())
    assert post(client, ANET, body, {}).json() == {
        "error": "The X-ANET-Signature header is missing."
    }
    sha256 = {"HTTP_X_ANET_SIGNATURE": "sha256=" + "A" * 64}
    assert post(client, ANET, body, sha256).json() == {
        "error": "The X-ANET-Signature header is not of the form sha512=<hex>."
    }
    assert_nothing_stored()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    ["\u00c9" + "A" * 127, "A" * 127 + "\u00ff", "\u0661" * 128, "G" * 128, "A" * 127, "A" * 129],
)
def test_authorizenet_signature_that_is_not_128_ascii_hex_digits_is_refused_with_400(
    client, signature
):
    body = anet_body(anet_event())
    response = post(client, ANET, body, {"HTTP_X_ANET_SIGNATURE": "sha512=" + signature})
    assert response.status_code == 400
    assert response.json() == {"error": "The X-ANET-Signature signature is not 128 hex digits."}
    assert_nothing_stored()


@pytest.mark.django_db
def test_authorizenet_event_301_seconds_old_is_refused(client):
    from datetime import UTC, datetime, timedelta

    old = (datetime.now(UTC) - timedelta(seconds=301)).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    body = anet_body(anet_event(event_date=old))
    response = post(client, ANET, body, anet_headers(body))
    assert response.status_code == 400
    assert response.json() == {"error": "The event is 301 s old; events are accepted for 300 s."}
    assert_nothing_stored()


@pytest.mark.django_db
def test_authorizenet_lowercase_hex_is_accepted_and_a_wrong_key_is_not(client):
    body = anet_body(anet_event())
    lower = {"HTTP_X_ANET_SIGNATURE": anet_headers(body)["HTTP_X_ANET_SIGNATURE"].lower()}
    assert post(client, ANET, body, lower).status_code == 200
    other = anet_body(anet_event(notification="another"))
    wrong = anet_headers(other, key="0" * 64)
    assert post(client, ANET, other, wrong).status_code == 400
    assert WebhookEvent.objects.count() == 1


@pytest.mark.django_db
def test_authorizenet_refund_names_the_original_transaction(client):
    capture = anet_body(anet_event())
    post(client, ANET, capture, anet_headers(capture))
    refund = anet_body(
        anet_event(
            notification="refund-1",
            kind="net.authorize.payment.refund.created",
            txn="60020981999",
            amount="45.00",
            refTransId="60020981676",
        )
    )
    post(client, ANET, refund, anet_headers(refund))
    lost = anet_body(
        anet_event(
            notification="refund-2",
            kind="net.authorize.payment.refund.created",
            txn="60020982000",
            amount="5.00",
        )
    )
    post(client, ANET, lost, anet_headers(lost))
    events = process_all()
    assert [e.status for e in events] == ["processed", "processed", "failed"]
    assert events[2].error == (
        "Refund 60020982000 names no payment we received (no original transaction id); "
        "check it with the provider."
    )
    assert Payment.objects.get().status == "refunded"


@pytest.mark.django_db
def test_authorizenet_declined_capture_is_ignored(client):
    event = anet_event()
    event["payload"]["responseCode"] = 2
    body = anet_body(event)
    assert post(client, ANET, body, anet_headers(body)).status_code == 200
    assert [e.status for e in process_all()] == ["ignored"]
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_stripe_invoice_paid_carries_the_invoice_number_and_customer(client):
    from tests.dues.conftest import stripe_object

    invoice = stripe_object("invoice")
    invoice.update(
        id="in_1PgcUeB7WZ01zgkW9oYl8d2B",
        amount_paid=24000,
        customer_name="Priya Patel",
        customer_email="ppatel@example.org",
        number="DUES-10877",
        payment_intent="pi_inv_1",
        description="2026 membership dues",
        created=int(time.time()),
    )
    event = {
        "id": "evt_invoice_paid",
        "object": "event",
        "type": "invoice.paid",
        "data": {"object": invoice},
    }
    body = json.dumps(event).encode()
    assert post(client, STRIPE, body, stripe_headers(body)).status_code == 200
    process_all()
    payment = Payment.objects.get()
    assert (payment.amount, payment.payer_name, payment.payer_email, payment.reference) == (
        Decimal("240.00"),
        "Priya Patel",
        "ppatel@example.org",
        "DUES-10877",
    )
    assert payment.memo.startswith("2026 membership dues")


@pytest.mark.django_db
def test_a_refund_that_arrives_before_its_payment_is_retried_by_the_sweep(client, make_user):
    refund = json.dumps(
        stripe_charge_event(event_id="evt_early_refund", kind="charge.refunded", refunded=2000)
    ).encode()
    post(client, STRIPE, refund, stripe_headers(refund))
    (failed,) = process_all()
    assert failed.status == "failed" and failed.error.startswith("Refund ch_")
    # the queue page tells finance about it
    make_user(roles.FINANCE)
    client.login(username="frank", password=PASSWORD)
    page = client.get(reverse("dues:queue")).content.decode()
    assert 'id="failed-events"' in page and "evt_early_refund" in page
    # the payment arrives; ten minutes later the sweep takes the refund in
    charge = json.dumps(stripe_charge_event(event_id="evt_charge")).encode()
    post(client, STRIPE, charge, stripe_headers(charge))
    intake.webhook_event_process(event_id=WebhookEvent.objects.get(event_id="evt_charge").pk)
    assert intake.webhook_events_sweep() == {}  # too soon to retry
    later = timezone.now() + timedelta(minutes=11)
    assert intake.webhook_events_sweep(now=later) == {"processed": 1}
    payment = Payment.objects.get()
    assert (payment.refunded_amount, payment.status) == (Decimal("20.00"), "unmatched")
    assert payment.attention == "Partly refunded ($20.00); decide what the rest pays."


ANET_LOGIN, ANET_TRANSACTION_KEY = "dues-desk-login", "4kJ9s8Qx2LmN7pRt"


def _anet_api(settings, server, key=ANET_TRANSACTION_KEY):
    settings.AUTHORIZENET_API_LOGIN_ID = ANET_LOGIN
    settings.AUTHORIZENET_TRANSACTION_KEY = key
    settings.AUTHORIZENET_API_URL = server.base_url + API_PATH


@pytest.mark.django_db
def test_authorizenet_payment_gets_its_payer_from_the_transaction_details(
    client, settings, make_user
):
    # given Authorize.Net's API (the sandbox's, over HTTP) holding the transaction's details
    details = {
        "60020981676": {
            "transId": "60020981676",
            "order": {"invoiceNumber": "INV-10234", "description": "Membership dues 2025"},
            "billTo": {"firstName": "Maria", "lastName": "Gonzalez", "zip": "02139"},
            "customer": {"type": "individual", "id": "48213", "email": "mgonzalez@example.org"},
        }
    }
    api = AnetTransactionApi(details, login=ANET_LOGIN, transaction_key=ANET_TRANSACTION_KEY)
    with SandboxServer(api) as server:
        _anet_api(settings, server)
        # when a capture arrives whose notification names no payer, and is processed
        body = anet_body(anet_event())
        post(client, ANET, body, anet_headers(body))
        (event,) = process_all()
    # then the payment carries the payer from the details, for matching and for people
    payment = Payment.objects.get()
    assert event.status == "processed" and api.requests == 1
    assert (payment.payer_name, payment.payer_email, payment.reference, payment.memo) == (
        "Maria Gonzalez",
        "mgonzalez@example.org",
        "INV-10234",
        "Membership dues 2025",
    )
    assert payment.payer_postal_code == "02139"
    assert payment.raw["transaction_details"]["customer_id"] == "48213"
    make_user(roles.FINANCE)
    client.login(username="frank", password=PASSWORD)
    page = client.get(reverse("dues:payment_detail", args=[payment.pk])).content.decode()
    assert (
        "Maria Gonzalez, mgonzalez@example.org; customer 48213; invoice INV-10234; "
        "“Membership dues 2025”"
    ) in page


@pytest.mark.django_db
def test_authorizenet_details_refused_keep_the_payment_and_say_why(client, settings):
    api = AnetTransactionApi({}, login=ANET_LOGIN, transaction_key=ANET_TRANSACTION_KEY)
    with SandboxServer(api) as server:
        _anet_api(settings, server, key="wrong-key")
        body = anet_body(anet_event())
        post(client, ANET, body, anet_headers(body))
        process_all()
    payment = Payment.objects.get()
    assert payment.payer_name == ""
    assert payment.raw["transaction_details_error"] == (
        "Authorize.Net refused getTransactionDetails for 60020981676: E00007 User "
        "authentication failed due to invalid authentication values."
    )


def test_sandbox_answers_the_details_of_its_own_authorizenet_payments():
    from sandbox.payments import generate_payments, synthetic_book
    from sandbox.payments.anet_api import transaction_details
    from sandbox.payments.files import authorizenet_transaction_id

    book = synthetic_book(2000, seed=4)
    payments = [p for p in generate_payments(book, 400, seed=4) if p.channel == "authorizenet"]
    details = transaction_details(book, payments)
    own = next(p for p in payments if p.scenario == "self")
    found = details[authorizenet_transaction_id(own)]
    party = book.parties[own.truth_member]
    assert (found["billTo"]["lastName"], found["order"]["invoiceNumber"]) == (
        party.last,
        own.reference,
    )


@pytest.mark.django_db
def test_a_signed_event_with_half_a_surrogate_pair_is_refused_not_a_500(client):
    # Found by the fuzz test: PostgreSQL's jsonb cannot hold "\udd53" alone.
    body = json.dumps(anet_event()).replace('"authCode"', '"\\udd53authCode"', 1).encode()
    response = post(client, ANET, body, anet_headers(body))
    assert response.status_code == 400
    assert "half of a UTF-16 surrogate pair" in response.json()["error"]
    assert_nothing_stored()
