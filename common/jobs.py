"""Registry of long background jobs and the progress reporter they write to.

A job is a function ``fn(params: dict, progress: JobReporter) -> dict``, registered under a kind.
It runs in a django-q2 worker through ``common.tasks.job_run_task``; its progress is written with
autocommitted UPDATEs so the Jobs page sees it while the job runs (a job must therefore not hold a
transaction open across progress reports).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from common.registry import Registry

JobFunction = Callable[[dict, "JobReporter"], dict | None]


@dataclass(frozen=True)
class JobKind:
    kind: str
    label: str
    fn: JobFunction
    permission: str  # who may start it from a page


_JOBS: Registry[JobKind] = Registry("background job of kind")


def register_job(kind: str, *, label: str, permission: str = "common.run_jobs"):
    """Decorator: make fn runnable as a background job of this kind."""

    def wrap(fn: JobFunction) -> JobFunction:
        _JOBS.register(kind, JobKind(kind=kind, label=label, fn=fn, permission=permission))
        return fn

    return wrap


def get_job_kind(kind: str) -> JobKind:
    return _JOBS.get(kind)


def job_kinds() -> list[JobKind]:
    return sorted(_JOBS.all(), key=lambda k: k.label)


class JobCancelled(Exception):
    """Raised inside a job when a person asked for it to stop."""


class JobReporter:
    """Writes a job's stage, done/total, rate and ETA, at most every ``min_interval`` seconds."""

    def __init__(self, job_run_id: int, *, min_interval: float = 0.5) -> None:
        self.job_run_id = job_run_id
        self.min_interval = min_interval
        self._stage = ""
        self._done = 0
        self._total: int | None = None
        self._message = ""
        self._stage_started = time.monotonic()
        self._last_flush = 0.0

    def stage(self, name: str, *, total: int | None = None, message: str = "") -> None:
        """Start a new stage; its counters restart at zero."""
        self._stage, self._total, self._done, self._message = name, total, 0, message
        self._stage_started = time.monotonic()
        self.flush()

    def advance(self, n: int = 1, *, message: str | None = None, total: int | None = None) -> None:
        self._done += n
        if message is not None:
            self._message = message
        if total is not None:
            self._total = total
        if time.monotonic() - self._last_flush >= self.min_interval:
            self.flush()

    def counters(self) -> dict:
        """The latest counts, including any not yet flushed (written with the outcome)."""
        return {"stage": self._stage, "done": self._done, "total": self._total}

    def note(self, message: str) -> None:
        self._message = message
        self.flush()

    def flush(self) -> None:
        from common.models import JobRun

        elapsed = max(time.monotonic() - self._stage_started, 1e-6)
        rate = self._done / elapsed if self._done else None
        eta = None
        if rate and self._total is not None:
            eta = max(self._total - self._done, 0) / rate
        JobRun.objects.filter(pk=self.job_run_id).update(
            stage=self._stage,
            done=self._done,
            total=self._total,
            rate=rate,
            eta_seconds=eta,
            message=self._message[:2000],
            updated_at=timezone.now(),
        )
        self._last_flush = time.monotonic()
        if JobRun.objects.filter(pk=self.job_run_id, cancel_requested=True).exists():
            raise JobCancelled("cancelled at the request of a person")


@register_job("common.housekeeping", label="Housekeeping: purge old job records")
def housekeeping(params: dict, progress: JobReporter) -> dict:
    """Delete finished job runs and task results older than the retention period."""
    from django_q.models import Failure, Success

    from common.models import JobRun

    days = int(params.get("keep_days", 90))
    cutoff = timezone.now() - timedelta(days=days)
    progress.stage("Finding old records", total=3)
    removed = {}
    for name, queryset in (
        ("job_runs", JobRun.objects.filter(finished_at__lt=cutoff)),
        ("task_successes", Success.objects.filter(stopped__lt=cutoff)),
        ("task_failures", Failure.objects.filter(stopped__lt=cutoff)),
    ):
        removed[name], _ = queryset.delete()
        progress.advance(1, message=f"{name}: {removed[name]} removed")
    progress.flush()
    return {"keep_days": days, "removed": removed}
