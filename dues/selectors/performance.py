"""The Matching performance page: per confidence band, payments matched, auto-applied, and how
often the top candidate was right."""

from decimal import Decimal
from typing import Any

from django.db.models import Count

from dues.models import MatchLabel, Payment

S = Payment.Status


BANDS = (
    (Decimal("0"), Decimal("0.5")),
    (Decimal("0.5"), Decimal("0.8")),
    (Decimal("0.8"), Decimal("0.9")),
    (Decimal("0.9"), Decimal("0.95")),
    (Decimal("0.95"), Decimal("0.98")),
    (Decimal("0.98"), Decimal("0.99")),
    (Decimal("0.99"), Decimal("1.001")),
)


def band_of(confidence: Decimal) -> int:
    for index, (low, high) in enumerate(BANDS):
        if low <= confidence < high:
            return index
    return len(BANDS) - 1


def matching_performance() -> dict:
    """Per confidence band: payments matched, auto-applied, labelled by people (or policy and
    left standing), and how often the top candidate was right (precision)."""
    latest: dict[int, dict[str, Any]] = {}
    auto: set[int] = set()
    for label in MatchLabel.objects.order_by("payment_id", "id").values(
        "payment_id", "top_correct", "by_policy", "outcome"
    ):
        latest[label["payment_id"]] = dict(label)
        if label["by_policy"]:
            auto.add(label["payment_id"])
    rows: list[dict[str, Any]] = [
        {
            "band": f"{int(low * 100)} to {min(int(high * 100), 100)} %",
            "low": low,
            "high": high,
            "payments": 0,
            "auto": 0,
            "labelled": 0,
            "correct": 0,
        }
        for low, high in BANDS
    ]
    for pk, confidence in Payment.objects.filter(top_confidence__isnull=False).values_list(
        "pk", "top_confidence"
    ):
        row = rows[band_of(Decimal(confidence or 0))]
        row["payments"] += 1
        row["auto"] += pk in auto
        labelled = latest.get(pk)
        if labelled is not None:
            row["labelled"] += 1
            row["correct"] += labelled["top_correct"]
    for row in rows:
        row["precision"] = round(row["correct"] / row["labelled"], 4) if row["labelled"] else None
        row["auto_rate"] = round(row["auto"] / row["payments"], 4) if row["payments"] else None
        row["precision_pct"] = _pct(row["precision"])
        row["auto_pct"] = _pct(row["auto_rate"])
    labelled = sum(r["labelled"] for r in rows)
    totals: dict[str, Any] = {
        "payments": sum(r["payments"] for r in rows),
        "auto": sum(r["auto"] for r in rows),
        "labelled": labelled,
        "correct": sum(r["correct"] for r in rows),
        "unmatched": Payment.objects.filter(top_confidence__isnull=True)
        .exclude(status=S.RECEIVED)
        .count(),
    }
    totals["precision"] = round(totals["correct"] / labelled, 4) if labelled else None
    totals["auto_rate"] = (
        round(totals["auto"] / totals["payments"], 4) if totals["payments"] else None
    )
    totals["precision_pct"], totals["auto_pct"] = (
        _pct(totals["precision"]),
        _pct(totals["auto_rate"]),
    )
    labels = dict(MatchLabel.Outcome.choices)
    outcomes = [
        (labels.get(outcome, outcome), n)
        for outcome, n in MatchLabel.objects.values_list("outcome")
        .annotate(n=Count("id"))
        .order_by("-n", "outcome")
    ]
    return {"bands": rows, "totals": totals, "outcomes": outcomes}


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f} %"
