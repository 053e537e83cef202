"""Background job runs: transitions, progress, failure, cancellation, and a real worker."""

import threading

import pytest
from django.db import transaction
from django_q.models import OrmQ

from common import services
from common.errors import DomainError
from common.jobs import JobReporter
from common.models import JobRun
from tests.conftest import at_once, wait_for


@pytest.mark.django_db
def test_job_run_enqueue_queues_a_task_with_the_record():
    job = services.job_run_enqueue(kind="tests.steps", params={"steps": 2, "delay": 0})
    assert job.status == JobRun.Status.QUEUED
    assert job.task_id
    assert OrmQ.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_job_run_enqueue_rolls_back_with_the_business_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        services.job_run_enqueue(kind="tests.steps")
        raise RuntimeError("the surrounding work failed")
    assert JobRun.objects.count() == 0
    assert OrmQ.objects.count() == 0


@pytest.mark.django_db
def test_job_run_enqueue_unknown_kind_is_refused():
    with pytest.raises(LookupError, match="no background job of kind 'nope' is registered"):
        services.job_run_enqueue(kind="nope")


@pytest.mark.django_db
def test_job_run_execute_records_progress_and_result():
    job = services.job_run_enqueue(kind="tests.steps", params={"steps": 3, "delay": 0})
    done = services.job_run_execute(job_run_id=job.pk)
    assert done.status == JobRun.Status.SUCCEEDED
    assert (done.stage, done.done, done.total) == ("Counting", 3, 3)
    assert done.result == {"counted": 3}
    assert done.attempts == 1
    assert done.finished_at >= done.started_at


@pytest.mark.django_db
def test_job_run_execute_twice_runs_once():
    job = services.job_run_enqueue(kind="tests.steps", params={"steps": 1, "delay": 0})
    services.job_run_execute(job_run_id=job.pk)
    again = services.job_run_execute(job_run_id=job.pk)
    assert again.attempts == 1


