"""Review items (every proposal a person or policy must decide) and automation policies."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from common.models import TimeStampedModel
from reviews import permissions
from reviews.drafting.purposes import PURPOSE_SPECS


class ReviewAccess(models.Model):
    """Holds the review queues' permissions; it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = permissions.DECLARED
        verbose_name = "review access"

    def __str__(self) -> str:
        return "review access"


class Queue(models.TextChoices):
    MEMBERSHIP = "membership", "Membership"
    FINANCE = "finance", "Finance"
    MANAGER = "manager", "Manager"


class ReviewItem(TimeStampedModel):
    """A proposal (an email, a payment application, a credit memo...) and its decision."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        EDITED = "edited", "Edited and approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        STALE = "stale", "Stale"
        EXECUTING = "executing", "Executing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        REVERSED = "reversed", "Reversed"
        OBSERVED = "observed", "Observed only"

    # Declared once. approved/edited → pending: an edit after approval voids the approval.
    TRANSITIONS = {
        Status.PENDING: {
            Status.APPROVED,
            Status.EDITED,
            Status.REJECTED,
            Status.EXPIRED,
            Status.STALE,
        },
        Status.APPROVED: {Status.EXECUTING, Status.STALE, Status.PENDING},
        Status.EDITED: {Status.EXECUTING, Status.STALE, Status.PENDING},
        Status.EXECUTING: {Status.DONE, Status.FAILED, Status.STALE},
        Status.FAILED: {Status.EXECUTING, Status.STALE},
        Status.DONE: {Status.REVERSED},
        Status.REJECTED: set(),
        Status.EXPIRED: set(),
        Status.STALE: set(),
        Status.REVERSED: set(),
        Status.OBSERVED: set(),
    }
    DECIDED = (Status.APPROVED, Status.EDITED, Status.REJECTED)

    class RejectReason(models.TextChoices):
        WRONG_MEMBER = "wrong_member", "Wrong member or invoice"
        WRONG_AMOUNT = "wrong_amount", "Wrong amount"
        DUPLICATE = "duplicate", "Duplicate"
        NOT_NEEDED = "not_needed", "Not needed"
        TONE = "tone", "Wording or tone"
        OTHER = "other", "Other (explain)"

    kind = models.CharField(max_length=60, db_index=True)
    queue = models.CharField(max_length=12, choices=Queue.choices, db_index=True)
    member_id = models.CharField(max_length=80, blank=True, db_index=True)
    invoice_id = models.CharField(max_length=80, blank=True)
    object_ref = models.CharField(max_length=120, blank=True, help_text="e.g. payment 123")
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    rationale = models.TextField(blank=True)
    confidence = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    original_payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    edit_diff = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    needs_manager = models.BooleanField(default=False)
    priority = models.SmallIntegerField(default=0, db_index=True)
    due_by = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_review_items",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_review_items",
    )
    proposed_by_job = models.CharField(max_length=120, blank=True)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="edited_review_items",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decided_review_items",
    )
    decided_by_policy = models.BooleanField(default=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=20, choices=RejectReason.choices, blank=True)
    reject_note = models.TextField(blank=True)
    stale_reason = models.CharField(max_length=300, blank=True)
    effect_key = models.UUIDField(default=uuid.uuid4, editable=False)
    effect_attempts = models.PositiveIntegerField(default=0)
    effect_result = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    effect_error = models.TextField(blank=True)
    dedupe_key = models.CharField(
        max_length=160,
        null=True,
        blank=True,
        unique=True,
        help_text="One open proposal per key (e.g. one outreach per member and term).",
    )

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [models.Index(fields=["queue", "status", "-priority", "id"], name="review_queue")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"


class ReviewPolicy(TimeStampedModel):
    """How a kind of item is handled for a segment: observe, assist (a person), or auto."""

    class Mode(models.TextChoices):
        OBSERVE = "observe", "Observe: record and measure only"
        ASSIST = "assist", "Assist: a person decides"
        AUTO = "auto", "Auto: run within the limits below"

    kind = models.CharField(max_length=60)
    segment = models.CharField(max_length=60, blank=True, help_text="Empty: every member.")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.ASSIST)
    min_confidence = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    max_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["kind", "segment"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "segment"], name="policy_kind_segment")
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.segment or 'all'}: {self.mode}"


class Communication(TimeStampedModel):
    """A message the product sent (or tried to send) to a member: the local communication history.

    One row per effect key, so that an effect run twice sends once. The row commits with the
    effect (queued); the message is handed to the mail server or SMS provider after that
    (reviews.communications). The iMIS Activity that logs it goes through the outbox once it
    has been handed over; its reference is kept here.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    # Declared once; reviews.communications checks against it. SENDING → QUEUED: refused for
    # now, tried again later. SENDING → SENDING: a hand-off cut off by a crash, taken up again
    # by the recovery. FAILED → QUEUED: the effect was retried after a lasting refusal.
    TRANSITIONS = {
        Status.QUEUED: {Status.SENDING},
        Status.SENDING: {Status.SENT, Status.QUEUED, Status.FAILED, Status.SENDING},
        Status.FAILED: {Status.QUEUED},
        Status.SENT: set(),
    }

    key = models.CharField(max_length=120, unique=True, help_text="Idempotency key of the send.")
    member_id = models.CharField(max_length=80, db_index=True)
    item = models.ForeignKey(
        ReviewItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="communications",
    )
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    purpose = models.CharField(max_length=40, blank=True)
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=250, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Queued: when to hand it over. Sending: when the hand-off counts as cut off.",
    )
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the mail server or SMS provider accepted it."
    )
    error = models.TextField(blank=True)
    message_id = models.CharField(max_length=250, blank=True)
    activity_reference = models.CharField(max_length=40, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    auto = models.BooleanField(default=False, help_text="Sent under an Auto policy.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["member_id", "-created_at"], name="comm_member_recent"),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="comm_undelivered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.member_id}: {self.subject or self.body[:40]}"


# --- Drafting (issue #5): template library, guardrail rules, and the log of every draft ------

PURPOSE_CHOICES = [(p.name, p.label) for p in PURPOSE_SPECS.values()]


class MessageTemplate(TimeStampedModel):
    """The approved template of one purpose and channel; its text lives in versions."""

    purpose = models.CharField(max_length=40, choices=PURPOSE_CHOICES)
    channel = models.CharField(max_length=5, choices=Communication.Channel.choices)

    class Meta:
        ordering = ["purpose", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "channel"], name="template_purpose_channel")
        ]

    def __str__(self) -> str:
        return f"{self.purpose}/{self.channel}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("reviews:template_detail", args=[self.pk])

    @property
    def current(self) -> "MessageTemplateVersion | None":
        return self.versions.order_by("-version").first()


