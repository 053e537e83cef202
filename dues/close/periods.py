"""Accounting periods: closing a month locks it, reopening is a manager's audited action.

The lock is the database's (migration 0009): no GL entry, payment-journal transaction or
adjustment entry can be dated inside a closed month. Corrections go into the open period.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from common.states import transition
from dues.models.close import AccountingPeriod, period_name

P = AccountingPeriod.Status


def month_of(day: date) -> date:
    return day.replace(day=1)


def parse_month(text: str) -> date:
    """``YYYY-MM`` as the month's first day, or a message saying how to write it."""
    try:
        year, month = str(text).strip().split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise DomainError(f"“{text}” is not a month; write it as YYYY-MM, e.g. 2026-11.") from None


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_end(month: date) -> date:
    from datetime import timedelta

    return next_month(month) - timedelta(days=1)


def period_is_closed(day: date) -> bool:
    return AccountingPeriod.objects.filter(month=month_of(day), status=P.CLOSED).exists()


def period_require_open(day: date) -> None:
    """Refuse a date inside a closed period, naming the period and where to put it instead."""
    if period_is_closed(day):
        raise DomainError(
            f"{period_name(month_of(day))} is a closed period: nothing can be dated "
            f"{day.isoformat()}. Date the correction in the open period "
            f"({first_open_day(day).isoformat()} or later).",
            code="period_closed",
        )


def first_open_day(day: date) -> date:
    """The first day on or after ``day`` that lies in an open period."""
    month = month_of(day)
    closed = set(
        AccountingPeriod.objects.filter(month__gte=month, status=P.CLOSED).values_list(
            "month", flat=True
        )
    )
    if month not in closed:
        return day
    while month in closed:
        month = next_month(month)
    return month


def entry_date_for(month: date) -> date:
    """Where an adjusting entry for ``month`` is dated: its last day while the month is open,
    else the first day of the next open period (a correction of a closed month)."""
    return first_open_day(month_end(month))


def _period(month: date) -> AccountingPeriod:
    period, _ = AccountingPeriod.objects.get_or_create(month=month)
    return AccountingPeriod.objects.select_for_update().get(pk=period.pk)


@transaction.atomic
def period_close(*, month: date, user) -> AccountingPeriod:
    """Lock a month that has ended; its reconciliation must have left nothing unexplained and
    no adjusting entry of it may still wait for a decision."""
    from dues.close.reconcile import latest_reconciliation, pending_entries

    today = timezone.localdate()
    if month_end(month) >= today:
        raise DomainError(f"{period_name(month)} has not ended; close it after its last day.")
    period = _period(month)
    recon = latest_reconciliation(month)
    if recon is None:
        raise DomainError(f"Reconcile {period_name(month)} before closing it.")
    unexplained = recon.figures.get("unexplained", 0)
    if unexplained:
        raise DomainError(
            f"{period_name(month)} has {unexplained} unexplained difference(s); explain them "
            "(or enter a correction) and reconcile again before closing."
        )
    waiting = pending_entries(month).count()
    if waiting:
        raise DomainError(
            f"{waiting} adjusting entr{'y' if waiting == 1 else 'ies'} of {period_name(month)} "
            "still wait for a decision in the finance queue; decide them first."
        )
    before = period.status
    transition(period, P.CLOSED, subject=period_name(month))
    period.closed_at, period.closed_by = timezone.now(), user
    period.save()
    audit_record(
        action="close.period_closed",
        summary=f"{period_name(month)} closed: nothing can be dated in it any more",
        actor=user,
        object_type="accounting_period",
        object_id=period.key,
        data={"before": before, "after": period.status, "reconciliation": recon.pk},
    )
    return period


@transaction.atomic
def period_reopen(*, month: date, user, reason: str) -> AccountingPeriod:
    """A manager reopens a closed month (audited with the reason)."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise DomainError("Say why the month is reopened; the reason is kept in the audit log.")
    period = _period(month)
    before = period.status
    transition(period, P.OPEN, subject=period_name(month))
    period.reopened_at, period.reopened_by = timezone.now(), user
    period.save()
    audit_record(
        action="close.period_reopened",
        summary=f"{period_name(month)} reopened: {reason}"[:500],
        actor=user,
        object_type="accounting_period",
        object_id=period.key,
        data={"before": before, "after": period.status, "reason": reason[:300]},
    )
    return period
