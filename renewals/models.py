"""Renewal risk: model versions with their measurements, scoring runs and the scores they give,
hold-out assignments per term, and outreach tasks on staff members' home pages."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse

from common.ml.versions import AbstractModelVersion
from common.models import TimeStampedModel
from renewals import permissions


class RenewalsAccess(models.Model):
    """Holds the renewals permissions; it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = permissions.DECLARED
        verbose_name = "renewals access"

    def __str__(self) -> str:
        return "renewals access"


class Band(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ModelVersion(AbstractModelVersion):
    """A trained churn model, what it was trained on, and how it measured on the latest closed
    cycle against the engagement-percentile baseline. Only one version is active at a time."""

    class Meta(AbstractModelVersion.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="one_active_model"
            )
        ]

    def get_absolute_url(self) -> str:
        return reverse("renewals:model_detail", args=[self.pk])


class ScoringRun(TimeStampedModel):
    """One scoring of every member whose renewal is near, by one model version."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    TRANSITIONS = {
        Status.RUNNING: {Status.SUCCEEDED, Status.FAILED},
        Status.SUCCEEDED: set(),
        Status.FAILED: set(),
    }

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True
    )
    as_of = models.DateField()
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="runs")
    horizon_days = models.PositiveIntegerField()
    thresholds = models.JSONField(default=dict)
    scored = models.PositiveIntegerField(default=0)
    bands = models.JSONField(default=dict)
    histogram = models.JSONField(default=list)
    drift_psi = models.FloatField(null=True, blank=True)
    proposals = models.JSONField(default=dict, blank=True)
    analysis = models.JSONField(
        default=dict, blank=True, help_text="Renewal rate by month and lapse root causes."
    )
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Scoring run #{self.pk} as of {self.as_of} ({self.status})"


class RenewalScore(models.Model):
    """A member's lapse probability, band, reasons and next best action from one run."""

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="scores")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    member_id = models.CharField(max_length=80)
    member_name = models.CharField(max_length=300, blank=True)
    chapter = models.CharField(max_length=60, blank=True)
    member_type = models.CharField(max_length=20, blank=True)
    paid_thru = models.DateField(help_text="Paid-through date; the renewal is due the day after.")
    invoice_id = models.CharField(max_length=80, blank=True)
    dues_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    probability = models.DecimalField(max_digits=5, decimal_places=4)
    band = models.CharField(max_length=8, choices=Band.choices, db_index=True)
    reasons = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    next_action = models.CharField(max_length=200, blank=True)
    holdout = models.BooleanField(default=False)
    scored_on = models.DateField()
    written_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-probability", "id"]
        indexes = [
            models.Index(fields=["run", "band", "-probability"], name="score_run_band"),
            models.Index(fields=["member_id", "-scored_on"], name="score_member_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.get_band_display()} ({self.probability})"

    def get_absolute_url(self) -> str:
        return reverse("renewals:member", args=[self.member_id])

    @property
    def percent(self) -> int:
        return round(float(self.probability) * 100)

    @property
    def term_key(self) -> str:
        return self.paid_thru.isoformat()


class HoldoutAssignment(models.Model):
    """Whether an at-risk member is in the hold-out group for one term; drawn once, then fixed."""

    member_id = models.CharField(max_length=80)
    term = models.DateField(help_text="The paid-through date the term renews from.")
    holdout = models.BooleanField()
    share = models.DecimalField(max_digits=4, decimal_places=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-term", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["member_id", "term"], name="holdout_member_term")
        ]

    def __str__(self) -> str:
        group = "hold-out" if self.holdout else "outreach"
        return f"{self.member_id} {self.term}: {group}"


class OutreachTask(TimeStampedModel):
    """A call or follow-up for a staff member after an outreach proposal was approved."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    TRANSITIONS = {Status.OPEN: {Status.DONE}, Status.DONE: set()}

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outreach_tasks"
    )
    member_id = models.CharField(max_length=80, db_index=True)
    member_name = models.CharField(max_length=300, blank=True)
    item = models.OneToOneField(
        "reviews.ReviewItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outreach_task",
    )
    title = models.CharField(max_length=200)
    call_notes = models.TextField(blank=True)
    due_on = models.DateField()
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "due_on", "id"]
        indexes = [models.Index(fields=["staff", "status", "due_on"], name="task_staff_open")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display().lower()})"


class Outreach(models.Model):
    """What was proposed to one member for one renewal term, and in which group they were:
    the record the funnel and the hold-out comparison are counted from."""

    class Group(models.TextChoices):
        OUTREACH = "outreach", "Outreach"
        HOLDOUT = "holdout", "Hold-out (standard notice only)"
        STANDARD = "standard", "Standard notice (low risk)"
        WIN_BACK = "win_back", "Win-back"

    item = models.OneToOneField(
        "reviews.ReviewItem", on_delete=models.CASCADE, related_name="renewal_outreach"
    )
    member_id = models.CharField(max_length=80)
    term = models.DateField(help_text="The paid-through date the term renews from.")
    band = models.CharField(max_length=8, choices=Band.choices, blank=True)
    group = models.CharField(max_length=10, choices=Group.choices)
    probability = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    score = models.ForeignKey(
        RenewalScore, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["term", "group"], name="outreach_term_group")]

    def __str__(self) -> str:
        return f"{self.get_group_display()} for {self.member_id} ({self.term})"
