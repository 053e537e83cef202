"""The outbox: every write to iMIS waits here until the relay has delivered it exactly once."""

from django.db import models

from common.models import TimeStampedModel


class OutboxWrite(TimeStampedModel):
    """One pending write to iMIS, with the way to tell whether iMIS already has it."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        State.PENDING: {State.SENDING, State.CANCELLED},
        State.SENDING: {State.DELIVERED, State.PENDING, State.FAILED},
        State.FAILED: {State.PENDING, State.CANCELLED},
        State.DELIVERED: set(),
        State.CANCELLED: set(),
    }

    reference = models.CharField(
        max_length=80, unique=True, help_text="Our reference, carried in the write itself."
    )
    entity = models.CharField(max_length=80)
    method = models.CharField(max_length=6)
    path = models.CharField(max_length=300)
    body = models.JSONField()
    readback_path = models.CharField(max_length=300, blank=True)
    readback_params = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    ambiguous = models.BooleanField(
        default=False, help_text="A try may have reached iMIS: read back before writing again."
    )
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    response = models.JSONField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="What asked for this write.")

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.state})"
