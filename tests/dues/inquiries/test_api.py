"""The inquiries API: list and filters, one inquiry with its thread, a new inquiry and staff's
pick of the member through the services, policy documents, and the pages' permissions."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from common import roles
from dues.models import Inquiry, InquiryMessage, PolicyDocument
from reviews.drafting.golden import install_member

MEMBER = {"imis_id": "API-19-1", "first_name": "Ada", "last_name": "Okafor", "email": "ada@x.org"}


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
        thread_key=f"{now.timestamp()}-{text[:10]}",
        received_at=now,
        **fields,
    )
    InquiryMessage.objects.create(inquiry=inquiry, direction="in", text=text, created_at=now)
    return inquiry


def test_inquiry_list_filters_by_status_class_and_member(staff, client):
    # given a dispute from one member and an unmatched plan request
    dispute = _inquiry("charged twice", category="dispute", member_id="7")
    plan = _inquiry("can I pay monthly", category="plan_request")

    # when
    url = reverse("api:dues:inquiry-list")
    by_class = client.get(url, {"category": "dispute"}).json()["results"]
    unmatched = client.get(url, {"status": "unmatched"}).json()["results"]
    by_member = client.get(url, {"member_id": "7"}).json()["results"]

    # then
    assert [row["id"] for row in by_class] == [dispute.pk]
    assert [row["id"] for row in unmatched] == [plan.pk]
    assert [row["id"] for row in by_member] == [dispute.pk]


def test_inquiry_detail_gives_the_thread_as_received(staff, client):
    inquiry = _inquiry('<script>alert("x")</script> why is my bill higher?')

    body = client.get(reverse("api:dues:inquiry-detail", args=[inquiry.pk])).json()

    assert body["thread"][0]["direction"] == "in"
    assert body["thread"][0]["text"] == '<script>alert("x")</script> why is my bill higher?'
    assert "html" not in body["thread"][0]


def test_inquiry_create_goes_through_the_service_and_refuses_an_unknown_member(staff, client):
    # given a member in the mirror
    install_member(MEMBER)
    url = reverse("api:dues:inquiry-list")

    # when
    made = client.post(
        url,
        {"channel": "phone", "member_id": "API-19-1", "text": "Can I pay in installments?"},
        content_type="application/json",
    )
    unknown = client.post(
        url,
        {"channel": "phone", "member_id": "NOPE-9", "text": "Where is my receipt?"},
        content_type="application/json",
    )

    # then
    assert made.status_code == 201
    assert made.json()["member_name"] == "Ada Okafor"
    assert made.json()["matched_by"] == "staff"
    assert made.json()["thread"][0]["text"] == "Can I pay in installments?"
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "No member NOPE-9 in the iMIS mirror; check the iMIS id."
    assert Inquiry.objects.count() == 1


def test_inquiry_match_sets_staffs_pick_and_refuses_an_unknown_member(staff, client):
    install_member(MEMBER)
    inquiry = _inquiry("Where is my receipt?")
    url = reverse("api:dues:inquiry-match", args=[inquiry.pk])

    unknown = client.post(url, {"member_id": "NOPE-9"}, content_type="application/json")
    missing = client.post(url, {}, content_type="application/json")
    matched = client.post(url, {"member_id": "API-19-1"}, content_type="application/json")

    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "No member NOPE-9 in the iMIS mirror; check the iMIS id."
    assert missing.status_code == 400
    assert "member_id" in missing.json()
    assert matched.status_code == 200
    assert (matched.json()["member_id"], matched.json()["matched_by"]) == ("API-19-1", "staff")


def test_policy_upload_refuses_an_oversized_file_with_its_limit(client, make_user, settings):
    # given a manager and a 1 KB limit
    settings.INQUIRY_POLICY_MAX_BYTES = 1024
    client.force_login(make_user(roles.MANAGER))
    url = reverse("api:dues:inquiry-policy-document-upload")

    # when
    big = client.post(
        url, {"title": "Big", "document": SimpleUploadedFile("big.md", b"# D\n\n" + b"x" * 2000)}
    )
    ok = client.post(
        url, {"title": "Dues", "document": SimpleUploadedFile("dues.md", b"# Dues\n\nYearly.")}
    )
    listed = client.get(reverse("api:dues:inquiry-policy-document-list")).json()["results"]

    # then
    assert big.status_code == 400
    assert "the limit is 1,024 bytes (1 KB)" in big.json()["detail"]
    assert ok.status_code == 201
    assert [(d["title"], d["passages"]) for d in listed] == [("Dues", 1)]
    assert PolicyDocument.objects.count() == 1


def test_inquiry_api_refuses_a_user_without_the_role(client, make_user):
    # given a clerk signed in without any role, and a membership clerk (no manager role)
    client.force_login(make_user(None))
    no_role = client.get(reverse("api:dues:inquiry-list"))
    client.force_login(make_user(roles.MEMBERSHIP))
    upload = client.post(
        reverse("api:dues:inquiry-policy-document-upload"),
        {"document": SimpleUploadedFile("dues.md", b"# Dues\n\nYearly.")},
    )

    # then
    assert no_role.status_code == 403
    assert upload.status_code == 403
    assert PolicyDocument.objects.count() == 0
