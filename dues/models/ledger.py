"""The local double-entry journal of what the product did with each payment.

Append-only and balanced by the database itself (migration 0002): UPDATE and DELETE are refused,
every transaction's lines sum to zero at commit, no invoice receives more than its recorded open
balance and no payment gives out more than it brought in.

Amounts are signed: a debit is positive, a credit negative. Accounts:
- cash clearing: money received and not refunded (a debit balance);
- unapplied credit: money not (yet) on any invoice, including credit kept on account;
- hold: money applied to an invoice or account and waiting out the hold before posting;
- receivable: money posted to iMIS against an invoice.
"""

from django.db import models
from django.utils import timezone


class Account(models.TextChoices):
    CASH_CLEARING = "cash_clearing", "Cash clearing"
    UNAPPLIED = "unapplied", "Unapplied credit"
    HOLD = "hold", "Hold"
    RECEIVABLE = "receivable", "Receivable"


class JournalTransaction(models.Model):
    """One balanced event: an intake, an application, its undo, a posting or a refund."""

    class Kind(models.TextChoices):
        INTAKE = "intake", "Payment received"
        APPLY = "apply", "Applied (on hold)"
        UNDO = "undo", "Application undone"
        POST = "post", "Posted to iMIS"
        REFUND = "refund", "Refunded"

    payment = models.ForeignKey("dues.Payment", on_delete=models.PROTECT, related_name="journal")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True, help_text="One transaction per event.")
    memo = models.CharField(max_length=300)
    actor_name = models.CharField(max_length=150)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for payment {self.payment_id}"


class JournalLine(models.Model):
    """One side of a transaction; invoice_id is set on hold and receivable lines of invoices."""

    transaction = models.ForeignKey(
        JournalTransaction, on_delete=models.PROTECT, related_name="lines"
    )
    payment = models.ForeignKey("dues.Payment", on_delete=models.PROTECT, related_name="+")
    account = models.CharField(max_length=14, choices=Account.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, help_text="Debit +, credit -.")
    invoice_id = models.CharField(max_length=80, blank=True, db_index=True)
    member_id = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="journal_line_nonzero")
        ]
        indexes = [models.Index(fields=["payment", "account"], name="journal_payment_account")]

    def __str__(self) -> str:
        side = "Dr" if self.amount > 0 else "Cr"
        return f"{side} {self.get_account_display()} {abs(self.amount)}"


class InvoiceCap(models.Model):
    """The most the product may apply to an invoice: its open balance when last applied to,
    plus what the product already posted that iMIS had counted by then.

    Applications lock this row, so two payments racing for one invoice take turns.
    """

    invoice_id = models.CharField(max_length=80, unique=True)
    cap = models.DecimalField(max_digits=14, decimal_places=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["invoice_id"]
        constraints = [models.CheckConstraint(condition=models.Q(cap__gte=0), name="cap_nonneg")]

    def __str__(self) -> str:
        return f"Invoice {self.invoice_id}: up to {self.cap}"
