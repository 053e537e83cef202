"""Models of billing correctness: the policy's stored overrides, invoice checks and findings,
credit memos and debit adjustments, and the adjustment journal."""

from django.conf import settings
from django.db import models

from dues.billing import permissions


class BillingAccess(models.Model):
    """Holds the billing pages' permissions; it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = permissions.DECLARED
        verbose_name = "billing access"

    def __str__(self) -> str:
        return "billing access"


class BillingPolicySetting(models.Model):
    """A manager's override of one rule of the billing policy (its environment default stands
    while there is none). Changed only by ``billing_policy_set``, which audits before and after."""

    name = models.CharField(max_length=60, unique=True)
    value = models.CharField(max_length=300)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"


class CheckRun(models.Model):
    """One run of the invoice checks: what it covered, what it found, how long it took."""

    class Trigger(models.TextChoices):
        COMMAND = "command", "Command"
        SYNC = "sync", "After a sync"
        PAGE = "page", "From the Billing checks page"

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    since = models.DateField(null=True, blank=True, help_text="Invoices dated from this day.")
    changed_since = models.DateTimeField(
        null=True, blank=True, help_text="Only invoices new or changed in the mirror since then."
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    synced_through = models.DateTimeField(
        null=True, blank=True, help_text="The latest mirror change this run took into account."
    )
    checked = models.PositiveIntegerField(default=0)
    clean = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    by_kind = models.JSONField(default=dict, blank=True)
    seconds = models.FloatField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Invoice checks #{self.pk}: {self.checked} checked, {self.flagged} flagged"


class InvoiceCheck(models.Model):
    """The latest check of one iMIS invoice: clean, flagged or skipped (and why), so that the
    share of invoices clean is a real figure."""

    class Outcome(models.TextChoices):
        CLEAN = "clean", "Clean"
        FLAGGED = "flagged", "Flagged"
        SKIPPED = "skipped", "Not checked"

    invoice_id = models.CharField(max_length=80, unique=True)
    member_id = models.CharField(max_length=80, blank=True, db_index=True)
    invoice_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, db_index=True)
    billed = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    expected = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was not checked.")
    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="+")
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-checked_at", "invoice_id"]

    def __str__(self) -> str:
        return f"Invoice {self.invoice_id}: {self.outcome}"


class Finding(models.Model):
    """An invoice billed otherwise than the policy says: what was billed, what was expected,
    why, and how sure the check is. One open finding per invoice at a time."""

    class Kind(models.TextChoices):
        WRONG_TIER = "wrong_tier", "Wrong tier"
        STALE_PRICE = "stale_price", "Stale price"
        ORG_INDIVIDUAL_RATE = "org_individual_rate", "Organisation at an individual rate"
        DUPLICATE = "duplicate", "Duplicate for the term"
        CHAPTER_LINE = "chapter_line", "Chapter line wrong"
        MULTI_YEAR_DISCOUNT = "multi_year_discount", "Multi-year discount wrong"
        TIER_CHANGE = "tier_change_not_prorated", "Tier change not prorated"
        OTHER = "other_difference", "Other difference"
        NO_PRICE = "no_price", "No price"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MEMO = "memo", "Memo proposed"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"

    # Declared once. memo → open: the memo expired or went stale (it is filed again); memo →
    # dismissed: a person rejected it (the same finding is not raised again). open/memo →
    # resolved: a later check found the invoice right (corrected in iMIS, or the memo posted).
    TRANSITIONS = {
        Status.OPEN: {Status.MEMO, Status.RESOLVED, Status.DISMISSED},
        Status.MEMO: {Status.OPEN, Status.RESOLVED, Status.DISMISSED},
        Status.RESOLVED: {Status.OPEN},
        Status.DISMISSED: {Status.OPEN},
    }
    ACTIVE = (Status.OPEN, Status.MEMO)

    invoice_id = models.CharField(max_length=80, db_index=True)
    invoice_number = models.CharField(max_length=80, blank=True)
    invoice_date = models.DateField(null=True, blank=True, db_index=True)
    member_id = models.CharField(max_length=80, blank=True, db_index=True)
    member_name = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices, db_index=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    billed = models.DecimalField(max_digits=14, decimal_places=2)
    expected = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    difference = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="Expected minus billed."
    )
    confidence = models.DecimalField(max_digits=4, decimal_places=3)
    summary = models.CharField(max_length=500)
    breakdown = models.JSONField(default=dict, blank=True)
    run = models.ForeignKey(CheckRun, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-invoice_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice_id"],
                condition=models.Q(status__in=["open", "memo"]),
                name="finding_one_active_per_invoice",
            )
        ]
        indexes = [models.Index(fields=["status", "kind"], name="finding_status_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on invoice {self.invoice_number or self.invoice_id}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("dues:billing:invoice", args=[self.invoice_id])


class CreditMemo(models.Model):
    """A correction of one iMIS invoice: a credit memo (negative) or a debit adjustment
    (positive), proposed through a review item and posted to iMIS and the ledger once."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        OBSERVED = "observed", "Observed only"
        APPROVED = "approved", "Approved, sent to iMIS"
        POSTED = "posted", "Posted"
        TO_KEY_IN = "to_key_in", "To key in by hand"
        REFUSED = "refused", "Refused by iMIS"
        REJECTED = "rejected", "Rejected"
        REVERSED = "reversed", "Reversed"

    # Declared once. A proposal superseded by an edited amount is rejected (a new one is filed);
    # to_key_in → posted when a sync sees the adjustment keyed in by hand.
    TRANSITIONS = {
        Status.PROPOSED: {Status.APPROVED, Status.REJECTED, Status.OBSERVED},
        Status.OBSERVED: set(),
        Status.APPROVED: {Status.POSTED, Status.TO_KEY_IN, Status.REFUSED},
        Status.TO_KEY_IN: {Status.POSTED},
        Status.POSTED: {Status.REVERSED},
        Status.REFUSED: set(),
        Status.REJECTED: set(),
        Status.REVERSED: set(),
    }

    class Origin(models.TextChoices):
        CHECK = "check", "Invoice check"
        CALCULATOR = "calculator", "Proration & refund calculator"

    reference = models.CharField(max_length=40, unique=True, null=True, blank=True)
    origin = models.CharField(max_length=12, choices=Origin.choices)
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="memos"
    )
    review_item = models.OneToOneField(
        "reviews.ReviewItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credit_memo",
    )
    invoice_id = models.CharField(max_length=80, db_index=True)
    invoice_number = models.CharField(max_length=80, blank=True)
    member_id = models.CharField(max_length=80, db_index=True)
    member_name = models.CharField(max_length=300, blank=True)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="Credit memo negative, debit positive."
    )
    reason = models.CharField(max_length=300)
    breakdown = models.JSONField(default=list, blank=True)
    parts = models.JSONField(
        default=dict, blank=True, help_text="How a cancellation splits: refund, write_off."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True
    )
    outbox_reference = models.CharField(max_length=80, blank=True)
    note_reference = models.CharField(max_length=80, blank=True)
    reversal_reference = models.CharField(max_length=80, blank=True)
    imis_message = models.CharField(max_length=500, blank=True)
    baseline_adjustment = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The invoice's adjustments in the mirror when approved.",
    )
    explanation_error = models.CharField(max_length=300, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "credit memo or debit adjustment"
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="memo_amount_nonzero")
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.reference or self.pk} on invoice {self.invoice_number}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("dues:billing:memo", args=[self.pk])

    @property
    def label(self) -> str:
        return "Credit memo" if self.amount < 0 else "Debit adjustment"

    @property
    def shown_status(self) -> tuple[str, str]:
        """The status as a person should read it: a proposal already decided in the review
        queue shows its decision while the effect and the sync catch up."""
        item = self.review_item
        if self.status == self.Status.PROPOSED and item is not None:
            if item.status in ("approved", "edited", "executing"):
                return "approved", "Approved"
            if item.status in ("rejected", "expired", "stale") and item.pk == self.review_item_id:
                return "rejected", item.get_status_display()
        return self.status, self.get_status_display()


