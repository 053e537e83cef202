"""A review-item kind used by the tests: a note to iMIS, with a threshold and a re-check."""

from decimal import Decimal

from common.errors import DomainError
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue
from reviews.communications import communication_send
from reviews.kinds import ReviewKind, register_kind

STALE_MEMBERS: set[str] = set()


def _validate(payload: dict) -> dict:
    text = str(payload.get("text", "")).strip()
    if not text:
        raise DomainError("The note needs some text.")
    return {"text": text}


def _effect(item) -> dict:
    write = outbox_enqueue(
        build=writes.party_note,
        party_id=item.member_id or "10001",
        text=item.payload["text"],
        source=f"review item {item.pk}",
    )
    return {"outbox": write.reference}


def _recheck(item) -> str | None:
    if item.member_id in STALE_MEMBERS:
        return f"member {item.member_id} already renewed"
    return None


NOTE = register_kind(
    ReviewKind(
        name="tests.note",
        label="Test note",
        queue="finance",
        validate=_validate,
        effect=_effect,
        recheck=_recheck,
        threshold=Decimal("100.00"),
    )
)


def _validate_email(payload: dict) -> dict:
    cleaned = {k: str(payload.get(k, "")).strip() for k in ("to", "subject", "body")}
    if not cleaned["body"]:
        raise DomainError("The email needs a body.")
    return cleaned


def _effect_email(item) -> dict:
    comm = communication_send(
        key=f"review-{item.pk}-{item.effect_key}",
        member_id=item.member_id,
        to_address=item.payload["to"],
        subject=item.payload["subject"],
        body=item.payload["body"],
        purpose="test",
        item=item,
        actor=item.decided_by,
        auto=item.decided_by_policy,
    )
    return {"communication": comm.pk}


def _reverse_email(item) -> dict:
    # A sent email cannot be unsent; the reversal files a correction note in iMIS instead.
    write = outbox_enqueue(
        build=writes.party_note,
        party_id=item.member_id,
        text=f"Email of review item {item.pk} withdrawn",
        source=f"review item {item.pk}",
    )
    return {"outbox": write.reference}


EMAIL = register_kind(
    ReviewKind(
        name="tests.email",
        label="Test email",
        queue="membership",
        validate=_validate_email,
        effect=_effect_email,
        reverse=_reverse_email,
    )
)
