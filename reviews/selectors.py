"""Reads of the review queues: what a person may see, filtered and counted."""

from datetime import timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

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


def review_metrics(*, days: int = 90) -> list[dict]:
    """Per kind, over the last ``days``: volumes, time to decision, edit, rejection, escalation
    and automation rates, and the rejection reasons. One query; medians computed by Postgres."""
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT kind,
                   count(*) AS proposed,
                   count(*) FILTER (WHERE status = 'pending') AS pending,
                   count(decided_at) AS decided,
                   count(*) FILTER (WHERE decided_by_policy) AS auto,
                   count(*) FILTER (WHERE status = 'edited'
                                    OR (status IN ('executing','done','failed')
                                        AND edit_diff <> '{}'::jsonb)) AS edited,
                   count(*) FILTER (WHERE status = 'rejected') AS rejected,
                   count(*) FILTER (WHERE needs_manager) AS escalated,
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM decided_at - created_at))
                       FILTER (WHERE decided_at IS NOT NULL AND NOT decided_by_policy)
                       AS median_seconds
            FROM reviews_reviewitem
            WHERE created_at >= now() - make_interval(days => %s)
            GROUP BY kind ORDER BY kind
            """,
            [days],
        )
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    reasons: dict[str, dict] = {}
    for kind, reason, n in (
        ReviewItem.objects.filter(status=ReviewItem.Status.REJECTED)
        .values_list("kind", "reject_reason")
        .annotate(n=Count("id"))
    ):
        reasons.setdefault(kind, {})[reason] = n
    baseline = settings.REVIEW_BASELINE_MINUTES
    for row in rows:
        decided = row["decided"] or 0
        row["edit_rate"] = round(row["edited"] / decided, 3) if decided else None
        row["rejection_rate"] = round(row["rejected"] / decided, 3) if decided else None
        row["escalation_rate"] = round(row["escalated"] / row["proposed"], 3)
        row["auto_rate"] = round(row["auto"] / decided, 3) if decided else None
        row["median_minutes_to_decision"] = (
            round(row.pop("median_seconds") / 60, 1) if row.get("median_seconds") else None
        )
        row.pop("median_seconds", None)
        row["staff_minutes_saved_estimate"] = row["auto"] * baseline
        row["rejection_reasons"] = reasons.get(row["kind"], {})
    return rows


def decisions_by_day(*, days: int = 30) -> dict:
    """Counts per day and outcome, for the metrics chart."""
    from datetime import timedelta

    from django.db.models.functions import TruncDate
    from django.utils import timezone

    since = timezone.now() - timedelta(days=days)
    rows = (
        ReviewItem.objects.filter(decided_at__gte=since)
        .annotate(day=TruncDate("decided_at"))
        .values("day", "status")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    series: dict[str, dict[str, int]] = {}
    for row in rows:
        series.setdefault(row["status"], {})[row["day"].isoformat()] = row["n"]
    return series


def manager_attention(user) -> dict:
    """Items waiting for a manager, and items past their due time, across queues."""
    from django.utils import timezone

    pending = ReviewItem.objects.filter(status=ReviewItem.Status.PENDING)
    return {
        "needs_manager": pending.filter(needs_manager=True).order_by("-priority", "id")[:200],
        "overdue": pending.filter(due_by__lt=timezone.now()).order_by("due_by")[:200],
    }


# An approved item's effect is queued with its decision and normally runs within seconds.
EFFECT_GRACE = timedelta(minutes=2)


def review_items_awaiting_effect(*, now=None, limit: int = 500) -> list[int]:
    """Approved items whose effect has not run well after their decision: their task was lost
    (a worker killed mid-task, a task that failed on a database restart and was acknowledged)."""
    cutoff = (now or timezone.now()) - EFFECT_GRACE
    due = ReviewItem.objects.filter(
        status__in=(ReviewItem.Status.APPROVED, ReviewItem.Status.EDITED), decided_at__lt=cutoff
    )
    return list(due.order_by("decided_at", "id").values_list("pk", flat=True)[:limit])
