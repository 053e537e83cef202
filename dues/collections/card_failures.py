"""Failed payments: Stripe's ``payment_intent.payment_failed`` and ``invoice.payment_failed`` and
Authorize.Net's declines become a review item with a drafted update-your-card message and a
suggested retry date (1, 3, 5 then 7 days after the failure, moved off weekends).

The webhook endpoints store these events like any other (signature checked, once per event);
the worker that processes them calls ``payment_failure_from_event`` for events that are not a
payment. Each failure is kept once per provider event, and is also a feature of the
late-payment model (``PaymentFailure`` rows by member).
"""

import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from common.audit import audit_record
from common.money import format_money, from_minor_units, to_money
from dues.intake.webhooks import ANET_CAPTURES, REFERENCE_KEYS
from dues.models import PaymentFailure
from imis_client.models import ImisInvoice, ImisParty
from reviews.services import review_items_propose_many

KIND = "dues.payment_failed"
RETRY_DAYS = (1, 3, 5, 7)
STRIPE_FAILURES = ("payment_intent.payment_failed", "invoice.payment_failed")
# Authorize.Net: a capture or authorization answered 2 (declined) or 3 (error); 1 is approved
# and 4 held for review (not a failure); a fraud filter's decline is one whatever its code.
ANET_DECLINES = (*ANET_CAPTURES, "net.authorize.payment.authorization.created")
ANET_FRAUD = ("net.authorize.payment.fraud.declined",)
ANET_FAILED_CODES = ("2", "3")
PARTY_KEYS = ("party_id", "member_id", "imis_id")


def retry_date(failed_on: date, attempt: int) -> date:
    """The suggested retry: 1, 3, 5 or 7 days after the failure (by attempt), never a weekend."""
    day = failed_on + timedelta(days=RETRY_DAYS[min(max(attempt, 1), len(RETRY_DAYS)) - 1])
    while day.weekday() >= 5:  # Saturday, Sunday: the next Monday
        day += timedelta(days=1)
    return day


def _dict(value) -> dict:
    """A JSON object as sent, or an empty one when the field is missing or not an object."""
    return value if isinstance(value, dict) else {}


def _text(value) -> str:
    return str(value or "").strip()


def _stripe(event: dict) -> dict | None:
    kind, obj = event.get("type"), (event.get("data") or {}).get("object") or {}
    if kind not in STRIPE_FAILURES:
        return None
    metadata = _dict(obj.get("metadata"))
    if kind == "invoice.payment_failed":
        amount = from_minor_units(int(obj.get("amount_due") or 0))
        email, number = _text(obj.get("customer_email")), _text(obj.get("number"))
        reason = _text((obj.get("last_finalization_error") or {}).get("message")) or "declined"
    else:
        amount = from_minor_units(int(obj.get("amount") or 0))
        error = obj.get("last_payment_error") or {}
        email = _text(obj.get("receipt_email")) or _text(
            ((error.get("payment_method") or {}).get("billing_details") or {}).get("email")
        )
        number = ""
        reason = _text(error.get("decline_code") or error.get("code") or error.get("message"))
    return {
        "amount": amount,
        "email": email,
        "party_id": next((_text(metadata[k]) for k in PARTY_KEYS if metadata.get(k)), ""),
        "invoice_number": next(
            (_text(metadata[k]) for k in REFERENCE_KEYS if metadata.get(k)), number
        ),
        "reason": reason or "declined",
        "when": datetime.fromtimestamp(int(event.get("created") or 0), tz=UTC)
        if event.get("created")
        else timezone.now(),
    }


def _anet(event: dict) -> dict | None:
    payload = _dict(event.get("payload"))
    kind = event.get("eventType")
    declined = kind in ANET_DECLINES and str(payload.get("responseCode")) in ANET_FAILED_CODES
    if not (declined or kind in ANET_FRAUD):
        return None
    customer = _dict(payload.get("customer"))
    bill_to = _dict(payload.get("billTo"))
    order = _dict(payload.get("order"))
    when = None
    with contextlib.suppress(ValueError):  # the notification's date, else its arrival
        when = datetime.fromisoformat(str(event.get("eventDate", "")).replace("Z", "+00:00"))
    return {
        "amount": to_money(str(payload.get("authAmount") or "0")),
        "email": _text(customer.get("email") or payload.get("email")),
        "party_id": _text(customer.get("id")),
        "invoice_number": _text(
            order.get("invoiceNumber")
            or payload.get("invoiceNumber")
            or payload.get("merchantReferenceId")
        ),
        "reason": "declined by the fraud filter"
        if kind in ANET_FRAUD
        else "declined by the card issuer",
        "when": when or timezone.now(),
        "name": " ".join(_text(bill_to.get(k)) for k in ("firstName", "lastName")).strip(),
    }


def _place(found: dict) -> tuple[str, str]:
    """(party_id, invoice_id): the member the provider names (kept even before the mirror has
    them: the failure is theirs), else by e-mail; the invoice by its number (or id) among that
    member's, whose bill-to (else sold-to) party it was when no member is named."""
    party = found["party_id"]
    if not party and found["email"]:
        party = (
            ImisParty.objects.filter(email__iexact=found["email"])
            .values_list("imis_id", flat=True)
            .first()
            or ""
        )
    invoice = ""
    if found["invoice_number"]:
        ref = found["invoice_number"]
        rows = ImisInvoice.objects.filter(deleted_at__isnull=True).filter(
            Q(number=ref) | Q(imis_id=ref)
        )
        if party:
            rows = rows.filter(Q(bill_to_id=party) | Q(sold_to_id=party))
        inv = rows.order_by("-number").values_list("imis_id", "sold_to_id", "bill_to_id").first()
        if inv:
            invoice = inv[0]
            party = party or inv[2] or inv[1]
    return party, invoice


