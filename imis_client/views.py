"""Pages of the iMIS connection: members, member detail, sync status and problems, outbox."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from common.errors import DomainError
from common.htmx import render_page_or_partial
from common.models import JobRun
from common.navigation import member_panels_for
from common.services import job_run_enqueue_once
from common.tables import keyset_paginate
from imis_client import models as m
from imis_client import permissions, selectors, services
from imis_client.sync_entities import entity_names

MEMBER_SORTS = {
    "name": "name",
    "id": "imis_id",
    "type": "customer_type",
    "chapter": "chapter",
    "status": "status",
    "paid_thru": "paid_thru",
}


class MemberListView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_MEMBERS
    raise_exception = True

    def get(self, request):
        get = request.GET
        filters = selectors.MemberFilters.from_query(get)
        queryset = selectors.member_search(filters)
        # paid_thru is NULL for non-members: sorting by it keeps only rows that have one.
        if (get.get("sort") or "").lstrip("-") == "paid_thru":
            queryset = queryset.filter(paid_thru__isnull=False)
        page = keyset_paginate(
            queryset,
            sort=get.get("sort"),
            allowed=MEMBER_SORTS,
            default="name",
            cursor=get.get("cursor"),
            size=50,
        )
        context = {
            "page": page,
            "filters": filters,
            "choices": selectors.member_filter_choices(),
            "bad_dates": filters.bad_dates,
            "raw": get,
        }
        return render_page_or_partial(
            request,
            "imis_client/member_list.html",
            "imis_client/partials/_member_table.html",
            context,
        )


class MemberDetailView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_MEMBERS
    raise_exception = True

    def get(self, request, imis_id: str):
        record = selectors.member_detail(imis_id)
        if record is None:
            raise Http404("No member with that iMIS id has been synced.")
        panels = member_panels_for(request, imis_id)
        return render(request, "imis_client/member_detail.html", {"m": record, "panels": panels})


class SyncStatusView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_SYNC
    raise_exception = True

    def get(self, request):
        job = JobRun.objects.filter(kind="imis_client.sync").order_by("-id").first()
        context = {
            "rows": selectors.sync_status(),
            "job": job,
            "runs": m.SyncRun.objects.order_by("-id")[:10],
            "can_run": request.user.has_perm(permissions.RUN_SYNC),
            "entity_names": entity_names(),
        }
        return render_page_or_partial(
            request,
            "imis_client/sync_status.html",
            "imis_client/partials/_sync_live.html",
            context,
        )


class SyncStartView(PermissionRequiredMixin, View):
    permission_required = permissions.RUN_SYNC
    raise_exception = True

    def post(self, request):
        full = request.POST.get("full") == "1"
        try:
            job = job_run_enqueue_once(
                kind="imis_client.sync", params={"full": full}, requested_by=request.user
            )
        except DomainError as exc:
            messages.warning(request, str(exc))
            return redirect("imis_client:sync_status")
        kind = "A full" if full else "An incremental"
        messages.success(request, f"{kind} sync was queued as job #{job.pk}; progress shows below.")
        return redirect("imis_client:sync_status")


class SyncProblemListView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_SYNC
    raise_exception = True

    def get(self, request):
        entity = request.GET.get("entity", "")
        include_resolved = request.GET.get("resolved") == "1"
        page = keyset_paginate(
            selectors.quarantine_list(entity=entity, include_resolved=include_resolved),
            sort=request.GET.get("sort"),
            allowed={"seen": "updated_at", "entity": "entity", "id": "imis_id"},
            default="-seen",
            cursor=request.GET.get("cursor"),
            size=50,
        )
        context = {
            "page": page,
            "entity": entity,
            "include_resolved": include_resolved,
            "entity_names": entity_names(),
        }
        return render(request, "imis_client/sync_problems.html", context)


class OutboxListView(PermissionRequiredMixin, View):
    permission_required = permissions.MANAGE_OUTBOX
    raise_exception = True

    def get(self, request):
        state = request.GET.get("state", "stuck")
        page = keyset_paginate(
            selectors.outbox_list(state=state),
            sort=request.GET.get("sort"),
            allowed={"id": "id", "next": "next_attempt_at", "state": "state"},
            default="-id",
            cursor=request.GET.get("cursor"),
            size=50,
        )
        context = {"page": page, "state": state, "states": m.OutboxWrite.State.choices}
        return render(request, "imis_client/outbox.html", context)


class OutboxWriteRetryView(PermissionRequiredMixin, View):
    permission_required = permissions.MANAGE_OUTBOX
    raise_exception = True

    def post(self, request, pk: int):
        try:
            write = services.outbox_retry(write_id=pk)
            messages.success(request, f"{write.reference} will be sent again now.")
        except (DomainError, m.OutboxWrite.DoesNotExist) as exc:
            messages.error(request, str(exc))
        return redirect("imis_client:outbox")


class OutboxWriteCancelView(PermissionRequiredMixin, View):
    permission_required = permissions.MANAGE_OUTBOX
    raise_exception = True

    def post(self, request, pk: int):
        try:
            write = services.outbox_cancel(write_id=pk)
            messages.success(request, f"{write.reference} was cancelled; it will not be sent.")
        except (DomainError, m.OutboxWrite.DoesNotExist) as exc:
            messages.error(request, str(exc))
        return redirect("imis_client:outbox")
