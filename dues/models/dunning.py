"""Models of dunning: the cadence a manager edits, each step filed for an invoice (once), the
pauses that stop it, members' opt-outs per channel, payment plans and failed card payments."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from dues.collections import dunning_permissions


class DunningAccess(models.Model):
    """Holds the dunning pages' permissions; it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = dunning_permissions.DECLARED
        verbose_name = "dunning access"

    def __str__(self) -> str:
        return "dunning access"


class DunningChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    CALL = "call", "Staff call task"


class StepMode(models.TextChoices):
    OBSERVE = "observe", "Observe: record only"
    ASSIST = "assist", "Assist: a person decides"
    AUTO = "auto", "Auto: sent without review"


class DunningStep(models.Model):
    """One step of the cadence: on ``offset_days`` after the due date (negative: before it),
    for invoices in ``risk_bands`` (empty: every band) owing at least ``min_amount``, or, when
    ``or_amount_at_least`` is set, owing that much whatever their band. Changed only by
    ``dunning_step_save``, which audits before and after."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    offset_days = models.IntegerField(help_text="Days after the due date; negative: before it.")
    channel = models.CharField(max_length=5, choices=DunningChannel.choices)
    purpose = models.CharField(max_length=40, blank=True, help_text="Drafting purpose.")
    risk_bands = ArrayField(models.CharField(max_length=6), default=list, blank=True)
    min_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    or_amount_at_least = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    mode = models.CharField(max_length=7, choices=StepMode.choices, default=StepMode.ASSIST)
    active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["offset_days", "code"]

    def __str__(self) -> str:
        return f"Day {self.offset_days:+d}: {self.label}"


class DunningAction(models.Model):
    """One step filed for one invoice. The database holds "each step once per invoice" and
    "one open step per invoice at a time", so two planners running at once cannot file twice."""

    class Status(models.TextChoices):
        FILED = "filed", "Filed for review"
        SENT = "sent", "Sent"
        TASKED = "tasked", "Call task done"
        CLOSED = "closed", "Closed without sending"

    TRANSITIONS = {
        Status.FILED: {Status.SENT, Status.TASKED, Status.CLOSED},
        Status.SENT: set(),
        Status.TASKED: set(),
        Status.CLOSED: set(),
    }
    OPEN = (Status.FILED,)

    invoice_id = models.CharField(max_length=80, db_index=True)
    party_id = models.CharField(max_length=80, db_index=True)
    step = models.ForeignKey(DunningStep, on_delete=models.PROTECT, related_name="actions")
    plan_instalment = models.ForeignKey(
        "PlanInstalment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.FILED)
    is_open = models.BooleanField(default=True)
    planned_for = models.DateField()
    balance = models.DecimalField(max_digits=14, decimal_places=2)
    band = models.CharField(max_length=6, blank=True)
    review_item = models.ForeignKey(
        "reviews.ReviewItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice_id", "step"],
                condition=models.Q(plan_instalment__isnull=True),
                name="dunning_step_once",
            ),
            models.UniqueConstraint(
                fields=["invoice_id"],
                condition=models.Q(is_open=True),
                name="dunning_one_open_step",
            ),
            models.UniqueConstraint(
                fields=["plan_instalment"],
                condition=models.Q(plan_instalment__isnull=False),
                name="dunning_instalment_reminder_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.invoice_id}: {self.step.label} ({self.status})"


class PauseReason(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "A payment is probably settling it"
    BILLING_FINDING = "billing_finding", "An open billing finding"
    CREDIT_MEMO = "credit_memo", "A credit memo in progress"
    PLAN = "plan", "A payment plan in good standing"
    AUTOPAY = "autopay", "Auto-pay charges the card on file"
    INQUIRY = "inquiry", "An open inquiry or dispute"
    OPT_OUT = "opt_out", "The member opted out of the channel"
    CLOSED = "closed", "The invoice is paid or closed"


class DunningPause(models.Model):
    """A reason the cadence of one invoice is stopped, from when it began until it ended."""

    invoice_id = models.CharField(max_length=80, db_index=True)
    reason = models.CharField(max_length=20, choices=PauseReason.choices)
    detail = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice_id", "reason"],
                condition=models.Q(ended_at__isnull=True),
                name="dunning_pause_once",
            )
        ]

    def __str__(self) -> str:
        return f"Invoice {self.invoice_id} paused: {self.get_reason_display()}"


class ContactOptOut(models.Model):
    """A member's opt-out of one channel, in force until ``withdrawn_at``."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Source(models.TextChoices):
        LINK = "link", "Unsubscribe link"
        SMS_STOP = "sms_stop", "SMS STOP"
        STAFF = "staff", "Recorded by staff"

    party_id = models.CharField(max_length=80, db_index=True)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["party_id", "channel"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="opt_out_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.party_id} opted out of {self.channel}"


class PaymentPlan(models.Model):
    """Monthly instalments of one invoice's balance. The instalments sum exactly to
    ``balance`` (a deferred database trigger refuses any commit where they do not)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        OFFERED = "offered", "Offered to the member"
        ACTIVE = "active", "Accepted, in progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        Status.PROPOSED: {Status.OFFERED, Status.ACTIVE, Status.CANCELLED},
        Status.OFFERED: {Status.ACTIVE, Status.CANCELLED, Status.PROPOSED},
        Status.ACTIVE: {Status.COMPLETED, Status.CANCELLED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
    }
    LIVE = (Status.PROPOSED, Status.OFFERED, Status.ACTIVE)

    invoice_id = models.CharField(max_length=80, db_index=True)
    party_id = models.CharField(max_length=80, db_index=True)
    balance = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PROPOSED)
    reason = models.CharField(max_length=300, blank=True)
    review_item = models.ForeignKey(
        "reviews.ReviewItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    link_id = models.BigIntegerField(null=True, blank=True, help_text="The MemberLink offered.")
    accepted_at = models.DateTimeField(null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice_id"],
                condition=models.Q(status__in=["proposed", "offered", "active"]),
                name="one_live_plan_per_invoice",
            ),
            models.CheckConstraint(condition=models.Q(balance__gt=0), name="plan_balance_positive"),
        ]

    def __str__(self) -> str:
        return f"Plan {self.pk} for invoice {self.invoice_id} ({self.status})"


class PlanInstalment(models.Model):
    """One instalment of a plan: an expected payment that matching looks for."""

    class Status(models.TextChoices):
        DUE = "due", "Due"
        PAID = "paid", "Paid"
        MISSED = "missed", "Missed"

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    paid_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.DUE)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="instalment_number_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="instalment_positive"),
        ]

    def __str__(self) -> str:
        return f"Plan {self.plan_id} instalment {self.number}: {self.amount} on {self.due_on}"


class PaymentFailure(models.Model):
    """A card or bank payment that failed (a provider's webhook), once per provider event."""

    source = models.CharField(max_length=20)
    event_id = models.CharField(max_length=120)
    party_id = models.CharField(max_length=80, blank=True, db_index=True)
    invoice_id = models.CharField(max_length=80, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    failed_at = models.DateTimeField()
    attempt = models.PositiveSmallIntegerField(default=1)
    retry_on = models.DateField(null=True, blank=True)
    review_item = models.ForeignKey(
        "reviews.ReviewItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-failed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="payment_failure_once")
        ]

    def __str__(self) -> str:
        return f"{self.source} failure {self.event_id}"
