"""django-q2 entry points of the common app: thin wrappers that take ids and call a service."""

from common import services


def job_run_task(job_run_id: int) -> dict:
    job = services.job_run_execute(job_run_id=job_run_id)
    return {"job_run_id": job.pk, "status": job.status}


def worker_heartbeat_task() -> str:
    return str(services.worker_heartbeat_record())


def housekeeping_task() -> int:
    return services.job_run_enqueue(kind="common.housekeeping").pk


def audit_anchor_task() -> dict | None:
    """Write the audit chain's head outside the database (daily)."""
    from common.audit import audit_anchor_write

    return audit_anchor_write()
