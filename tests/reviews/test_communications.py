"""Email effects: sent once over real SMTP after the effect commits, kept in the history,
logged in iMIS; recovered after a crash; and reversal."""

import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from common import roles
from common.errors import DomainError
from common.models import AuditEvent
from imis_client.models import OutboxWrite
from reviews import communications, services
from reviews.models import Communication, ReviewItem
from tests.conftest import ROOT, at_once, subprocess_env

pytestmark = pytest.mark.django_db


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Each test runs in a transaction that never commits: this runs what waits for a commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def later(minutes: int = 61):
    """A moment when whatever the recovery waits for is due."""
    return timezone.now() + timedelta(minutes=minutes)


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


def test_approved_email_is_sent_once_recorded_and_logged_in_imis(
    make_user, smtp_sink, after_commit
):
    # given a membership user approving a drafted email
    maya = make_user(roles.MEMBERSHIP)
    item = propose_email()
    # when the effect runs, and runs again
    with after_commit():
        done = approve_and_run(item, maya)
    with after_commit():
        services.review_item_execute(item_id=item.pk)
    # then the member received exactly one message over SMTP
    received = smtp_sink.to("zoe@example.org")
    assert len(received) == 1
    assert len(smtp_sink.deliveries) == 1
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


def test_email_refused_by_the_server_is_kept_with_the_reason_and_the_recovery_sends_it(
    make_user, smtp_sink, settings, after_commit
):
    # given the mail server is down when an approved email's effect runs
    maya = make_user(roles.MEMBERSHIP)
    item = propose_email()
    settings.EMAIL_PORT = 1  # nothing listens there
    with after_commit():
        done = approve_and_run(item, maya)
    # then the effect is done (the message is recorded), and the message waits with the reason
    assert done.status == "done"
    comm = Communication.objects.get()
    assert (comm.status, comm.attempts) == ("queued", 1)
    assert comm.error.startswith("ConnectionRefusedError")
    assert comm.next_attempt_at > timezone.now()
    assert not OutboxWrite.objects.filter(entity="Activity").exists()  # nothing went: no log
    # when the mail server is back and the recovery runs
    settings.EMAIL_PORT = smtp_sink.port
    assert communications.communications_deliver_due(now=later()) == {"sent": 1}
    assert communications.communications_deliver_due(now=later()) == {}
    # then it went once, and iMIS logs it once
    assert len(smtp_sink.deliveries) == 1
    comm.refresh_from_db()
    assert (comm.status, comm.error, comm.attempts) == ("sent", "", 2)
    assert OutboxWrite.objects.filter(entity="Activity").count() == 1


def test_a_message_refused_every_time_fails_and_a_retried_effect_queues_it_again(
    smtp_sink, settings, after_commit
):
    settings.EMAIL_PORT = 1
    send = {"key": "k-9", "member_id": "10001", "to_address": "zoe@example.org"}
    send |= {"subject": "Hi", "body": "Hello"}
    with after_commit():
        communications.communication_send(**send)
    for minutes in range(2, 200, 30):  # past each wait
        communications.communications_deliver_due(now=later(minutes))
    comm = Communication.objects.get()
    assert (comm.status, comm.attempts) == ("failed", communications.MAX_ATTEMPTS)
    assert AuditEvent.objects.filter(action="communication.failed").count() == 1
    # when the server is back and the effect runs again with the same key
    settings.EMAIL_PORT = smtp_sink.port
    with after_commit():
        again = communications.communication_send(**send)
    assert again.pk == comm.pk
    again.refresh_from_db()
    assert (again.status, len(smtp_sink.deliveries)) == ("sent", 1)


def test_an_effect_that_fails_after_queueing_its_message_sends_nothing(smtp_sink, after_commit):
    # given an effect that queues a message and then fails
    with after_commit(), pytest.raises(RuntimeError), transaction.atomic():
        communications.communication_send(
            key="k-3", member_id="10001", to_address="zoe@example.org", subject="Hi", body="Hi"
        )
        raise RuntimeError("the effect's next step failed")
    # then no message went, and none is recorded
    assert smtp_sink.deliveries == []
    assert not Communication.objects.exists()


