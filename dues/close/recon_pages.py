"""Pages of the month-end close: periods with their actions, a month's reconciliation, the
chart-of-accounts mapping and the GL exports. One view per action; htmx gets fragments."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Sum
from django.shortcuts import redirect, render
from django.views import View

from common.csv_export import csv_response
from common.errors import DomainError
from common.htmx import render_page_or_partial
from common.models import AuditEvent
from common.tables import keyset_paginate
from dues.close import export, mapping, periods, permissions
from dues.close.jobs import reconciliation_start, running_reconciliation_job
from dues.close.reconcile import latest_reconciliation
from dues.close.selectors import period_rows
from dues.models import AccountingPeriod, BankDeposit, Difference, Reconciliation
from reviews.models import ReviewItem

DIFFERENCE_SORTS = {"amount": "amount", "cause": "cause", "source": "source", "id": "id"}


def _month(text: str) -> date:
    from django.http import Http404

    try:
        return periods.parse_month(text)
    except DomainError:
        raise Http404("No such month.") from None


class PeriodListView(PermissionRequiredMixin, View):
    """Months with their status, last reconciliation and the actions that apply."""

    permission_required = permissions.VIEW_CLOSE
    raise_exception = True

    def get(self, request):
        return render(
            request,
            "dues/close/recon_periods.html",
            {
                "rows": period_rows(),
                "can_run": request.user.has_perm(permissions.RUN_CLOSE),
                "can_manage": request.user.has_perm(permissions.MANAGE_CLOSE),
                "formats": export.FORMATS,
            },
        )


def _chart(recon: Reconciliation | None) -> dict:
    if recon is None:
        return {"labels": [], "amounts": [], "counts": []}
    by_cause = recon.figures.get("by_cause", {})
    counts = recon.figures.get("counts", {})
    return {
        "labels": [label for value, label in Difference.Cause.choices],
        "amounts": [float(by_cause.get(value, 0)) for value, _ in Difference.Cause.choices],
        "counts": [counts.get(value, 0) for value, _ in Difference.Cause.choices],
    }


class ReconciliationView(PermissionRequiredMixin, View):
    """A month's latest reconciliation: figures per source, differences by cause (sortable and
    filterable), the month's deposits, and the entries drafted for review."""

    permission_required = permissions.VIEW_CLOSE
    raise_exception = True

    def get(self, request, month: str):
        day = _month(month)
        job = running_reconciliation_job(day)
        if request.htmx and request.GET.get("progress"):
            response = render(request, "dues/close/partials/_recon_progress.html", {"job": job})
            if job is None:
                response["HX-Refresh"] = "true"  # the run finished: show its result
            return response
        recon = latest_reconciliation(day)
        cause, source = request.GET.get("cause", ""), request.GET.get("source", "")
        differences = Difference.objects.none()
        if recon is not None:
            differences = recon.differences.select_related("review_item")
            if cause in Difference.Cause.values:
                differences = differences.filter(cause=cause)
            if source:
                differences = differences.filter(source=source)
        page = keyset_paginate(
            differences,
            sort=request.GET.get("sort"),
            allowed=DIFFERENCE_SORTS,
            default="cause",
            cursor=request.GET.get("cursor"),
            size=100,
        )
        period = AccountingPeriod.objects.filter(month=day).first()
        entries = ReviewItem.objects.filter(
            kind="dues.journal_entry", object_ref__startswith=f"close {day:%Y-%m} "
        ).order_by("-id")[:50]
        deposits = BankDeposit.objects.filter(
            received_on__range=(day, periods.month_end(day))
        ).order_by("received_on", "id")[:200]
        context = {
            "month": day,
            "key": f"{day:%Y-%m}",
            "name": periods.period_name(day),
            "period": period,
            "closed": period is not None and period.status == "closed",
            "recon": recon,
            "job": job,
            "page": page,
            "cause": cause,
            "source": source,
            "causes": Difference.Cause.choices,
            "sources": sorted((recon.figures.get("sources") or {}).items()) if recon else [],
            "chart": _chart(recon),
            "entries": entries,
            "deposits": deposits,
            "can_run": request.user.has_perm(permissions.RUN_CLOSE),
            "can_manage": request.user.has_perm(permissions.MANAGE_CLOSE),
            "formats": export.FORMATS,
            "history": AuditEvent.objects.filter(
                object_type="accounting_period", object_id=f"{day:%Y-%m}"
            ).order_by("-id")[:20],
        }
        return render_page_or_partial(
            request,
            "dues/close/recon_month.html",
            "dues/close/partials/_recon_differences.html",
            context,
        )


