"""Pages of billing: the policy, checks and findings, an invoice against policy, credit memos,
and the proration & refund calculator. One view per action; each checks its permission."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from common.errors import DomainError
from common.htmx import render_page_or_partial
from common.models import AuditEvent
from common.services import job_run_enqueue
from common.tables import keyset_paginate
from dues.billing import calculator as calc
from dues.billing import memos, permissions, selectors, services
from dues.billing.calculate import CHANGES, calculate
from dues.billing.forms import AmendForm, BillingPolicyForm, CalculatorForm
from dues.billing.policy import RULES, as_texts, current_policy, defaults
from dues.billing.prices import price_book
from dues.collections import dunning_permissions as dunning_perms
from dues.collections.dunning_selectors import invoice_collections
from dues.models import BillingPolicySetting, CheckRun, CreditMemo, Finding
from reviews.models import Communication, ReviewItem
from reviews.permissions import QUEUE_PERMISSION
from reviews.services import review_item_decide


class BillingPolicyView(PermissionRequiredMixin, View):
    """Every rule with its value in force and where it comes from; managers change them."""

    permission_required = permissions.VIEW_BILLING
    raise_exception = True

    def _context(self, request, form=None) -> dict:
        texts = as_texts(current_policy())
        env = {r.name: r.text(v) for r, v in zip(RULES, defaults().values(), strict=True)}
        stored = {s.name: s for s in BillingPolicySetting.objects.select_related("updated_by")}
        rows = [
            {
                "rule": rule,
                "value": texts[rule.name],
                "default": env[rule.name],
                "override": stored.get(rule.name),
            }
            for rule in RULES
        ]
        can_change = request.user.has_perm(permissions.MANAGE_POLICY)
        return {
            "rows": rows,
            "form": form or BillingPolicyForm(texts=texts),
            "can_change": can_change,
        }

    def get(self, request):
        return render(request, "dues/billing/policy.html", self._context(request))


class BillingPolicyUpdateView(BillingPolicyView):
    """A manager saves changed rules (each change audited, before and after)."""

    permission_required = permissions.MANAGE_POLICY
    http_method_names = ["post"]

    def post(self, request):
        texts = as_texts(current_policy())
        form = BillingPolicyForm(request.POST, texts=texts)
        if form.is_valid():
            values = form.changed_values(texts)
            if not values:
                messages.info(request, "Nothing was changed.")
                return redirect("dues:billing:policy")
            try:
                changed = services.billing_policy_set(user=request.user, values=values)
            except DomainError as exc:
                messages.error(request, str(exc))
                return render(
                    request, "dues/billing/policy.html", self._context(request, form), status=400
                )
            messages.success(
                request, f"Billing policy saved ({len(changed)} changed); the change is audited."
            )
        return redirect("dues:billing:policy")


# --- billing checks and findings ------------------------------------------------------------

FINDING_SORTS = {
    "found": "created_at",
    "difference": "difference",
    "billed": "billed",
    "confidence": "confidence",
    "kind": "kind",
}


class BillingChecksView(PermissionRequiredMixin, View):
    """Findings of the invoice checks: counts per kind, filters, sorting, the latest run."""

    permission_required = permissions.VIEW_BILLING
    raise_exception = True

    def get(self, request):
        filters = selectors.FindingFilters.from_query(request.GET)
        page = keyset_paginate(
            selectors.findings(filters).select_related("run"),
            sort=request.GET.get("sort"),
            allowed=FINDING_SORTS,
            default="-found",
            cursor=request.GET.get("cursor"),
            size=50,
        )
        context = {
            "page": page,
            "filters": filters,
            "kinds": selectors.kind_counts(filters),
            "statuses": [("active", "Open or memo proposed"), *Finding.Status.choices],
            "summary": selectors.check_summary(),
            "can_run": request.user.has_perm(permissions.RUN_CHECKS),
        }
        return render_page_or_partial(
            request,
            "dues/billing/checks.html",
            "dues/billing/partials/_findings_table.html",
            context,
        )


class BillingChecksRunView(PermissionRequiredMixin, View):
    """Queue the checks of the policy's window now (a background job with progress)."""

    permission_required = permissions.RUN_CHECKS
    raise_exception = True

    def post(self, request):
        job = job_run_enqueue(
            kind="dues.billing_checks",
            params={"trigger": CheckRun.Trigger.PAGE, "user": request.user.pk},
            requested_by=request.user,
        )
        messages.success(request, f"The invoice checks are queued (job #{job.pk}).")
        return redirect("dues:billing:checks")


