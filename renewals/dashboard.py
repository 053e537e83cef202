"""The numbers behind the renewal dashboard: each function returns the rows a chart draws and
the table beside it shows. Live counts are a handful of aggregate queries; the cycle analysis
comes from the latest scoring run."""

import math
from datetime import date

from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import TruncMonth

from renewals.models import Band, ModelVersion, Outreach, RenewalScore, ScoringRun
from reviews.models import Communication, ReviewItem

APPROVED = ("approved", "edited", "executing", "done")


def latest_run() -> ScoringRun | None:
    return ScoringRun.objects.filter(status=ScoringRun.Status.SUCCEEDED).order_by("-id").first()


def upcoming_by_month(run: ScoringRun | None) -> list[dict]:
    """Members due to renew, by month of their renewal and band."""
    if run is None:
        return []
    rows = (
        RenewalScore.objects.filter(run=run)
        .annotate(month=TruncMonth("paid_thru"))
        .values("month", "band")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    months: dict[date, dict] = {}
    for row in rows:
        # The renewal is due the day after the paid-through date: month ends roll over.
        month = row["month"]
        entry = months.setdefault(
            month, {"month": month.strftime("%Y-%m"), "high": 0, "medium": 0, "low": 0}
        )
        entry[row["band"]] += row["n"]
    for entry in months.values():
        entry["total"] = entry["high"] + entry["medium"] + entry["low"]
    return list(months.values())


def _outcome_of(outcomes: dict, member_id: str, term: date) -> str:
    """The outcome of an outreach record's term as the latest scoring run labelled it (the
    renewal labels: what was paid, a cancelled or written-off renewal is a lapse); "pending"
    for a term that run did not know yet."""
    return outcomes.get(f"{member_id}|{term.isoformat()}", "pending")


def _stored_outcomes() -> dict:
    run = latest_run()
    return (run.analysis or {}).get("outreach_outcomes", {}) if run else {}


def lift_vs_holdout(*, today: date) -> dict:
    """Renewal rate of at-risk members offered outreach against the hold-out group, on terms
    whose outcome is known, with a 95% confidence interval for the difference."""
    outcomes = _stored_outcomes()
    groups = {}
    records = Outreach.objects.filter(
        group__in=[Outreach.Group.OUTREACH, Outreach.Group.HOLDOUT]
    ).values_list("term", "group", "member_id")
    for term, group, member_id in records:
        outcome = _outcome_of(outcomes, member_id, term)
        counts = groups.setdefault(group, {"renewed": 0, "lapsed": 0, "pending": 0})
        counts[outcome] += 1
    out = {}
    for name in (Outreach.Group.OUTREACH, Outreach.Group.HOLDOUT):
        c = groups.get(name, {"renewed": 0, "lapsed": 0, "pending": 0})
        decided = c["renewed"] + c["lapsed"]
        out[name] = {
            **c,
            "decided": decided,
            "rate": round(c["renewed"] / decided, 4) if decided else None,
        }
    treated, held = out[Outreach.Group.OUTREACH], out[Outreach.Group.HOLDOUT]
    lift = None
    if treated["rate"] is not None and held["rate"] is not None:
        diff = treated["rate"] - held["rate"]
        se = math.sqrt(
            treated["rate"] * (1 - treated["rate"]) / treated["decided"]
            + held["rate"] * (1 - held["rate"]) / held["decided"]
        )
        lift = {
            "difference": round(diff, 4),
            "low": round(diff - 1.96 * se, 4),
            "high": round(diff + 1.96 * se, 4),
        }
    return {"outreach": treated, "holdout": held, "lift": lift}


def funnel(*, today: date) -> list[dict]:
    """Outreach proposals → approved → sent → renewed (the personal outreach and reminders)."""
    base = Outreach.objects.filter(group=Outreach.Group.OUTREACH)
    sent = Communication.objects.filter(item_id=OuterRef("item_id"), status="sent")
    rows = base.annotate(was_sent=Exists(sent))
    outcomes = _stored_outcomes()
    counts = {"proposed": 0, "approved": 0, "sent": 0, "renewed": 0}
    for status, was_sent, member_id, term in rows.values_list(
        "item__status", "was_sent", "member_id", "term"
    ):
        counts["proposed"] += 1
        counts["approved"] += status in APPROVED
        counts["sent"] += was_sent
        counts["renewed"] += was_sent and _outcome_of(outcomes, member_id, term) == "renewed"
    return [
        {"stage": stage, "count": counts[stage]}
        for stage in ("proposed", "approved", "sent", "renewed")
    ]


def model_health(run: ScoringRun | None) -> dict:
    active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
    drift = list(
        ScoringRun.objects.filter(status=ScoringRun.Status.SUCCEEDED, drift_psi__isnull=False)
        .order_by("-id")
        .values("id", "as_of", "drift_psi", "model_version_id")[:30]
    )[::-1]
    for row in drift:
        row["as_of"] = row["as_of"].isoformat()
    return {
        "model": active,
        "calibration": (active.metrics.get("calibration", []) if active else []),
        "baseline_calibration": (active.baseline_metrics.get("calibration", []) if active else []),
        "drift": drift,
        "latest_psi": run.drift_psi if run else None,
        "distribution": {
            "reference": active.score_histogram if active else [],
            "latest": run.histogram if run else [],
        },
    }


def top_at_risk(run: ScoringRun | None, *, limit: int = 10):
    if run is None:
        return []
    outreach = ReviewItem.objects.filter(
        renewal_outreach__member_id=OuterRef("member_id"),
        renewal_outreach__term=OuterRef("paid_thru"),
    ).values("pk")[:1]
    return (
        RenewalScore.objects.filter(run=run, band=Band.HIGH)
        .annotate(item_id=outreach)
        .order_by("-probability", "id")[:limit]
    )
