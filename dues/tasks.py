"""django-q2 entry points of payments: thin wrappers that take ids and call one service."""

from common.errors import DomainError
from common.services import job_run_enqueue_once
from dues import intake, notifications, services
from dues.models import Payment


def webhook_event_process_task(event_id: int) -> str:
    """One event (tasks queued before events were drained together still call it)."""
    return intake.webhook_event_process(event_id=event_id).status


def webhook_events_drain_task() -> dict:
    return intake.webhook_events_drain()


def webhook_events_sweep_task() -> dict:
    return intake.webhook_events_sweep()


def payments_post_due_task() -> dict:
    return services.payments_post_due()


def payments_review_sync_task() -> int:
    return services.payments_review_sync()


def hold_summary_email_task() -> int:
    return notifications.hold_summary_send()


def payments_match_scheduled_task() -> int | None:
    """Queue a matching run when payments wait for one and no run is queued or running."""
    if not Payment.objects.filter(status=Payment.Status.RECEIVED).exists():
        return None
    try:
        return job_run_enqueue_once(kind="dues.match_payments").pk
    except DomainError:
        return None
