"""A payment stored once per source and key, with its raw payload, its intake journal entry
and its audit event in one transaction; matching is queued in the same transaction (the ORM
broker commits it with them). Every carrier's intake (``events``, ``imports``, ``checks``) ends
here.
"""

import json
from contextlib import suppress
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from common.audit import audit_record
from common.errors import DomainError, validation_text
from common.money import format_money, to_money
from dues.ledger import Entry, credit, debit, journal_record_many
from dues.models import Account, JournalTransaction, Payment, PaymentImport


def jsonable(value) -> dict:
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
    try:
        payment.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise DomainError(f"The payment cannot be stored: {validation_text(exc)}.") from exc
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


def intake_entry(payment: Payment, actor_name: str) -> Entry:
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


def received_summary(payment: Payment) -> str:
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
        "raw": jsonable(raw),
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
    journal_record_many([intake_entry(payment, actor_name)])
    audit_record(
        action="dues.payment_received",
        summary=received_summary(payment),
        actor=entered_by,
        object_type="payment",
        object_id=payment.pk,
        data={"source": source, "amount": payment.amount},
    )
    if match:
        transaction.on_commit(match_soon)
    return payment, True