class InvoiceBillingView(PermissionRequiredMixin, View):
    """One invoice: billed against expected, line by line, with the breakdown."""

    permission_required = permissions.VIEW_BILLING
    raise_exception = True

    def get(self, request, invoice_id: str):
        view = selectors.invoice_view(invoice_id)
        if view is None:
            raise Http404("No such invoice in the mirror.")
        context = {"view": view, "can_propose": request.user.has_perm(permissions.PROPOSE_MEMO)}
        if request.user.has_perm(dunning_perms.VIEW_DUNNING):
            # Collections (dunning, pauses, plans) shows on the invoice it is about.
            context["collections"] = invoice_collections(invoice_id)
            context["can_plan"] = request.user.has_perm(dunning_perms.MANAGE_PLANS)
        return render(request, "dues/billing/invoice.html", context)


# --- credit memos -----------------------------------------------------------------------------

MEMO_SORTS = {"id": "id", "amount": "amount", "created": "created_at"}


class CreditMemoListView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_BILLING
    raise_exception = True

    def get(self, request):
        status = request.GET.get("status", "")
        page = keyset_paginate(
            selectors.memos(status=status),
            sort=request.GET.get("sort"),
            allowed=MEMO_SORTS,
            default="-id",
            cursor=request.GET.get("cursor"),
            size=50,
        )
        return render_page_or_partial(
            request,
            "dues/billing/memos.html",
            "dues/billing/partials/_memo_table.html",
            {"page": page, "status": status, "counts": selectors.memo_counts()},
        )


class CreditMemoDetailView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_BILLING
    raise_exception = True

    def get(self, request, pk: int):
        return _render_memo(request, get_object_or_404(selectors.memos(), pk=pk))


def _render_memo(request, memo: CreditMemo, *, form=None, status: int = 200):
    item = memo.review_item
    may_decide = bool(
        item
        and item.status == ReviewItem.Status.PENDING
        and request.user.has_perm(QUEUE_PERMISSION[item.queue])
    )
    history = AuditEvent.objects.filter(object_type="credit_memo", object_id=str(memo.pk))
    return render(
        request,
        "dues/billing/memo.html",
        {
            "memo": memo,
            "item": item,
            "form": form or AmendForm(initial={"amount": memo.amount, "reason": memo.reason}),
            "can_amend": memo.status == CreditMemo.Status.PROPOSED
            and request.user.has_perm(permissions.PROPOSE_MEMO),
            "may_decide": may_decide,
            "reject_reasons": ReviewItem.RejectReason.choices,
            "history": history.order_by("id"),
            "explained": Communication.objects.filter(key=f"billing-memo-{memo.pk}").first(),
            "journal": [
                {
                    "entry": entry,
                    "account": line.get_account_display(),
                    "debit": line.amount if line.amount > 0 else None,
                    "credit": -line.amount if line.amount < 0 else None,
                }
                for entry in memo.journal.prefetch_related("lines")
                for line in entry.lines.all()
            ],
        },
        status=status,
    )


