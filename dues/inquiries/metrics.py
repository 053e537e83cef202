"""The inquiries section of the review metrics page: answered without a staff edit, median time
to answer, escalations by reason, and inquiries received and answered per week (a chart)."""

import statistics
from datetime import timedelta

from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.utils import timezone

from dues.models import Inquiry
from reviews.metric_panels import MetricPanel, register_metric_panel

DAYS = 90


def inquiry_metrics(*, now=None) -> dict:
    since = (now or timezone.now()) - timedelta(days=DAYS)
    recent = Inquiry.objects.filter(received_at__gte=since)
    answered = list(
        recent.filter(answered_at__isnull=False).values_list(
            "received_at", "answered_at", "answered_without_edit"
        )
    )
    hours = [(a - r).total_seconds() / 3600 for r, a, _ in answered]
    unedited = sum(1 for *_, clean in answered if clean)
    labels = dict(Inquiry.Escalation.choices)
    escalations = [
        {"reason": labels[row["escalation"]], "code": row["escalation"], "count": row["n"]}
        for row in recent.exclude(escalation="")
        .values("escalation")
        .annotate(n=Count("id"))
        .order_by("-n", "escalation")
    ]
    weeks: dict[str, dict[str, int]] = {"received": {}, "answered": {}}
    for key, field in (("received", "received_at"), ("answered", "answered_at")):
        rows = (
            recent.filter(**{f"{field}__isnull": False})
            .annotate(week=TruncWeek(field))
            .values("week")
            .annotate(n=Count("id"))
        )
        weeks[key] = {row["week"].date().isoformat(): row["n"] for row in rows}
    return {
        "days": DAYS,
        "received": recent.count(),
        "answered": len(answered),
        "answered_without_edit": unedited,
        "share_without_edit": round(unedited / len(answered), 4) if answered else None,
        "median_hours_to_answer": round(statistics.median(hours), 1) if hours else None,
        "escalations": escalations,
        "weeks": weeks,
    }


register_metric_panel(
    MetricPanel(
        name="inquiries",
        template="dues/inquiries/partials/_metrics.html",
        context=inquiry_metrics,
        script="js/inquiry-metrics.js",
    )
)
