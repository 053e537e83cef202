"""Decisions on a payment: one click on the payment page, a payment flagged as not ours, and
payments whose proposal came back rejected, expired, stale or failed, waiting for a person."""

from decimal import Decimal

from django.db import transaction

from common.errors import DomainError
from common.money import ZERO
from dues.kinds import KIND, Allocation, PaymentApplication
from dues.models import MatchLabel, Payment
from dues.services.filing import file_item
from dues.services.labels import label_record
from dues.services.shared import R, S, payment_audit, payment_lock, payment_transition
from reviews import services as reviews
from reviews.models import ReviewItem


@transaction.atomic
def payment_decide(
    *,
    payment_id: int,
    user,
    action: str,
    candidate_rank: int | None = None,
    member_id: str = "",
    payer_id: str = "",
    allocations: list[tuple[str, Decimal]] | None = None,
) -> Payment:
    """One click on the payment page: apply to a candidate, split, keep as credit, not ours.

    Accepting the proposal carries it out at once, so the person sees the payment on hold (or
    the conflict). Any other choice is the person's own proposal (an edit of the item, or a new
    item where none is pending): it waits for someone else to approve it.
    """
    payment = payment_lock(payment_id)
    if payment.status not in Payment.OPEN:
        raise DomainError(
            f"Payment #{payment.pk} is {payment.get_status_display().lower()}; there is nothing "
            "to decide.",
            code="not_open",
        )
    if action == "candidate":
        candidate = payment.candidates.filter(rank=candidate_rank or 0).first()
        if candidate is None:
            raise DomainError(f"Payment #{payment.pk} has no candidate #{candidate_rank}.")
        application = PaymentApplication.for_candidate(payment, candidate)
    elif action in ("split", "credit"):
        parts = tuple(Allocation(invoice, amount) for invoice, amount in allocations or [])
        application = PaymentApplication(
            payment_id=payment.pk,
            action="apply" if action == "split" else "credit",
            member_id=member_id,
            payer_id=payer_id or member_id,
            allocations=parts if action == "split" else (),
            credit=payment.available - sum((a.amount for a in parts), ZERO)
            if action == "split"
            else payment.available,
        )
    elif action == "not_ours":
        application = PaymentApplication.not_ours(payment.pk)
    else:
        raise DomainError(f"Unknown action {action!r}: candidate, split, credit or not_ours.")
    item = payment.review_item
    if item is None or item.status != R.PENDING:
        # The person's own choice is their proposal: someone else approves it (four eyes).
        item = file_item(
            payment,
            application,
            proposed_by=user,
            confidence=None,
            job="dues.cash_application",
            summary=f"Chosen by {user.get_username()} on the payment page.",
        )
        if payment.status in (S.RECEIVED, S.UNMATCHED):
            payment_transition(payment, S.PROPOSED)
        payment.save()
        return payment
    if not (item.kind == KIND and PaymentApplication.from_payload(item.payload) == application):
        # Another choice than the proposal's is an edit; the editor cannot also approve it.
        reviews.review_item_decide(
            item_id=item.pk, user=user, decision="edit", payload=application.to_payload()
        )
        return payment
    reviews.review_item_decide(
        item_id=item.pk,
        user=user,
        decision="accept",
        enqueue=False,  # carried out below, before the person sees the page
    )
    done = reviews.review_item_execute(item_id=item.pk)
    if done.status != R.DONE:
        # Roll the decision back too: the person chooses again with nothing half-done.
        reason = done.effect_error.partition(": ")[2] or done.stale_reason or done.effect_error
        raise DomainError(reason or f"Item #{item.pk} could not be carried out.", code="conflict")
    payment.refresh_from_db()
    return payment


@transaction.atomic
def payment_flag_not_ours(
    *, payment_id: int, item: ReviewItem | None = None, actor=None
) -> Payment:
    """Mark a payment as not for us: it waits for its refund and is never applied."""
    actor = actor or (item.decided_by if item else None)
    payment = payment_lock(payment_id)
    payment_transition(payment, S.NOT_OURS)
    payment.attention = "Refund it to the payer (or record the refund here once made)."
    payment.save()
    if item is not None:
        label_record(payment, item, MatchLabel.Outcome.NOT_OURS, actor=actor)
    payment_audit(payment, "payment_not_ours", "flagged as not ours; refund due", actor=actor)
    return payment


def payments_review_sync() -> int:
    """Payments whose proposal was rejected, expired or went stale wait for a person again.

    A rejection is a label: the matcher's top candidate was wrong.
    """
    moved = 0
    ids = Payment.objects.filter(
        status__in=[S.PROPOSED, S.UNMATCHED],
        review_item__status__in=[R.REJECTED, R.EXPIRED, R.STALE, R.FAILED],
        attention="",
    ).values_list("pk", flat=True)
    for payment_id in list(ids[:1000]):
        with transaction.atomic():
            payment = (
                Payment.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=payment_id)
                .select_related("review_item")
                .first()
            )
            if payment is None or payment.review_item is None:
                continue
            item = payment.review_item
            if item.status == R.REJECTED:
                label_record(payment, item, MatchLabel.Outcome.REJECTED, actor=item.decided_by)
                why = f"proposal #{item.pk} was rejected ({item.get_reject_reason_display()})"
            elif item.status == R.FAILED:
                error = item.effect_error.partition(": ")[2] or item.effect_error
                why = f"proposal #{item.pk} could not be carried out ({error})"
            elif item.status == R.STALE:
                why = f"proposal #{item.pk} went stale ({item.stale_reason})"
            else:
                why = f"proposal #{item.pk} expired undecided"
            payment_transition(payment, S.UNMATCHED)
            payment.attention = f"The {why}; choose what this payment pays."[:300]
            payment.save()
            payment_audit(payment, "payment_unmatched", why)
            moved += 1
    return moved
