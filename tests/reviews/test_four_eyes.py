"""Four eyes, for every registered kind: whoever proposed or last edited an item never approves
it, through the service, the page or the API with a token, and a superuser is no exception."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from common import roles
from common.errors import DomainError
from reviews import services
from reviews.kinds import kinds
from reviews.models import ReviewItem
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ALL_KINDS = [kind.name for kind in kinds()]


def _item(kind_name: str, **people) -> ReviewItem:
    spec = next(k for k in kinds() if k.name == kind_name)
    return ReviewItem.objects.create(
        kind=kind_name, queue=spec.queue, title=f"A {spec.label}", payload={}, **people
    )


@pytest.fixture
def root(make_user):
    return make_user(None, "root", is_superuser=True, is_staff=True)


def test_every_product_kind_is_covered():
    assert {"dues.payment_application", "renewals.outreach", "renewals.win_back"} <= set(ALL_KINDS)


@pytest.mark.parametrize("kind_name", ALL_KINDS)
@pytest.mark.parametrize("role", ["proposed_by", "last_edited_by"])
def test_the_proposer_or_last_editor_cannot_approve_not_even_a_superuser(root, kind_name, role):
    item = _item(kind_name, **{role: root})
    with pytest.raises(DomainError, match="someone else must approve it") as refused:
        services.review_item_decide(item_id=item.pk, user=root, decision="accept")
    assert refused.value.code == "four_eyes"
    assert ReviewItem.objects.get(pk=item.pk).status == "pending"


@pytest.mark.parametrize("kind_name", ALL_KINDS)
def test_an_api_token_of_the_proposer_gets_403(root, kind_name):
    item = _item(kind_name, proposed_by=root)
    token = Token.objects.create(user=root)
    response = Client().post(
        f"/api/v1/review-items/{item.pk}/decide/",
        {"decision": "accept"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "four_eyes"
    assert ReviewItem.objects.get(pk=item.pk).status == "pending"


def test_the_page_refuses_the_editors_own_approval_and_says_why(make_user):
    frank = make_user(roles.FINANCE)
    item = _item("tests.note", last_edited_by=frank)
    client = Client()
    client.login(username="frank", password=PASSWORD)
    page = client.post(
        reverse("reviews:decide", args=[item.pk]), {"decision": "accept"}, follow=True
    )
    assert "You edited this item last; someone else must approve it." in page.content.decode()
    assert ReviewItem.objects.get(pk=item.pk).status == "pending"
