"""Consent: a member's opt-out of a channel (an unsubscribe link, an SMS STOP, or staff), kept per
member and channel, audited, noted in iMIS, and honoured by every sender in the product (the
communications send path asks ``send_refusal`` through ``reviews.communications.send_refusals``)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from dues.models import ContactOptOut
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue

CHANNEL_WORDS = {"email": "email", "sms": "text messages (SMS)"}


def _note(*, party_id: str, text: str, source: str) -> str:
    write = outbox_enqueue(
        build=writes.party_note, source=source, party_id=party_id, text=text, purpose="AI"
    )
    return write.reference


@transaction.atomic
def opt_out_record(
    *, party_id: str, channel: str, source: str, note: str = "", by=None
) -> ContactOptOut:
    """The member no longer receives ``channel``. Recording it again changes nothing."""
    party_id = str(party_id or "").strip()
    if not party_id:
        raise DomainError("Name the member who opted out.")
    if channel not in ContactOptOut.Channel.values:
        raise DomainError(f"Unknown channel {channel!r}: email or sms.")
    if source not in ContactOptOut.Source.values:
        raise DomainError(f"Unknown source {source!r}: link, sms_stop or staff.")
    current = ContactOptOut.objects.filter(
        party_id=party_id, channel=channel, withdrawn_at__isnull=True
    ).first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            row = ContactOptOut.objects.create(
                party_id=party_id,
                channel=channel,
                source=source,
                note=note[:300],
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
    except IntegrityError:  # recorded at the same moment by another request (a double click)
        return ContactOptOut.objects.get(
            party_id=party_id, channel=channel, withdrawn_at__isnull=True
        )
    label = ContactOptOut.Source(source).label
    reference = _note(
        party_id=party_id,
        text=f"Opted out of {CHANNEL_WORDS[channel]} ({label}).",
        source=f"opt-out {row.pk}",
    )
    audit_record(
        action="consent.opted_out",
        summary=f"{party_id} opted out of {CHANNEL_WORDS[channel]} ({label})",
        actor=by,
        actor_name=None if by is not None else f"member {party_id}",
        object_type="contact_opt_out",
        object_id=row.pk,
        member_id=party_id,
        data={"channel": channel, "source": source, "outbox": reference},
    )
    return row


@transaction.atomic
def opt_out_withdraw(*, party_id: str, channel: str, source: str, by=None) -> int:
    """The member receives ``channel`` again (an SMS START, or staff at the member's request)."""
    rows = list(
        ContactOptOut.objects.select_for_update().filter(
            party_id=party_id, channel=channel, withdrawn_at__isnull=True
        )
    )
    for row in rows:
        row.withdrawn_at = timezone.now()
        row.save(update_fields=["withdrawn_at"])
        reference = _note(
            party_id=party_id,
            text=f"Opted in again to {CHANNEL_WORDS[channel]} ({source}).",
            source=f"opt-in {row.pk}",
        )
        audit_record(
            action="consent.opted_in",
            summary=f"{party_id} receives {CHANNEL_WORDS[channel]} again ({source})",
            actor=by,
            actor_name=None if by is not None else f"member {party_id}",
            object_type="contact_opt_out",
            object_id=row.pk,
            member_id=party_id,
            data={"channel": channel, "source": source, "outbox": reference},
        )
    return len(rows)


def opted_out(party_ids, channel: str) -> set[str]:
    """Which of these members have opted out of ``channel`` now."""
    return set(
        ContactOptOut.objects.filter(
            party_id__in=list(party_ids), channel=channel, withdrawn_at__isnull=True
        ).values_list("party_id", flat=True)
    )


def send_refusal(member_id: str, channel: str, purpose: str) -> str | None:
    """Why a message to this member on this channel must not go, or None. Every purpose honours
    it: a dues reminder is transactional, yet an SMS STOP still stops it."""
    if member_id and opted_out([member_id], channel):
        return f"member {member_id} opted out of {CHANNEL_WORDS.get(channel, channel)}"
    return None


def opt_outs_for(party_id: str) -> list[ContactOptOut]:
    return list(ContactOptOut.objects.filter(party_id=party_id).order_by("-created_at"))
