"""django-q2 entry points of collections: thin wrappers that call one service or queue a job
with progress."""

from common.errors import DomainError
from common.services import job_run_enqueue_once


def score_invoices_task() -> int | None:
    """The daily scoring of every open invoice (schedules.py), once a model is active; not while
    a scoring is already queued or running."""
    from dues.collections.selectors import active_late_payment_model

    if active_late_payment_model() is None:
        return None
    try:
        return job_run_enqueue_once(kind="dues.score_invoices").pk
    except DomainError:
        return None


def train_late_payment_task() -> int | None:
    """The monthly retraining (schedules.py); the new version is activated only when better."""
    try:
        return job_run_enqueue_once(kind="dues.train_late_payment").pk
    except DomainError:
        return None


def dunning_run_task() -> dict:
    from dues.collections.planner import dunning_run

    return dunning_run()


def dunning_run_scheduled_task() -> int | None:
    """Queue the day's run as a job (progress on the Jobs page) unless one is under way."""
    try:
        return job_run_enqueue_once(kind="dues.dunning_run").pk
    except DomainError:
        return None
