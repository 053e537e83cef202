"""What every step of cash application does to a payment: lock its row, move its status,
write its audit event, and end its review item from this side."""

from common.audit import audit_event, audit_record_many
from common.errors import DomainError
from common.states import transition
from dues.models import Payment
from reviews import services as reviews
from reviews.models import ReviewItem

S = Payment.Status
R = ReviewItem.Status


def payment_event(payment: Payment, action: str, summary: str, *, actor=None, **data):
    return audit_event(
        action=f"dues.{action}",
        summary=f"Payment #{payment.pk}: {summary}",
        actor=actor,
        actor_name=None if actor else "system",
        object_type="payment",
        object_id=payment.pk,
        member_id=payment.member_id,
        data=data,
    )


def payment_audit(payment: Payment, action: str, summary: str, *, actor=None, **data) -> None:
    audit_record_many([payment_event(payment, action, summary, actor=actor, **data)])


def payment_transition(payment: Payment, to: str) -> None:
    transition(payment, to, subject=f"Payment #{payment.pk}")


def payment_lock(payment_id: int) -> Payment:
    try:
        return Payment.objects.select_for_update().get(pk=payment_id)
    except Payment.DoesNotExist:
        raise DomainError(f"Payment #{payment_id} does not exist.", code="not_found") from None


def close_item(item: ReviewItem | None, to: str, reason: str, actor=None) -> None:
    """End a payment's review item from this side (an undo, a refund, a re-match)."""
    if item is not None:
        reviews.review_item_close(item_id=item.pk, to=to, reason=reason, actor=actor)
