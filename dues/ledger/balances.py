"""Reading the journal: balances per payment and account, and what sits on each invoice.

The callers that decide from these (an application, a refund, a posting) hold the payment's
row lock, and for invoices the invoices' cap locks (``caps``), before reading.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from common.money import ZERO
from dues.models import Account, JournalLine


def payment_balances(payment_id: int) -> dict[str, Decimal]:
    """Signed balance per account for one payment (debit +)."""
    rows = (
        JournalLine.objects.filter(payment_id=payment_id)
        .values("account")
        .annotate(total=Sum("amount"))
    )
    balances = {account: ZERO for account in Account.values}
    balances.update({row["account"]: row["total"] for row in rows})
    return balances


def payment_held_allocations(payment_id: int) -> tuple[list[tuple[str, Decimal]], Decimal]:
    """What a payment has in hold: [(invoice id, amount)] and the credit on account."""
    per_invoice: dict[str, Decimal] = defaultdict(lambda: ZERO)
    credit_amount = ZERO
    for line in JournalLine.objects.filter(payment_id=payment_id, account=Account.HOLD):
        if line.invoice_id:
            per_invoice[line.invoice_id] -= line.amount
        else:
            credit_amount -= line.amount
    allocations = [(inv, amount) for inv, amount in sorted(per_invoice.items()) if amount]
    return allocations, credit_amount


def invoice_applied(invoice_id: str) -> Decimal:
    return invoices_applied([invoice_id])[invoice_id]


def invoices_applied(invoice_ids) -> dict[str, Decimal]:
    """What our journal holds or posted on each invoice, one query."""
    ids = list(invoice_ids)
    rows = (
        JournalLine.objects.filter(
            invoice_id__in=ids, account__in=[Account.HOLD, Account.RECEIVABLE]
        )
        .values("invoice_id")
        .annotate(total=Sum("amount"))
    )
    applied = dict.fromkeys(ids, ZERO)
    applied.update({row["invoice_id"]: -(row["total"] or ZERO) for row in rows})
    return applied


def payment_posted_invoices(payment_id: int) -> list[tuple[str, Decimal]]:
    rows = (
        JournalLine.objects.filter(payment_id=payment_id, account=Account.RECEIVABLE)
        .exclude(invoice_id="")
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .order_by("-invoice_id")
    )
    return [(row["invoice_id"], -row["total"]) for row in rows if row["total"]]
