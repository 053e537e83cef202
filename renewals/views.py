"""Pages of renewals: the dashboard, at-risk members, one member's risk, model versions, and a
staff member's outreach calls."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from common.errors import DomainError
from common.htmx import render_page_or_partial
from common.services import job_run_enqueue_once
from common.tables import keyset_paginate
from renewals import dashboard, permissions, selectors, services
from renewals.models import Band, ModelVersion, Outreach, OutreachTask


class RenewalsMixin(PermissionRequiredMixin):
    permission_required = permissions.VIEW_RENEWALS
    raise_exception = True


class ManagerMixin(PermissionRequiredMixin):
    permission_required = permissions.MANAGE_MODELS
    raise_exception = True


class RenewalDashboardView(RenewalsMixin, View):
    def get(self, request):
        run = dashboard.latest_run()
        today = run.as_of if run else timezone.localdate()
        context = {
            "run": run,
            "upcoming": dashboard.upcoming_by_month(run),
            "lift": dashboard.lift_vs_holdout(today=today),
            "funnel": dashboard.funnel(today=today),
            "health": dashboard.model_health(run),
            "analysis": run.analysis if run else {},
            "top": dashboard.top_at_risk(run),
            "can_manage": request.user.has_perm(permissions.MANAGE_MODELS),
        }
        return render(request, "renewals/dashboard.html", context)


SCORE_SORTS = {"risk": "probability", "paid_thru": "paid_thru", "name": "member_name"}


class AtRiskListView(RenewalsMixin, View):
    def get(self, request):
        get = request.GET
        band = get.get("band", "")
        queryset = selectors.latest_scores(
            band=band if band in Band.values else "",
            chapter=get.get("chapter", ""),
            q=get.get("q", "")[:200],
        )
        page = keyset_paginate(
            queryset,
            sort=get.get("sort"),
            allowed=SCORE_SORTS,
            default="-risk",
            cursor=get.get("cursor"),
            size=50,
        )
        run = dashboard.latest_run()
        context = {
            "page": page,
            "run": run,
            "bands": Band.choices,
            "chapters": selectors.score_chapters(run),
            "filters": {"band": band, "chapter": get.get("chapter", ""), "q": get.get("q", "")},
            "counts": selectors.band_counts(run) if run else {},
        }
        return render_page_or_partial(
            request, "renewals/at_risk.html", "renewals/partials/_score_table.html", context
        )


class MemberRiskView(RenewalsMixin, View):
    def get(self, request, member_id: str):
        history = list(selectors.score_history(member_id)[:60])
        if not history:
            raise Http404("This member has not been scored.")
        outreach = Outreach.objects.filter(member_id=member_id).select_related("item", "staff")
        return render(
            request,
            "renewals/member.html",
            {
                "score": history[0],
                "history": history,
                "outreach": outreach,
                "chart": [
                    {"date": s.scored_on.isoformat(), "p": float(s.probability)}
                    for s in reversed(history)
                ],
            },
        )


class ModelVersionListView(RenewalsMixin, View):
    def get(self, request):
        versions = ModelVersion.objects.select_related("trained_by", "activated_by").defer(
            "booster"
        )[:50]
        return render(
            request,
            "renewals/models.html",
            {
                "versions": versions,
                "can_manage": request.user.has_perm(permissions.MANAGE_MODELS),
                "jobs": selectors.recent_jobs(),
            },
        )


class ModelVersionDetailView(RenewalsMixin, View):
    def get(self, request, pk: int):
        version = get_object_or_404(ModelVersion.objects.defer("booster"), pk=pk)
        run = selectors.latest_run_of(version)
        return render(
            request,
            "renewals/model_detail.html",
            {
                "version": version,
                "can_manage": request.user.has_perm(permissions.MANAGE_MODELS),
                "importances": version.importances[:20],
                "by_type": sorted((version.metrics.get("by_member_type") or {}).items()),
                "drift_run": run,
                "drift": (run.analysis or {}).get("feature_drift", []) if run else [],
            },
        )


class ModelVersionActivateView(ManagerMixin, View):
    def post(self, request, pk: int):
        try:
            version = services.model_version_activate(version_id=pk, user=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        except ModelVersion.DoesNotExist:
            raise Http404("No such model version.") from None
        else:
            messages.success(request, f"Model {version.label} is now active; scoring uses it.")
        return redirect("renewals:models")


class ModelTrainView(ManagerMixin, View):
    def post(self, request):
        params = {}
        if raw := request.POST.get("as_of", "").strip():
            try:
                params["as_of"] = date.fromisoformat(raw).isoformat()
            except ValueError:
                problem = f"“{raw}” is not a date; use YYYY-MM-DD, or leave it empty."
                messages.error(request, problem)
                return redirect("renewals:models")
        try:
            job = job_run_enqueue_once(
                kind="renewals.train", params=params, requested_by=request.user
            )
        except DomainError as exc:
            messages.warning(request, str(exc))
            return redirect("renewals:models")
        messages.success(request, f"Training started as job #{job.pk}; follow it below.")
        return redirect("renewals:models")


class ScoreNowView(ManagerMixin, View):
    def post(self, request):
        if services.active_model_version() is None:
            messages.error(request, "No churn model is active yet: train one first.")
            return redirect("renewals:models")
        try:
            job = job_run_enqueue_once(kind="renewals.score", requested_by=request.user)
        except DomainError as exc:
            messages.warning(request, str(exc))
            return redirect("renewals:models")
        messages.success(request, f"Scoring started as job #{job.pk}; follow it below.")
        return redirect("renewals:models")


class OutreachTaskListView(RenewalsMixin, View):
    def get(self, request):
        tasks = OutreachTask.objects.filter(staff=request.user).select_related("item")[:200]
        return render(request, "renewals/tasks.html", {"tasks": tasks})


class OutreachTaskDoneView(RenewalsMixin, View):
    def post(self, request, pk: int):
        try:
            task = services.outreach_task_complete(
                task_id=pk, user=request.user, outcome=request.POST.get("outcome", "")
            )
        except OutreachTask.DoesNotExist:
            raise Http404("No such call.") from None
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{task.title}: marked done.")
        return redirect("renewals:tasks")
