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
