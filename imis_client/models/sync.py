"""Sync bookkeeping: per-entity watermark and resume point, runs, and quarantined records."""

from django.db import models

from common.models import TimeStampedModel
from imis_client import permissions


class ImisAccess(models.Model):
    """Holds the iMIS connection's permissions; it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = permissions.DECLARED
        verbose_name = "iMIS access"

    def __str__(self) -> str:
        return "iMIS access"


class SyncState(models.Model):
    """Where the sync of one entity stands: what has committed and where to resume."""

    entity = models.CharField(max_length=60, unique=True)
    watermark = models.DateTimeField(
        null=True, blank=True, help_text="iMIS's newest change stamp fully synced."
    )
    last_full_at = models.DateTimeField(null=True, blank=True)
    last_sweep_at = models.DateTimeField(
        null=True, blank=True, help_text="Invoices: when every open invoice was last re-read."
    )
    last_success_at = models.DateTimeField(null=True, blank=True)
    # A scan in progress: if the process dies, the next run continues from here.
    resume = models.JSONField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Secondary indexes dropped for an initial load (their CREATE statements); rebuilt when the
    # load ends, or by the next run if the process died first.
    deferred_indexes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["entity"]

    def __str__(self) -> str:
        return f"{self.entity} @ {self.watermark}"


class SyncMode(models.TextChoices):
    """How a run reads an entity (``imis_client.sync.SyncEntity.mode``)."""

    STAMP = "stamp", "Changes since the watermark, by change stamp"
    RECENT = "recent", "New rows by creation stamp; all of it every IMIS_FULL_REREAD_HOURS"
    FULL = "full", "All of it every run (small tables)"
    INVOICE = "invoice", "New invoices, and every open one re-read"


class SyncRun(TimeStampedModel):
    """One run of `imis_sync`, with per-entity counts."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Finished with problems"
        FAILED = "failed", "Failed"

    # Declared once; imis_client.services checks against it.
    TRANSITIONS = {
        Status.RUNNING: {Status.SUCCEEDED, Status.PARTIAL, Status.FAILED},
        Status.SUCCEEDED: set(),
        Status.PARTIAL: set(),
        Status.FAILED: set(),
    }

    full = models.BooleanField(default=False)
    entities = models.JSONField(default=list)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    results = models.JSONField(default=dict, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    job_run = models.ForeignKey(
        "common.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Sync #{self.pk} ({self.status})"

    def total(self, key: str) -> int:
        return sum(int(r.get(key, 0)) for r in self.results.values() if isinstance(r, dict))

    @property
    def totals(self) -> dict:
        keys = ("fetched", "created", "updated", "unchanged", "quarantined", "deleted")
        return {key: self.total(key) for key in keys}


class SyncQuarantine(TimeStampedModel):
    """A record iMIS sent that does not parse: kept aside with its reason; the rest goes on."""

    entity = models.CharField(max_length=60)
    imis_id = models.CharField(max_length=80, blank=True)
    field = models.CharField(max_length=120, blank=True)
    reason = models.TextField()
    raw = models.JSONField(null=True)
    times_seen = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "imis_id"], name="quarantine_entity_id")
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.imis_id}: {self.reason[:60]}"
