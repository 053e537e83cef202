"""django-q2 entry points of the iMIS connection: thin wrappers around one service each."""

from common.models import JobRun
from common.services import job_run_enqueue
from imis_client import services


def sync_scheduled_task() -> int | None:
    """Queue an incremental sync job unless one is already queued or running."""
    busy = JobRun.objects.filter(
        kind="imis_client.sync", status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING]
    ).exists()
    if busy:
        return None
    return job_run_enqueue(kind="imis_client.sync", params={"full": False}).pk


def outbox_relay_task() -> dict:
    return services.outbox_relay()
