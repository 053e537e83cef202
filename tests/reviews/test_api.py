"""The review-item API: queues do not leak, decisions follow the same rules and messages."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from common import roles
from reviews import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    c = Client()
    c.login(username=user.username, password=PASSWORD)
    return c


def propose(**extra):
    args = {
        "kind": "tests.note",
        "title": "Note",
        "payload": {"text": "Hi"},
        "member_id": "10001",
        "amount": Decimal("20.00"),
    }
    return services.review_item_propose(**{**args, **extra})


def test_list_shows_only_the_callers_queues(make_user):
    item = propose()
    maya = signed_in(make_user(roles.MEMBERSHIP))
    frank = signed_in(make_user(roles.FINANCE))
    assert maya.get(reverse("api:reviews:review-item-list")).json()["results"] == []
    ids = [r["id"] for r in frank.get(reverse("api:reviews:review-item-list")).json()["results"]]
    assert ids == [item.pk]
    gone = maya.get(reverse("api:reviews:review-item-detail", args=[item.pk]))
    assert gone.status_code == 404 and "title" not in gone.json()


def test_decide_accepts_then_a_second_decision_conflicts(make_user):
    item = propose()
    frank = signed_in(make_user(roles.FINANCE))
    url = reverse("api:reviews:review-item-decide", args=[item.pk])
    ok = frank.post(url, {"decision": "accept"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = frank.post(url, {"decision": "accept"}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["detail"].startswith("Already decided by frank at ")


def test_decide_refuses_the_proposer_with_the_same_message_as_the_page(make_user):
    frank = make_user(roles.FINANCE)
    item = propose(proposed_by=frank)
    response = signed_in(frank).post(
        reverse("api:reviews:review-item-decide", args=[item.pk]),
        {"decision": "accept"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": "You proposed this item; someone else must approve it.",
        "code": "four_eyes",
    }


def test_decide_with_a_bad_body_says_what_is_wrong(make_user):
    item = propose()
    frank = signed_in(make_user(roles.FINANCE))
    response = frank.post(
        reverse("api:reviews:review-item-decide", args=[item.pk]),
        {"decision": "approve"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["decision"] == ['"approve" is not a valid choice.']


def test_anonymous_gets_401_and_no_items():
    propose()
    response = Client().get(reverse("api:reviews:review-item-list"))
    assert response.status_code == 401 and "results" not in response.json()


def test_bulk_accept_skips_other_queues_without_saying_who_decided(make_user):
    item = propose()  # a finance item
    grace = make_user(roles.MANAGER)
    services.review_item_decide(item_id=item.pk, user=grace, decision="accept")
    maya = signed_in(make_user(roles.MEMBERSHIP))
    response = maya.post(reverse("reviews:bulk_accept"), {"items": [item.pk]}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert f"#{item.pk} not accepted: it is not in your queues." in shown
    assert not any("grace" in m for m in shown)
