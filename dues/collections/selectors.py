"""Reads of late-payment risk, for pages, the API and the dunning cadence."""

from django.conf import settings

from dues.models import InvoiceRisk, LatePaymentModel, RiskBand


def invoice_risk(invoice_ids) -> dict[str, InvoiceRisk]:
    """The stored risk of each invoice that has one, by invoice id (others are left out)."""
    ids = [str(i) for i in invoice_ids if i]
    return {r.invoice_id: r for r in InvoiceRisk.objects.filter(invoice_id__in=ids)}


def band_for(probability: float) -> str:
    """The risk band of a probability under COLLECTIONS_HIGH_RISK / COLLECTIONS_MEDIUM_RISK."""
    if probability >= settings.COLLECTIONS_HIGH_RISK:
        return RiskBand.HIGH
    if probability >= settings.COLLECTIONS_MEDIUM_RISK:
        return RiskBand.MEDIUM
    return RiskBand.LOW


def active_late_payment_model() -> LatePaymentModel | None:
    return LatePaymentModel.objects.filter(status=LatePaymentModel.Status.ACTIVE).first()
