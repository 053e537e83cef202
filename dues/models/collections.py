"""Collections: late-payment model versions and the risk score of each open invoice."""

from django.db import models

from common.ml.versions import AbstractModelVersion
from dues.collections import permissions


class CollectionsAccess(models.Model):
    """Holds the collections pages' permissions; it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = permissions.DECLARED
        verbose_name = "collections access"

    def __str__(self) -> str:
        return "collections access"


class RiskBand(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class LatePaymentModel(AbstractModelVersion):
    """A trained late-payment model (P(paid more than COLLECTIONS_LATE_DAYS after due, or unpaid
    COLLECTIONS_UNPAID_DAYS after due)), measured against the "paid late last time" rule."""

    class Meta(AbstractModelVersion.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="active"),
                name="one_active_late_payment_model",
            )
        ]
        verbose_name = "late-payment model"


class InvoiceRisk(models.Model):
    """The latest late-payment probability of one open invoice (replaced by each scoring)."""

    invoice_id = models.CharField(max_length=80, unique=True)
    party_id = models.CharField(
        max_length=80, db_index=True, help_text="The member the invoice is sold to."
    )
    probability = models.FloatField()
    band = models.CharField(max_length=6, choices=RiskBand.choices, db_index=True)
    model_version = models.ForeignKey(
        LatePaymentModel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scored_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-probability", "invoice_id"]
        verbose_name = "invoice risk"
        verbose_name_plural = "invoice risks"

    def __str__(self) -> str:
        return f"Invoice {self.invoice_id}: {self.probability:.0%} ({self.band})"