class CreditMemoAmendView(PermissionRequiredMixin, View):
    """Change a proposed memo's amount: filed again by this person; someone else approves."""

    permission_required = permissions.PROPOSE_MEMO
    raise_exception = True

    def post(self, request, pk: int):
        memo = get_object_or_404(CreditMemo, pk=pk)
        form = AmendForm(request.POST)
        if not form.is_valid():
            return _render_memo(request, memo, form=form, status=400)
        try:
            memos.credit_memo_amend(
                memo_id=memo.pk,
                user=request.user,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            return _render_memo(request, memo, form=form, status=400)
        messages.success(
            request, "Amount changed and the explanation drafted again; someone else approves it."
        )
        return redirect("dues:billing:memo", pk=memo.pk)


class CreditMemoDecideView(PermissionRequiredMixin, View):
    """Approve or reject a memo's proposal, under the review rules (four eyes, thresholds)."""

    permission_required = permissions.VIEW_BILLING
    raise_exception = True

    def post(self, request, pk: int):
        memo = get_object_or_404(CreditMemo.objects.select_related("review_item"), pk=pk)
        item = memo.review_item
        decision = request.POST.get("decision", "")
        if item is None or decision not in ("accept", "reject"):
            messages.error(request, "Choose Approve or Reject.")
            return redirect("dues:billing:memo", pk=pk)
        memos.current_kind()
        try:
            review_item_decide(
                item_id=item.pk,
                user=request.user,
                decision=decision,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            done = "approved: it posts to iMIS in a moment" if decision == "accept" else "rejected"
            messages.success(request, f"{memo.label} {memo.reference} {done}.")
        return redirect("dues:billing:memo", pk=pk)


# --- the proration & refund calculator -------------------------------------------------------


def _calculator_form(data=None, initial=None) -> CalculatorForm:
    policy = current_policy()
    return CalculatorForm(
        data,
        initial=initial,
        changes=CHANGES,
        years=[y for y, _ in policy.multi_year_discounts],
        types=calc.member_types(policy, price_book()),
    )


def _calculation(form: CalculatorForm):
    data = form.cleaned_data
    return calculate(
        member_id=data["member"],
        change=data["change"],
        on=data["on"],
        new_type=data.get("new_type") or "",
        years=data.get("years") or 1,
        paid=data.get("paid"),
    )


class CalculatorView(PermissionRequiredMixin, View):
    """Pick a member, a change and a date; see the breakdown; propose the memo from here."""

    permission_required = permissions.VIEW_BILLING
    raise_exception = True

    def get(self, request):
        result, error = None, ""
        if "change" in request.GET:
            form = _calculator_form(request.GET)
            if form.is_valid():
                try:
                    result = _calculation(form)
                except DomainError as exc:
                    error = str(exc)
        else:
            form = _calculator_form(initial={"member": request.GET.get("member", "")})
        return render(
            request,
            "dues/billing/calculator.html",
            {
                "form": form,
                "result": result,
                "error": error,
                "query": request.GET.urlencode(),
                "can_propose": request.user.has_perm(permissions.PROPOSE_MEMO),
            },
            status=400 if error else 200,
        )


class CalculatorProposeView(PermissionRequiredMixin, View):
    """File the calculated adjustment as a memo for review (this person is its proposer)."""

    permission_required = permissions.PROPOSE_MEMO
    raise_exception = True

    def post(self, request):
        form = _calculator_form(request.POST)
        if not form.is_valid():
            messages.error(request, "Check the calculator's fields, then propose again.")
            return redirect("dues:billing:calculator")
        try:
            result = _calculation(form)
            memo = memos.credit_memo_propose(
                invoice_id=result.invoice.imis_id,
                amount=result.amount,
                reason=result.reason,
                breakdown=result.steps,
                parts=result.parts,
                origin=CreditMemo.Origin.CALCULATOR,
                user=request.user,
                segment="calculator",
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(f"{reverse('dues:billing:calculator')}?{request.POST.urlencode()}")
        messages.success(request, f"{memo.label} {memo.reference} proposed for review.")
        return redirect("dues:billing:memo", pk=memo.pk)
