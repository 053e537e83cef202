"""The invoice risk table, its selector, the bands and the invoice-status registry."""

import pytest
from django.db import IntegrityError
from django.utils import timezone

from dues.collections.selectors import band_for, invoice_risk
from dues.collections.status import InvoiceStatus, invoice_status_providers, invoice_statuses
from dues.models import InvoiceRisk

pytestmark = pytest.mark.django_db


def test_invoice_risk_returns_only_scored_invoices_by_id():
    now = timezone.now()
    InvoiceRisk.objects.create(
        invoice_id="INV-1", party_id="P1", probability=0.7, band="high", scored_at=now
    )
    InvoiceRisk.objects.create(
        invoice_id="INV-2", party_id="P2", probability=0.1, band="low", scored_at=now
    )
    found = invoice_risk(["INV-1", "INV-3", ""])
    assert list(found) == ["INV-1"]
    assert found["INV-1"].party_id == "P1"
    assert found["INV-1"].band == "high"


def test_one_risk_row_per_invoice():
    now = timezone.now()
    InvoiceRisk.objects.create(
        invoice_id="INV-1", party_id="P1", probability=0.7, band="high", scored_at=now
    )
    with pytest.raises(IntegrityError):
        InvoiceRisk.objects.create(
            invoice_id="INV-1", party_id="P1", probability=0.2, band="medium", scored_at=now
        )


def test_bands_follow_the_thresholds(settings):
    settings.COLLECTIONS_HIGH_RISK = 0.6
    settings.COLLECTIONS_MEDIUM_RISK = 0.3
    assert band_for(0.6) == "high"
    assert band_for(0.59) == "medium"
    assert band_for(0.3) == "medium"
    assert band_for(0.29) == "low"


def test_status_registry_empty_until_a_provider_registers():
    assert invoice_statuses(["A"]) == {"A": InvoiceStatus()}
    key = "test.provider"
    invoice_status_providers.register(
        key, lambda ids: {"A": InvoiceStatus("Reminder on 2026-12-14", ""), "Z": InvoiceStatus("x")}
    )
    try:
        got = invoice_statuses(["A", "B"])
    finally:
        invoice_status_providers._entries.pop(key)
    assert got == {"A": InvoiceStatus("Reminder on 2026-12-14", ""), "B": InvoiceStatus()}
