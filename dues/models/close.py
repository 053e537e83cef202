"""Models of the month-end close: accounting periods and their lock, the chart-of-accounts
mapping, the general-ledger journal of the close's entries, and reconciliation runs.

The GL journal is append-only and balanced by the database, and no entry may be dated inside a
closed period (migration 0009's triggers); services check first to give a person a message.
"""

from datetime import date

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from dues.close import permissions


class CloseAccess(models.Model):
    """Holds the close pages' permissions; it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = permissions.DECLARED
        verbose_name = "close access"

    def __str__(self) -> str:
        return "close access"


class AccountingPeriod(models.Model):
    """One calendar month of the books. A month without a row is open."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    TRANSITIONS = {Status.OPEN: {Status.CLOSED}, Status.CLOSED: {Status.OPEN}}

    month = models.DateField(unique=True, help_text="The first day of the month.")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="accounting_period_first_day"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return period_name(self.month)

    @property
    def key(self) -> str:
        return f"{self.month:%Y-%m}"


def period_name(month: date) -> str:
    return f"{month:%B %Y} ({month:%Y-%m})"


class GlMapping(models.Model):
    """One ledger account's code in the association's general ledger. Changed only by
    ``gl_mapping_set``, which audits before and after."""

    account = models.CharField(max_length=140, unique=True)
    gl_code = models.CharField(max_length=40)
    gl_name = models.CharField(max_length=120, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account"]
        verbose_name = "GL mapping"

    def __str__(self) -> str:
        return f"{self.account} → {self.gl_code}"


class GlEntry(models.Model):
    """One balanced general-ledger journal entry of the close: an approved adjusting entry or a
    revenue recognition. Dated by the books, never inside a closed period."""

    key = models.CharField(max_length=120, unique=True, help_text="One entry per decision.")
    entry_date = models.DateField(db_index=True)
    journal = models.CharField(max_length=20, help_text="ADJ: adjusting; REV: recognition.")
    reference = models.CharField(max_length=80)
    memo = models.CharField(max_length=300)
    source = models.CharField(max_length=40, help_text="What drafted it (reconciliation, ...).")
    source_ref = models.CharField(max_length=120, blank=True)
    review_item = models.ForeignKey(
        "reviews.ReviewItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_by_name = models.CharField(max_length=150, blank=True)
    approved_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["entry_date", "id"]
        verbose_name_plural = "GL entries"

    def __str__(self) -> str:
        return f"{self.journal} {self.reference} on {self.entry_date}"


class GlEntryLine(models.Model):
    """One side of a GL entry: debit positive, credit negative."""

    entry = models.ForeignKey(GlEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=140, db_index=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, help_text="Debit +, credit -.")
    memo = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="gl_line_nonzero")
        ]

    def __str__(self) -> str:
        side = "Dr" if self.amount > 0 else "Cr"
        return f"{side} {self.account} {abs(self.amount)}"


class Reconciliation(models.Model):
    """One run of a month's reconciliation: the figures it tied and the differences it found.
    The latest finished run of a month is the one its page shows."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    TRANSITIONS = {
        Status.RUNNING: {Status.DONE, Status.FAILED},
        Status.DONE: set(),
        Status.FAILED: set(),
    }

    month = models.DateField(db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job_run_id = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    figures = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Reconciliation of {self.month:%Y-%m} #{self.pk}"


class Difference(models.Model):
    """One difference a reconciliation found, with its cause and, when the cause needs one, the
    adjusting entry drafted for it."""

    class Cause(models.TextChoices):
        HOLD = "hold", "In hold"
        UNMATCHED = "unmatched", "Unmatched"
        NOT_OURS = "not_ours", "Not ours / refund due"
        FEE = "fee", "Processor fee"
        TIMING = "timing", "Timing: deposited next month"
        NOT_SEEN = "not_seen", "Posted, not yet seen in iMIS"
        UNEXPLAINED = "unexplained", "Unexplained"

    reconciliation = models.ForeignKey(
        Reconciliation, on_delete=models.CASCADE, related_name="differences"
    )
    cause = models.CharField(max_length=12, choices=Cause.choices, db_index=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    source = models.CharField(max_length=12, blank=True)
    payment = models.ForeignKey(
        "dues.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deposit = models.ForeignKey(
        "dues.BankDeposit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(max_length=200, blank=True)
    explanation = models.CharField(max_length=500)
    review_item = models.ForeignKey(
        "reviews.ReviewItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["cause", "id"]

    def __str__(self) -> str:
        return f"{self.get_cause_display()} {self.amount}"
