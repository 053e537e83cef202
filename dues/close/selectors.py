"""Reads of the month-end close shared by its pages and its API: the months with their status,
a month's reconciliations, differences and deposits."""

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from dues.close import periods
from dues.close.reconcile import pending_entries
from dues.models import AccountingPeriod, BankDeposit, Reconciliation


def period_rows(count: int = 12) -> list[dict]:
    """The last ``count`` months that have ended, newest first: each with its period row, its
    latest finished reconciliation and how many of its adjusting entries wait."""
    today = timezone.localdate()
    month = periods.month_of(today)
    months = []
    for _ in range(count):
        month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        months.append(month)
    stored = {p.month: p for p in AccountingPeriod.objects.filter(month__in=months)}
    recons = {}
    for recon in Reconciliation.objects.filter(month__in=months, status="done").order_by("id"):
        recons[recon.month] = recon
    waiting = {f"{m:%Y-%m}": pending_entries(m).count() for m in months if m in recons}
    return [
        {
            "month": m,
            "key": f"{m:%Y-%m}",
            "name": f"{m:%B %Y}",
            "period": stored.get(m),
            "closed": stored.get(m) is not None and stored[m].status == "closed",
            "recon": recons.get(m),
            "waiting": waiting.get(f"{m:%Y-%m}", 0),
        }
        for m in months
    ]


def period_row(month: date) -> dict:
    """One month's row as ``period_rows`` gives it, for any month."""
    period = AccountingPeriod.objects.filter(month=month).first()
    recon = Reconciliation.objects.filter(month=month, status="done").order_by("-id").first()
    return {
        "month": month,
        "key": f"{month:%Y-%m}",
        "name": f"{month:%B %Y}",
        "period": period,
        "closed": period is not None and period.status == "closed",
        "recon": recon,
        "waiting": pending_entries(month).count() if recon else 0,
    }


def reconciliation_list(*, month: date | None = None) -> QuerySet[Reconciliation]:
    queryset = Reconciliation.objects.select_related("started_by").order_by("-id")
    return queryset.filter(month=month) if month else queryset


def difference_list(recon: Reconciliation, *, cause: str = "", source: str = ""):
    queryset = recon.differences.select_related("review_item").order_by("cause", "id")
    if cause:
        queryset = queryset.filter(cause=cause)
    if source:
        queryset = queryset.filter(source=source)
    return queryset


def deposit_list(month: date) -> QuerySet[BankDeposit]:
    return BankDeposit.objects.filter(
        received_on__range=(month, periods.month_end(month))
    ).order_by("received_on", "id")
