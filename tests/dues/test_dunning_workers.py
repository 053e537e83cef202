"""Two real django-q2 workers running the dunning planner at the same moment file each step once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Success
from django_q.tasks import async_task

from dues.models import DunningAction
from reviews.models import ReviewItem
from tests.conftest import wait_for

TASK = "dues.collections.tasks.dunning_run_task"


@pytest.fixture
def worker_env() -> dict:
    return {"Q_WORKERS": "2"}  # two worker processes take the two runs at once


def test_two_workers_planning_at_once_file_each_step_once(worker, mirror):
    today = timezone.localdate()
    for n in range(60):
        mirror.member(f"W{n}", f"Member {n}", email=f"w{n}@example.org", phone=f"+1202555{n:04d}")
        mirror.invoice(f"WI{n}", f"W{n}", "75.00", due_date=today - timedelta(days=8 + n % 40))

    async_task(TASK)
    async_task(TASK)
    wait_for(lambda: Success.objects.filter(func=TASK).count() == 2, timeout=240, interval=0.5)

    filed = sorted(task.result["filed"] for task in Success.objects.filter(func=TASK))
    assert sum(filed) == 60
    assert DunningAction.objects.count() == 60
    assert DunningAction.objects.values("invoice_id").distinct().count() == 60
    assert (
        ReviewItem.objects.filter(kind__in=["dues.dunning_step", "dues.payment_plan_offer"]).count()
        == 60
    )
