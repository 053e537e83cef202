"""Signed member links: bound to one member and subject, expiring, single use, refused plainly
and audited, rate-limited, and never a sign-in page."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from common import roles
from common.links import (
    EmailLink,
    LinkInvalid,
    email_footer_links,
    link_consume,
    link_issue,
    link_resolve,
    link_revoke,
    links_revoke_for,
    member_email_links,
)
from common.models import AuditEvent, MemberLink

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.common.links_urls")]


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def _issue(**overrides) -> str:
    fields = {"purpose": "plan", "party_id": "1042", "subject": "plan:7", "ttl": timedelta(days=14)}
    fields.update(overrides)
    return link_issue(**fields)


def _open(client, token):
    return client.get(reverse("plan_page", kwargs={"token": token}))


def test_a_valid_link_opens_its_members_page_without_signing_in(client):
    token = _issue()
    response = _open(client, token)
    assert response.status_code == 200
    assert response.content.decode() == "plan page for 1042 about plan:7"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-cache" in response["Cache-Control"]
    link = MemberLink.objects.get()
    assert link.opens == 1 and link.last_opened_at is not None


def test_a_tampered_token_shows_the_plain_page_and_is_audited(client):
    token = _issue()
    forged = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    response = _open(client, forged)
    assert response.status_code == 404
    body = response.content.decode()
    assert "This link is not valid" in body
    assert "1042" not in body and "plan:7" not in body
    event = AuditEvent.objects.get(action="link.refused")
    assert event.data["reason"] == "tampered"
    assert event.data["purpose"] == "plan"


def test_an_expired_link_is_refused(client, clock):
    clock("2026-12-07T09:00")
    token = _issue(ttl=timedelta(hours=1))
    clock("2026-12-07T10:00:01")
    response = _open(client, token)
    assert response.status_code == 404
    assert AuditEvent.objects.get(action="link.refused").data["reason"] == "expired"


def test_a_single_use_link_opens_nothing_once_used_and_cannot_be_used_twice(client):
    token = _issue(single_use=True)
    link = link_resolve(token=token, purpose="plan")
    link_consume(link=link)
    with pytest.raises(LinkInvalid) as refused:
        link_consume(link=link)
    assert refused.value.reason == "used"
    assert _open(client, token).status_code == 404
    assert AuditEvent.objects.get(action="link.refused").data["reason"] == "used"
    assert AuditEvent.objects.filter(action="link.used").count() == 1


def test_a_revoked_link_and_a_link_of_another_purpose_open_nothing(client, make_user):
    staff = make_user(roles.FINANCE)
    token = _issue()
    link_revoke(link=link_resolve(token=token, purpose="plan"), by=staff)
    assert _open(client, token).status_code == 404
    account = _issue(purpose="account", subject="")
    assert _open(client, account).status_code == 404
    reasons = list(
        AuditEvent.objects.filter(action="link.refused")
        .order_by("id")
        .values_list("data__reason", flat=True)
    )
    assert reasons == ["revoked", "wrong_purpose"]
    assert AuditEvent.objects.get(action="link.revoked").actor_name == staff.username


def test_a_link_is_bound_to_its_subject():
    token = _issue(subject="plan:7")
    with pytest.raises(LinkInvalid) as refused:
        link_resolve(token=token, purpose="plan", subject="plan:8")
    assert refused.value.reason == "wrong_subject"
    assert link_resolve(token=token, purpose="plan", subject="plan:7").party_id == "1042"


def test_revoking_a_subjects_links_leaves_other_members_links_alone(client):
    mine = _issue(party_id="1042", subject="plan:7")
    theirs = _issue(party_id="2001", subject="plan:9")
    assert links_revoke_for(purpose="plan", party_id="1042", subject="plan:7") == 1
    assert _open(client, mine).status_code == 404
    assert _open(client, theirs).status_code == 200


def test_member_pages_are_rate_limited_per_address(client, settings):
    settings.MEMBER_LINK_RATE_PER_MINUTE = 3
    token = _issue()
    assert [_open(client, token).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert AuditEvent.objects.get(action="link.refused").data["reason"] == "rate_limited"


def test_issuing_refuses_a_link_without_a_member_or_with_an_unbounded_life():
    with pytest.raises(ValueError, match="member"):
        link_issue(purpose="plan", party_id=" ", ttl=timedelta(days=1))
    with pytest.raises(ValueError, match="400 days"):
        link_issue(purpose="plan", party_id="1", ttl=timedelta(days=900))


def test_every_registered_email_link_is_in_the_footer_in_order():
    # Only this test's entries: the apps' own builders reverse the site's URLs, which this
    # module's urlconf does not have.
    saved = dict(member_email_links._entries)
    member_email_links._entries.clear()
    member_email_links.register(
        "t-first", EmailLink("First", lambda party, channel, comm: f"https://x/{party}/{channel}")
    )
    member_email_links.register("t-none", EmailLink("Skipped", lambda party, channel, comm: ""))
    try:
        links = email_footer_links(party_id="1042", channel="email")
        assert ("First", "https://x/1042/email") in links
        assert all(label != "Skipped" for label, _ in links)
    finally:
        member_email_links._entries.clear()
        member_email_links._entries.update(saved)