def test_a_message_whose_process_died_before_delivering_is_sent_by_the_recovery(
    smtp_sink, django_capture_on_commit_callbacks
):
    # given a message committed, but its process gone before handing it over
    with django_capture_on_commit_callbacks(execute=False):
        comm = communications.communication_send(
            key="k-4", member_id="10001", to_address="zoe@example.org", subject="Hi", body="Hi"
        )
    assert smtp_sink.deliveries == []
    # when the recovery runs, then it goes once
    assert communications.communications_deliver_due() == {"sent": 1}
    assert [m["Message-ID"] for m in smtp_sink.deliveries] == [comm.message_id]


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_message_at_once_hand_it_over_once(smtp_sink, monkeypatch):
    # given a queued message that the after-commit delivery and the recovery both take up
    monkeypatch.setattr(transaction, "on_commit", lambda *args, **kwargs: None)
    comm = communications.communication_send(
        key="k-5", member_id="10001", to_address="zoe@example.org", subject="Hi", body="Hi"
    )
    # when the two try at the same moment, each on its own connection
    outcomes = at_once(lambda: communications.communication_deliver(communication_id=comm.pk))
    # then one of them handed it over and the other found it taken
    assert sorted(o is None for o in outcomes) == [False, True]
    assert len(smtp_sink.deliveries) == 1
    assert OutboxWrite.objects.filter(entity="Activity").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_between_send_and_mark_leaves_one_message_in_the_sink(
    make_user, smtp_sink
):
    # given an approved email
    maya = make_user(roles.MEMBERSHIP)
    item = propose_email()
    services.review_item_decide(item_id=item.pk, user=maya, decision="accept")
    # when a worker process carries it out and is SIGKILLed right after the mail server
    # accepted the message, before the message is marked sent
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.support.deliver_then_die", str(item.pk)],
        cwd=ROOT,
        env=subprocess_env(TEST_EMAIL_URL=f"smtp://{smtp_sink.host}:{smtp_sink.port}"),
        capture_output=True,
        timeout=120,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()
    # then the effect committed, the message reached the sink, and the row does not know it
    comm = Communication.objects.get()
    assert ReviewItem.objects.get(pk=item.pk).status == "done"
    assert (comm.status, comm.attempts, comm.sent_at) == ("sending", 1, None)
    assert [m["Message-ID"] for m in smtp_sink.deliveries] == [comm.message_id]
    assert not OutboxWrite.objects.filter(entity="Activity").exists()
    # when the effect is retried, nothing is sent again: the item is done
    services.review_item_execute(item_id=item.pk)
    assert len(smtp_sink.deliveries) == 1
    # when the recovery finds the hand-off cut off, it hands the message over again
    due = timezone.now() + communications.SEND_LEASE + timedelta(seconds=1)
    assert communications.communications_deliver_due(now=due) == {"sent": 1}
    assert communications.communications_deliver_due(now=due) == {}
    # with the same Message-ID, so the sink holds exactly one message with it
    assert [m["Message-ID"] for m in smtp_sink.deliveries] == [comm.message_id] * 2
    assert [m["Message-ID"] for m in smtp_sink.messages] == [comm.message_id]
    assert smtp_sink.to("zoe@example.org")[0]["Subject"] == "Your renewal"
    # and the message is marked sent and logged in iMIS once
    comm.refresh_from_db()
    assert (comm.status, comm.attempts) == ("sent", 2)
    assert OutboxWrite.objects.filter(entity="Activity").count() == 1
    assert AuditEvent.objects.filter(action="communication.sent").count() == 1


def test_member_without_email_gets_a_clear_error_on_the_item(make_user, smtp_sink, after_commit):
    maya = make_user(roles.MEMBERSHIP)
    item = propose_email(payload={"to": "", "subject": "Hi", "body": "Hello"})
    with after_commit():
        failed = approve_and_run(item, maya)
    assert failed.effect_error == (
        "DomainError: Member 10001 has no email address in iMIS; add one there or contact "
        "them another way."
    )
    assert smtp_sink.messages == []


def test_sms_goes_to_the_sms_backend_and_is_logged_as_an_sms_activity(
    tmp_path, settings, after_commit
):
    from reviews.communications import communication_send

    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    sms = {"key": "k-1", "member_id": "10001", "to_address": "+15555550123", "subject": ""}
    sms |= {"body": "Your membership renews on 30 June.", "channel": "sms"}
    sent = []
    for _ in range(2):
        with after_commit():
            sent.append(communication_send(**sms))
    comm, again = sent
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


def test_a_done_item_can_be_reversed_once_with_a_reason(make_user, smtp_sink, after_commit):
    maya = make_user(roles.MEMBERSHIP)
    item = propose_email()
    with after_commit():
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


def test_the_file_sms_backend_keeps_one_line_per_key_as_a_provider_would(tmp_path, settings):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    backend = communications.FileSmsBackend()
    for _ in range(2):
        assert backend.send(to="+15555550123", body="Hi", key="k-7") == "k-7"
    backend.send(to="+15555550123", body="Hi", key="k-8")
    lines = (tmp_path / "sms.jsonl").read_text().splitlines()
    assert [line.count('"k-7"') for line in lines] == [1, 0]
