"""Shared models: background job runs with progress, worker heartbeats, common permissions."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone

from common import permissions


class TimeStampedModel(models.Model):
    """Abstract base with creation and update times."""

    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class CommonAccess(models.Model):
    """Holds the common app's permissions; it has no table (Django needs a model per app)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = permissions.DECLARED
        verbose_name = "common access"

    def __str__(self) -> str:
        return "common access"


class JobRun(TimeStampedModel):
    """One run of a long background job, with the progress the Jobs page shows live."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    # Declared once; services check against it. RUNNING → RUNNING is a restart after a worker
    # died mid-run (django-q2 re-delivers an unacknowledged task after Q_CLUSTER["retry"]).
    TRANSITIONS = {
        Status.QUEUED: {Status.RUNNING, Status.CANCELLED, Status.FAILED},
        Status.RUNNING: {Status.RUNNING, Status.SUCCEEDED, Status.FAILED, Status.CANCELLED},
        Status.SUCCEEDED: set(),
        Status.FAILED: set(),
        Status.CANCELLED: set(),
    }
    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
    ACTIVE = (Status.QUEUED, Status.RUNNING)

    class Exclusive(models.TextChoices):
        """How many runs of a kind ``job_run_enqueue_once`` lets exist at once."""

        NO = "", "Any number"
        WAITING = "waiting", "One waiting (it may start beside a running one)"
        ACTIVE = "active", "One waiting or running"

    kind = models.CharField(max_length=80, db_index=True)
    label = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    stage = models.CharField(max_length=120, blank=True)
    done = models.BigIntegerField(default=0)
    total = models.BigIntegerField(null=True, blank=True)
    rate = models.FloatField(null=True, blank=True, help_text="Items per second in this stage.")
    eta_seconds = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    task_id = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    exclusive = models.CharField(
        max_length=8, choices=Exclusive.choices, default=Exclusive.NO, blank=True
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "-id"], name="jobrun_kind_recent")]
        # Two callers of job_run_enqueue_once at the same moment: the database lets one insert
        # through and refuses the other, whatever either of them read before.
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(status="queued") & ~models.Q(exclusive=""),
                name="jobrun_once_one_waiting",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(status__in=["queued", "running"], exclusive="active"),
                name="jobrun_once_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("common:job_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return max(0, min(100, int(100 * self.done / self.total)))

    @property
    def duration_seconds(self) -> float | None:
        if not self.started_at:
            return None
        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()


class WorkerHeartbeat(models.Model):
    """The last time a background worker on a host proved it was alive."""

    host = models.CharField(max_length=200, unique=True)
    pid = models.IntegerField(null=True, blank=True)
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.host} at {self.last_seen:%Y-%m-%d %H:%M:%S}"


class AuditEvent(models.Model):
    """One row of the append-only audit trail, hash-chained to the row before it.

    The database refuses UPDATE and DELETE on this table and fills prev_hash and row_hash
    itself (migration 0004), so the chain holds whatever code wrote the row.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, help_text="Who, as shown then; or the job.")
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    member_id = models.CharField(max_length=80, blank=True, db_index=True)
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["actor_name", "-id"], name="audit_actor_recent")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_name}: {self.action}"


class MemberLink(models.Model):
    """One signed link a member opens without signing in (a plan offer, their account page, an
    unsubscribe). The token carries this row's id; the row holds what the link is bound to and
    whether it still holds: expiry, single use, revocation. ``common.links`` is its only writer."""

    purpose = models.CharField(max_length=40, db_index=True)
    party_id = models.CharField(max_length=80, db_index=True, help_text="The member it opens for.")
    subject = models.CharField(max_length=120, blank=True, help_text="What it is about: plan:42.")
    nonce = models.CharField(max_length=32, unique=True, editable=False)
    issued_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(db_index=True)
    single_use = models.BooleanField(default=False)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_opened_at = models.DateTimeField(null=True, blank=True)
    opens = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["purpose", "party_id", "subject"], name="link_bound_to")]

    def __str__(self) -> str:
        return f"{self.purpose} link for {self.party_id} ({self.subject or 'no subject'})"
