"""Staff pages of dunning: the day's steps and pauses, the cadence a manager edits, payment plans
from the invoice page, and opt-outs recorded by staff."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from common.errors import DomainError
from common.htmx import render_page_or_partial
from common.services import job_run_enqueue_once
from common.tables import keyset_paginate
from dues.collections import cadence, consent, plans
from dues.collections import dunning_permissions as perms
from dues.collections import dunning_selectors as selectors
from dues.collections.forms import OptOutForm, PlanCancelForm, PlanForm, StepForm
from dues.models import DunningAction, PaymentPlan

ACTION_SORTS = {"id": "id", "created": "created_at", "balance": "balance", "invoice": "invoice_id"}


class DunningTodayView(PermissionRequiredMixin, View):
    """The steps filed (today and before), filterable by step and status, and open pauses."""

    permission_required = perms.VIEW_DUNNING
    raise_exception = True

    def get(self, request):
        step, status = request.GET.get("step", ""), request.GET.get("status", "")
        page = keyset_paginate(
            selectors.actions(step=step, status=status, q=request.GET.get("q", "")),
            sort=request.GET.get("sort"),
            allowed=ACTION_SORTS,
            default="-id",
            cursor=request.GET.get("cursor"),
            size=50,
        )
        context = {
            "page": page,
            "step": step,
            "status": status,
            "q": request.GET.get("q", ""),
            "steps": cadence.steps(),
            "statuses": DunningAction.Status.choices,
            "summary": selectors.dunning_summary(today=timezone.localdate()),
            "series": selectors.dunning_series(days=30),
            "pauses": selectors.open_pauses_list(limit=50),
            "can_run": request.user.has_perm(perms.MANAGE_CADENCE),
        }
        return render_page_or_partial(
            request,
            "dues/collections/dunning.html",
            "dues/collections/partials/_actions_table.html",
            context,
        )


class DunningRunView(PermissionRequiredMixin, View):
    permission_required = perms.MANAGE_CADENCE
    raise_exception = True

    def post(self, request):
        try:
            job = job_run_enqueue_once(kind="dues.dunning_run", requested_by=request.user)
        except DomainError as exc:
            messages.warning(request, str(exc))
            return redirect("dues:dunning:today")
        messages.success(request, f"The dunning planner started as job #{job.pk}.")
        return redirect(job)


class CadenceView(PermissionRequiredMixin, View):
    permission_required = perms.VIEW_DUNNING
    raise_exception = True

    def get(self, request):
        return self._page(request, None)

    def _page(self, request, bad: StepForm | None, status: int = 200):
        forms = []
        for step in cadence.steps():
            if bad is not None and bad.data.get("code") == step.code:
                forms.append((step, bad))
                continue
            initial = {name: getattr(step, name) for name in cadence.FIELDS}
            forms.append((step, StepForm(initial={**initial, "code": step.code})))
        new = bad if bad is not None and bad.data.get("new") else StepForm(initial={"active": True})
        return render(
            request,
            "dues/collections/cadence.html",
            {
                "forms": forms,
                "new_form": new,
                "can_edit": request.user.has_perm(perms.MANAGE_CADENCE),
            },
            status=status,
        )


class CadenceSaveView(CadenceView):
    permission_required = perms.MANAGE_CADENCE

    def post(self, request):
        form = StepForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The step was not saved: correct the fields marked below.")
            return self._page(request, form, status=400)
        data = dict(form.cleaned_data)
        code = data.pop("code")
        try:
            step = cadence.dunning_step_save(user=request.user, code=code, **data)
        except DomainError as exc:
            form.add_error(None, str(exc))
            messages.error(request, f"The step was not saved: {exc}")
            return self._page(request, form, status=400)
        messages.success(request, f"Saved step “{step.label}” (day {step.offset_days:+d}).")
        return redirect("dues:dunning:cadence")


def _back(invoice_id: str):
    return redirect("dues:billing:invoice", invoice_id=invoice_id)


class PlanCreateView(PermissionRequiredMixin, View):
    permission_required = perms.MANAGE_PLANS
    raise_exception = True

    def post(self, request, invoice_id: str):
        form = PlanForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"No plan offered: {form.errors.as_text()}")
            return _back(invoice_id)
        try:
            item = plans.plan_offer_propose(
                invoice_id=invoice_id,
                instalments=form.cleaned_data["instalments"],
                proposed_by=request.user,
                reason=form.cleaned_data.get("reason") or "",
            )
        except DomainError as exc:
            messages.error(request, f"No plan offered: {exc}")
            return _back(invoice_id)
        messages.success(
            request,
            f"Plan offer filed for review as item #{item.pk}; someone else approves it, then "
            "the member gets their link.",
        )
        return _back(invoice_id)


class PlanChangeView(PermissionRequiredMixin, View):
    permission_required = perms.MANAGE_PLANS
    raise_exception = True

    def post(self, request, pk: int):
        plan = get_object_or_404(PaymentPlan, pk=pk)
        form = PlanForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"The plan was not changed: {form.errors.as_text()}")
            return _back(plan.invoice_id)
        first_due = form.cleaned_data.get("first_due") or timezone.localdate() + timedelta(14)
        try:
            item = plans.plan_change(
                plan_id=plan.pk,
                instalments=form.cleaned_data["instalments"],
                first_due=first_due,
                by=request.user,
            )
        except DomainError as exc:
            messages.error(request, f"The plan was not changed: {exc}")
            return _back(plan.invoice_id)
        messages.success(
            request, f"Plan {plan.pk} changed; its old link no longer works; new offer #{item.pk}."
        )
        return _back(plan.invoice_id)


class PlanCancelView(PermissionRequiredMixin, View):
    permission_required = perms.MANAGE_PLANS
    raise_exception = True

    def post(self, request, pk: int):
        plan = get_object_or_404(PaymentPlan, pk=pk)
        form = PlanCancelForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say why the plan is cancelled; the member's record keeps it.")
            return _back(plan.invoice_id)
        try:
            plans.plan_cancel(plan_id=plan.pk, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, f"The plan was not cancelled: {exc}")
            return _back(plan.invoice_id)
        messages.success(request, f"Plan {plan.pk} cancelled; its link no longer works.")
        return _back(plan.invoice_id)


class OptOutView(PermissionRequiredMixin, View):
    """Staff record a member's opt-out (or opt-in again) they were told of by phone or letter;
    the member's page shows it."""

    permission_required = perms.MANAGE_CONSENT
    raise_exception = True

    def post(self, request):
        form = OptOutForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Nothing recorded: {form.errors.as_text()}")
            return redirect("home")
        data = form.cleaned_data
        party, channel = data["party_id"], data["channel"]
        try:
            if data["action"] == "out":
                consent.opt_out_record(
                    party_id=party,
                    channel=channel,
                    source="staff",
                    note=data.get("note") or "",
                    by=request.user,
                )
                messages.success(request, f"Member {party} no longer receives {channel}.")
            else:
                n = consent.opt_out_withdraw(
                    party_id=party, channel=channel, source="staff", by=request.user
                )
                messages.success(
                    request,
                    f"Member {party} receives {channel} again."
                    if n
                    else f"Member {party} had not opted out of {channel}; nothing changed.",
                )
        except DomainError as exc:
            messages.error(request, f"Nothing recorded: {exc}")
        return redirect("imis_client:member_detail", imis_id=party)
