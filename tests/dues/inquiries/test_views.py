"""Staff pages of inquiries: the list's filters and sorting, untrusted text escaped, the form's
messages, staff's pick of the member, policy uploads, and the review metrics' inquiry section."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from common import roles
from dues.inquiries import metrics, services
from dues.models import Inquiry, InquiryMessage, PolicyDocument
from tests.dues.inquiries.conftest import member_alone_on_email


@pytest.fixture
def staff(client, make_user):
    user = make_user(roles.MEMBERSHIP)
    client.force_login(user)
    return user


def _inquiry(text: str, **fields) -> Inquiry:
    now = timezone.now()
    inquiry = Inquiry.objects.create(
        channel="email",
        subject=fields.pop("subject", "Hello"),
        thread_key=str(now.timestamp()),
        received_at=fields.pop("received_at", now),
        **fields,
    )
    InquiryMessage.objects.create(inquiry=inquiry, direction="in", text=text, created_at=now)
    return inquiry


def test_list_filters_by_status_class_and_unmatched_and_sorts(mirror, client, staff):
    old = _inquiry(
        "a",
        subject="Old one",
        received_at=timezone.now() - timedelta(days=3),
        category="dispute",
        member_id="1",
    )
    new = _inquiry("b", subject="New one", category="plan_request")

    unmatched = client.get("/inquiries/?status=unmatched")
    disputes = client.get("/inquiries/?category=dispute")
    oldest_first = client.get("/inquiries/?sort=received")

    assert f'data-inquiry="{new.pk}"' in unmatched.content.decode()
    assert f'data-inquiry="{old.pk}"' not in unmatched.content.decode()
    assert f'data-inquiry="{old.pk}"' in disputes.content.decode()
    assert f'data-inquiry="{new.pk}"' not in disputes.content.decode()
    html = oldest_first.content.decode()
    assert html.index(f'data-inquiry="{old.pk}"') < html.index(f'data-inquiry="{new.pk}"')


def test_the_members_words_are_escaped(mirror, client, staff):
    inquiry = _inquiry('<script>alert("x")</script><img src=x onerror=alert(1)>')

    html = client.get(f"/inquiries/{inquiry.pk}/").content.decode()

    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_new_inquiry_form_says_what_to_fix_and_staff_pick_the_member(mirror, client, staff):
    refused = client.post("/inquiries/new/", {"channel": "phone", "text": "hi", "member_id": "0"})
    party = member_alone_on_email()
    inquiry = _inquiry("who am I?")

    matched = client.post(
        f"/inquiries/{inquiry.pk}/match/", {"member_id": party.imis_id}, follow=True
    )

    assert refused.status_code == 400
    assert "No member 0 in the iMIS mirror; check the iMIS id." in refused.content.decode()
    inquiry.refresh_from_db()
    assert (inquiry.member_id, inquiry.matched_by) == (party.imis_id, "staff")
    assert f"Matched to {party.name}" in matched.content.decode()


def test_only_managers_upload_policies_and_an_oversized_file_is_refused(
    mirror, client, make_user, settings
):
    settings.INQUIRY_POLICY_MAX_BYTES = 1024
    manager = make_user(roles.MANAGER)
    client.force_login(manager)

    big = client.post(
        "/inquiries/policies/upload/",
        {"title": "Big", "document": SimpleUploadedFile("big.md", b"# Dues\n\n" + b"x" * 2000)},
    )
    ok = client.post(
        "/inquiries/policies/upload/",
        {"title": "Dues", "document": SimpleUploadedFile("dues.md", b"# Dues\n\nPaid yearly.")},
        follow=True,
    )

    assert big.status_code == 400
    assert "the limit is 1,024 bytes (1 KB)" in big.content.decode()
    assert "“Dues” uploaded: 1 passages searchable." in ok.content.decode()
    assert PolicyDocument.objects.count() == 1


def test_review_metrics_show_answered_without_edit_time_to_answer_and_escalations(
    mirror, client, make_user
):
    now = timezone.now()
    _inquiry(
        "a",
        received_at=now - timedelta(hours=4),
        answered_at=now,
        status="answered",
        answered_without_edit=True,
    )
    _inquiry(
        "b",
        received_at=now - timedelta(hours=10),
        answered_at=now,
        status="answered",
        answered_without_edit=False,
        escalation="billing_error",
    )
    _inquiry("c", escalation="low_confidence")
    _inquiry("d", escalation="low_confidence")

    figures = metrics.inquiry_metrics()
    client.force_login(make_user(roles.MANAGER))
    page = client.get("/reviews/metrics/").content.decode()

    assert (figures["answered"], figures["share_without_edit"]) == (2, 0.5)
    assert figures["median_hours_to_answer"] == 7.0
    assert [(e["code"], e["count"]) for e in figures["escalations"]] == [
        ("low_confidence", 2),
        ("billing_error", 1),
    ]
    assert 'id="inquiry-metrics"' in page and "50% (1 of 2)" in page and "7.0 h" in page
    assert "js/inquiry-metrics" in page


def test_closing_withdraws_the_pending_reply(mirror, make_user):
    party = member_alone_on_email()
    clerk = make_user(roles.MEMBERSHIP)
    inquiry = services.inquiry_create(
        user=clerk,
        channel="phone",
        subject="",
        text="What does my invoice cover?",
        member_id=party.imis_id,
    )
    inquiry = services.inquiry_process(inquiry_id=inquiry.pk)

    services.inquiry_close(inquiry_id=inquiry.pk, user=clerk, reason="answered on the phone")

    inquiry.refresh_from_db()
    inquiry.review_item.refresh_from_db()
    assert (inquiry.status, inquiry.review_item.status) == ("closed", "stale")
