"""The manager's matching rules (``MatchingPolicy``): read by every matching run, changed with an
audit event."""

from django.db import transaction

from common.audit import audit_record
from common.errors import DomainError
from dues.models import MatchingPolicy


def matching_policy() -> MatchingPolicy:
    """The rules in force (the defaults until a manager saves some)."""
    return MatchingPolicy.objects.order_by("id").first() or MatchingPolicy()


@transaction.atomic
def matching_policy_set(*, user, tie_rule: str) -> MatchingPolicy:
    """Choose what matching does when several open invoices of a payer equal the amount."""
    if tie_rule not in MatchingPolicy.TieRule.values:
        raise DomainError(
            f"Unknown rule {tie_rule!r}: choose propose, oldest or current.", code="tie_rule"
        )
    policy = MatchingPolicy.objects.select_for_update().order_by("id").first()
    before = policy.tie_rule if policy else MatchingPolicy.TieRule.PROPOSE
    policy = policy or MatchingPolicy()
    policy.tie_rule, policy.updated_by = tie_rule, user
    policy.full_clean()
    policy.save()
    audit_record(
        action="dues.matching_policy_changed",
        summary=f"Several open invoices of the amount: {policy.get_tie_rule_display()}",
        actor=user,
        object_type="matching_policy",
        object_id=policy.pk,
        data={"before": {"tie_rule": before}, "after": {"tie_rule": tie_rule}},
    )
    return policy
