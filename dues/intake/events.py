"""Providers' webhook events: stored once as they arrive, then turned into a payment or a
refund by a worker (and swept up again when a task was lost or a refund came first).
"""

import json
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from common.errors import DomainError
from common.states import transition
from common.wake import task_wake, task_wake_clear
from dues.close.deposits import PAYOUT_PAID, stripe_payout_record
from dues.intake import anet_api, webhooks
from dues.intake.receipts import Receipt
from dues.intake.store import payment_record
from dues.models import Payment, WebhookEvent


def webhook_event_receive(*, source: str, event: webhooks.VerifiedEvent, body: bytes) -> bool:
    """Store a verified event once and queue its processing; False when it was seen before.

    One INSERT .. ON CONFLICT and one queue row, in one transaction: cheap enough to answer the
    provider at once, and ten concurrent deliveries of one event store and queue it once.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO dues_webhookevent (source, event_id, event_type, body, payload, "
                "status, error, attempts, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, 'received', '', 0, now(), now()) "
                "ON CONFLICT (source, event_id) DO NOTHING RETURNING id",
                [
                    source,
                    event.event_id[:120],
                    event.event_type[:120],
                    body.decode("utf-8", "replace"),
                    json.dumps(event.payload, cls=DjangoJSONEncoder),
                ],
            )
            row = cursor.fetchone()
        if row is None:
            return False
        task_wake(name=WAKE, func="dues.tasks.webhook_events_drain_task")
    return True


WAKE = "dues.webhooks"
DRAIN_BATCH = 200
DRAIN_SECONDS = 60.0


def webhook_events_drain(*, budget_seconds: float = DRAIN_SECONDS) -> dict:
    """Process every received event, oldest first: the one queued run that a burst of
    deliveries asked for. After ``budget_seconds`` it queues its successor and returns, so that
    the other work in the queue (staff decisions' effects) takes its turn during a long burst.
    """
    task_wake_clear(name=WAKE)
    started = time.monotonic()
    counts: dict[str, int] = {}
    after = 0
    while True:
        ids = list(
            WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:DRAIN_BATCH]
        )
        if not ids:
            return counts
        for event_id in ids:
            status = webhook_event_process(event_id=event_id).status
            counts[status] = counts.get(status, 0) + 1
            after = event_id
            if time.monotonic() - started > budget_seconds:
                with transaction.atomic():
                    task_wake(name=WAKE, func="dues.tasks.webhook_events_drain_task")
                counts["continued"] = 1
                return counts


def _event_transition(event: WebhookEvent, to: str) -> None:
    transition(event, to, subject=f"{event.get_source_display()} event {event.event_id}")


def _anet_details(event_id: int) -> dict:
    """For an Authorize.Net capture whose payload names no payer: the transaction's details
    from the API ({"details": ...}, or {"error": ...} when they could not be had), asked before
    the event is locked, so no row waits on the network."""
    if not anet_api.configured():
        return {}
    event = WebhookEvent.objects.filter(
        pk=event_id, source="authorizenet", event_type__in=webhooks.ANET_CAPTURES
    ).first()
    payload = (event.payload or {}).get("payload") if event else None
    if not isinstance(payload, dict) or not payload.get("id"):
        return {}
    bill_to = payload.get("billTo") if isinstance(payload.get("billTo"), dict) else {}
    if bill_to.get("firstName") or bill_to.get("lastName") or bill_to.get("company"):
        return {}
    try:
        return {"details": anet_api.transaction_details(str(payload["id"]))}
    except anet_api.AnetApiError as exc:
        return {"error": str(exc)}


def _with_details(found, asked: dict):
    """The receipt with what getTransactionDetails gave; what the event said stays first."""
    if not asked or not isinstance(found, Receipt):
        return found
    if "error" in asked:
        return replace(found, raw={**found.raw, "transaction_details_error": asked["error"]})
    details = asked["details"]
    return replace(
        found,
        payer_name=found.payer_name or details.payer_name,
        payer_email=found.payer_email or details.email,
        payer_postal_code=found.payer_postal_code or details.postal_code,
        reference=found.reference or details.invoice_number,
        memo=found.memo or details.description,
        raw={**found.raw, "transaction_details": details.as_raw()},
    )


def webhook_event_process(*, event_id: int) -> WebhookEvent:
    """Turn a stored event into a payment or a refund. Safe to run twice."""
    asked = _anet_details(event_id)
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        if event.status not in (WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED):
            return event
        event.attempts += 1
        tz = ZoneInfo(settings.TIME_ZONE)
        # Re-read the stored body with Decimal floats: amounts must not pass through float.
        payload = json.loads(event.body, parse_float=Decimal)
        reader = webhooks.stripe_receipt if event.source == "stripe" else webhooks.anet_receipt
        try:
            with transaction.atomic():
                if event.source == "stripe" and event.event_type == PAYOUT_PAID:
                    stripe_payout_record(event=payload, tz=tz)
                    outcome = WebhookEvent.Status.PROCESSED
                else:
                    outcome = _process(
                        event, _with_details(_read(reader, payload, tz), asked), payload
                    )
        except (DomainError, webhooks.WebhookRejected) as exc:
            _event_transition(event, WebhookEvent.Status.FAILED)
            event.error = str(exc)[:2000]
            event.save()
            return event
        _event_transition(event, outcome)
        event.error = ""
        event.processed_at = timezone.now()
        event.save()
        return event


def _read(reader, payload: dict, tz: ZoneInfo):
    """The event's payment or refund. Reading touches no database, so a failure of a shape the
    reader did not foresee is the event's fault: it fails with the reason, not the worker."""
    try:
        return reader(payload, tz=tz)
    except webhooks.WebhookRejected:
        raise
    except (LookupError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise webhooks.WebhookRejected(
            f"The event could not be read ({type(exc).__name__}: {exc})."
        ) from exc


MAX_EVENT_ATTEMPTS = 5


def webhook_events_sweep(*, now=None) -> dict:
    """Process events whose task was lost, and retry failed ones (a refund that arrived before
    its payment, say) a few times, ten minutes apart."""
    now = now or timezone.now()
    lost = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.RECEIVED, created_at__lt=now - timedelta(minutes=2)
    )
    failed = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.FAILED,
        attempts__lt=MAX_EVENT_ATTEMPTS,
        updated_at__lt=now - timedelta(minutes=10),
    )
    counts: dict[str, int] = {}
    for event_id in list(lost.values_list("pk", flat=True)[:500]) + list(
        failed.values_list("pk", flat=True)[:500]
    ):
        status = webhook_event_process(event_id=event_id).status
        counts[status] = counts.get(status, 0) + 1
    return counts


