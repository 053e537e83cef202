"""Failed card payments as the providers announce them: one signed webhook per card decline the
association recorded (profile b logs each as a ``PAYFAIL`` activity, more often for members the
generator made less disciplined payers; the model sees only the declines, never the factor).

Declines alternate between Stripe ``payment_intent.payment_failed`` (the member's iMIS id in
the intent's metadata, as a site's checkout sets it) and Authorize.Net captures declined with
response code 2 (the member's id as ``customer.id``). The desk stores them as events; they
create no payment.
"""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from .files import AUTHORIZENET_PATH, STRIPE_PATH, SignedRequest, sign_authorizenet, sign_stripe

FAILURE_TYPE = "PAYFAIL"


@dataclass(frozen=True)
class CardFailure:
    party_id: str
    when: datetime  # UTC
    amount_cents: int
    item: str


def card_failures(assoc, *, activity_type: str = FAILURE_TYPE) -> list[CardFailure]:
    """Every card decline the association logged, oldest first."""
    acts = assoc.activities
    n = len(acts)
    kinds = acts.col("type")[:n]
    rows = np.flatnonzero(kinds == activity_type)
    stamps = acts.col("tx_date")[:n][rows]
    party = acts.col("party_id")[:n][rows]
    items = acts.col("product_code")[:n][rows]
    out = []
    for r, stamp, who, item in zip(rows, stamps, party, items, strict=True):
        when = np.datetime64(stamp, "s").astype(datetime).replace(tzinfo=UTC)
        cents = 5000 + int(r) % 7 * 2500  # an instalment, event fee or auto-pay amount
        out.append(CardFailure(str(who), when, cents, str(item)))
    out.sort(key=lambda f: (f.when, f.party_id))
    return out


def failure_events(
    failures: list[CardFailure], *, stripe_secret: str, anet_key: str, signed_at: int | None = None
) -> list[SignedRequest]:
    """The signed webhook deliveries of ``failures`` (Stripe and Authorize.Net in turn), signed
    at ``signed_at`` (default: now, as a replay into a running desk must be fresh). Stripe's
    events keep the decline's own time (``created``); Authorize.Net's carry the delivery's."""
    stamp = int(time.time()) if signed_at is None else signed_at
    out = []
    for i, f in enumerate(failures):
        created = int(f.when.timestamp())
        key = f"{f.party_id}-{created}-{i}"
        if i % 2 == 0:
            event = {
                "id": f"evt_fail_{key}",
                "object": "event",
                "api_version": "2024-06-20",
                "created": created,
                "type": "payment_intent.payment_failed",
                "data": {
                    "object": {
                        "id": f"pi_fail_{key}",
                        "object": "payment_intent",
                        "amount": f.amount_cents,
                        "currency": "usd",
                        "status": "requires_payment_method",
                        "description": f"{f.item} card payment",
                        "metadata": {"imis_id": f.party_id},
                        "last_payment_error": {
                            "type": "card_error",
                            "code": "card_declined",
                            "decline_code": "insufficient_funds",
                        },
                    }
                },
            }
            body = json.dumps(event, separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                "Stripe-Signature": sign_stripe(body, stripe_secret, stamp),
            }
            out.append(SignedRequest(STRIPE_PATH, headers, body, event["id"], ""))
        else:
            note = {
                "notificationId": f"fail-{key}",
                "eventType": "net.authorize.payment.authcapture.created",
                # Authorize.Net dates the notification when it sends it (and the desk refuses
                # stale ones): a replay is dated at its delivery.
                "eventDate": datetime.fromtimestamp(stamp, UTC).strftime(
                    "%Y-%m-%dT%H:%M:%S.0000000Z"
                ),
                "webhookId": "sandbox-failures",
                "payload": {
                    "responseCode": 2,
                    "authAmount": f.amount_cents / 100,
                    "entityName": "transaction",
                    "id": str(zlib.crc32(key.encode()) % 10**11),
                    "customer": {"id": f.party_id},
                },
            }
            body = json.dumps(note, separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                "X-ANET-Signature": sign_authorizenet(body, anet_key),
            }
            out.append(SignedRequest(AUTHORIZENET_PATH, headers, body, note["notificationId"], ""))
    return out
