"""Sending a message to a member from an approved effect: once, recorded, and logged in iMIS.

Effects call ``communication_send`` inside their transaction. It only records the message
(queued, keyed by the effect's idempotency key); the message is handed to the mail server (or
SMS provider) after that transaction commits, so an effect that fails after queueing sends
nothing, and a message that has gone always has its row. Delivery claims the row (sending),
hands the message over outside any transaction, then marks it sent in a transaction of its own,
which is also where its iMIS Activity is queued: once, as only one mark can succeed.

An effect that runs again finds the row by its key and delivers it only if it has not gone.
``communications_deliver_due`` (scheduled every minute) takes up what is left: rows queued
when their process died before delivery, refusals due another try, and hand-offs cut off by a
crash. SMTP cannot tell whether a hand-off cut off after the server accepted the message
arrived, so the recovery hands it over again with the same Message-ID (derived from the key):
receivers that suppress duplicates by Message-ID (the bundled mail sink does, as do many
mailbox providers) show it once; others may show a second copy. That window is the moment
between the server's acceptance and the commit of the mark.
"""

import hashlib
import json
import smtplib
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from common.audit import audit_record
from common.errors import DomainError
from common.links import email_footer_links
from common.registry import Registry
from common.states import transition
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue
from reviews.models import Communication

SMS_MAX_CHARS = 640  # four concatenated segments; drafting keeps messages well under it
# A hand-off still marked sending this long after it began was cut off (the process died):
# well beyond Django's SMTP timeout, so a slow server is not mistaken for a crash.
SEND_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 6  # refusals (server down, busy) are tried again this many times in all
S = Communication.Status

# Checks every message passes before it is queued and again just before it is handed over:
# fn(member_id, channel, purpose) -> a reason it must not go, or None. Apps register theirs at
# startup (dues registers members' opt-outs), so every sender in the product honours them.
send_refusals: Registry = Registry("send refusal check")


def send_refused(member_id: str, channel: str, purpose: str) -> str | None:
    """The first reason a message must not go, or None."""
    for check in send_refusals.all():
        reason = check(member_id, channel, purpose)
        if reason:
            return reason
    return None


def email_footer(*, member_id: str, channel: str) -> str:
    """The footer every e-mail carries: each link registered in ``member_email_links``
    (unsubscribe, the member's account page), one per line."""
    if channel != Communication.Channel.EMAIL or not member_id:
        return ""
    lines = [
        f"{label}: {url}" for label, url in email_footer_links(party_id=member_id, channel=channel)
    ]
    return "\n\n--\n" + "\n".join(lines) if lines else ""


