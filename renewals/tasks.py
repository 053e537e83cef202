"""django-q2 entry points of renewals: thin wrappers that queue a job with progress."""

from common.errors import DomainError
from common.services import job_run_enqueue_once


def score_renewals_task() -> int | None:
    """The daily scoring (schedules.py): queued as a job so its progress shows on the Jobs page;
    not while a scoring run is already queued or running."""
    try:
        return job_run_enqueue_once(kind="renewals.score").pk
    except DomainError:
        return None


def train_churn_model_task() -> int | None:
    """The monthly retraining (schedules.py), queued as a job with progress; not while a
    training is already queued or running."""
    try:
        return job_run_enqueue_once(kind="renewals.train").pk
    except DomainError:
        return None
