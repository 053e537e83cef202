"""Pages of deferred revenue: the month's roll-forward tied to the journal, with its chart, and
the actions that refresh the schedules and draft a month's recognition."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from common.errors import DomainError
from common.svgcharts import Series, as_number, chart_svg
from dues.close import revenue_permissions as perms
from dues.close.recognition import month_key, month_start, open_period, parse_period
from dues.close.recognition_entries import recognition_draft
from dues.close.recognition_sources import revenue_refresh
from dues.close.rollforward import roll_forward, roll_forward_series
from dues.ledger import accounts as acct
from dues.models import RecognitionRun, RevenueSchedule
from reviews.models import ReviewItem

SORTS = {"account": lambda row: row[0], "amount": lambda row: row[1]}


def _month_from(request) -> tuple:
    """The month asked for (``?month=YYYY-MM``), else the current one; an error to show."""
    text = request.GET.get("month", "").strip()
    if not text:
        return month_start(timezone.localdate()), None
    try:
        return parse_period(text), None
    except DomainError as exc:
        return month_start(timezone.localdate()), str(exc)


def rollforward_chart(series) -> str:
    return chart_svg(
        title="Deferred dues revenue by month",
        labels=[f"{rf.period:%b %y}" for rf in series],
        series=[
            Series("Closing deferred", [as_number(rf.closing) for rf in series]),
            Series("Deferred", [as_number(rf.deferred) for rf in series]),
            Series("Recognised", [as_number(rf.recognised) for rf in series]),
            Series("Adjusted", [as_number(rf.adjusted) for rf in series]),
        ],
    )


class RollForwardView(PermissionRequiredMixin, View):
    """A month's roll-forward, by revenue account, beside the journal, and the last 12 months."""

    permission_required = perms.VIEW_REVENUE
    raise_exception = True

    def get(self, request):
        period, error = _month_from(request)
        if error:
            messages.error(request, error)
        rf = roll_forward(period)
        sort = request.GET.get("sort", "account")
        key = SORTS.get(sort.lstrip("-"), SORTS["account"])
        accounts = sorted(rf.by_account, key=key, reverse=sort.startswith("-"))
        wanted = request.GET.get("q", "").strip().lower()
        if wanted:
            accounts = [row for row in accounts if wanted in row[0].lower()]
        series = roll_forward_series(through=period)
        run = RecognitionRun.objects.filter(period=period).first()
        items = (
            ReviewItem.objects.filter(object_ref=f"recognition:{month_key(period)}")
            .order_by("id")
            .only("id", "title", "status", "amount")
        )
        context = {
            "rf": rf,
            "month": month_key(period),
            "accounts": [(a, acct.account_label(a), v) for a, v in accounts],
            "sort": sort,
            "q": wanted,
            "chart": rollforward_chart(series),
            "series": series,
            "run": run,
            "items": items,
            "next_open": month_key(open_period()) if open_period() else month_key(period),
            "schedules": RevenueSchedule.objects.count(),
            "can_run": request.user.has_perm(perms.RUN_RECOGNITION),
        }
        return render(request, "dues/close/rollforward.html", context)


class RecognitionDraftView(PermissionRequiredMixin, View):
    """Draft a month's recognition entries into the finance queue."""

    permission_required = perms.RUN_RECOGNITION
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request):
        text = request.POST.get("month", "")
        try:
            period = parse_period(text)
            run = recognition_draft(period=period, user=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(f"{reverse('dues:revenue:rollforward')}?month={text.strip()[:7]}")
        count = len(run.totals)
        entries = "1 entry" if count == 1 else f"{count} entries"
        messages.success(
            request,
            f"Recognition of {month_key(period)} drafted: {entries} "
            "in the finance queue for approval."
            if count
            else f"Nothing to recognise in {month_key(period)}; the month is recorded as done.",
        )
        return redirect(f"{reverse('dues:revenue:rollforward')}?month={month_key(period)}")


class SchedulesRefreshView(PermissionRequiredMixin, View):
    """Open schedules for new dues invoices and apply payments, memos and cancellations."""

    permission_required = perms.RUN_RECOGNITION
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request):
        try:
            result = revenue_refresh()
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"Schedules refreshed: {result['schedules_opened']} opened, "
                f"{result['events']} event(s) applied.",
            )
        return redirect("dues:revenue:rollforward")
