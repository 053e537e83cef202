"""Payment intake: webhook events, bank files and checks become payments, each stored once.

A payment is stored with its raw payload, its intake journal entry and its audit event in one
transaction, and matching is queued in the same transaction (the ORM broker commits it with them).
"""

import hashlib
import json
import logging
from contextlib import suppress
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from common.audit import audit_event, audit_record, audit_record_many
from common.errors import DomainError
from common.money import format_money, to_money
from common.states import transition
from dues import bankfiles, webhooks
from dues.ledger import Entry, credit, debit, journal_record_many
from dues.models import Account, JournalTransaction, Payment, PaymentImport, WebhookEvent

log = logging.getLogger(__name__)

MAX_REPORT_ROWS = 500  # a report lists at most this many errors, warnings and skipped lines


def _jsonable(value) -> dict:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def match_soon() -> None:
    """Queue a matching run unless one is already waiting to start (it will take these too)."""
    from common.services import job_run_enqueue_once

    with suppress(DomainError):
        job_run_enqueue_once(kind="dues.match_payments", alongside_running=True)


def _insert_payment(*, source: str, dedupe_key: str, fields: dict) -> tuple[Payment, bool]:
    """Insert under the (source, dedupe key) unique constraint: of concurrent deliveries, one
    creates it; the others wait for it to commit, fail the constraint, and read it instead."""
    payment = Payment(source=source, dedupe_key=dedupe_key, **fields)
    payment.full_clean(validate_unique=False, validate_constraints=False)
    if payment.amount <= 0:
        raise DomainError("A payment's amount must be more than zero.")
    try:
        with transaction.atomic():
            payment.save(force_insert=True)
        return payment, True
    except IntegrityError:
        found = Payment.objects.select_for_update().filter(source=source, dedupe_key=dedupe_key)
        existing = found.first()
        if existing is None:
            raise
        return existing, False


def _intake_entry(payment: Payment, actor_name: str) -> Entry:
    return Entry(
        payment=payment,
        kind=JournalTransaction.Kind.INTAKE,
        key=f"intake:{payment.pk}",
        memo=f"{payment.get_source_display()} payment received",
        actor_name=actor_name,
        lines=[
            debit(Account.CASH_CLEARING, payment.amount),
            credit(Account.UNAPPLIED, payment.amount),
        ],
    )


def _received_summary(payment: Payment) -> str:
    return (
        f"Payment #{payment.pk}: {format_money(payment.amount, payment.currency)} received "
        f"({payment.get_source_display()}{', ' + payment.payer_name if payment.payer_name else ''})"
    )


@transaction.atomic
def payment_record(
    *,
    source: str,
    dedupe_key: str,
    amount: Decimal,
    received_on: date,
    raw: dict,
    currency: str = "USD",
    payer_name: str = "",
    payer_email: str = "",
    payer_postal_code: str = "",
    memo: str = "",
    reference: str = "",
    method: str = Payment.Method.OTHER,
    provider_id: str = "",
    import_file: PaymentImport | None = None,
    line_number: int | None = None,
    entered_by=None,
    match: bool = True,
) -> tuple[Payment, bool]:
    """Store a payment once; a second call with the same source and key returns the first."""
    fields = {
        "amount": to_money(amount),
        "received_on": received_on,
        "raw": _jsonable(raw),
        "currency": currency,
        "payer_name": payer_name,
        "payer_email": payer_email,
        "payer_postal_code": payer_postal_code,
        "memo": memo,
        "reference": reference,
        "method": method,
        "provider_id": provider_id,
        "import_file": import_file,
        "line_number": line_number,
        "entered_by": entered_by,
    }
    payment, created = _insert_payment(source=source, dedupe_key=dedupe_key, fields=fields)
    if not created:
        return payment, False
    actor_name = entered_by.get_username() if entered_by else source
    journal_record_many([_intake_entry(payment, actor_name)])
    audit_record(
        action="dues.payment_received",
        summary=_received_summary(payment),
        actor=entered_by,
        object_type="payment",
        object_id=payment.pk,
        data={"source": source, "amount": payment.amount},
    )
    if match:
        transaction.on_commit(match_soon)
    return payment, True


# --- webhooks -----------------------------------------------------------------------------


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
        async_task(
            "dues.tasks.webhook_event_process_task",
            row[0],
            task_name=f"webhook-{row[0]}",
            group="dues.webhooks",
        )
    return True


def _event_transition(event: WebhookEvent, to: str) -> None:
    transition(event, to, subject=f"{event.get_source_display()} event {event.event_id}")


def webhook_event_process(*, event_id: int) -> WebhookEvent:
    """Turn a stored event into a payment or a refund. Safe to run twice."""
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
                outcome = _process(event, reader(payload, tz=tz))
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


def _process(event: WebhookEvent, found) -> str:
    if found is None:
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


# --- bank files ---------------------------------------------------------------------------


