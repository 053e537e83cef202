"""Incoming payments, where they came from (webhook events, bank files), their candidates and
the labels reviewers' choices leave for recalibrating the matcher."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse

from common.models import TimeStampedModel
from dues import permissions


class DuesAccess(models.Model):
    """Holds the payments app's permissions; it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = permissions.DECLARED
        verbose_name = "dues access"

    def __str__(self) -> str:
        return "dues access"


class PaymentImport(TimeStampedModel):
    """One uploaded or command-line bank file and the report of what its lines became."""

    class Format(models.TextChoices):
        BAI2 = "bai2", "BAI2"
        CSV = "csv", "CSV"

    file_format = models.CharField(max_length=4, choices=Format.choices)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    lines = models.PositiveIntegerField(default=0, help_text="Payment lines found in the file.")
    added = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0, help_text="Lines already imported.")
    errors = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.added} added)"

    def get_absolute_url(self) -> str:
        return reverse("dues:import_detail", args=[self.pk])


class BankDeposit(TimeStampedModel):
    """A deposit: a bank's lockbox deposit (BAI2 type 115, the total of the check items (116) that
    follow it), a BAI2 account's credits, a CSV file's batch, or a Stripe payout; not a payment.
    Its items are the payments and carry it (``Payment.deposit``), for the month-end close; a
    deposit read without items waits for the lockbox detail, and is never matched to a member.
    One that does not add up is kept with its problems, line by line."""

    class Status(models.TextChoices):
        AWAITING_DETAIL = "awaiting", "Waiting for the lockbox detail"
        ITEMIZED = "itemized", "Itemized"
        UNBALANCED = "unbalanced", "Items do not add up"

    # A later file with the deposit and its items itemizes a deposit that was waiting.
    TRANSITIONS = {
        Status.AWAITING_DETAIL: {Status.ITEMIZED, Status.UNBALANCED},
        Status.UNBALANCED: set(),
        Status.ITEMIZED: set(),
    }

    class Kind(models.TextChoices):
        LOCKBOX = "lockbox", "Lockbox deposit (BAI2 115)"
        BAI2_ACCOUNT = "bai2_account", "BAI2 account total"
        CSV_BATCH = "csv_batch", "CSV batch"
        STRIPE_PAYOUT = "stripe_payout", "Stripe payout"

    dedupe_key = models.CharField(max_length=200, unique=True, help_text="The record's content.")
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.LOCKBOX)
    import_file = models.ForeignKey(
        PaymentImport, null=True, blank=True, on_delete=models.PROTECT, related_name="deposits"
    )
    line_number = models.PositiveIntegerField(null=True, blank=True)
    account = models.CharField(max_length=60, blank=True)
    received_on = models.DateField(db_index=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    bank_reference = models.CharField(max_length=120, blank=True)
    lockbox = models.CharField(max_length=120, blank=True, help_text="The lockbox number.")
    text = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    items = models.PositiveIntegerField(default=0)
    items_total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # A payout's processor fee (an expense, not a short payment): amount is what reached the
    # bank, amount + fee what the payments it carries added up to.
    fee = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    problems = models.JSONField(
        encoder=DjangoJSONEncoder,
        default=list,
        blank=True,
        help_text='Why it does not add up, line by line: [{"line", "problem"}].',
    )
    raw = models.JSONField(encoder=DjangoJSONEncoder, default=dict)

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"Deposit {self.reference} {self.amount} {self.currency}"

    @property
    def reference(self) -> str:
        """How finance names the deposit: the bank's reference, else the lockbox and date."""
        return self.bank_reference or f"{self.lockbox or 'lockbox'} {self.received_on:%Y-%m-%d}"


class MatchingPolicy(TimeStampedModel):
    """The manager's rules for matching (one row): what to do when several open invoices of a
    payer equal the amount - propose each, or apply to the oldest or the current term's."""

    class TieRule(models.TextChoices):
        PROPOSE = "propose", "Propose each: a person chooses"
        OLDEST = "oldest", "Apply to the oldest invoice"
        CURRENT = "current", "Apply to the current term's invoice (the newest)"

    tie_rule = models.CharField(max_length=8, choices=TieRule.choices, default=TieRule.PROPOSE)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "matching policies"

    def __str__(self) -> str:
        return f"Matching policy: {self.get_tie_rule_display()}"


class WebhookEvent(TimeStampedModel):
    """A signed notification from a payment provider, stored once per event id as it arrived.

    The webhook view only verifies and stores it; a worker turns it into a payment or refund.
    """

    class Source(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        AUTHORIZENET = "authorizenet", "Authorize.Net"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        DUPLICATE = "duplicate", "Same payment as an earlier event"
        IGNORED = "ignored", "Ignored (not a payment event)"
        FAILED = "failed", "Failed"

    TRANSITIONS = {
        Status.RECEIVED: {Status.PROCESSED, Status.DUPLICATE, Status.IGNORED, Status.FAILED},
        Status.FAILED: {Status.PROCESSED, Status.DUPLICATE, Status.IGNORED, Status.FAILED},
        Status.PROCESSED: set(),
        Status.DUPLICATE: set(),
        Status.IGNORED: set(),
    }

    source = models.CharField(max_length=12, choices=Source.choices)
    event_id = models.CharField(max_length=120)
    event_type = models.CharField(max_length=120)
    body = models.TextField(help_text="The raw body exactly as signed.")
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    payment = models.ForeignKey(
        "dues.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.event_type} {self.event_id}"


class Payment(TimeStampedModel):
    """Money that arrived, stored once per source and dedupe key, with what was done with it.

    The amount, source and raw payload never change (the database refuses it); what the product
    did with the money is in the journal (dues.models.ledger), and the status summarises it.
    """

    class Source(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        AUTHORIZENET = "authorizenet", "Authorize.Net"
        BAI2 = "bai2", "Bank file (BAI2)"
        CSV = "csv", "Bank file (CSV)"
        CHECK = "check", "Check entered by hand"

    class Method(models.TextChoices):
        CARD = "card", "Card"
        ACH = "ach", "ACH"
        CHECK = "check", "Check"
        WIRE = "wire", "Wire"
        CASH = "cash", "Cash"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        UNMATCHED = "unmatched", "Unmatched"
        PROPOSED = "proposed", "Proposed"
        HELD = "held", "On hold"
        POSTED = "posted", "Posted"
        NOT_OURS = "not_ours", "Not ours / refund due"
        REFUNDED = "refunded", "Refunded"

    # Declared once. held → proposed is an undo inside the hold window; held → refunded is a
    # provider refund during the hold (the application is reversed first).
    TRANSITIONS = {
        Status.RECEIVED: {
            Status.UNMATCHED,
            Status.PROPOSED,
            Status.HELD,
            Status.NOT_OURS,
            Status.REFUNDED,
        },
        Status.UNMATCHED: {
            Status.UNMATCHED,
            Status.PROPOSED,
            Status.HELD,
            Status.NOT_OURS,
            Status.REFUNDED,
        },
        Status.PROPOSED: {
            Status.PROPOSED,
            Status.UNMATCHED,
            Status.HELD,
            Status.NOT_OURS,
            Status.REFUNDED,
        },
        Status.HELD: {Status.PROPOSED, Status.POSTED, Status.REFUNDED},
        Status.NOT_OURS: {Status.REFUNDED},
        Status.POSTED: set(),
        Status.REFUNDED: set(),
    }
    OPEN = (Status.RECEIVED, Status.UNMATCHED, Status.PROPOSED)

    source = models.CharField(max_length=12, choices=Source.choices, db_index=True)
    dedupe_key = models.CharField(max_length=200, help_text="Unique per source.")
    provider_id = models.CharField(
        max_length=120, blank=True, help_text="The provider's or bank's own id for it."
    )
    raw = models.JSONField(encoder=DjangoJSONEncoder, help_text="What arrived, as it arrived.")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    received_on = models.DateField(db_index=True)
    payer_name = models.CharField(max_length=300, blank=True)
    payer_email = models.CharField(max_length=254, blank=True)
    payer_postal_code = models.CharField(
        max_length=20, blank=True, help_text="The payer's billing postal code, when given."
    )
    memo = models.TextField(blank=True)
    reference = models.CharField(max_length=200, blank=True)
    method = models.CharField(max_length=6, choices=Method.choices, default=Method.OTHER)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    refunded_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    import_file = models.ForeignKey(
        PaymentImport, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    line_number = models.PositiveIntegerField(null=True, blank=True)
    deposit = models.ForeignKey(
        BankDeposit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        help_text="The lockbox deposit the bank grouped it in.",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What matching found (the best candidate), for the queue's filters and the bands.
    top_confidence = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    candidate_count = models.PositiveSmallIntegerField(default=0)
    matched_at = models.DateTimeField(null=True, blank=True)
    review_item = models.ForeignKey(
        "reviews.ReviewItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_round = models.PositiveIntegerField(default=0)
    # What was applied (kept on the row for lists; the journal is the record).
    member_id = models.CharField(max_length=80, blank=True, db_index=True)
    payer_id = models.CharField(max_length=80, blank=True)
    applied_by_policy = models.BooleanField(default=False)
    applied_at = models.DateTimeField(null=True, blank=True)
    applications = models.PositiveIntegerField(default=0)
    hold_until = models.DateTimeField(null=True, blank=True, db_index=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    imis_reference = models.CharField(max_length=80, blank=True)
    attention = models.CharField(
        max_length=300, blank=True, help_text="Something finance must do by hand."
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "dedupe_key"], name="payment_once"),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0)
                & models.Q(refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="payment_status_recent"),
            models.Index(fields=["status", "hold_until"], name="payment_hold_due"),
        ]

    def __str__(self) -> str:
        return f"Payment #{self.pk} {self.amount} {self.currency} from {self.payer_name or '?'}"

    def get_absolute_url(self) -> str:
        return reverse("dues:payment_detail", args=[self.pk])

    @property
    def available(self):
        """What can still be applied: the amount less refunds."""
        return self.amount - self.refunded_amount


class PaymentCandidate(models.Model):
    """One way matching thinks a payment could be applied, ranked, with its evidence."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="candidates")
    rank = models.PositiveSmallIntegerField()
    member_id = models.CharField(max_length=80)
    payer_id = models.CharField(max_length=80, blank=True)
    allocations = models.JSONField(
        default=list, encoder=DjangoJSONEncoder, help_text='[["invoice id", "amount"], ...]'
    )
    invoice_ids = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    credit = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    shortfall = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    confidence = models.DecimalField(max_digits=4, decimal_places=3)
    explanation = models.CharField(max_length=500)
    signals = models.JSONField(default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["payment", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "rank"], name="candidate_rank_once")
        ]
        indexes = [GinIndex(fields=["invoice_ids"], name="candidate_invoices")]

    def __str__(self) -> str:
        return f"#{self.rank} for payment {self.payment_id}: member {self.member_id}"


class MatchLabel(models.Model):
    """What a person (or a policy) did with a payment's top candidate: the matcher's ground truth.

    The latest label of a payment counts; an undo adds a label rather than changing one.
    """

    class Outcome(models.TextChoices):
        TOP = "top", "Applied as proposed"
        OTHER = "other", "Applied to another candidate"
        SPLIT = "split", "Split by hand"
        CREDIT = "credit", "Kept as credit on account"
        NOT_OURS = "not_ours", "Not ours / refund"
        REJECTED = "rejected", "Proposal rejected"
        UNDONE = "undone", "Application undone"

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="labels")
    review_item_id = models.BigIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    top_confidence = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    top_correct = models.BooleanField(help_text="The top candidate was what the payment was for.")
    by_policy = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"payment {self.payment_id}: {self.outcome}"
