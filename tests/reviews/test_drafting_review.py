"""Review items carrying a draft: every change re-checks it, approval waits while a blocking
flag remains, facts cannot be edited in, and an Auto policy labels what it sends."""

from decimal import Decimal

import pytest
from django.urls import reverse

from common import roles
from common.errors import DomainError
from reviews import services
from reviews.drafting import draft_message
from reviews.drafting.golden import golden_cases, install_case
from reviews.models import ReviewItem
from tests.conftest import PASSWORD
from tests.reviews import drafting_support  # noqa: F401  (registers tests.message)

CASES = {case["id"]: case for case in golden_cases()}


@pytest.fixture(autouse=True)
def no_model(settings):
    settings.LLM_MODEL = ""


def _propose(case_id="dunning-1-email", *, body=None, **kwargs) -> ReviewItem:
    case = CASES[case_id]
    member_id, invoice_id, extra = install_case(case)
    draft = draft_message(
        purpose=case["purpose"],
        member_id=member_id,
        channel=case["channel"],
        invoice_id=invoice_id,
        extra_facts=extra,
    ).as_payload()
    if body is not None:
        draft = {**draft, "body": body(draft["body"]), "flags": [], "blocking": False}
    return services.review_item_propose(
        kind="tests.message",
        title=f"Message to {member_id}",
        member_id=member_id,
        payload={"draft": draft},
        confidence=Decimal("0.99"),
        **kwargs,
    )


def _inflate(body: str) -> str:
    return body.replace("a balance of $245.00", "a balance of $295.00")


@pytest.mark.django_db
def test_proposal_is_rechecked_and_cannot_be_accepted_while_blocked(make_user):
    maya = make_user(roles.MEMBERSHIP)
    # given a caller that passed a draft with an invented amount and no flags
    item = _propose(body=_inflate)
    # then the stored draft carries the flags anyway
    assert item.payload["draft"]["blocking"] is True
    assert [f["code"] for f in item.payload["draft"]["flags"]] == [
        "required_fact",
        "untraced_amount",
    ]
    # and accepting is refused with what to do
    with pytest.raises(DomainError) as refused:
        services.review_item_decide(item_id=item.pk, user=maya, decision="accept")
    assert refused.value.code == "draft_blocked"
    assert str(refused.value) == (
        "The draft cannot be approved while it has a blocking problem: The message must state "
        "the amount due ($245.00). (and 1 more) Edit the text until none remain, then approve."
    )
    assert ReviewItem.objects.get(pk=item.pk).status == "pending"


@pytest.mark.django_db
def test_edit_that_fixes_the_text_clears_the_flags_and_can_be_approved(make_user):
    maya = make_user(roles.MEMBERSHIP)
    grace = make_user(roles.MANAGER)
    item = _propose(body=_inflate)
    draft = item.payload["draft"]
    fixed = {"draft": {**draft, "body": draft["body"].replace("$295.00", "$245.00")}}
    item = services.review_item_decide(item_id=item.pk, user=maya, decision="edit", payload=fixed)
    assert item.status == "pending" and item.last_edited_by == maya
    assert item.payload["draft"]["flags"] == [] and item.payload["draft"]["blocking"] is False
    item = services.review_item_decide(item_id=item.pk, user=grace, decision="accept")
    assert item.status == "edited"


@pytest.mark.django_db
def test_edit_that_still_blocks_is_refused_and_nothing_is_saved(make_user):
    maya = make_user(roles.MEMBERSHIP)
    item = _propose()
    draft = item.payload["draft"]
    worse = {"draft": {**draft, "body": draft["body"] + " Visit https://bit.ly/renew-now"}}
    with pytest.raises(DomainError, match=r"Links may only point to example\.org"):
        services.review_item_decide(item_id=item.pk, user=maya, decision="edit", payload=worse)
    assert ReviewItem.objects.get(pk=item.pk).payload == item.payload


@pytest.mark.django_db
def test_saved_edit_keeps_its_flags_and_facts_cannot_be_edited_in(make_user):
    frank = make_user(roles.MEMBERSHIP, username="frank2")
    item = _propose()
    draft = item.payload["draft"]
    # an edit that changes the text and also tries to add a fact backing an invented amount
    forged = {
        **draft,
        "body": _inflate(draft["body"]),
        "facts": [
            *draft["facts"],
            {
                "name": "amount_due",
                "value": "295.00",
                "source": "me",
                "kind": "money",
                "trusted": True,
            },
        ],
    }
    item = services.review_item_edit(item_id=item.pk, user=frank, payload={"draft": forged})
    assert item.payload["draft"]["facts"] == draft["facts"]
    assert item.payload["draft"]["blocking"] is True
    assert {f["code"] for f in item.payload["draft"]["flags"]} == {
        "required_fact",
        "untraced_amount",
    }


@pytest.mark.django_db
def test_auto_policy_sends_with_the_automated_label_but_never_a_blocked_draft(make_user):
    grace = make_user(roles.MANAGER)
    services.review_policy_set(
        user=grace, kind="tests.message", mode="auto", min_confidence=Decimal("0.9")
    )
    item = _propose()
    assert item.status == "approved" and item.decided_by_policy
    assert item.payload["draft"]["auto"] is True
    assert (
        "Automated message: sent under a policy set by the membership team"
        in (item.payload["draft"]["body"])
    )
    assert item.payload["draft"]["flags"] == []
    blocked = _propose("dunning-2-partial-payment", body=lambda b: b + " Pay $1.00 more.")
    assert blocked.status == "pending" and not blocked.decided_by_policy


@pytest.mark.django_db
def test_item_page_keeps_a_blocked_edit_on_screen_with_its_flags(client, make_user):
    make_user(roles.MEMBERSHIP)
    item = _propose()
    client.login(username="maya", password=PASSWORD)
    page = client.get(reverse("reviews:item", args=[item.pk])).content.decode()
    assert 'name="payload__draft__body"' in page and "no blocking flags" in page
    edited = item.payload["draft"]["body"].replace("You can pay at", "Pay 10% more at")
    response = client.post(
        reverse("reviews:decide", args=[item.pk]),
        {
            "decision": "edit",
            "payload__draft__subject": item.payload["draft"]["subject"],
            "payload__draft__body": edited.replace("\n", "\r\n"),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Pay 10% more at" in page  # the person's text is still there
    assert '<mark class="flag flag-block" data-codes="untraced_percentage">10%</mark>' in page
    assert ReviewItem.objects.get(pk=item.pk).status == "pending"


@pytest.mark.django_db
def test_live_check_returns_the_flags_of_the_text_being_edited(client, make_user):
    make_user(roles.MEMBERSHIP)
    item = _propose()
    client.login(username="maya", password=PASSWORD)
    body = item.payload["draft"]["body"] + "\n\nWe guarantee it."
    response = client.post(
        reverse("reviews:draft_check", args=[item.pk]),
        {"payload__draft__body": body},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and "1 blocking" in html
    assert '<mark class="flag flag-block" data-codes="prohibited_term">guarantee</mark>' in html
    assert "Prohibited term: “guarantee”." in html
    # nothing was saved by checking
    assert ReviewItem.objects.get(pk=item.pk).payload == item.payload


@pytest.mark.django_db
def test_edit_cannot_replace_the_draft_by_something_else():
    from reviews.drafting import hooks

    item = _propose()
    # a kind whose validate lets anything through still cannot swap the draft for plain text
    with pytest.raises(DomainError, match="The drafted message must stay a message"):
        hooks.checked({"draft": "Pay $1.00"}, item.payload)