class AdjustmentAccount(models.TextChoices):
    """Accounts of the adjustment journal, named for a month-end close to map."""

    RECEIVABLE = "receivable", "Accounts receivable: dues"
    DUES_REVENUE = "dues_revenue", "Dues revenue"
    CREDIT_MEMOS = "credit_memos", "Credit memos and allowances"
    WRITE_OFFS = "write_offs", "Write-offs"


class AdjustmentEntry(models.Model):
    """One balanced journal transaction of an invoice adjustment: its posting or reversal.

    Append-only and balanced by the database (migration 0007), as the payment journal is."""

    class Kind(models.TextChoices):
        POST = "post", "Posted"
        REVERSE = "reverse", "Reversed"

    memo = models.ForeignKey(CreditMemo, on_delete=models.PROTECT, related_name="journal")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True, help_text="One entry per event.")
    memo_text = models.CharField(max_length=300)
    actor_name = models.CharField(max_length=150)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "adjustment entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of memo {self.memo_id}"


class AdjustmentLine(models.Model):
    """One side of an adjustment entry: debit positive, credit negative."""

    entry = models.ForeignKey(AdjustmentEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=14, choices=AdjustmentAccount.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, help_text="Debit +, credit -.")
    invoice_id = models.CharField(max_length=80, db_index=True)
    member_id = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="adjustment_line_nonzero")
        ]

    def __str__(self) -> str:
        side = "Dr" if self.amount > 0 else "Cr"
        return f"{side} {self.get_account_display()} {abs(self.amount)}"
