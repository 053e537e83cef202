"""Pages of the common app: home, jobs with live progress, health."""

import json
import sys
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template import loader
from django.utils import timezone
from django.views import View, defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from common import permissions, selectors, services
from common.audit import audit_record
from common.csv_export import csv_response
from common.errors import DomainError
from common.htmx import render_page_or_partial
from common.jobs import get_job_kind, job_kinds
from common.models import JobRun
from common.navigation import attention_for, status_rows
from common.roles import ROLE_DESCRIPTIONS, role_names
from common.tables import keyset_paginate


class HomeView(TemplateView):
    """What needs this person's attention, and whether the system is healthy."""

    template_name = "common/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        held = role_names(user)
        hour = timezone.localtime().hour
        context.update(
            greeting="Good morning"
            if hour < 12
            else "Good afternoon"
            if hour < 18
            else "Good evening",
            cards=attention_for(user),
            role_descriptions=[(r, ROLE_DESCRIPTIONS[r]) for r in held],
            workers=selectors.worker_status(),
            queues=selectors.queue_status(),
            status_rows=status_rows(),
            recent_jobs=(
                selectors.job_run_list()[:5] if user.has_perm(permissions.VIEW_JOBS) else []
            ),
        )
        return context


JOB_SORTS = {"id": "id", "created": "created_at", "kind": "kind", "status": "status"}


class JobRunListView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_JOBS
    raise_exception = True

    def get(self, request):
        status = request.GET.get("status") or None
        kind = request.GET.get("kind") or None
        page = keyset_paginate(
            selectors.job_run_list(status=status, kind=kind),
            sort=request.GET.get("sort"),
            allowed=JOB_SORTS,
            default="-id",
            cursor=request.GET.get("cursor"),
            size=50,
        )
        any_active = any(not job.is_finished for job in page.items)
        context = {
            "page": page,
            "statuses": JobRun.Status.choices,
            "kinds": job_kinds(),
            "filters": {"status": status or "", "kind": kind or ""},
            "any_active": any_active,
            "can_run": request.user.has_perm(permissions.RUN_JOBS),
        }
        return render_page_or_partial(
            request, "common/job_list.html", "common/partials/_job_table.html", context
        )


class JobRunDetailView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_JOBS
    raise_exception = True

    def get(self, request, pk: int):
        job = get_object_or_404(JobRun.objects.select_related("requested_by"), pk=pk)
        context = {"job": job, "can_run": request.user.has_perm(permissions.RUN_JOBS)}
        return render_page_or_partial(
            request, "common/job_detail.html", "common/partials/_job_progress.html", context
        )


class JobRunStartView(PermissionRequiredMixin, View):
    permission_required = permissions.RUN_JOBS
    raise_exception = True

    def post(self, request):
        try:
            kind = get_job_kind(request.POST.get("kind", ""))
        except LookupError as exc:
            messages.error(request, f"{exc}. Choose a job from the list.")
            return redirect("common:job_list")
        if not request.user.has_perm(kind.permission):
            messages.error(request, f"You may not start “{kind.label}”.")
            return redirect("common:job_list")
        job = services.job_run_enqueue(kind=kind.kind, requested_by=request.user)
        messages.success(request, f"Started “{job.label}” as job #{job.pk}.")
        return redirect(job)


class JobRunCancelView(PermissionRequiredMixin, View):
    permission_required = permissions.RUN_JOBS
    raise_exception = True

    def post(self, request, pk: int):
        try:
            job = services.job_run_cancel(job_run_id=pk)
            messages.success(request, f"Asked job #{job.pk} to stop; it stops at its next step.")
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("common:job_detail", pk=pk)


