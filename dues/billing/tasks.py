"""django-q2 entry points of billing: thin wrappers that decide whether to queue a job."""

from django.db.models import Q

from common.models import JobRun
from common.services import job_run_enqueue
from dues.models import BillingPolicySetting, CheckRun
from imis_client.models import ImisItemPrice, SyncRun

KIND = "dues.billing_checks"


def billing_checks_after_sync_task() -> int | None:
    """After each finished sync, queue the checks of invoices new or changed since the last
    run (every invoice of the window when prices or the policy changed meanwhile)."""
    busy = JobRun.objects.filter(
        kind=KIND, status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING]
    ).exists()
    if busy:
        return None
    sync = (
        SyncRun.objects.filter(
            status__in=[SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL],
            finished_at__isnull=False,
        )
        .order_by("-finished_at")
        .first()
    )
    if sync is None:
        return None
    last = (
        CheckRun.objects.filter(trigger=CheckRun.Trigger.SYNC, synced_through__isnull=False)
        .order_by("-synced_through")
        .first()
    )
    if last is not None and last.synced_through >= sync.finished_at:
        return None
    changed = last.synced_through if last else None
    if changed is not None and (
        ImisItemPrice.objects.filter(synced_at__gte=changed).exists()
        or BillingPolicySetting.objects.filter(Q(updated_at__gte=changed)).exists()
    ):
        changed = None  # the rules or prices changed: every invoice of the window again
    params = {"trigger": CheckRun.Trigger.SYNC, "synced_through": sync.finished_at.isoformat()}
    if changed is not None:
        params["changed_since"] = changed.isoformat()
    return job_run_enqueue(kind=KIND, params=params).pk


def credit_memos_file_task() -> dict:
    from dues.billing.memos import credit_memos_file_for_findings

    return credit_memos_file_for_findings()


def credit_memos_sync_task() -> dict:
    from dues.billing.memo_posting import credit_memos_sync

    return credit_memos_sync()
