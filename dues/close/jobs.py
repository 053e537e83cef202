"""Background job kinds of the close: a month's reconciliation, with progress on the Jobs page,
and the service that queues it (the page and the API both call it)."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from common.errors import DomainError
from common.jobs import register_job
from common.models import JobRun
from common.services import job_run_enqueue
from dues.close import permissions
from dues.models.close import period_name

JOB = "dues.reconcile_month"


def running_reconciliation_job(month: date) -> JobRun | None:
    """The month's reconciliation queued or under way, if any."""
    return (
        JobRun.objects.filter(kind=JOB, params__month=f"{month:%Y-%m}", status__in=JobRun.ACTIVE)
        .order_by("-id")
        .first()
    )


@transaction.atomic
def reconciliation_start(*, month: date, user) -> tuple[JobRun, bool]:
    """Queue the month's reconciliation, or give back the run already queued or under way
    (``False``: nothing new was queued). A month that has not begun is refused."""
    if month > timezone.localdate().replace(day=1):
        raise DomainError(f"{period_name(month)} has not begun.", code="not_begun")
    running = running_reconciliation_job(month)
    if running is not None:
        return running, False
    job = job_run_enqueue(
        kind=JOB,
        params={"month": f"{month:%Y-%m}", "user": user.pk if user else None},
        requested_by=user,
    )
    return job, True


@register_job(JOB, label="Reconcile a month", permission=permissions.RUN_CLOSE)
def reconcile_month_job(params: dict, progress) -> dict:
    from django.contrib.auth import get_user_model

    from dues.close.periods import parse_month
    from dues.close.reconcile import reconciliation_run, summary

    user_id = params.get("user")
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    recon = reconciliation_run(
        month=parse_month(params["month"]),
        user=user,
        progress=progress,
        job_run_id=params.get("job_run_id"),
    )
    return summary(recon)
