"""Writes of the common app: background job runs and worker heartbeats."""

import os
import socket
import traceback
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from common.audit import audit_record
from common.errors import DomainError
from common.jobs import JobCancelled, JobReporter, get_job_kind
from common.models import JobRun, WorkerHeartbeat
from common.states import transition


def _transition(job: JobRun, to: str) -> None:
    transition(job, to, subject=f"{job.label} #{job.pk}")


def job_run_create(
    *, kind: str, params: dict | None = None, requested_by=None, exclusive: str = ""
) -> JobRun:
    """Record a job run without queueing it (a command runs it in its own process)."""
    job_kind = get_job_kind(kind)
    job = JobRun(
        kind=kind,
        label=job_kind.label,
        params=params or {},
        requested_by=requested_by,
        exclusive=exclusive,
    )
    job.full_clean(validate_constraints=False)  # the database checks them, race-free
    job.save()
    return job


@transaction.atomic
def job_run_enqueue(
    *, kind: str, params: dict | None = None, requested_by=None, exclusive: str = ""
) -> JobRun:
    """Record a job run and queue it; the queue row commits or rolls back with the record.

    Work that must not run twice at once goes through ``job_run_enqueue_once`` instead.
    """
    job = job_run_create(kind=kind, params=params, requested_by=requested_by, exclusive=exclusive)
    audit_record(
        action="job.queued",
        summary=f"Queued {job.label} #{job.pk}",
        actor=requested_by,
        object_type="job",
        object_id=job.pk,
    )
    job.task_id = async_task(
        "common.tasks.job_run_task", job.pk, task_name=f"{kind}#{job.pk}", group=kind
    )
    job.save(update_fields=["task_id", "updated_at"])
    return job


_ONCE_CONSTRAINTS = {c.name for c in JobRun._meta.constraints}  # the indexes behind "once"


def _job_run_busy(kind: str, statuses: Sequence[str]) -> JobRun | None:
    return JobRun.objects.filter(kind=kind, status__in=statuses).order_by("id").first()


def _busy_error(kind: str, busy: JobRun | None) -> DomainError:
    if busy is None:  # the run that was in the way finished in the meantime
        label = get_job_kind(kind).label
        return DomainError(f"{label} was just started by someone else.", code="busy")
    return DomainError(
        f"{busy.label} is already {busy.get_status_display().lower()} (job #{busy.pk}); "
        "wait for it to finish.",
        code="busy",
    )


@transaction.atomic
def job_run_enqueue_once(
    *,
    kind: str,
    params: dict | None = None,
    requested_by=None,
    alongside_running: bool = False,
) -> JobRun:
    """Queue a run of ``kind`` unless one is already queued or running; otherwise refuse with
    a DomainError (code ``busy``) naming that run.

    ``alongside_running``: refuse only when one is already queued, for work that a run now
    under way may have passed over but the queued one will take. Two callers at the same
    moment get one run: partial unique indexes on JobRun let only one insert through.
    """
    if alongside_running:
        statuses, exclusive = [JobRun.Status.QUEUED], JobRun.Exclusive.WAITING
    else:
        statuses, exclusive = list(JobRun.ACTIVE), JobRun.Exclusive.ACTIVE
    if busy := _job_run_busy(kind, statuses):
        raise _busy_error(kind, busy)
    try:
        with transaction.atomic():
            return job_run_enqueue(
                kind=kind, params=params, requested_by=requested_by, exclusive=exclusive
            )
    except IntegrityError as exc:
        if (
            getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
            not in _ONCE_CONSTRAINTS
        ):
            raise
        # The other caller's insert committed first; ours waited for it and was refused.
        raise _busy_error(kind, _job_run_busy(kind, statuses)) from None


def job_run_execute(*, job_run_id: int) -> JobRun:
    """Run a queued job in this process. Safe to call twice: a finished run is left alone."""
    with transaction.atomic():
        job = JobRun.objects.select_for_update().get(pk=job_run_id)
        if job.is_finished:
            return job
        if job.cancel_requested:
            _transition(job, JobRun.Status.CANCELLED)
            job.finished_at = timezone.now()
            job.save()
            return job
        _transition(job, JobRun.Status.RUNNING)
        job.attempts += 1
        job.started_at = timezone.now()
        job.error = ""
        job.save()
    reporter = JobReporter(job.pk)
    try:
        result = get_job_kind(job.kind).fn(dict(job.params), reporter)
    except JobCancelled as exc:
        return _finish(job.pk, JobRun.Status.CANCELLED, message=str(exc), **reporter.counters())
    except Exception as exc:
        _finish(
            job.pk,
            JobRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}",
            message=f"Failed: {exc}",
            **reporter.counters(),
        )
        raise
    return _finish(job.pk, JobRun.Status.SUCCEEDED, result=result or {}, **reporter.counters())


@transaction.atomic
def _finish(job_run_id: int, status: str, **fields) -> JobRun:
    job = JobRun.objects.select_for_update().get(pk=job_run_id)
    _transition(job, status)
    for name, value in fields.items():
        setattr(job, name, value)
    job.finished_at = timezone.now()
    job.eta_seconds = None
    job.save()
    audit_record(
        action=f"job.{status}",
        summary=f"{job.label} #{job.pk} {status}",
        actor_name="system",
        object_type="job",
        object_id=job.pk,
        data={"message": job.message[:300]} if job.message else {},
    )
    return job


@transaction.atomic
def job_run_cancel(*, job_run_id: int) -> JobRun:
    """Ask a queued or running job to stop; a running one stops at its next progress report."""
    job = JobRun.objects.select_for_update().get(pk=job_run_id)
    if job.is_finished:
        raise DomainError(
            f"{job.label} #{job.pk} already {job.get_status_display().lower()}; "
            "there is nothing to cancel.",
            code="already_finished",
        )
    job.cancel_requested = True
    job.save(update_fields=["cancel_requested", "updated_at"])
    audit_record(
        action="job.cancel_requested",
        summary=f"Asked {job.label} #{job.pk} to stop",
        object_type="job",
        object_id=job.pk,
    )
    return job


def job_run_retry(*, job_run_id: int, requested_by=None) -> JobRun:
    """Start a new run with the same kind and parameters as a failed or cancelled one."""
    job = JobRun.objects.get(pk=job_run_id)
    if job.status not in (JobRun.Status.FAILED, JobRun.Status.CANCELLED):
        raise DomainError(
            f"Only a failed or cancelled job can be retried; #{job.pk} is "
            f"{job.get_status_display().lower()}.",
            code="not_retryable",
        )
    return job_run_enqueue(kind=job.kind, params=job.params, requested_by=requested_by)


def worker_heartbeat_record() -> WorkerHeartbeat:
    """Note that a worker on this host is alive now."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        host=socket.gethostname()[:200],
        defaults={"pid": os.getpid(), "last_seen": timezone.now()},
    )
    return heartbeat