@transaction.atomic
def payment_import_file(*, filename: str, content: bytes, uploaded_by=None) -> PaymentImport:
    """Import a BAI2 or CSV file: good lines become payments, bad ones are reported by number.

    Lines already imported (from this file or an earlier one) are counted, not added again.
    A file that cannot be read at all is refused with a DomainError and nothing is stored.
    """
    if not content.strip():
        raise DomainError("The file is empty; choose the bank file to import.")
    parsed = bankfiles.parse_file(filename, content)
    if parsed.fatal:
        raise DomainError(f"{filename}: {parsed.fatal}", code="unreadable")
    record = PaymentImport(
        file_format=parsed.file_format,
        filename=filename[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        uploaded_by=uploaded_by,
    )
    record.full_clean()
    record.save()
    source = Payment.Source.BAI2 if parsed.file_format == "bai2" else Payment.Source.CSV
    added, duplicates = _import_lines(record, source, parsed.lines, uploaded_by)
    record.lines = len(parsed.lines)
    record.added, record.duplicates, record.errors = len(added), len(duplicates), len(parsed.errors)
    record.report = {
        "file": filename,
        "format": parsed.file_format,
        "payment_lines": len(parsed.lines),
        "added": len(added),
        "already_imported": len(duplicates),
        "errors": len(parsed.errors),
        "error_lines": parsed.errors[:MAX_REPORT_ROWS],
        "warning_lines": parsed.warnings[:MAX_REPORT_ROWS],
        "skipped_lines": parsed.skipped[:MAX_REPORT_ROWS],
        "skipped": len(parsed.skipped),
        "payments": [a["payment"] for a in added][:5000],
        "duplicate_lines": duplicates[:MAX_REPORT_ROWS],
    }
    record.save()
    audit_record(
        action="dues.file_imported",
        summary=f"Imported {filename}: {len(added)} payments added, {len(duplicates)} already "
        f"imported, {len(parsed.errors)} lines with errors",
        actor=uploaded_by,
        object_type="payment_import",
        object_id=record.pk,
        data={
            "added": len(added),
            "duplicates": len(duplicates),
            "errors": len(parsed.errors),
            "sha256": record.sha256,
        },
    )
    if added:
        transaction.on_commit(match_soon)
    return record


def _import_lines(record: PaymentImport, source: str, lines: list, uploaded_by):
    """Store a file's new lines in bulk: payments, intake entries and audit events.

    Imports of one source take turns (an advisory lock), so the same file uploaded twice at once
    still adds its lines once.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"dues_import:{source}"])
    keys = [line.dedupe_key for line in lines]
    existing: dict[str, int] = {}
    for start in range(0, len(keys), 5000):
        existing.update(
            Payment.objects.filter(
                source=source, dedupe_key__in=keys[start : start + 5000]
            ).values_list("dedupe_key", "pk")
        )
    duplicates = [
        {"line": ln.line, "payment": existing[ln.dedupe_key]}
        for ln in lines
        if ln.dedupe_key in existing
    ]
    payments = [
        Payment(
            source=source,
            dedupe_key=ln.dedupe_key,
            **{**ln.payment_fields(), "raw": _jsonable(ln.raw)},
            import_file=record,
            line_number=ln.line,
            entered_by=uploaded_by,
        )
        for ln in lines
        if ln.dedupe_key not in existing
    ]
    for payment in payments:
        # the import and the uploader are known to exist: no query per line for them
        payment.full_clean(
            exclude=["import_file", "entered_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    Payment.objects.bulk_create(payments, batch_size=1000)
    actor_name = uploaded_by.get_username() if uploaded_by else source
    journal_record_many([_intake_entry(payment, actor_name) for payment in payments])
    audit_record_many(
        [
            audit_event(
                action="dues.payment_received",
                summary=_received_summary(payment),
                actor=uploaded_by,
                actor_name=actor_name,
                object_type="payment",
                object_id=payment.pk,
                data={
                    "source": source,
                    "amount": payment.amount,
                    "import": record.pk,
                    "line": payment.line_number,
                },
            )
            for payment in payments
        ]
    )
    return [{"line": p.line_number, "payment": p.pk} for p in payments], duplicates


# --- checks entered by hand ---------------------------------------------------------------


@transaction.atomic
def check_enter(
    *,
    user,
    check_number: str,
    amount: Decimal,
    received_on: date,
    payer_name: str,
    payer_email: str = "",
    memo: str = "",
) -> Payment:
    """A check that arrived by post, entered by finance staff; the same check twice is refused."""
    number = check_number.strip()
    if not number:
        raise DomainError("Enter the check number printed on the check.")
    if not payer_name.strip():
        raise DomainError("Enter the payer's name as printed on the check.")
    amount = to_money(amount)
    if amount <= 0:
        raise DomainError("The amount must be more than zero.")
    if received_on > timezone.localdate():
        raise DomainError("The date received cannot be in the future.")
    key = f"{number.lstrip('0') or '0'}|{' '.join(payer_name.lower().split())}|{amount}"
    existing = Payment.objects.filter(source=Payment.Source.CHECK, dedupe_key=key).first()
    if existing:
        raise DomainError(
            f"Check {number} from {payer_name.strip()} for {format_money(amount)} was already "
            f"entered on {timezone.localtime(existing.created_at):%Y-%m-%d} as payment "
            f"#{existing.pk}.",
            code="duplicate",
        )
    payment, _ = payment_record(
        source=Payment.Source.CHECK,
        dedupe_key=key,
        amount=amount,
        received_on=received_on,
        raw={
            "check_number": number,
            "payer_name": payer_name.strip(),
            "amount": str(amount),
            "received_on": received_on.isoformat(),
            "memo": memo.strip(),
            "entered_by": user.get_username(),
        },
        payer_name=payer_name.strip(),
        payer_email=payer_email.strip(),
        memo=memo.strip(),
        reference=number,
        method=Payment.Method.CHECK,
        provider_id=number,
        entered_by=user,
    )
    return payment


def import_report(record: PaymentImport) -> dict:
    """The JSON `import_payments` prints: the stored report plus the import's id."""
    return {"import": record.pk, **{k: v for k, v in record.report.items() if k != "payments"}}