@pytest.mark.django_db
def test_job_run_execute_failure_keeps_the_error_for_people():
    job = services.job_run_enqueue(kind="tests.fail")
    with pytest.raises(ValueError, match="amount 'abc' is not a number"):
        services.job_run_execute(job_run_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobRun.Status.FAILED
    assert job.error.startswith("ValueError: ledger file line 4: amount 'abc' is not a number")
    assert job.done == 3
    assert job.message == "Failed: ledger file line 4: amount 'abc' is not a number"


@pytest.mark.django_db
def test_job_run_cancel_before_start_means_it_never_runs():
    job = services.job_run_enqueue(kind="tests.steps", params={"steps": 1, "delay": 0})
    services.job_run_cancel(job_run_id=job.pk)
    ran = services.job_run_execute(job_run_id=job.pk)
    assert ran.status == JobRun.Status.CANCELLED
    assert ran.attempts == 0


@pytest.mark.django_db
def test_job_run_cancel_of_finished_job_is_refused_with_reason():
    job = services.job_run_enqueue(kind="tests.steps", params={"steps": 1, "delay": 0})
    services.job_run_execute(job_run_id=job.pk)
    with pytest.raises(DomainError, match=r"already succeeded; there is nothing to cancel\."):
        services.job_run_cancel(job_run_id=job.pk)


@pytest.mark.django_db
def test_job_run_retry_only_failed_or_cancelled():
    job = services.job_run_enqueue(kind="tests.steps", params={"steps": 1, "delay": 0})
    with pytest.raises(
        DomainError, match=r"Only a failed or cancelled job can be retried; #\d+ is queued\."
    ):
        services.job_run_retry(job_run_id=job.pk)
    failed = services.job_run_enqueue(kind="tests.fail")
    with pytest.raises(ValueError):
        services.job_run_execute(job_run_id=failed.pk)
    retry = services.job_run_retry(job_run_id=failed.pk)
    assert retry.pk != failed.pk and retry.kind == "tests.fail"


@pytest.mark.django_db
def test_job_run_enqueue_once_refuses_while_one_is_queued_or_running():
    # given a queued run
    first = services.job_run_enqueue_once(kind="tests.steps")
    # when it is asked for again, then it is refused with the run in the way
    busy = (
        rf"^Test: counting in steps is already queued \(job #{first.pk}\); wait for it to finish\.$"
    )
    with pytest.raises(DomainError, match=busy) as refused:
        services.job_run_enqueue_once(kind="tests.steps")
    assert refused.value.code == "busy"
    # and also while it runs, whoever queued it: a run started by a person counts too
    JobRun.objects.filter(pk=first.pk).update(status=JobRun.Status.RUNNING)
    with pytest.raises(DomainError, match=r"is already running \(job #\d+\)"):
        services.job_run_enqueue_once(kind="tests.steps")
    # and once it has finished, a new one is queued
    JobRun.objects.filter(pk=first.pk).update(status=JobRun.Status.SUCCEEDED)
    again = services.job_run_enqueue_once(kind="tests.steps")
    assert (again.status, again.exclusive, JobRun.objects.count()) == ("queued", "active", 2)


@pytest.mark.django_db
def test_job_run_enqueue_once_alongside_running_queues_behind_a_run_but_not_a_second_waiting():
    running = services.job_run_enqueue_once(kind="tests.steps")
    JobRun.objects.filter(pk=running.pk).update(status=JobRun.Status.RUNNING)
    waiting = services.job_run_enqueue_once(kind="tests.steps", alongside_running=True)
    assert waiting.status == "queued"
    with pytest.raises(DomainError, match=rf"already queued \(job #{waiting.pk}\)"):
        services.job_run_enqueue_once(kind="tests.steps", alongside_running=True)
    with pytest.raises(DomainError, match=rf"already running \(job #{running.pk}\)"):
        services.job_run_enqueue_once(kind="tests.steps")


@pytest.mark.parametrize("alongside_running", [False, True])
def test_job_run_enqueue_once_two_callers_at_the_same_moment_make_one_run(
    transactional_db, monkeypatch, alongside_running
):
    # given two callers that both look, find nothing in the way, and only then insert
    barrier = threading.Barrier(2)
    real_busy = services._job_run_busy
    looked = threading.local()

    def look_then_wait_for_the_other(kind, statuses):
        found = real_busy(kind, statuses)
        if not getattr(looked, "once", False):
            looked.once = True
            barrier.wait(timeout=10)
        return found

    monkeypatch.setattr(services, "_job_run_busy", look_then_wait_for_the_other)
    # when both run at once, each on its own connection
    outcomes = at_once(
        lambda: services.job_run_enqueue_once(
            kind="tests.steps", alongside_running=alongside_running
        )
    )
    # then the database let one run in and the other caller is told which one
    (job,) = JobRun.objects.all()
    (refused,) = [o for o in outcomes if isinstance(o, DomainError)]
    assert str(refused) == (
        f"Test: counting in steps is already queued (job #{job.pk}); wait for it to finish."
    )
    assert OrmQ.objects.count() == 1


@pytest.mark.django_db
def test_job_run_transition_from_finished_is_refused():
    job = JobRun.objects.create(kind="tests.steps", label="x", status=JobRun.Status.SUCCEEDED)
    with pytest.raises(DomainError, match=r"x #\d+ is succeeded; it cannot become running\."):
        services._transition(job, JobRun.Status.RUNNING)


@pytest.mark.django_db
def test_job_reporter_computes_rate_and_eta():
    job = JobRun.objects.create(kind="tests.steps", label="x", status=JobRun.Status.RUNNING)
    reporter = JobReporter(job.pk, min_interval=0)
    reporter.stage("Fetching", total=1000)
    reporter._stage_started -= 10  # ten seconds into the stage
    reporter.advance(250)
    job.refresh_from_db()
    assert job.done == 250 and job.total == 1000
    assert job.rate == pytest.approx(25, rel=0.05)
    assert job.eta_seconds == pytest.approx(30, rel=0.05)


def test_worker_runs_a_queued_job_and_records_failure(worker):
    # given a real qcluster on the test database
    ok = services.job_run_enqueue(kind="tests.steps", params={"steps": 2, "delay": 0.1})
    bad = services.job_run_enqueue(kind="tests.fail")
    # then both finish, one succeeded and one failed with its error kept
    wait_for(lambda: JobRun.objects.get(pk=ok.pk).is_finished, timeout=45)
    wait_for(lambda: JobRun.objects.get(pk=bad.pk).is_finished, timeout=45)
    assert JobRun.objects.get(pk=ok.pk).status == JobRun.Status.SUCCEEDED
    failed = JobRun.objects.get(pk=bad.pk)
    assert failed.status == JobRun.Status.FAILED
    assert "amount 'abc' is not a number" in failed.error
    # and the failed task is acknowledged, not retried forever
    wait_for(lambda: OrmQ.objects.count() == 0, timeout=10)
