"""The stored model version: an abstract row each predicting app makes concrete (its own table,
its own "one active" constraint), so versions, measurements and activation read the same way."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from common.models import TimeStampedModel


class VersionStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


VERSION_TRANSITIONS = {
    VersionStatus.CANDIDATE: {VersionStatus.ACTIVE, VersionStatus.RETIRED},
    VersionStatus.ACTIVE: {VersionStatus.RETIRED},
    VersionStatus.RETIRED: {VersionStatus.ACTIVE},
}


class AbstractModelVersion(TimeStampedModel):
    """A trained model, what it was trained on, and how it measured on the validation period
    against its baseline. Concrete subclasses add a constraint: one active version at a time."""

    Status = VersionStatus
    TRANSITIONS = VERSION_TRANSITIONS

    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.CANDIDATE, db_index=True
    )
    as_of = models.DateField(help_text="Outcomes known up to this date were used.")
    algorithm = models.CharField(max_length=40, default="xgboost")
    data_window = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    training_size = models.PositiveIntegerField()
    validation_size = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    baseline_metrics = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    importances = models.JSONField(
        default=list, encoder=DjangoJSONEncoder, help_text="[{feature, share}], largest first."
    )
    feature_spec = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    booster = models.BinaryField(help_text="The XGBoost model (UBJSON).")
    score_histogram = models.JSONField(
        default=list, help_text="Validation probabilities in 20 bins: the reference for drift."
    )
    comparison = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    seconds = models.JSONField(default=dict, blank=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Model v{self.pk} ({self.get_status_display().lower()})"

    @property
    def label(self) -> str:
        return f"v{self.pk}"

    @property
    def auc(self) -> float | None:
        return self.metrics.get("auc")

    @property
    def baseline_auc(self) -> float | None:
        return self.baseline_metrics.get("auc")