def _process(event: WebhookEvent, found, payload: dict | None = None) -> str:
    if found is None:
        # Not a payment: a failed one (a declined card) is kept and its member asked for a card.
        from dues.collections.card_failures import payment_failure_from_event

        failure = None
        if payload is not None:
            failure = payment_failure_from_event(
                source=event.source, event_id=event.event_id, event=payload
            )
        if failure is not None and failure.party_id:  # kept either way; filed for a member
            return WebhookEvent.Status.PROCESSED
        return WebhookEvent.Status.IGNORED
    if isinstance(found, webhooks.Refund):
        from dues.services import payment_refund

        payment = Payment.objects.filter(source=event.source, dedupe_key=found.dedupe_key).first()
        if payment is None or not found.dedupe_key:
            raise DomainError(
                f"Refund {found.provider_id} names no payment we received "
                f"({found.dedupe_key or 'no original transaction id'}); check it with the provider."
            )
        amount = found.amount
        if found.refunded_total is not None:
            amount = found.refunded_total - payment.refunded_amount
        event.payment = payment
        if amount > 0:
            payment_refund(payment_id=payment.pk, amount=amount, reference=found.provider_id)
        return WebhookEvent.Status.PROCESSED
    payment, created = payment_record(
        source=event.source, dedupe_key=found.dedupe_key, **found.payment_fields()
    )
    event.payment = payment
    return WebhookEvent.Status.PROCESSED if created else WebhookEvent.Status.DUPLICATE
