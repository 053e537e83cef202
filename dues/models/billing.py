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

    # Declared once. memo → open: the memo was rejected or went stale. open/memo → resolved:
    # a later check found the invoice right (corrected in iMIS, or the memo posted).
    TRANSITIONS = {
        Status.OPEN: {Status.MEMO, Status.RESOLVED, Status.DISMISSED},
        Status.MEMO: {Status.OPEN, Status.RESOLVED},
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
