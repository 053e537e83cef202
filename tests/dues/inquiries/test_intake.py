"""Inbound email and inquiries by hand: signature, matching, threads, odd bodies."""

import pytest

from common import roles
from common.errors import DomainError
from common.models import AuditEvent
from dues.inquiries import intake, services
from dues.models import Inquiry, InquiryMessage
from imis_client.models import ImisInvoice, ImisParty
from tests.dues.inquiries.conftest import member_alone_on_email, signed_post


def _email(party: ImisParty, **extra) -> dict:
    return {
        "from": f"{party.name} <{party.email}>",
        "to": "membership@example.org",
        "subject": "Question about my dues",
        "text": "Hello, what does my invoice cover? Thanks",
        "html": "",
        "attachments": [],
        **extra,
    }


def test_webhook_with_a_bad_signature_is_403_and_writes_nothing(mirror, client):
    party = member_alone_on_email()
    audit_before = AuditEvent.objects.count()

    bad = signed_post(client, _email(party), secret="not-the-secret")
    missing = signed_post(client, _email(party), header="")
    garbled = signed_post(client, _email(party), header="sha256=zz")

    assert [bad.status_code, missing.status_code, garbled.status_code] == [403, 403, 403]
    assert bad.json() == {"error": "The signature does not match the body."}
    assert Inquiry.objects.count() == 0
    assert InquiryMessage.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_webhook_without_a_secret_configured_refuses_everything(mirror, client, settings):
    settings.INQUIRY_WEBHOOK_SECRET = ""
    party = member_alone_on_email()

    response = signed_post(client, _email(party))

    assert response.status_code == 503
    assert Inquiry.objects.count() == 0


def test_signed_email_from_a_member_is_matched_by_sender_and_threaded(mirror, client):
    party = member_alone_on_email()

    first = signed_post(client, _email(party, message_id="<m1@example.com>"))
    again = signed_post(client, _email(party, message_id="<m1@example.com>"))
    reply = signed_post(
        client,
        _email(
            party,
            subject="RE: Fwd: Question about my dues",
            text="And a second thing",
            message_id="<m2@example.com>",
        ),
    )

    assert first.status_code == again.status_code == reply.status_code == 200
    assert again.json()["duplicate"] is True
    inquiry = Inquiry.objects.get()
    assert (inquiry.member_id, inquiry.matched_by) == (party.imis_id, "email")
    assert reply.json()["inquiry"] == inquiry.pk
    assert list(inquiry.messages.values_list("text", flat=True)) == [
        "Hello, what does my invoice cover? Thanks",
        "And a second thing",
    ]


def test_the_same_email_posted_twice_without_an_id_is_one_message(mirror, client):
    party = member_alone_on_email()

    first = signed_post(client, _email(party))
    second = signed_post(client, _email(party))

    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert InquiryMessage.objects.count() == 1


def test_unknown_sender_becomes_an_inquiry_to_match_by_hand(mirror, client, make_user):
    response = signed_post(
        client,
        {"from": "stranger@nowhere.example", "subject": "dues?", "text": "How much do I owe?"},
    )

    assert response.status_code == 200
    inquiry = Inquiry.objects.get()
    assert (inquiry.member_id, inquiry.matched_by, inquiry.status) == ("", "", "new")
    party = member_alone_on_email()
    staff = make_user(roles.MEMBERSHIP)
    services.inquiry_match(inquiry_id=inquiry.pk, member_id=party.imis_id, user=staff)
    inquiry.refresh_from_db()
    assert (inquiry.member_id, inquiry.matched_by) == (party.imis_id, "staff")
    with pytest.raises(DomainError, match="No member no-such in the iMIS mirror"):
        services.inquiry_match(inquiry_id=inquiry.pk, member_id="no-such", user=staff)


def test_invoice_number_in_the_text_matches_its_member(mirror, client):
    invoice = ImisInvoice.objects.filter(is_open=True).exclude(sold_to_id="").first()

    signed_post(
        client,
        {
            "from": "accounts-payable@employer.example",
            "subject": "Invoice query",
            "text": f"Please explain invoice #{invoice.number}, we pay for our staff member.",
        },
    )

    inquiry = Inquiry.objects.get()
    assert (inquiry.member_id, inquiry.matched_by, inquiry.invoice_id) == (
        invoice.sold_to_id,
        "invoice_number",
        invoice.imis_id,
    )


def test_html_only_attachment_only_and_empty_bodies_are_kept(mirror, client):
    party = member_alone_on_email()

    html = signed_post(
        client,
        _email(
            party,
            subject="a",
            text="",
            html=("<p>Why was I <b>charged</b> twice?</p><script>alert(1)</script><br>Thanks"),
        ),
    )
    attached = signed_post(
        client,
        _email(
            party, subject="b", text="", attachments=[{"filename": "statement.pdf"}, "scan.jpg"]
        ),
    )
    empty = signed_post(client, _email(party, subject="c", text=""))
    not_json = client.post(
        "/webhooks/inbound-email/",
        data=b"nope",
        content_type="application/json",
        HTTP_X_INQUIRY_SIGNATURE=intake.sign(b"nope", secret="inbound-test-7c1e0a9d"),
    )

    assert [html.status_code, attached.status_code, empty.status_code] == [200, 200, 200]
    assert not_json.status_code == 400
    by_subject = {i.subject: i for i in Inquiry.objects.all()}
    assert by_subject["a"].messages.get().text == "Why was I charged twice?\nThanks"
    assert by_subject["b"].messages.get().attachments == ["statement.pdf", "scan.jpg"]
    assert by_subject["c"].messages.get().text == ""


def test_inquiry_by_hand_needs_text_and_a_known_member(mirror, make_user):
    staff = make_user(roles.FINANCE)
    with pytest.raises(DomainError, match="Write down what the member asked"):
        services.inquiry_create(user=staff, channel="phone", subject="", text="  ")
    with pytest.raises(DomainError, match="No member 0 in the iMIS mirror"):
        services.inquiry_create(user=staff, channel="phone", subject="", text="hi", member_id="0")
    party = ImisParty.objects.first()

    inquiry = services.inquiry_create(
        user=staff, channel="letter", subject="", text="Please cancel", member_id=party.imis_id
    )

    assert (inquiry.member_id, inquiry.matched_by, inquiry.created_by) == (
        party.imis_id,
        "staff",
        staff,
    )
    assert inquiry.subject.startswith("Letter of ")


def test_thread_key_strips_reply_and_forward_prefixes():
    assert intake.thread_key("Re: FW: Dues", "a@b.c") == intake.thread_key("dues", "A@B.C")
    assert intake.thread_key("Dues", "a@b.c") != intake.thread_key("Dues", "x@b.c")
