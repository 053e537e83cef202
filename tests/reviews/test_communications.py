"""Email effects: sent once over real SMTP, kept in the history, logged in iMIS; and reversal."""

import pytest

from common import roles
from common.errors import DomainError
from common.models import AuditEvent
from imis_client.models import OutboxWrite
from reviews import services
from reviews.models import Communication, ReviewItem

pytestmark = pytest.mark.django_db


def propose_email(**overrides):
    fields = {
        "kind": "tests.email",
        "title": "Renewal reminder",
        "member_id": "10001",
        "payload": {"to": "zoe@example.org", "subject": "Your renewal", "body": "Dear Zoë, ..."},
    } | overrides
    return services.review_item_propose(**fields)


def approve_and_run(item, user):
    services.review_item_decide(item_id=item.pk, user=user, decision="accept")
    return services.review_item_execute(item_id=item.pk)


def test_approved_email_is_sent_once_recorded_and_logged_in_imis(make_user, smtp_sink):
    # given a membership user approving a drafted email
    maya = make_user(roles.MEMBERSHIP)
    item = propose_email()
    # when the effect runs, and runs again
    done = approve_and_run(item, maya)
    services.review_item_execute(item_id=item.pk)
    # then the member received exactly one message over SMTP
    received = smtp_sink.to("zoe@example.org")
    assert len(received) == 1
    assert received[0]["Subject"] == "Your renewal"
    assert "Dear Zoë" in received[0].get_content()
    # and it is in the local communication history, with the iMIS Activity queued
    comm = Communication.objects.get()
    assert (comm.status, comm.member_id, comm.item_id, comm.sent_by) == (
        "sent",
        "10001",
        item.pk,
        maya,
    )
    activity = OutboxWrite.objects.get(entity="Activity")
    assert activity.reference == comm.activity_reference
    assert activity.body["Properties"]["$values"][1]["Value"] == "AI_EMAIL"
    assert done.status == "done" and done.effect_result == {"communication": comm.pk}
    # and the effect is recorded in iMIS's AI_Audit_Log
    log = OutboxWrite.objects.get(entity="AI_Audit_Log")
    assert "Test email carried out: Renewal reminder" in str(log.body)


def test_email_refused_by_the_server_fails_the_item_and_a_retry_sends_it(
    make_user, smtp_sink, settings
):
    maya = make_user(roles.MEMBERSHIP)
    item = propose_email()
    settings.EMAIL_PORT = 1  # nothing listens there
    failed = approve_and_run(item, maya)
    assert failed.status == "failed"
    assert "ConnectionRefusedError" in failed.effect_error
    assert Communication.objects.count() == 0 and OutboxWrite.objects.count() == 0
    # when the mail server is back and a person retries
    settings.EMAIL_PORT = smtp_sink.port
    retried = services.review_item_execute(item_id=item.pk)
    assert retried.status == "done"
    assert len(smtp_sink.messages) == 1


def test_member_without_email_gets_a_clear_error_on_the_item(make_user, smtp_sink):
    maya = make_user(roles.MEMBERSHIP)
    item = propose_email(payload={"to": "", "subject": "Hi", "body": "Hello"})
    failed = approve_and_run(item, maya)
    assert failed.effect_error == (
        "DomainError: Member 10001 has no email address in iMIS; add one there or contact "
        "them another way."
    )
    assert smtp_sink.messages == []


def test_sms_goes_to_the_sms_backend_and_is_logged_as_an_sms_activity(tmp_path, settings):
    from reviews.communications import communication_send

    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    comm = communication_send(
        key="k-1",
        member_id="10001",
        to_address="+15555550123",
        subject="",
        body="Your membership renews on 30 June.",
        channel="sms",
    )
    again = communication_send(
        key="k-1",
        member_id="10001",
        to_address="+15555550123",
        subject="",
        body="Your membership renews on 30 June.",
        channel="sms",
    )
    assert again.pk == comm.pk
    lines = (tmp_path / "sms.jsonl").read_text().splitlines()
    assert len(lines) == 1 and "+15555550123" in lines[0]
    assert (
        OutboxWrite.objects.get(entity="Activity").body["Properties"]["$values"][1]["Value"]
        == "AI_SMS"
    )
    with pytest.raises(
        DomainError, match=r"^The SMS is 641 characters; shorten it to 640 or fewer\.$"
    ):
        communication_send(
            key="k-2", member_id="1", to_address="+1", subject="", body="x" * 641, channel="sms"
        )


def test_a_done_item_can_be_reversed_once_with_a_reason(make_user, smtp_sink):
    maya = make_user(roles.MEMBERSHIP)
    item = propose_email()
    approve_and_run(item, maya)
    with pytest.raises(DomainError, match=r"^Say why the effect is being reversed\.$"):
        services.review_item_reverse(item_id=item.pk, user=maya, reason=" ")
    reversed_ = services.review_item_reverse(item_id=item.pk, user=maya, reason="sent in error")
    assert reversed_.status == "reversed"
    assert OutboxWrite.objects.filter(entity="PartyNote").count() == 1
    assert OutboxWrite.objects.filter(entity="AI_Audit_Log").count() == 2
    assert AuditEvent.objects.filter(action="review.reversed", object_id=str(item.pk)).exists()
    with pytest.raises(
        DomainError,
        match=rf"^Item #{item.pk} is reversed; only a carried-out item can be reversed\.$",
    ):
        services.review_item_reverse(item_id=item.pk, user=maya, reason="again")


def test_kinds_without_reversal_refuse_it(make_user):
    frank = make_user(roles.FINANCE)
    item = services.review_item_propose(kind="tests.note", title="Note", payload={"text": "x"})
    with pytest.raises(DomainError, match=r"^Test note items cannot be reversed\.$"):
        services.review_item_reverse(item_id=item.pk, user=frank, reason="why")
    assert ReviewItem.objects.get(pk=item.pk).status == "pending"
