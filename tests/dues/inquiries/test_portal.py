"""The member's own page: one member's data only (tested with two), questions answered from the
records or passed to staff, every question logged here and in iMIS, CSRF, expiry, rate limits."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.links import email_footer_links, link_resolve
from common.models import AuditEvent, MemberLink
from dues.inquiries import portal
from dues.inquiries.account import PART
from dues.models import Inquiry, InquiryMessage
from imis_client.models import ImisInvoice, OutboxWrite
from tests.dues.inquiries.conftest import member_with_open_invoice


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _two_members(association):
    a, a_invoice = member_with_open_invoice(association, "tier_change")
    b_invoice = (
        ImisInvoice.objects.filter(is_open=True)
        .exclude(sold_to_id=a.imis_id)
        .exclude(bill_to_id=a.imis_id)
        .order_by("imis_id")
        .first()
    )
    return a, a_invoice, b_invoice


def test_the_page_shows_the_links_member_only(mirror, client):
    a, a_invoice, b_invoice = _two_members(mirror.association)
    url = portal.account_link(a.imis_id)
    b_question = Inquiry.objects.create(
        channel="portal",
        member_id=b_invoice.sold_to_id,
        subject="B's",
        thread_key="b",
        received_at=timezone.now(),
    )
    InquiryMessage.objects.create(
        inquiry=b_question, direction="in", text="secret of member B", created_at=timezone.now()
    )

    page = client.get(url)
    peek = client.get(f"{url}?asked={b_question.pk}")

    assert page.status_code == 200
    html = page.content.decode()
    assert f"Invoice {a_invoice.number}" in html
    assert f"Invoice {b_invoice.number}" not in html
    assert "How this is worked out" in html
    assert "secret of member B" not in peek.content.decode()
    assert page["Referrer-Policy"] == "same-origin"  # the token never leaves the site


def test_a_tampered_or_expired_link_opens_nothing(mirror, client):
    a, _, _ = _two_members(mirror.association)
    url = portal.account_link(a.imis_id)
    token = _token(url)

    tampered = client.get(url.replace(token, token[:-2] + "xx"))
    link = link_resolve(token=token, purpose="account")
    MemberLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get(url)

    assert tampered.status_code == expired.status_code == 404
    assert "This link is not valid" in expired.content.decode()
    assert a.name not in expired.content.decode()
    reasons = list(
        AuditEvent.objects.filter(action="link.refused")
        .order_by("id")
        .values_list("data__reason", flat=True)
    )
    assert reasons == ["tampered", "expired"]


def test_a_prorated_question_is_answered_with_the_breakdown_and_logged(mirror, client):
    a, a_invoice, _ = _two_members(mirror.association)
    url = portal.account_link(a.imis_id)

    response = client.post(
        f"{url}ask/", {"question": "Why is my invoice prorated? How was the charge worked out?"}
    )

    assert response.status_code == 302
    inquiry = Inquiry.objects.get(member_id=a.imis_id, channel="portal")
    assert (inquiry.status, inquiry.category, inquiry.matched_by) == (
        "answered",
        "charge_explanation",
        "link",
    )
    answer = inquiry.messages.get(direction="out").text
    assert f"invoice {a_invoice.number}" in answer
    assert PART.search(answer)  # the calculator's "10 of 12 months"
    shown = client.get(response["Location"]).content.decode()
    assert "You asked: Why is my invoice prorated?" in shown
    activity = OutboxWrite.objects.get(source=f"inquiry {inquiry.pk}")
    assert activity.path == "/api/Activity"
    fields = {p["Name"]: p["Value"] for p in activity.body["Properties"]["$values"]}
    assert (fields["PartyId"], fields["ACTIVITY_TYPE"]) == (a.imis_id, "AI_INQUIRY")
    assert fields["NOTE"].startswith("Q: Why is my invoice prorated?")


def test_a_request_that_needs_a_person_goes_to_staff_with_a_reply_date(mirror, client):
    a, _, _ = _two_members(mirror.association)
    url = portal.account_link(a.imis_id)

    response = client.post(
        f"{url}ask/", {"question": "Can I pay in 3 monthly installments?"}, follow=True
    )

    inquiry = Inquiry.objects.get(member_id=a.imis_id, channel="portal")
    assert (inquiry.status, inquiry.category) == ("new", "plan_request")
    assert not inquiry.messages.filter(direction="out").exists()
    text = response.content.decode()
    assert "Your question is with our staff; you will have a reply by email by" in text
    assert "Our staff will answer this by email." in text
    assert OutboxWrite.objects.filter(source=f"inquiry {inquiry.pk}").count() == 1


def test_the_question_form_needs_its_csrf_token(mirror):
    a, _, _ = _two_members(mirror.association)
    url = portal.account_link(a.imis_id)
    browser = Client(enforce_csrf_checks=True)

    refused = browser.post(f"{url}ask/", {"question": "What do I owe?"})

    assert refused.status_code == 403
    assert not Inquiry.objects.exists()


def test_questions_are_rate_limited_per_member(mirror, client, settings):
    settings.INQUIRY_ASK_RATE = "2/h"
    a, _, _ = _two_members(mirror.association)
    url = portal.account_link(a.imis_id)

    for _ in range(3):
        last = client.post(f"{url}ask/", {"question": "What is my balance?"}, follow=True)

    assert Inquiry.objects.filter(member_id=a.imis_id).count() == 2
    assert "You have asked several questions in a short time" in last.content.decode()


def test_every_email_carries_the_members_own_account_link(mirror, client):
    a, _, _ = _two_members(mirror.association)

    links = dict(email_footer_links(party_id=a.imis_id, channel="email"))
    sms = dict(email_footer_links(party_id=a.imis_id, channel="sms"))

    url = links["See your dues and ask a question"]
    assert "See your dues and ask a question" not in sms
    link = link_resolve(token=_token(url), purpose="account")
    assert link.party_id == a.imis_id
    assert (
        client.get(reverse("dues:member_account", kwargs={"token": _token(url)})).status_code == 200
    )