class ReconciliationStartView(PermissionRequiredMixin, View):
    """Queue the month's reconciliation (a background job with progress)."""

    permission_required = permissions.RUN_CLOSE
    raise_exception = True

    def post(self, request, month: str):
        day = _month(month)
        try:
            job, queued = reconciliation_start(month=day, user=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("dues:close:periods")
        if not queued:
            messages.info(request, f"{periods.period_name(day)} is already being reconciled.")
        else:
            messages.success(
                request,
                f"The reconciliation of {periods.period_name(day)} is queued (job #{job.pk}); "
                "this page shows its progress and then its result.",
            )
        return redirect("dues:close:month", month=f"{day:%Y-%m}")


class PeriodCloseView(PermissionRequiredMixin, View):
    permission_required = permissions.RUN_CLOSE
    raise_exception = True

    def post(self, request, month: str):
        day = _month(month)
        try:
            periods.period_close(month=day, user=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"{periods.period_name(day)} is closed: nothing can be dated in it any more. "
                "Its GL export can be downloaded now.",
            )
        return redirect("dues:close:month", month=f"{day:%Y-%m}")


class PeriodReopenView(PermissionRequiredMixin, View):
    permission_required = permissions.MANAGE_CLOSE
    raise_exception = True

    def post(self, request, month: str):
        day = _month(month)
        try:
            periods.period_reopen(
                month=day, user=request.user, reason=request.POST.get("reason", "")
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{periods.period_name(day)} is open again (audited).")
        return redirect("dues:close:month", month=f"{day:%Y-%m}")


class GlExportView(PermissionRequiredMixin, View):
    """The closed month's GL entries as a CSV, or what to map first."""

    permission_required = permissions.RUN_CLOSE
    raise_exception = True

    def get(self, request, month: str, fmt: str):
        day = _month(month)
        try:
            made = export.gl_export(month=day, fmt=fmt)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("dues:close:month", month=f"{day:%Y-%m}")
        return csv_response(made.filename, made.header, made.rows)


class GlMappingView(PermissionRequiredMixin, View):
    """Every ledger account with its GL code; managers change them."""

    permission_required = permissions.VIEW_CLOSE
    raise_exception = True

    def get(self, request):
        rows = mapping.mapping_rows()
        q = request.GET.get("q", "").strip().lower()
        if q:
            rows = [r for r in rows if q in r["account"].lower() or q in r["label"].lower()]
        return render_page_or_partial(
            request,
            "dues/close/recon_mapping.html",
            "dues/close/partials/_recon_mapping_table.html",
            {
                "rows": rows,
                "q": q,
                "missing": sum(1 for r in rows if r["mapping"] is None),
                "can_manage": request.user.has_perm(permissions.MANAGE_CLOSE),
                "history": AuditEvent.objects.filter(action="close.mapping_changed").order_by(
                    "-id"
                )[:20],
            },
        )


class GlMappingSetView(PermissionRequiredMixin, View):
    permission_required = permissions.MANAGE_CLOSE
    raise_exception = True

    def post(self, request):
        account = request.POST.get("account", "")
        try:
            found = mapping.gl_mapping_set(
                account=account,
                gl_code=request.POST.get("gl_code", ""),
                gl_name=request.POST.get("gl_name", ""),
                user=request.user,
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("dues:close:mapping")
        if found is None:
            messages.success(request, f"{account}: mapping removed.")
        else:
            messages.success(request, f"{account} → GL {found.gl_code} saved (audited).")
        return redirect("dues:close:mapping")


def deposit_totals(day: date) -> dict:
    rows = (
        BankDeposit.objects.filter(received_on__range=(day, periods.month_end(day)))
        .values("kind")
        .annotate(n=Count("id"), amount=Sum("amount"), fee=Sum("fee"))
    )
    return {r["kind"]: r for r in rows}
