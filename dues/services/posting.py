"""Posting to iMIS: a payment whose hold is over goes out through the outbox (a ComboOrder for
its invoices, a note for credit on account) and the journal moves it from hold to receivable."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.money import ZERO, format_money
from dues import ledger
from dues.ledger import credit, debit
from dues.models import Account, JournalTransaction, Payment
from dues.services.shared import S, payment_audit, payment_transition
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue


def payments_post_due(*, now=None, limit: int = 500) -> dict:
    """Post every payment whose hold is over: one outbox write per payment, then mark posted."""
    now = now or timezone.now()
    due = list(
        Payment.objects.filter(status=S.HELD, hold_until__lte=now)
        .order_by("hold_until", "id")
        .values_list("pk", flat=True)[:limit]
    )
    posted = 0
    for payment_id in due:
        with transaction.atomic():
            payment = (
                Payment.objects.select_for_update(skip_locked=True)
                .filter(pk=payment_id, status=S.HELD, hold_until__lte=now)
                .first()
            )
            if payment is None:
                continue  # undone, or taken by another run
            _post(payment)
            posted += 1
    return {"due": len(due), "posted": posted}


def _post(payment: Payment) -> None:
    allocations, on_account = ledger.payment_held_allocations(payment.pk)
    payer = payment.payer_id or payment.member_id
    lines, references = [], []
    if allocations:
        write = outbox_enqueue(
            build=writes.combo_order_payment,
            source=f"dues payment {payment.pk}",
            payer_party_id=payer,
            amount=sum((a for _, a in allocations), ZERO),
            method_id=settings.DUES_IMIS_PAYMENT_METHODS.get(payment.method, "CASH"),
            invoices=allocations,
            message=(payment.memo or payment.reference)[:255],
        )
        references.append(write.reference)
        for invoice_id, amount in allocations:
            lines += [
                debit(Account.HOLD, amount, invoice_id=invoice_id, member_id=payer),
                credit(Account.RECEIVABLE, amount, invoice_id=invoice_id, member_id=payer),
            ]
    if on_account:
        # ComboOrder pays invoices only; credit on account is recorded on the member in iMIS.
        note = outbox_enqueue(
            build=writes.party_note,
            source=f"dues payment {payment.pk}",
            party_id=payer,
            text=f"Credit on account {format_money(on_account)} from a "
            f"{payment.get_source_display()} payment received {payment.received_on:%Y-%m-%d}"
            f"{' (' + payment.provider_id + ')' if payment.provider_id else ''}.",
        )
        references.append(note.reference)
        lines += [
            debit(Account.HOLD, on_account, member_id=payer),
            credit(Account.UNAPPLIED, on_account, member_id=payer),
        ]
    ledger.journal_record(
        payment=payment,
        kind=JournalTransaction.Kind.POST,
        key=f"post:{payment.pk}:{payment.applications}",
        memo=f"Posted to iMIS as {', '.join(references)}",
        actor_name="system",
        lines=lines,
    )
    payment_transition(payment, S.POSTED)
    payment.posted_at = timezone.now()
    payment.imis_reference = ", ".join(references)[:80]
    payment.save()
    payment_audit(
        payment,
        "payment_posted",
        f"posted to iMIS ({payment.imis_reference})",
        references=references,
    )
