"""Failed card payments the desk received as webhooks: stored like every verified event (they
create no payment), and read here as the card failures of the member they were for.

Stripe ``payment_intent.payment_failed`` and ``invoice.payment_failed``; Authorize.Net
captures with a response code other than 1 (declined, error, held) and fraud declines. The
member is the metadata's party id when the event names one, else the invoice it references
(its sold-to party).
"""

import contextlib
from datetime import UTC, datetime

import pandas as pd
from django.utils import timezone

from dues.intake.webhooks import ANET_CAPTURES, REFERENCE_KEYS
from dues.models import WebhookEvent
from imis_client.models import ImisInvoice

STRIPE_FAILURES = ("payment_intent.payment_failed", "invoice.payment_failed")
ANET_DECLINES = ("net.authorize.payment.fraud.declined",)
PARTY_KEYS = ("imis_id", "party_id", "member_id")


def is_failed_payment(source: str, event_type: str, payload: dict) -> bool:
    if source == WebhookEvent.Source.STRIPE:
        return event_type in STRIPE_FAILURES
    if event_type in ANET_DECLINES:
        return True
    inner = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    return event_type in ANET_CAPTURES and str(inner.get("responseCode", "1")) != "1"


def _refs(source: str, payload: dict) -> tuple[str, str, datetime | None]:
    """(party id, invoice reference, when) of one failure event."""
    if source == WebhookEvent.Source.STRIPE:
        obj = (payload.get("data") or {}).get("object") or {}
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        party = next((str(meta[k]) for k in PARTY_KEYS if meta.get(k)), "")
        ref = next((str(meta[k]) for k in REFERENCE_KEYS if meta.get(k)), "")
        if not ref and obj.get("object") == "invoice":
            ref = str(obj.get("number") or "")
        created = payload.get("created")
        when = datetime.fromtimestamp(created, UTC) if isinstance(created, int) else None
        return party, ref, when
    inner = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    customer = inner.get("customer") if isinstance(inner.get("customer"), dict) else {}
    order = inner.get("order") if isinstance(inner.get("order"), dict) else {}
    party = str(customer.get("id") or "")
    ref = str(order.get("invoiceNumber") or inner.get("merchantReferenceId") or "")
    when = None
    with contextlib.suppress(ValueError):
        when = datetime.fromisoformat(str(payload.get("eventDate", "")).replace("Z", "+00:00"))
    return party, ref, when


def failed_payment_days() -> pd.DataFrame:
    """One row per stored failed-payment event whose member is known: party_id, date."""
    types = (*STRIPE_FAILURES, *ANET_DECLINES, *ANET_CAPTURES)
    rows = []
    refs = set()
    for source, event_type, payload, created in WebhookEvent.objects.filter(
        event_type__in=types
    ).values_list("source", "event_type", "payload", "created_at"):
        if not isinstance(payload, dict) or not is_failed_payment(source, event_type, payload):
            continue
        party, ref, when = _refs(source, payload)
        rows.append((party, ref, timezone.localdate(when or created)))
        if not party and ref:
            refs.add(ref)
    sold_to = {}
    if refs:
        for number, party in ImisInvoice.objects.filter(
            deleted_at__isnull=True, number__in=refs
        ).values_list("number", "sold_to_id"):
            sold_to[number] = party
        for imis_id, party in ImisInvoice.objects.filter(imis_id__in=refs).values_list(
            "imis_id", "sold_to_id"
        ):
            sold_to.setdefault(imis_id, party)
    out = [(party or sold_to.get(ref, ""), day) for party, ref, day in rows]
    out = [(p, d) for p, d in out if p]
    return pd.DataFrame(out, columns=["party_id", "date"])