def payment_failure_from_event(
    *, source: str, event_id: str, event: dict, file_item: bool = True
) -> PaymentFailure | None:
    """Record a failed payment once and file its review item; None when the event is not one
    (or names no member we know: kept on the failure, nothing to send). ``file_item=False``
    records it only (a failure of long ago is history for the model, not work for staff)."""
    found = _stripe(event) if source == "stripe" else _anet(event)
    if found is None:
        return None
    party, invoice = _place(found)
    failed_on = timezone.localdate(found["when"])
    attempt = (
        1
        + PaymentFailure.objects.filter(
            party_id=party, invoice_id=invoice, failed_at__gte=found["when"] - timedelta(days=30)
        ).count()
        if party
        else 1
    )
    try:
        with transaction.atomic():
            failure = PaymentFailure.objects.create(
                source=source,
                event_id=event_id,
                party_id=party,
                invoice_id=invoice,
                amount=found["amount"],
                reason=found["reason"][:300],
                failed_at=found["when"],
                attempt=attempt,
                retry_on=retry_date(failed_on, attempt),
            )
    except IntegrityError:  # the same event again
        return PaymentFailure.objects.get(source=source, event_id=event_id)
    audit_record(
        action="payment.failed",
        summary=f"{source} payment of {format_money(failure.amount or Decimal(0))} failed "
        f"({failure.reason[:80]})",
        actor_name=source,
        object_type="payment_failure",
        object_id=failure.pk,
        member_id=party,
        data={"event": event_id, "invoice": invoice, "attempt": attempt},
    )
    if file_item and party and ImisParty.objects.filter(imis_id=party).exists():
        payment_failures_file([failure])  # a member the desk can write to
    return failure


def payment_failures_backfill(*, file_within_days: int = 7) -> dict:
    """Record the failures in webhook events stored before failures were kept (they were
    ignored then), so the late-payment model counts them. Safe to run twice: a failure is kept
    once per provider event. Only failures of the last ``file_within_days`` days still get their
    update-your-card item; older ones are recorded only."""
    from dues.models import WebhookEvent

    kept = set(PaymentFailure.objects.values_list("source", "event_id"))
    since = timezone.now() - timedelta(days=file_within_days)
    counts = {"events": 0, "recorded": 0, "already_kept": 0, "not_a_failure": 0, "filed": 0}
    events = WebhookEvent.objects.filter(
        Q(source="stripe", event_type__in=STRIPE_FAILURES)
        | Q(source="authorizenet", event_type__in=(*ANET_DECLINES, *ANET_FRAUD))
    ).order_by("pk")
    for source, event_id, payload in events.values_list("source", "event_id", "payload"):
        counts["events"] += 1
        if (source, event_id) in kept:
            counts["already_kept"] += 1
            continue
        found = _stripe(payload) if source == "stripe" else _anet(payload)
        if found is None:
            counts["not_a_failure"] += 1
            continue
        recent = found["when"] >= since
        failure = payment_failure_from_event(
            source=source, event_id=event_id, event=payload, file_item=recent
        )
        if failure is not None:
            kept.add((source, event_id))
            counts["recorded"] += 1
            if recent:
                failure.refresh_from_db(fields=["review_item"])
                counts["filed"] += int(failure.review_item_id is not None)
    return counts


def failed_payment_days() -> pd.DataFrame:
    """The failures recorded for a member (the rows the update-your-card items are filed from),
    one row each: party_id, date (the provider's time of failure, local day). The late-payment
    model's failed-payment events read this, so the model and the items cannot disagree."""
    rows = PaymentFailure.objects.exclude(party_id="").values_list("party_id", "failed_at")
    return pd.DataFrame(
        [(party, timezone.localdate(at)) for party, at in rows.iterator()],
        columns=["party_id", "date"],
    )


def payment_failures_file(failures: list[PaymentFailure]) -> list:
    """File each failure's update-your-card proposal with its drafted message."""
    from reviews.drafting import draft_message

    proposals = []
    for f in failures:
        draft = draft_message(
            purpose="payment_failed",
            member_id=f.party_id,
            channel="email",
            invoice_id=f.invoice_id,
            extra_facts={
                "failed_amount": (f.amount, f"{f.source} event {f.event_id}"),
                "retry_date": (f.retry_on, f"retry rule: attempt {f.attempt}, {RETRY_DAYS}"),
            },
        )
        proposals.append(
            {
                "title": f"Failed payment of {format_money(f.amount or Decimal(0))}: ask for a "
                "new card",
                "summary": f"{f.source}: {f.reason}. Attempt {f.attempt}; suggested retry "
                f"{f.retry_on.isoformat() if f.retry_on else '-'}.",
                "member_id": f.party_id,
                "invoice_id": f.invoice_id,
                "object_ref": f"payment failure {f.pk}",
                "amount": f.amount,
                "proposed_by_job": "failed payments",
                "payload": {
                    "failure": str(f.pk),
                    "source": f.source,
                    "reason": f.reason,
                    "retry_on": f.retry_on.isoformat() if f.retry_on else "",
                    "draft": draft.as_payload(),
                },
                "dedupe_key": f"payment-failed:{f.pk}",
            }
        )
    items = review_items_propose_many(kind=KIND, proposals=proposals)
    for failure, item in zip(failures, items, strict=True):
        PaymentFailure.objects.filter(pk=failure.pk).update(review_item=item)
    return items
