"""Background job kinds of the iMIS connection."""

from common.jobs import register_job
from imis_client import permissions


@register_job("imis_client.sync", label="Sync from iMIS", permission=permissions.RUN_SYNC)
def sync_job(params: dict, progress) -> dict:
    from common.models import JobRun
    from imis_client.services import sync_run_execute, sync_summary

    job = JobRun.objects.get(pk=progress.job_run_id)
    run = sync_run_execute(
        full=bool(params.get("full")),
        only=params.get("entities") or None,
        progress=progress,
        job_run=job,
    )
    return sync_summary(run)
