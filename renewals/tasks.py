"""django-q2 entry points of renewals: thin wrappers that queue a job with progress."""

from common.services import job_run_enqueue


def score_renewals_task() -> int:
    """The daily scoring (schedules.py): queued as a job so its progress shows on the Jobs page."""
    return job_run_enqueue(kind="renewals.score").pk
