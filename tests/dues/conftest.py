"""Fixtures of the payments tests: webhook secrets, signed provider events, a small mirror."""

import copy
import json
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from dues.intake import webhooks

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dues"
STRIPE_SECRET = "whsec_test_5f0d4c2b9a7e"
ANET_KEY = "8F2B4C1D9E6A3B7C5D0E1F2A4B6C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C"


@pytest.fixture(autouse=True)
def webhook_secrets(settings):
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    settings.AUTHORIZENET_SIGNATURE_KEY = ANET_KEY
    settings.DUES_WEBHOOK_TOLERANCE_SECONDS = 300
    settings.DUES_HOLD_HOURS = 24


def bai2_sample(name: str) -> bytes:
    return (FIXTURES / "bai2" / name).read_bytes()


def stripe_object(kind: str) -> dict:
    data = json.loads((FIXTURES / "stripe" / "fixtures-subset.json").read_text())
    return copy.deepcopy(data[kind])


def stripe_charge_event(
    *,
    event_id: str = "evt_1PgcQ3B7WZ01zgkW2cR8xYqa",
    kind: str = "charge.succeeded",
    amount: int = 12000,
    name: str = "Jenny Rosen",
    email: str = "jenny.rosen@example.com",
    description: str = "Dues 2026 INV 10234",
    intent: str | None = "pi_3PgcQ2B7WZ01zgkW0Yp1aBcD",
    refunded: int = 0,
    postal_code: str | None = None,
) -> dict:
    """Stripe's own charge example with the fields a payment needs set."""
    charge = stripe_object("charge")
    charge.update(
        amount=amount,
        amount_captured=amount,
        amount_refunded=refunded,
        paid=True,
        captured=True,
        refunded=refunded == amount,
        description=description,
        payment_intent=intent,
        created=int(time.time()),
    )
    charge["billing_details"].update(name=name, email=email)
    charge["billing_details"]["address"]["postal_code"] = postal_code
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": charge},
    }


def stripe_headers(body: bytes, *, secret: str = STRIPE_SECRET, at: int | None = None) -> dict:
    stamp = int(time.time()) if at is None else at
    return {"HTTP_STRIPE_SIGNATURE": webhooks.stripe_sign(body, secret=secret, timestamp=stamp)}


def anet_event(
    *,
    notification: str = "d0e8e7fe-c3e7-4add-a480-27bc5ce28e6f",
    kind: str = "net.authorize.payment.authcapture.created",
    amount: str = "45.00",
    txn: str = "60020981676",
    event_date: str | None = None,
    **payload,
) -> dict:
    when = event_date or timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    body = {
        "responseCode": 1,
        "authCode": "LZ6I19",
        "avsResponse": "Y",
        "authAmount": amount,
        "entityName": "transaction",
        "id": txn,
        **payload,
    }
    return {
        "notificationId": notification,
        "eventType": kind,
        "eventDate": when,
        "webhookId": "6239A0BE-D8F4-4A33-8FAD-901C02EED51F",
        "payload": body,
    }


def anet_body(event: dict) -> bytes:
    # Authorize.Net sends authAmount as a JSON number
    text = json.dumps(event)
    return text.replace(
        f'"authAmount": "{event["payload"]["authAmount"]}"',
        f'"authAmount": {event["payload"]["authAmount"]}',
    ).encode()


def anet_headers(body: bytes, *, key: str = ANET_KEY) -> dict:
    return {"HTTP_X_ANET_SIGNATURE": webhooks.anet_sign(body, key=key)}


def Cand(
    *,
    member_id: str,
    allocations: tuple = (),
    payer_id: str = "",
    credit: Decimal = Decimal("0"),
    shortfall: Decimal = Decimal("0"),
    confidence: float = 0.9,
    explanation: str = "INV in memo; amount equals balance",
    signals: dict | None = None,
):
    """A matcher candidate written by hand, for tests that choose what matching found."""
    from dues.matching import Candidate

    return Candidate(
        member_id=member_id,
        payer_id=payer_id or member_id,
        allocations=tuple(allocations),
        credit=credit,
        shortfall=shortfall,
        confidence=confidence,
        explanation=explanation,
        signals=signals or {},
    )


class Mirror:
    """Members and open invoices written straight into the mirror tables, as a sync would."""

    def member(self, imis_id: str, name: str, **extra):
        from imis_client.models import ImisParty

        first, _, last = name.partition(" ")
        return ImisParty.objects.create(
            imis_id=imis_id,
            name=name,
            first_name=first,
            last_name=last,
            raw={},
            raw_hash=0,
            synced_at=timezone.now(),
            is_member=True,
            status="A",
            **extra,
        )

    def invoice(self, imis_id: str, member_id: str, balance: str, **extra):
        from imis_client.models import ImisInvoice

        fields = {
            "number": imis_id,
            "invoice_date": date(2026, 1, 2),
            "due_date": date(2026, 3, 1),
            "purpose": "DUES",
            "bill_to_id": member_id,
            "sold_to_id": member_id,
            "amount": Decimal(balance),
            "payment_amount": Decimal("0"),
            "balance": Decimal(balance),
            "is_open": Decimal(balance) != 0,
            "description": "2026 dues",
        }
        fields.update(extra)
        return ImisInvoice.objects.create(
            imis_id=imis_id, raw={}, raw_hash=0, synced_at=timezone.now(), **fields
        )


@pytest.fixture
def mirror(db):
    return Mirror()


@pytest.fixture
def make_payment(db):
    from dues import intake

    counter = iter(range(1, 10_000))

    def make(amount="120.00", **extra):
        n = next(counter)
        args = {
            "source": "csv",
            "dedupe_key": f"test-{n}",
            "amount": Decimal(amount),
            "received_on": date(2026, 3, 2),
            "raw": {"line": n},
            "payer_name": "Jenny Rosen",
            "memo": "Dues 2026",
            "method": "check",
            "match": False,
        }
        args.update(extra)
        payment, _ = intake.payment_record(**args)
        return payment

    return make
