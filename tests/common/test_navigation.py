"""What apps add to pages they do not own: member-page panels and registered pages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from common import navigation, roles
from imis_client.models import ImisParty
from tests.conftest import PASSWORD

TEST_PANEL = navigation.MemberPanel(
    "tests.panel",
    "test_support/_member_panel.html",
    lambda request, member_id: {"member_id": member_id, "note": f"seen by {request.user}"},
    "dues.view_payments",
)


@pytest.fixture
def member(db):
    return ImisParty.objects.create(
        imis_id="48213", name="John Smith", raw={}, raw_hash=0, synced_at=timezone.now()
    )


@pytest.fixture
def test_panel(monkeypatch):
    monkeypatch.setitem(navigation._MEMBER_PANELS._entries, TEST_PANEL.name, TEST_PANEL)
    return TEST_PANEL


def test_member_page_shows_a_registered_panel_to_those_with_its_permission(
    client, make_user, member, test_panel
):
    # given a panel that needs a finance permission
    make_user(roles.FINANCE)
    make_user(roles.MEMBERSHIP)
    url = reverse("imis_client:member_detail", args=["48213"])
    # when finance staff open the member page, then the panel is there with its context
    client.login(username="frank", password=PASSWORD)
    page = client.get(url).content.decode()
    assert '<section class="card" id="test-panel">Panel for 48213: seen by frank</section>' in page
    # and membership staff, who lack the permission, do not get it
    client.login(username="maya", password=PASSWORD)
    page = client.get(url).content.decode()
    assert 'id="test-panel"' not in page
    # while the panel dues registered still loads for both
    assert reverse("dues:member_pending", args=["48213"]) in page


def test_audit_table_links_a_member_through_the_registered_member_page(client, make_user):
    from common.audit import audit_record

    make_user(roles.ADMINISTRATOR)
    client.login(username="arjun", password=PASSWORD)
    audit_record(action="tests.seen", summary="seen", actor_name="system", member_id="48213")
    page = client.get(reverse("common:audit_list")).content.decode()
    assert f'<a href="{reverse("imis_client:member_detail", args=["48213"])}">48213</a>' in page
    assert navigation.page_url("nothing-registered", "1") == ""
