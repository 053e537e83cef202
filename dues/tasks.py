"""django-q2 entry points of payments: thin wrappers that take ids and call one service."""

from common.models import JobRun
from common.services import job_run_enqueue
from dues import intake, notifications, services
from dues.models import Payment


def webhook_event_process_task(event_id: int) -> str:
    return intake.webhook_event_process(event_id=event_id).status


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
    busy = JobRun.objects.filter(
        kind="dues.match_payments", status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING]
    ).exists()
    if busy or not Payment.objects.filter(status=Payment.Status.RECEIVED).exists():
        return None
    return job_run_enqueue(kind="dues.match_payments").pk
