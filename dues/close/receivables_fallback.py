"""Receivables aging and DSO from the iMIS mirror, with the signatures s5-collmodel's
``dues.collections.receivables`` gives them, until the board pack switches to that module.

Aging buckets the open balances by days past due at ``as_of``. DSO for a month is the open
balance of invoices dated by its end over the average daily billing of the 90 days before it;
the mirror keeps today's balances only, so past months use today's balances (an estimate).
"""

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum

from common.money import ZERO
from dues.billing.calculator import add_months
from imis_client.models import ImisInvoice

BUCKETS = (("current", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90))


def receivables_aging(*, as_of: date, segment=None) -> list[tuple[str, Decimal]]:
    """[(bucket, open balance)] by days past due at ``as_of``; the last bucket is over 90."""
    invoices = ImisInvoice.objects.filter(
        deleted_at__isnull=True, balance__gt=0, invoice_date__lte=as_of
    )
    rows = []
    for name, low, high in BUCKETS:
        window = Q(due_date__gte=as_of - timedelta(days=high))
        if low is not None:
            window &= Q(due_date__lte=as_of - timedelta(days=low))
        else:
            window = Q(due_date__gte=as_of) | Q(due_date__isnull=True)
        rows.append((name, invoices.filter(window).aggregate(t=Sum("balance"))["t"] or ZERO))
    over = invoices.filter(due_date__lt=as_of - timedelta(days=90)).aggregate(t=Sum("balance"))
    rows.append(("over 90", over["t"] or ZERO))
    return rows


def receivables_dso_by_month(*, months: int, as_of: date) -> list[tuple[date, Decimal | None]]:
    """[(month, days sales outstanding)] for the ``months`` months up to ``as_of``'s."""
    out = []
    first = as_of.replace(day=1)
    for k in range(months - 1, -1, -1):
        month = add_months(first, -k)
        end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        base = ImisInvoice.objects.filter(deleted_at__isnull=True, invoice_date__lte=end)
        open_ = base.filter(balance__gt=0).aggregate(t=Sum("balance"))["t"] or ZERO
        billed = (
            base.filter(invoice_date__gt=end - timedelta(days=90)).aggregate(t=Sum("amount"))["t"]
            or ZERO
        )
        dso = (open_ / (billed / 90)).quantize(Decimal("0.1")) if billed > 0 else None
        out.append((month, dso))
    return out
