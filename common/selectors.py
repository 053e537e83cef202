"""Reads of the common app: job runs and the system's health."""

import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.utils import timezone
from django_q.models import Failure, OrmQ

from common.models import JobRun, WorkerHeartbeat


def job_run_list(*, status: str | None = None, kind: str | None = None) -> QuerySet[JobRun]:
    queryset = JobRun.objects.select_related("requested_by")
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def database_status() -> dict:
    """Whether the database answers a trivial query, and how fast."""
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "error": str(exc).strip().splitlines()[0][:300]}
    return {"ok": True, "latency_ms": round((time.monotonic() - started) * 1000, 1)}


def worker_status() -> dict:
    """The newest heartbeat of any worker, and whether it is recent enough to count as alive."""
    beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if beat is None:
        return {"alive": False, "last_heartbeat": None, "age_seconds": None, "host": None}
    age = (timezone.now() - beat.last_seen).total_seconds()
    return {
        "alive": age <= settings.WORKER_HEARTBEAT_STALE_SECONDS,
        "last_heartbeat": beat.last_seen.isoformat(),
        "age_seconds": round(age, 1),
        "host": beat.host,
    }


def queue_status() -> dict:
    since = timezone.now() - timedelta(hours=24)
    return {
        "queued_tasks": OrmQ.objects.count(),
        "failed_tasks_24h": Failure.objects.filter(stopped__gte=since).count(),
        "running_jobs": JobRun.objects.filter(status=JobRun.Status.RUNNING).count(),
        "failed_jobs_24h": JobRun.objects.filter(
            status=JobRun.Status.FAILED, finished_at__gte=since
        ).count(),
    }