class MessageTemplateVersion(models.Model):
    """One text of a template. Never changed: an edit makes the next version."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    subject = models.CharField(max_length=250, blank=True)
    body = models.TextField()
    note = models.CharField(max_length=300, blank=True, help_text="What changed, and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="template_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.version}"


class GuardrailRule(TimeStampedModel):
    """A phrase managers forbid or discourage, or a domain links may point to."""

    class Kind(models.TextChoices):
        PROHIBITED = "prohibited", "Prohibited term"
        TONE = "tone", "Tone rule"
        DOMAIN = "domain", "Allowed link domain"

    class Severity(models.TextChoices):
        BLOCK = "block", "Block approval"
        WARN = "warn", "Warn"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    phrase = models.CharField(max_length=200, help_text="A word or phrase, or a domain name.")
    severity = models.CharField(max_length=5, choices=Severity.choices, default=Severity.BLOCK)
    message = models.CharField(
        max_length=300, blank=True, help_text="Shown on the flag: why, and what to write instead."
    )
    purposes = models.JSONField(
        default=list, blank=True, help_text="Purposes the rule applies to; empty: all."
    )
    is_active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["kind", "phrase"]
        constraints = [models.UniqueConstraint(fields=["kind", "phrase"], name="guardrail_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.phrase}"


class DraftRecord(models.Model):
    """One draft as made: template and prompt versions, model, latency, tokens, and the prompt
    exactly as sent, in masked form only (member data never lands here unmasked)."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    purpose = models.CharField(max_length=40, db_index=True)
    channel = models.CharField(max_length=5, choices=Communication.Channel.choices)
    member_id = models.CharField(max_length=80, blank=True, db_index=True)
    invoice_id = models.CharField(max_length=80, blank=True)
    template_version = models.ForeignKey(
        MessageTemplateVersion, null=True, blank=True, on_delete=models.SET_NULL
    )
    template = models.CharField(max_length=60)
    prompt_version = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=120, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    tokens_in = models.PositiveIntegerField(null=True, blank=True)
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    fallback_reason = models.CharField(max_length=300, blank=True)
    masked_prompt = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    masked_response = models.TextField(blank=True)
    flags = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    blocking = models.BooleanField(default=False)
    auto = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.template} for {self.member_id or '—'} ({self.model or 'template'})"
