"""The board pack's dues sections (cash application, receivables, deferred revenue, credit memos
and adjustments) and its pages: the month on screen, as a PDF and as a CSV of its figures.

The pack itself is put together by ``common.boardpack`` from every app's registered sections;
renewals and review work register theirs, so this module never imports renewals. Its summary
(the model's when one is configured, traced, else the deterministic one) is
``dues.close.boardpack_summary``.
"""

import calendar
from datetime import date

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views import View

from common.boardpack import (
    Figure,
    Section,
    SectionProvider,
    board_pack,
    board_pack_csv,
    board_pack_pdf,
    percent,
    register_section,
)
from common.errors import DomainError
from common.money import ZERO, format_money
from common.svgcharts import Series, as_number, chart_svg
from dues.billing.calculator import add_months
from dues.close import revenue_permissions as perms
from dues.close.boardpack_summary import pack_summary
from dues.close.recognition import month_key, parse_period
from dues.close.revenue_views import rollforward_chart
from dues.close.rollforward import roll_forward_series
from dues.collections import receivables
from dues.models import CreditMemo, RevenueEvent
from dues.selectors.performance import matching_performance


def _end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def cash_section(month: date) -> Section:
    totals = matching_performance()["totals"]
    straight = totals["auto"] / totals["payments"] if totals["payments"] else None
    figures = [
        Figure("payments_matched", "Payments matched", str(totals["payments"])),
        Figure("straight_through_rate", "Straight-through rate", percent(straight)),
        Figure(
            "precision",
            "Matching precision",
            percent(totals["precision"]),
            f"{totals['correct']} of {totals['labelled']} decided",
        ),
    ]
    sentence = (
        f"Cash application matched {totals['payments']} payments, {percent(straight)} straight "
        f"through, with {percent(totals['precision'])} precision."
    )
    return Section("cash", "Cash application", figures, sentence)


def receivables_section(month: date) -> Section:
    as_of = min(_end(month), timezone.localdate()) if month <= timezone.localdate() else _end(month)
    # the receivables page's own figures (dues.collections.receivables), so the two agree
    by_bucket = receivables.receivables_aging(as_of=as_of)
    aging = [(b["key"], b["label"], by_bucket["total"][b["key"]]) for b in by_bucket["buckets"]]
    dso = [
        (row["as_of"], row["dso"])
        for row in receivables.receivables_dso_by_month(months=6, as_of=as_of)
    ]
    latest = dso[-1][1]
    total = by_bucket["total_open"]
    dso_text = "n/a" if latest is None else f"{latest} days"
    figures = [
        Figure("dso", "Days sales outstanding", dso_text, f"as of {as_of:%d %b %Y}"),
        Figure("receivables", "Open receivables", format_money(total)),
        *[Figure(f"aging_{key}", f"Aging {label}", format_money(a)) for key, label, a in aging],
    ]
    chart = chart_svg(
        title="Days sales outstanding by month",
        labels=[f"{m:%b %y}" for m, _ in dso],
        series=[Series("DSO (days)", [as_number(v) for _, v in dso])],
        kind="line",
        height=200,
    )
    aging_chart = chart_svg(
        title="Receivables aging (days past due)",
        labels=[label for _, label, _ in aging],
        series=[Series("Open balance", [as_number(a) for _, _, a in aging])],
        height=200,
    )
    over = format_money(aging[-1][2])
    sentence = (
        f"Receivables stood at {format_money(total)} with DSO of {dso_text}; {over} is over "
        "90 days past due."
    )
    return Section("receivables", "Receivables", figures, sentence, chart + aging_chart)


def revenue_section(month: date) -> Section:
    series = roll_forward_series(through=month, months=12)
    rf = series[-1]
    figures = [
        Figure("deferred_opening", "Opening deferred revenue", format_money(rf.opening)),
        Figure("deferred_added", "Deferred this month", format_money(rf.deferred)),
        Figure("recognised", "Recognised", format_money(rf.recognised)),
        Figure("deferred_adjusted", "Adjusted", format_money(rf.adjusted)),
        Figure("deferred_closing", "Closing deferred revenue", format_money(rf.closing)),
        Figure("ledger_difference", "Difference to the journal", format_money(rf.difference)),
    ]
    table = [
        ["Month", "Opening", "Deferred", "Recognised", "Adjusted", "Closing"],
        *(
            [f"{r.period:%b %Y}"]
            + [str(v) for v in (r.opening, r.deferred, r.recognised, r.adjusted, r.closing)]
            for r in series
        ),
    ]
    sentence = (
        f"Deferred dues revenue moved from {format_money(rf.opening)} to "
        f"{format_money(rf.closing)}: {format_money(rf.deferred)} deferred, "
        f"{format_money(rf.recognised)} recognised and {format_money(rf.adjusted)} adjusted; "
        f"the journal differs by {format_money(rf.difference)}."
    )
    return Section(
        "revenue", "Deferred revenue", figures, sentence, rollforward_chart(series), table
    )


