"""django-q2 entry points of dunning: thin wrappers that call one service."""


def dunning_run_task() -> dict:
    from dues.collections.planner import dunning_run

    return dunning_run()


def dunning_run_scheduled_task() -> int | None:
    """Queue the day's run as a job (progress on the Jobs page) unless one is under way."""
    from common.errors import DomainError
    from common.services import job_run_enqueue_once

    try:
        return job_run_enqueue_once(kind="dues.dunning_run").pk
    except DomainError:
        return None
