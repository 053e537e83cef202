"""A review-item kind used by the tests: a note to iMIS, with a threshold and a re-check."""

from decimal import Decimal

from common.errors import DomainError
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue
from reviews.kinds import ReviewKind, register_kind

STALE_MEMBERS: set[str] = set()


def _validate(payload: dict) -> dict:
    text = str(payload.get("text", "")).strip()
    if not text:
        raise DomainError("The note needs some text.")
    return {"text": text}


def _effect(item) -> dict:
    write = outbox_enqueue(
        build=writes.party_note, party_id=item.member_id or "10001",
        text=item.payload["text"], source=f"review item {item.pk}",
    )  # fmt: skip
    return {"outbox": write.reference}


def _recheck(item) -> str | None:
    if item.member_id in STALE_MEMBERS:
        return f"member {item.member_id} already renewed"
    return None


NOTE = register_kind(
    ReviewKind(
        name="tests.note", label="Test note", queue="finance", validate=_validate,
        effect=_effect, recheck=_recheck, threshold=Decimal("100.00"),
    )
)  # fmt: skip
