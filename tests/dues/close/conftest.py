"""Fixtures of the close tests: billing's sandbox association (chapter and subscription items),
and a month with deferred revenue for the board pack."""

from datetime import date
from decimal import Decimal

import pytest

from dues.close.recognition import Change, InvoiceTerm, revenue_events_apply
from dues.models import RevenueEvent
from tests.dues.billing.conftest import (  # noqa: F401  (fixtures)
    billing_association,
    billing_mirror,
    billing_sandbox,
)


@pytest.fixture
def month_with_revenue(settings, db):
    """March 2026 with one invoice of $240.00 deferred in January and a $30.00 credit memo."""
    settings.REVENUE_ACCOUNTING, settings.REVENUE_RECOGNITION = "accrual", "months"
    revenue_events_apply(
        changes=[
            Change("I1", RevenueEvent.Kind.DEFER, date(2026, 1, 5), Decimal("240.00"), "b1"),
            Change("I1", RevenueEvent.Kind.CREDIT_MEMO, date(2026, 3, 9), Decimal("-30"), "m1"),
        ],
        actor_name="test",
        new_terms=[InvoiceTerm("I1", "M1", "DUES/REG", date(2026, 1, 1), date(2026, 12, 31))],
    )
    return date(2026, 3, 1)
