"""Refunds: money returned to the payer, taken from what the payment still holds (an application
on hold is undone first; after posting, iMIS is reversed by hand)."""

from decimal import Decimal

from django.db import transaction

from common.errors import DomainError
from common.money import format_money, to_money
from dues import ledger
from dues.ledger import credit, debit
from dues.models import Account, JournalTransaction, Payment
from dues.services.application import reverse_application
from dues.services.shared import R, S, close_item, payment_audit, payment_lock, payment_transition


@transaction.atomic
def payment_refund(*, payment_id: int, amount: Decimal, reference: str = "", user=None) -> Payment:
    """Record money returned to the payer; an application still on hold is undone first."""
    payment = payment_lock(payment_id)
    amount = to_money(amount)
    if amount <= 0:
        raise DomainError("The refund must be more than zero.")
    if amount > payment.available:
        raise DomainError(
            f"The refund of {format_money(amount)} is more than the "
            f"{format_money(payment.available)} left on payment #{payment.pk}."
        )
    actor_name = user.get_username() if user else payment.get_source_display()
    if payment.status == S.HELD:
        reverse_application(payment, actor_name=actor_name, why="refunded during the hold")
        payment_transition(payment, S.PROPOSED)
        payment.member_id = payment.payer_id = ""
        payment.hold_until = None
    balances = ledger.payment_balances(payment.pk)
    lines = [credit(Account.CASH_CLEARING, amount)]
    from_unapplied = min(amount, -balances[Account.UNAPPLIED])
    if from_unapplied:
        lines.append(debit(Account.UNAPPLIED, from_unapplied))
    rest = amount - from_unapplied
    for invoice_id, posted in ledger.payment_posted_invoices(payment.pk):
        if rest <= 0:
            break
        take = min(rest, posted)
        lines.append(debit(Account.RECEIVABLE, take, invoice_id=invoice_id))
        rest -= take
    ledger.journal_record(
        payment=payment,
        kind=JournalTransaction.Kind.REFUND,
        key=f"refund:{payment.pk}:{payment.refunded_amount + amount}",
        memo=f"Refunded {format_money(amount)} {reference}".strip(),
        actor_name=actor_name,
        lines=lines,
    )
    payment.refunded_amount += amount
    if payment.status == S.POSTED:
        payment.attention = (
            f"Refunded {format_money(amount)} after posting to iMIS ({payment.imis_reference}): "
            "reverse that payment in iMIS by hand."
        )[:300]
    elif payment.available == 0:
        close_item(payment.review_item, R.STALE, "the payment was refunded")
        payment_transition(payment, S.REFUNDED)
        payment.attention = ""
    elif payment.status in Payment.OPEN:
        close_item(payment.review_item, R.STALE, "the payment was partly refunded")
        payment_transition(payment, S.UNMATCHED)
        payment.attention = f"Partly refunded ({format_money(amount)}); decide what the rest pays."
    payment.save()
    payment_audit(
        payment,
        "payment_refunded",
        f"{format_money(amount)} refunded {reference}".strip(),
        actor=user,
        amount=amount,
        reference=reference,
    )
    return payment