class JobRunRetryView(PermissionRequiredMixin, View):
    permission_required = permissions.RUN_JOBS
    raise_exception = True

    def post(self, request, pk: int):
        try:
            job = services.job_run_retry(job_run_id=pk, requested_by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("common:job_detail", pk=pk)
        messages.success(request, f"Retrying as job #{job.pk}.")
        return redirect(job)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Database reachability and the workers' last heartbeat; 503 when the database is down.

    Stale workers do not fail the check (the web still serves) unless ?require_workers=1.
    A load balancer needs only yes or no: anyone not signed in with the jobs permission gets the
    booleans, never database error text or the workers' host names.
    """
    database = selectors.database_status()
    workers = (
        selectors.worker_status()
        if database["ok"]
        else {"alive": None, "last_heartbeat": None, "age_seconds": None, "host": None}
    )
    healthy = database["ok"] and (workers["alive"] or request.GET.get("require_workers") != "1")
    body: dict[str, object] = {"status": "ok" if healthy else "unavailable"}
    detailed = database["ok"] and request.user.has_perm(permissions.VIEW_JOBS)
    if detailed:
        body.update(time=timezone.now().isoformat(), database=database, workers=workers)
    else:
        body.update(database={"ok": database["ok"]}, workers={"alive": workers["alive"]})
    return JsonResponse(body, status=200 if healthy else 503)


AUDIT_SORTS = {"id": "id"}


def _audit_filtered(get) -> tuple:
    from common.models import AuditEvent

    queryset = AuditEvent.objects.all()
    filters = {k: get.get(k, "").strip() for k in ("person", "kind", "member", "since", "until")}
    problems = []
    if filters["person"]:
        queryset = queryset.filter(actor_name__iexact=filters["person"])
    if filters["kind"]:
        queryset = queryset.filter(action__startswith=filters["kind"])
    if filters["member"]:
        queryset = queryset.filter(member_id=filters["member"])
    for key, lookup in (("since", "occurred_at__date__gte"), ("until", "occurred_at__date__lte")):
        if filters[key]:
            try:
                queryset = queryset.filter(**{lookup: date.fromisoformat(filters[key])})
            except ValueError:
                problems.append(f"“{filters[key]}” is not a date; use YYYY-MM-DD.")
    return queryset, filters, problems


class AuditEventListView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_AUDIT
    raise_exception = True

    def get(self, request):
        from common.models import AuditEvent

        queryset, filters, problems = _audit_filtered(request.GET)
        page = keyset_paginate(
            queryset,
            sort=request.GET.get("sort"),
            allowed=AUDIT_SORTS,
            default="-id",
            cursor=request.GET.get("cursor"),
            size=100,
        )
        kinds = sorted(
            {
                a.split(".")[0]
                for a in AuditEvent.objects.values_list("action", flat=True).distinct()
            }
        )
        context = {"page": page, "filters": filters, "problems": problems, "kinds": kinds}
        return render_page_or_partial(
            request, "common/audit_list.html", "common/partials/_audit_table.html", context
        )


class AuditEventExportView(PermissionRequiredMixin, View):
    """The filtered trail as CSV, streamed, so a year of events does not sit in memory."""

    permission_required = permissions.VIEW_AUDIT
    raise_exception = True

    def get(self, request):
        queryset, _, problems = _audit_filtered(request.GET)
        if problems:
            messages.error(request, " ".join(problems))
            return redirect("common:audit_list")
        audit_record(
            action="audit.exported",
            summary="Exported the audit trail as CSV",
            data={k: v for k, v in request.GET.items() if k != "cursor"},
        )
        header = [
            "id",
            "occurred_at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "member_id",
            "summary",
            "data",
            "row_hash",
        ]

        rows = (
            [
                e.id,
                e.occurred_at.isoformat(),
                e.actor_name,
                e.action,
                e.object_type,
                e.object_id,
                e.member_id,
                e.summary,
                json.dumps(e.data),
                e.row_hash,
            ]
            for e in queryset.order_by("id").iterator(chunk_size=2000)
        )
        return csv_response("audit-trail.csv", header, rows)


# Paths whose callers read JSON (providers, API clients, monitors), not pages.
JSON_PREFIXES = ("/api/", "/webhooks/", "/healthz")


def server_error(request):
    """handler500. A database that does not answer (a restart, a failover) is 503 with
    Retry-After: nothing was stored, and providers and API clients retry. Anything else is 500."""
    error = sys.exc_info()[1]
    if not isinstance(error, OperationalError | InterfaceError):
        return defaults.server_error(request)
    message = "The database did not answer; nothing was stored. Try again in a moment."
    response: HttpResponse
    if request.path.startswith(JSON_PREFIXES):
        response = JsonResponse({"error": message}, status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = "5"
    return response
