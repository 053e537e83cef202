"""Reads of the review queues: what a person may see, filtered and counted."""

from django.db.models import Count, QuerySet

from reviews.models import ReviewItem
from reviews.permissions import QUEUE_PERMISSION


def queues_for(user) -> list[str]:
    """The queues this person may decide, and so see."""
    return [queue for queue, perm in QUEUE_PERMISSION.items() if user.has_perm(perm)]


def review_items_for(user, *, status: str | None = "pending", kind: str = "") -> QuerySet:
    """Items in the person's queues only: other queues' items never leak into a list."""
    queryset = ReviewItem.objects.filter(queue__in=queues_for(user)).select_related(
        "proposed_by", "decided_by", "assignee"
    )
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def counts_by_kind(user) -> dict[str, int]:
    rows = review_items_for(user).values("kind").annotate(n=Count("id")).order_by("kind")
    return {row["kind"]: row["n"] for row in rows}