def _message_id(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<{digest}@{domain}>"


class FileSmsBackend:
    """Appends each SMS as one JSON line to SMS_FILE_PATH: the demo's and tests' SMS sink.

    A real provider is another class with the same ``send(to, body, key)`` method, named by
    SMS_BACKEND; it passes the key on as the provider's idempotency key. This one keeps one
    line per key, as such a provider would.
    """

    def send(self, *, to: str, body: str, key: str) -> str:
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                if any(json.loads(line).get("key") == key for line in fh if line.strip()):
                    return key
        line = {"to": to, "body": body, "key": key, "at": timezone.now().isoformat()}
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
        return key


def _transition(comm: Communication, to: str) -> None:
    transition(comm, to, subject=f"The message {comm.key}")


def _hand_over(comm: Communication) -> str:
    """Give the message to the mail server or SMS provider; returns its message id."""
    if comm.channel == Communication.Channel.SMS:
        backend = import_string(settings.SMS_BACKEND)()
        return backend.send(to=comm.to_address, body=comm.body, key=comm.key)
    EmailMessage(
        subject=comm.subject,
        body=comm.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[comm.to_address],
        headers={"Message-ID": comm.message_id, "X-DuesDesk-Key": comm.key},
    ).send(fail_silently=False)
    return comm.message_id


def _deliver_after_commit(communication_id: int) -> None:
    # robust: a delivery that breaks must not break the caller, whose work has committed;
    # the recovery takes the message up.
    transaction.on_commit(
        partial(communication_deliver, communication_id=communication_id), robust=True
    )


def recipient_for(member_id: str, channel: str) -> str:
    """Where a message to a member goes, read from the iMIS mirror when it is sent: the member's
    own email, or phone for an SMS (an organisation member's own record is its billing
    contact). Never a field of a proposal, which a person could edit to send it elsewhere."""
    from imis_client.models import ImisParty

    party = ImisParty.objects.filter(imis_id=member_id).only("email", "phone").first()
    if party is None:
        return ""
    return party.phone if channel == Communication.Channel.SMS else party.email


@transaction.atomic
def communication_send(
    *,
    key: str,
    member_id: str,
    to_address: str,
    subject: str,
    body: str,
    channel: str = Communication.Channel.EMAIL,
    purpose: str = "",
    item=None,
    actor=None,
    auto: bool = False,
) -> Communication:
    """Queue one message to a member, at most once per key; it is handed over after commit.

    ``to_address`` comes from the records (``recipient_for``), never from an editable payload.
    """
    existing = Communication.objects.select_for_update().filter(key=key).first()
    if existing is not None:
        if existing.status == S.FAILED:  # the effect is retried after a lasting refusal
            _transition(existing, S.QUEUED)
            existing.attempts, existing.next_attempt_at = 0, timezone.now()
            existing.save()
        if existing.status != S.SENT:
            _deliver_after_commit(existing.pk)
        return existing
    if channel not in Communication.Channel.values:
        raise DomainError(f"Unknown channel {channel!r}: email or sms.")
    refusal = send_refused(member_id, channel, purpose)
    if refusal:
        raise DomainError(f"Not sent: {refusal}.", code="opted_out")
    to_address = (to_address or "").strip()
    if not to_address:
        what = "email address" if channel == Communication.Channel.EMAIL else "mobile number"
        raise DomainError(
            f"Member {member_id} has no {what} in iMIS; add one there or contact them another way."
        )
    if not body.strip():
        raise DomainError("The message is empty; write a body before sending.")
    if channel == Communication.Channel.SMS and len(body) > SMS_MAX_CHARS:
        raise DomainError(
            f"The SMS is {len(body)} characters; shorten it to {SMS_MAX_CHARS} or fewer."
        )
    comm = Communication(
        key=key,
        member_id=member_id,
        to_address=to_address,
        channel=channel,
        subject=subject[:250],
        body=body + email_footer(member_id=member_id, channel=channel),
        purpose=purpose[:40],
        item=item,
        sent_by=actor,
        auto=auto,
        status=S.QUEUED,
        next_attempt_at=timezone.now(),
        message_id=_message_id(key) if channel == Communication.Channel.EMAIL else key,
    )
    comm.full_clean()
    comm.save()
    _deliver_after_commit(comm.pk)
    return comm


def _due(now) -> Q:
    # Queued and due, or sending for longer than a hand-off can take (cut off by a crash).
    return Q(status__in=[S.QUEUED, S.SENDING], next_attempt_at__lte=now)


def communication_deliver(*, communication_id: int, now=None) -> Communication | None:
    """Hand one due message over and record the outcome. None when it is not due or another
    process is delivering it."""
    now = now or timezone.now()
    with transaction.atomic():
        comm = (
            Communication.objects.select_for_update(skip_locked=True)
            .filter(_due(now), pk=communication_id)
            .first()
        )
        if comm is None:
            return None
        refusal = send_refused(comm.member_id, comm.channel, comm.purpose)
        if refusal:  # the member opted out after the message was queued
            _transition(comm, S.SENDING)
            comm.attempts += 1
            comm.save(update_fields=["status", "attempts", "updated_at"])
            return _refused(comm.pk, Suppressed(refusal))
        _transition(comm, S.SENDING)
        comm.attempts += 1
        comm.next_attempt_at = timezone.now() + SEND_LEASE
        comm.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    try:
        message_id = _hand_over(comm)
    except Exception as exc:
        return _refused(comm.pk, exc)
    return _mark_sent(comm.pk, message_id)


@transaction.atomic
def _mark_sent(communication_id: int, message_id: str) -> Communication:
    comm = Communication.objects.select_for_update().get(pk=communication_id)
    if comm.status == S.SENT:  # a slower hand-off of the same message was marked first
        return comm
    _transition(comm, S.SENT)
    comm.sent_at, comm.error, comm.next_attempt_at = timezone.now(), "", None
    comm.message_id = (message_id or comm.message_id)[:250]
    activity_type = (
        settings.IMIS_ACTIVITY_TYPE_SMS
        if comm.channel == Communication.Channel.SMS
        else settings.IMIS_ACTIVITY_TYPE_EMAIL
    )
    write = outbox_enqueue(
        build=writes.activity,
        source=f"communication {comm.key}",
        party_id=comm.member_id,
        activity_type=activity_type,
        subject=comm.subject or comm.body[:80],
        summary=comm.body[:2000],
        transaction_date=comm.sent_at,
    )
    comm.activity_reference = write.reference
    comm.save()
    audit_record(
        action="communication.sent",
        summary=f"{comm.get_channel_display()} to {comm.member_id}: "
        f"{comm.subject or comm.body[:60]}",
        actor=comm.sent_by,
        actor_name=None if comm.sent_by else "policy" if comm.auto else None,
        object_type="communication",
        object_id=comm.pk,
        member_id=comm.member_id,
        data={"key": comm.key, "purpose": comm.purpose, "outbox": write.reference},
    )
    return comm


class Suppressed(Exception):
    """The member opted out of the channel: the message is not handed over, now or later."""


def _lasting(exc: Exception) -> bool:
    """A refusal that another try would get again: the server said no to this message."""
    if isinstance(exc, Suppressed):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(60, 2 ** max(attempts - 1, 0)))


@transaction.atomic
def _refused(communication_id: int, exc: Exception) -> Communication:
    comm = Communication.objects.select_for_update().get(pk=communication_id)
    if comm.status != S.SENDING:  # another hand-off of it has been recorded meanwhile
        return comm
    comm.error = f"{type(exc).__name__}: {exc}"[:2000]
    if _lasting(exc) or comm.attempts >= MAX_ATTEMPTS:
        _transition(comm, S.FAILED)
        comm.next_attempt_at = None
        audit_record(
            action="communication.failed",
            summary=f"{comm.get_channel_display()} to {comm.member_id} not sent: "
            f"{comm.error[:200]}",
            actor_name="system",
            object_type="communication",
            object_id=comm.pk,
            member_id=comm.member_id,
            data={"key": comm.key, "attempts": comm.attempts},
        )
    else:
        _transition(comm, S.QUEUED)
        comm.next_attempt_at = timezone.now() + _backoff(comm.attempts)
    comm.save()
    return comm


def communications_deliver_due(*, now=None, limit: int = 200) -> dict:
    """The recovery: deliver every due message (see the module docstring); counts by status."""
    now = now or timezone.now()
    due = list(
        Communication.objects.filter(_due(now))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for communication_id in due:
        comm = communication_deliver(communication_id=communication_id, now=now)
        if comm is not None:
            counts[comm.status] = counts.get(comm.status, 0) + 1
    return counts
