"""Coalesced background work: many callers ask for one drain, one run is queued.

    task_wake(name="dues.webhooks", func="dues.tasks.webhook_events_drain_task")

queues ``func`` only when no run of it is queued already (or the queued one is older than
``stale_after``, its task lost). The run calls ``task_wake_clear`` first and then drains all the
work there is, so that work arriving while it runs queues the next run. The rare item committed
in the instant between a caller seeing the wake set and the run's last look is left for the
owner's periodic sweep, which every coalesced drain must keep.
"""

from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_q.tasks import async_task

STALE_AFTER = timedelta(minutes=5)


def task_wake(*, name: str, func: str, stale_after: timedelta = STALE_AFTER) -> bool:
    """Queue one run of ``func`` unless one is queued; True when this call queued it.

    Call it inside the transaction that stored the work: the queue row commits with it. The
    common case (a run already queued) is one indexed read that takes no lock.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT queued_at FROM common_taskwake WHERE name = %s", [name])
        row = cursor.fetchone()
        if row is not None and row[0] is not None and row[0] > now - stale_after:
            return False
        cursor.execute(
            "INSERT INTO common_taskwake (name, queued_at) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET queued_at = EXCLUDED.queued_at "
            "WHERE common_taskwake.queued_at IS NULL OR common_taskwake.queued_at <= %s "
            "RETURNING name",
            [name, now, now - stale_after],
        )
        if cursor.fetchone() is None:
            return False  # another caller queued it a moment ago
    async_task(func, task_name=f"wake-{name}", group="common.wake")
    return True


def task_wake_clear(*, name: str) -> None:
    """The queued run has started: the next piece of work queues the next run."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE common_taskwake SET queued_at = NULL, last_run_at = %s WHERE name = %s",
            [timezone.now(), name],
        )
