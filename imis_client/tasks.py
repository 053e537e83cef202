"""django-q2 entry points of the iMIS connection: thin wrappers around one service each."""

from common.errors import DomainError
from common.services import job_run_enqueue_once
from imis_client import services


def sync_scheduled_task() -> int | None:
    """Queue an incremental sync job unless one is already queued or running."""
    try:
        return job_run_enqueue_once(kind="imis_client.sync", params={"full": False}).pk
    except DomainError:
        return None


def outbox_relay_task() -> dict:
    return services.outbox_relay()
