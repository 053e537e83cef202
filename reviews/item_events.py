"""The rows every change of a review item writes: its state move, its audit event, and the
AI_Audit_Log record of it in iMIS (through the outbox). Shared by proposing, deciding and
carrying out, so that each writes them the same way."""

from django.utils import timezone

from common.audit import audit_event, audit_record_many
from common.states import transition
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue_many
from reviews.models import ReviewItem


def item_transition(item: ReviewItem, to: str) -> None:
    transition(item, to, subject=f"Item #{item.pk}")


def item_audit_event(item: ReviewItem, action: str, summary: str, *, actor=None, **data):
    return audit_event(
        action=f"review.{action}",
        summary=f"#{item.pk} {item.title}: {summary}",
        actor=actor,
        actor_name=None if actor else ("policy" if item.decided_by_policy else None),
        object_type="review_item",
        object_id=item.pk,
        member_id=item.member_id,
        data={"kind": item.kind, **data},
    )


def item_audit(item: ReviewItem, action: str, summary: str, *, actor=None, **data) -> None:
    audit_record_many([item_audit_event(item, action, summary, actor=actor, **data)])


def actor_name(item: ReviewItem, user=None) -> str:
    if user is not None:
        return user.get_username()
    if item.decided_by_policy:
        return "policy"
    return item.decided_by.get_username() if item.decided_by else "system"


def record_in_imis(item: ReviewItem, action: str, summary: str, *, user=None) -> None:
    """Effects are also recorded in iMIS's AI_Audit_Log, through the outbox (CONTRACT.md)."""
    outbox_enqueue_many([imis_record(item, action, summary, user=user)])


def imis_record(item: ReviewItem, action: str, summary: str, *, user=None) -> tuple:
    """The AI_Audit_Log write of an item's event, for ``outbox_enqueue_many``."""
    return (
        writes.audit_log,
        f"review item {item.pk}",
        {
            "action": f"{item.kind}:{action}",
            "actor": actor_name(item, user),
            "review_item_id": str(item.pk),
            "summary": summary,
            "created_on": timezone.now(),
            "party_id": item.member_id,
        },
    )
