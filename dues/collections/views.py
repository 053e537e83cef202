"""The receivables page: aging by segment, DSO by month, expected collections and the invoice
drill-down with risk, next step and pause. Finance and managers (view_receivables)."""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.cache import cache
from django.utils import timezone
from django.views import View

from common.htmx import render_page_or_partial
from dues.collections import permissions, receivables, selectors
from dues.collections.receivables import BUCKETS, SEGMENTS
from dues.models import LatePaymentModel, RiskBand

DSO_MONTHS = 12
DSO_CACHE_SECONDS = 600


def dso_cached(as_of) -> list[dict]:
    """DSO reads the whole mirror; pages and the API reuse it for ten minutes."""
    key = f"dues.collections.dso:{as_of.isoformat()}:{DSO_MONTHS}"
    found = cache.get(key)
    if found is None:
        found = receivables.receivables_dso_by_month(months=DSO_MONTHS, as_of=as_of)
        cache.set(key, found, DSO_CACHE_SECONDS)
    return found


def _chart(aging: dict, dso: list[dict]) -> dict:
    """Numbers for Chart.js: aging stacked by segment (the six largest, then the rest), DSO."""
    keys = [k for k, _ in BUCKETS]
    series = []
    segments = aging["segments"]
    for seg in segments[:6]:
        series.append({"label": seg["segment"], "data": [str(seg["buckets"][k]) for k in keys]})
    rest = segments[6:]
    if rest:
        series.append(
            {
                "label": "Other",
                "data": [str(sum((s["buckets"][k] for s in rest), 0)) for k in keys],
            }
        )
    if not segments:
        series.append({"label": "All", "data": [str(aging["total"][k]) for k in keys]})
    return {
        "buckets": [label for _, label in BUCKETS],
        "series": series,
        "dso": {
            "months": [row["month"] for row in dso],
            "days": [None if row["dso"] is None else str(row["dso"]) for row in dso],
        },
    }


class ReceivablesView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_RECEIVABLES
    raise_exception = True

    def get(self, request):
        as_of = timezone.localdate()
        filters = selectors.DrillFilters.from_query(request.GET)
        segment = request.GET.get("segment") or "member_type"
        problems = list(filters.problems)
        if segment not in SEGMENTS:
            problems.append(f"“{segment}” is not a segment; showing member types.")
            segment = "member_type"
        table = selectors.receivable_invoices(filters, as_of=as_of)
        context = {"filters": filters, "table": table, "problems": problems, "as_of": as_of}
        if not getattr(request, "htmx", False):
            aging = receivables.receivables_aging(as_of=as_of, segment=segment)
            dso = dso_cached(as_of)
            context.update(
                aging=aging,
                aging_rows=[
                    {
                        "segment": s["segment"],
                        "count": s["count"],
                        "cells": [s["buckets"][k] for k, _ in BUCKETS],
                        "total": s["total"],
                    }
                    for s in aging["segments"]
                ],
                aging_total=[aging["total"][k] for k, _ in BUCKETS],
                dso=dso,
                expected=receivables.expected_collections(as_of=as_of),
                chart=_chart(aging, dso),
                segment=segment,
                segment_label=SEGMENTS[segment],
                segments=SEGMENTS.items(),
                buckets=BUCKETS,
                bands=[*RiskBand.choices, ("unscored", "Not scored")],
                purposes=selectors.open_purposes(as_of),
                model=LatePaymentModel.objects.filter(status="active").first(),
            )
        return render_page_or_partial(
            request,
            "dues/collections/receivables.html",
            "dues/collections/partials/_invoices.html",
            context,
        )
