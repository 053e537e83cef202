"""Sending a message to a member from an approved effect: once, recorded, and logged in iMIS.

Effects call ``communication_send`` inside their transaction. The row is keyed by the effect's
idempotency key, so an effect that runs twice finds the message already sent and sends nothing.
The message is handed to the mail (or SMS) backend before the transaction commits: if the
backend refuses, the effect fails and nothing is recorded, so a retry is safe. The Message-ID is
derived from the key, so the rare resend after a crash between hand-off and commit is recognisable
downstream as the same message.
"""

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from common.audit import audit_record
from common.errors import DomainError
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue
from reviews.models import Communication

SMS_MAX_CHARS = 640  # four concatenated segments; drafting keeps messages well under it


def _message_id(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<{digest}@{domain}>"


class FileSmsBackend:
    """Appends each SMS as one JSON line to SMS_FILE_PATH: the demo's and tests' SMS sink.

    A real provider is another class with the same ``send(to, body, key)`` method, named by
    SMS_BACKEND.
    """

    def send(self, *, to: str, body: str, key: str) -> str:
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {"to": to, "body": body, "key": key, "at": timezone.now().isoformat()}
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
        return key


def _deliver(comm: Communication) -> str:
    if comm.channel == Communication.Channel.SMS:
        backend = import_string(settings.SMS_BACKEND)()
        return backend.send(to=comm.to_address, body=comm.body, key=comm.key)
    message_id = _message_id(comm.key)
    EmailMessage(
        subject=comm.subject,
        body=comm.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[comm.to_address],
        headers={"Message-ID": message_id, "X-DuesDesk-Key": comm.key},
    ).send(fail_silently=False)
    return message_id


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
    """Send one message to a member, at most once per key; log it locally and in iMIS."""
    existing = Communication.objects.select_for_update().filter(key=key).first()
    if existing is not None and existing.status == Communication.Status.SENT:
        return existing
    if channel not in Communication.Channel.values:
        raise DomainError(f"Unknown channel {channel!r}: email or sms.")
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
    comm = existing or Communication(key=key)
    comm.member_id, comm.to_address, comm.channel = member_id, to_address, channel
    comm.subject, comm.body, comm.purpose = subject[:250], body, purpose[:40]
    comm.item, comm.sent_by, comm.auto = item, actor, auto
    comm.full_clean()
    comm.save()
    comm.message_id = _deliver(comm)[:250]  # raises: the effect fails, nothing is kept
    activity_type = (
        settings.IMIS_ACTIVITY_TYPE_SMS
        if channel == Communication.Channel.SMS
        else settings.IMIS_ACTIVITY_TYPE_EMAIL
    )
    write = outbox_enqueue(
        build=writes.activity,
        source=f"communication {key}",
        party_id=member_id,
        activity_type=activity_type,
        subject=subject or body[:80],
        summary=body[:2000],
        transaction_date=timezone.now(),
    )
    comm.status, comm.sent_at, comm.error = Communication.Status.SENT, timezone.now(), ""
    comm.activity_reference = write.reference
    comm.save()
    audit_record(
        action="communication.sent",
        summary=f"{comm.get_channel_display()} to {member_id}: {subject or body[:60]}",
        actor=actor,
        actor_name=None if actor else "policy" if auto else None,
        object_type="communication",
        object_id=comm.pk,
        member_id=member_id,
        data={"key": key, "purpose": purpose, "outbox": write.reference},
    )
    return comm
