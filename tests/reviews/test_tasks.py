"""The review queues' recurring work: approved items whose task was lost are carried out."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from common import roles
from reviews import services, tasks
from reviews.models import ReviewItem

pytestmark = pytest.mark.django_db


def test_an_approved_item_whose_task_was_lost_is_carried_out_once_by_the_sweep(make_user):
    # given an accepted item whose queued task was lost (a worker killed, a failure acknowledged)
    frank = make_user(roles.FINANCE)
    item = services.review_item_propose(
        kind="tests.note", title="Note", payload={"text": "Hi"}, amount=Decimal("10.00")
    )
    services.review_item_decide(item_id=item.pk, user=frank, decision="accept")
    OrmQ.objects.all().delete()
    # when the sweep runs within the grace, the item is left to its task
    assert tasks.review_items_execute_due_task() == 0
    assert ReviewItem.objects.get(pk=item.pk).status == "approved"
    # and once the grace has passed, it is carried out, once
    later = timezone.now() + timedelta(minutes=3)
    assert tasks.review_items_execute_due_task(now=later) == 1
    assert ReviewItem.objects.get(pk=item.pk).status == "done"
    assert tasks.review_items_execute_due_task(now=later) == 0


def test_the_sweep_is_installed_every_minute():
    from reviews.schedules import SCHEDULES

    (entry,) = [s for s in SCHEDULES if s["name"] == "reviews.execute_due"]
    assert (entry["func"], entry["minutes"]) == ("reviews.tasks.review_items_execute_due_task", 1)
