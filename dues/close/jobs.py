"""Background job kinds of the close: a month's reconciliation, with progress on the Jobs page."""

from common.jobs import register_job
from dues.close import permissions


@register_job("dues.reconcile_month", label="Reconcile a month", permission=permissions.RUN_CLOSE)
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