def adjustments_section(month: date) -> Section:
    after = add_months(month, 1)
    memos = (
        CreditMemo.objects.filter(
            status=CreditMemo.Status.POSTED, posted_at__date__gte=month, posted_at__date__lt=after
        )
        .values("origin", "finding__kind")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("origin", "finding__kind")
    )
    events = (
        RevenueEvent.objects.filter(period=month)
        .exclude(kind=RevenueEvent.Kind.DEFER)
        .values("kind")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("kind")
    )
    rows = [
        (row["finding__kind"] or row["origin"], row["n"], row["total"] or ZERO) for row in memos
    ]
    figures = [
        Figure(f"memos_{kind}", f"Credit memos: {kind.replace('_', ' ')}", format_money(t), f"{n}")
        for kind, n, t in rows
    ] + [
        Figure(
            f"revenue_{row['kind']}",
            f"Deferred revenue: {RevenueEvent.Kind(row['kind']).label}",
            format_money(row["total"]),
            f"{row['n']}",
        )
        for row in events
    ]
    count = sum(n for _, n, _ in rows)
    total = sum((t for _, _, t in rows), ZERO)
    if not figures:
        figures = [Figure("memos", "Credit memos and adjustments", format_money(ZERO), "0")]
    chart = ""
    if rows:
        chart = chart_svg(
            title="Credit memos and adjustments by kind",
            labels=[kind.replace("_", " ") for kind, _, _ in rows],
            series=[Series("Amount", [as_number(t) for _, _, t in rows])],
            height=200,
        )
    sentence = f"{count} credit memos and adjustments were posted, {format_money(total)} in all."
    return Section("adjustments", "Credit memos and adjustments", figures, sentence, chart)


register_section(SectionProvider("cash", "Cash application", 20, cash_section))
register_section(SectionProvider("receivables", "Receivables", 40, receivables_section))
register_section(SectionProvider("revenue", "Deferred revenue", 50, revenue_section))
register_section(SectionProvider("adjustments", "Credit memos", 60, adjustments_section))


# --- pages --------------------------------------------------------------------------------


def _month(text: str | None) -> date:
    if not text:
        return add_months(timezone.localdate().replace(day=1), -1)  # the month just closed
    return parse_period(text)


class BoardPackView(PermissionRequiredMixin, View):
    """The month's board pack on screen, with its PDF and CSV to download."""

    permission_required = perms.VIEW_BOARD_PACK
    raise_exception = True

    def get(self, request):
        error = None
        try:
            month = _month(request.GET.get("month"))
        except DomainError as exc:
            month, error = _month(None), str(exc)
        pack = board_pack(month)
        context = {
            "pack": pack,
            "summary": pack_summary(pack),
            "month": month_key(month),
            "error": error,
        }
        return render(request, "dues/close/boardpack.html", context, status=400 if error else 200)


class BoardPackPdfView(PermissionRequiredMixin, View):
    permission_required = perms.VIEW_BOARD_PACK
    raise_exception = True

    def get(self, request, month: str):
        try:
            period = _month(month)
        except DomainError as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain")
        pack = board_pack(period)
        html = render_to_string(
            "dues/close/boardpack_pdf.html",
            {"pack": pack, "summary": pack_summary(pack), "month": month_key(period)},
        )
        pdf = board_pack_pdf(html, base_url=request.build_absolute_uri("/"))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="board-pack-{month_key(period)}.pdf"'
        )
        return response


class BoardPackCsvView(PermissionRequiredMixin, View):
    permission_required = perms.VIEW_BOARD_PACK
    raise_exception = True

    def get(self, request, month: str):
        try:
            period = _month(month)
        except DomainError as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain")
        response = HttpResponse(board_pack_csv(board_pack(period)), content_type="text/csv")
        response["Content-Disposition"] = (
            f'attachment; filename="board-pack-{month_key(period)}.csv"'
        )
        return response
