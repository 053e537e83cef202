"""Deferred dues revenue: one schedule per dues invoice, the events that shape it, the monthly
recognition runs, and the revenue journal the roll-forward ties to."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from dues.close import revenue_permissions


class RevenueSchedule(models.Model):
    """How one dues invoice's revenue is deferred over its term and recognised month by month.

    ``slices`` maps each month (``YYYY-MM``) to the amount recognised in it; they always sum to
    ``deferred`` (what the events put in, net). Months before a recognition run stay fixed.
    """

    class Basis(models.TextChoices):
        ACCRUAL = "accrual", "Accrual (deferred on billing)"
        CASH = "cash", "Cash (deferred on payment)"

    class Method(models.TextChoices):
        MONTHS = "months", "By whole months"
        DAYS = "days", "By days"

    invoice_id = models.CharField(max_length=80, unique=True)
    invoice_number = models.CharField(max_length=80, blank=True)
    member_id = models.CharField(max_length=80, db_index=True)
    item_code = models.CharField(max_length=80)
    revenue_account = models.CharField(max_length=120)
    term_begin = models.DateField()
    term_end = models.DateField()
    basis = models.CharField(max_length=8, choices=Basis.choices)
    method = models.CharField(max_length=8, choices=Method.choices)
    deferred = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    slices = models.JSONField(default=dict, blank=True)
    cancelled_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["invoice_id"]
        permissions = revenue_permissions.DECLARED
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_end__gte=models.F("term_begin")),
                name="revenue_term_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"Revenue of invoice {self.invoice_number or self.invoice_id}"


class RevenueEvent(models.Model):
    """Something that changed a schedule from a date: a deferral (billing or payment), a credit
    memo, a refund, a cancellation or a tier change. ``amount`` is what it did to deferred
    revenue; ``excess`` what it took from revenue already recognised (more than was left)."""

    class Kind(models.TextChoices):
        DEFER = "defer", "Deferred"
        CREDIT_MEMO = "credit_memo", "Credit memo"
        DEBIT = "debit", "Debit adjustment"
        REFUND = "refund", "Refund"
        CANCELLATION = "cancellation", "Cancellation"
        TIER_CHANGE = "tier_change", "Tier change"

    schedule = models.ForeignKey(RevenueSchedule, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    on = models.DateField(help_text="The date it happened.")
    period = models.DateField(help_text="First day of the month it counts in.")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    excess = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    reference = models.CharField(max_length=120, unique=True, help_text="One event per source.")
    actor_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["period", "kind"], name="revenue_event_period_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.on}"


class RecognitionRun(models.Model):
    """The recognition of one month: drafted as review items (one per revenue account), posted
    to the revenue journal when each is approved. A month is drafted once."""

    class Status(models.TextChoices):
        DRAFTED = "drafted", "Drafted, awaiting approval"
        POSTED = "posted", "Posted"

    TRANSITIONS = {Status.DRAFTED: {Status.POSTED}, Status.POSTED: set()}

    period = models.DateField(unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFTED)
    totals = models.JSONField(default=dict, help_text="Revenue account -> amount recognised.")
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period"]

    def __str__(self) -> str:
        return f"Recognition of {self.period:%B %Y}"


class RevenueEntry(models.Model):
    """One balanced transaction of the revenue journal, dated in its period."""

    class Kind(models.TextChoices):
        DEFER = "defer", "Deferral"
        ADJUST = "adjust", "Adjustment"
        RECOGNISE = "recognise", "Recognition"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    period = models.DateField(db_index=True)
    key = models.CharField(max_length=160, unique=True, help_text="One entry per event.")
    memo = models.CharField(max_length=300)
    actor_name = models.CharField(max_length=150)
    review_item = models.ForeignKey(
        "reviews.ReviewItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "revenue entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period:%Y-%m}"


class RevenueLine(models.Model):
    """One side of a revenue entry: debit positive, credit negative."""

    entry = models.ForeignKey(RevenueEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=120)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="revenue_line_nonzero")
        ]
        indexes = [models.Index(fields=["account"], name="revenue_line_account")]

    def __str__(self) -> str:
        return f"{'Dr' if self.amount > 0 else 'Cr'} {self.account} {abs(self.amount)}"
