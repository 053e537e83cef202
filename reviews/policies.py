"""How each kind of review item is handled, per segment: Observe, Assist or Auto, with the
limits an Auto policy keeps to. Managers set them; every change is audited."""

from decimal import Decimal

from django.db import transaction

from common.audit import audit_record
from common.errors import DomainError
from reviews.drafting import hooks as draft_hooks
from reviews.kinds import get_kind
from reviews.models import ReviewItem, ReviewPolicy


def policy_for(kind: str, segment: str = "") -> ReviewPolicy | None:
    policies = {
        p.segment: p for p in ReviewPolicy.objects.filter(kind=kind, segment__in=[segment, ""])
    }
    return policies.get(segment) or policies.get("")


def within_auto_limits(policy: ReviewPolicy, item: ReviewItem) -> bool:
    if item.needs_manager or draft_hooks.blocking(item.payload):
        return False
    if policy.min_confidence is not None and (item.confidence or 0) < policy.min_confidence:
        return False
    return not (
        policy.max_amount is not None
        and item.amount is not None
        and item.amount > policy.max_amount
    )


@transaction.atomic
def review_policy_set(
    *,
    user,
    kind: str,
    segment: str = "",
    mode: str,
    min_confidence: Decimal | None = None,
    max_amount: Decimal | None = None,
) -> ReviewPolicy:
    """Set how a kind is handled for a segment; the change itself is audited."""
    spec = get_kind(kind)
    if mode not in ReviewPolicy.Mode.values:
        raise DomainError(f"Unknown mode {mode!r}: observe, assist or auto.")
    if mode == ReviewPolicy.Mode.AUTO and min_confidence is None:
        raise DomainError("An Auto policy needs a minimum confidence; set one between 0 and 1.")
    if min_confidence is not None and not (Decimal(0) <= min_confidence <= Decimal(1)):
        raise DomainError("Minimum confidence must be between 0 and 1 (e.g. 0.95).")
    if max_amount is not None and max_amount < 0:
        raise DomainError("The amount limit cannot be negative.")
    policy, created = ReviewPolicy.objects.select_for_update().get_or_create(
        kind=kind, segment=segment, defaults={"mode": mode}
    )
    before = (
        {}
        if created
        else {
            "mode": policy.mode,
            "min_confidence": policy.min_confidence,
            "max_amount": policy.max_amount,
        }
    )
    policy.mode, policy.min_confidence, policy.max_amount = mode, min_confidence, max_amount
    policy.updated_by = user
    policy.full_clean()
    policy.save()
    after = {"mode": mode, "min_confidence": min_confidence, "max_amount": max_amount}
    audit_record(
        action="review.policy_changed",
        summary=f"{spec.label} for {segment or 'every member'}: {policy.get_mode_display()}",
        actor=user,
        object_type="review_policy",
        object_id=policy.pk,
        data={"kind": kind, "segment": segment, "before": before, "after": after},
    )
    return policy
