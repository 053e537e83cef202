"""Pages of payments: the cash-application queue, a payment, imports, checks, hold, performance."""

import json

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from common.errors import DomainError
from common.htmx import render_page_or_partial
from common.money import format_money, typed_money
from common.services import job_run_enqueue_once
from common.tables import keyset_paginate
from dues import intake, permissions, selectors, services
from dues.forms import CheckForm, ImportForm, RefundForm
from dues.kinds import parse_allocations
from dues.models import MatchingPolicy, Payment, PaymentImport
from dues.services.policy import matching_policy, matching_policy_set
from imis_client.permissions import VIEW_MEMBERS
from imis_client.selectors import MemberFilters, member_search
from reviews.permissions import MANAGE_POLICIES

QUEUE_SORTS = {
    "id": "id",
    "received": "received_on",
    "amount": "amount",
    "confidence": "top_confidence",
}


class PaymentQueueView(PermissionRequiredMixin, View):
    """Unmatched, proposed, on hold, posted: filter, sort and page through payments."""

    permission_required = permissions.VIEW_PAYMENTS
    raise_exception = True

    def get(self, request):
        filters = selectors.QueueFilters.from_query(request.GET)
        queryset = selectors.payment_queue(filters)
        if (request.GET.get("sort") or "").lstrip("-") == "confidence":
            queryset = queryset.filter(top_confidence__isnull=False)
        page = keyset_paginate(
            queryset,
            sort=request.GET.get("sort"),
            allowed=QUEUE_SORTS,
            default="-received",
            cursor=request.GET.get("cursor"),
            size=50,
        )
        selectors.annotate_rows(page.items)
        counts = selectors.tab_counts()
        context = {
            "page": page,
            "filters": filters,
            "raw": request.GET,
            "tabs": [(key, label, counts[key]) for key, label, _ in selectors.TABS],
            "sources": Payment.Source.choices,
            "methods": Payment.Method.choices,
            "waiting": Payment.objects.filter(status=Payment.Status.RECEIVED).count(),
            "failed_events": selectors.failed_events(),
            "can_manage": request.user.has_perm(permissions.MANAGE_PAYMENTS),
        }
        return render_page_or_partial(
            request, "dues/queue.html", "dues/partials/_queue_table.html", context
        )


class PaymentDetailView(PermissionRequiredMixin, View):
    """One payment: what arrived, the candidates with their evidence, and the one-click actions."""

    permission_required = permissions.VIEW_PAYMENTS
    raise_exception = True

    def get(self, request, pk: int):
        record = selectors.payment_detail(pk)
        if record is None:
            raise Http404("No such payment.")
        payment = record.payment
        choices = selectors.split_choices(payment, record.candidates)
        top = record.candidates[0] if record.candidates else None
        prefill = {inv: amount for inv, amount in (top.allocations if top else [])}
        for invoice in choices:
            invoice.prefill = prefill.get(invoice.imis_id, "")
        others = selectors.pending_payments({i for c in record.candidates for i in c.invoice_ids})
        for candidate in record.candidates:
            for row in candidate.rows:
                row["also"] = [
                    e for e in others.get(row["invoice_id"], []) if e["payment_id"] != payment.pk
                ]
        context = {
            "r": record,
            "p": payment,
            "choices": choices,
            "members": sorted(
                {(c.member_id, record.names.get(c.member_id, "")) for c in record.candidates}
            ),
            "can_manage": request.user.has_perm(permissions.MANAGE_PAYMENTS),
            "is_open": payment.status in Payment.OPEN,
            "raw_json": json.dumps(payment.raw, indent=2, ensure_ascii=False)[:20000],
            "refund_form": RefundForm(initial={"amount": payment.available}),
        }
        return render(request, "dues/payment_detail.html", context)


def _back(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


class PaymentDecideView(PermissionRequiredMixin, View):
    """Apply to a candidate, split, keep as credit, or flag as not ours: one click each."""

    permission_required = permissions.MANAGE_PAYMENTS
    raise_exception = True

    def post(self, request, pk: int):
        payment = get_object_or_404(Payment, pk=pk)
        post = request.POST
        action = post.get("action", "")
        try:
            kwargs = {"action": action}
            if action == "candidate":
                kwargs["candidate_rank"] = int(post.get("rank") or 0)
            elif action in ("split", "credit"):
                kwargs["member_id"] = (post.get("member_other") or post.get("member") or "").strip()
                kwargs["payer_id"] = (post.get("payer") or "").strip()
                if action == "split":
                    kwargs["allocations"] = _split_allocations(post)
            payment = services.payment_decide(payment_id=pk, user=request.user, **kwargs)
        except (DomainError, ValueError) as exc:
            messages.error(request, f"Payment #{pk}: {exc}")
            return redirect("dues:payment_detail", pk=pk)
        if payment.status == Payment.Status.HELD:
            messages.success(
                request,
                f"Payment #{pk} applied ({format_money(payment.available)}); on hold until "
                f"{payment.hold_until:%Y-%m-%d %H:%M}. Undo it from the Hold page if needed.",
            )
        elif payment.status in Payment.OPEN:
            messages.success(
                request,
                f"Payment #{pk}: your choice is saved as a proposal; someone else must approve it "
                "(whoever proposes or edits cannot also approve).",
            )
        else:
            messages.success(request, f"Payment #{pk}: {payment.get_status_display().lower()}.")
        return redirect(_back(request, reverse("dues:queue")))


def _split_allocations(post) -> list:
    pairs = []
    for key, value in post.items():
        if key.startswith("amount_") and value.strip():
            try:
                amount = typed_money(value)
            except ValueError:
                raise DomainError(f"“{value}” is not an amount.") from None
            if amount:
                pairs.append((key.removeprefix("amount_"), amount))
    pairs += parse_allocations(post.get("other_invoices", ""))
    if not pairs:
        raise DomainError("Enter an amount for at least one invoice.")
    return pairs


class PaymentUndoView(PermissionRequiredMixin, View):
    permission_required = permissions.MANAGE_PAYMENTS
    raise_exception = True

    def post(self, request, pk: int):
        try:
            services.payment_undo(payment_id=pk, user=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Payment #{pk}: application undone; it is back in review.")
        return redirect(_back(request, reverse("dues:payment_detail", args=[pk])))


class PaymentRefundView(PermissionRequiredMixin, View):
    """Record a refund made outside the desk (a check returned, a bank transfer back)."""

    permission_required = permissions.MANAGE_PAYMENTS
    raise_exception = True

    def post(self, request, pk: int):
        form = RefundForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Enter the amount refunded.")
            return redirect("dues:payment_detail", pk=pk)
        try:
            services.payment_refund(
                payment_id=pk,
                amount=form.cleaned_data["amount"],
                reference=form.cleaned_data["reference"],
                user=request.user,
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Refund recorded on payment #{pk}.")
        return redirect("dues:payment_detail", pk=pk)


class PaymentMatchStartView(PermissionRequiredMixin, View):
    permission_required = permissions.MANAGE_PAYMENTS
    raise_exception = True

    def post(self, request):
        rematch = request.POST.get("rematch") == "1"
        try:
            job = job_run_enqueue_once(
                kind="dues.match_payments", params={"rematch": rematch}, requested_by=request.user
            )
        except DomainError as exc:
            messages.warning(request, str(exc))
            return redirect("dues:queue")
        messages.success(request, f"Matching started as job #{job.pk}.")
        return redirect(job)


class PaymentImportView(PermissionRequiredMixin, View):
    permission_required = permissions.MANAGE_PAYMENTS
    raise_exception = True

    def get(self, request):
        return self._page(request, ImportForm())

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._page(request, form, status=400)
        upload = form.cleaned_data["file"]
        try:
            record = intake.payment_import_file(
                filename=upload.name, content=upload.read(), uploaded_by=request.user
            )
        except DomainError as exc:
            form.add_error("file", str(exc))
            return self._page(request, form, status=400)
        messages.success(
            request,
            f"{record.filename}: {record.added} payments added, {record.duplicates} "
            f"already imported, {record.errors} lines with errors.",
        )
        return redirect(record)

    def _page(self, request, form, status=200):
        recent = PaymentImport.objects.select_related("uploaded_by")[:20]
        return render(request, "dues/import.html", {"form": form, "recent": recent}, status=status)


class PaymentImportDetailView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_PAYMENTS
    raise_exception = True

    def get(self, request, pk: int):
        record = get_object_or_404(PaymentImport.objects.select_related("uploaded_by"), pk=pk)
        payments = list(record.payments.order_by("line_number", "id")[:500])
        selectors.annotate_rows(payments)
        return render(request, "dues/import_detail.html", {"record": record, "payments": payments})


class CheckEntryView(PermissionRequiredMixin, View):
    permission_required = permissions.MANAGE_PAYMENTS
    raise_exception = True

    def get(self, request):
        return render(request, "dues/check_form.html", {"form": CheckForm()})

    def post(self, request):
        form = CheckForm(request.POST)
        if form.is_valid():
            try:
                payment = intake.check_enter(user=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Check {form.cleaned_data['check_number']} entered as payment "
                    f"#{payment.pk}; matching will propose where it goes.",
                )
                return redirect(payment)
        return render(request, "dues/check_form.html", {"form": form}, status=400)


class HoldSummaryView(PermissionRequiredMixin, View):
    """What posts to iMIS when, with one-click undo while the hold lasts."""

    permission_required = permissions.VIEW_PAYMENTS
    raise_exception = True

    def get(self, request):
        context = selectors.hold_summary()
        context["can_manage"] = request.user.has_perm(permissions.MANAGE_PAYMENTS)
        return render(request, "dues/hold.html", context)


class MatchingPerformanceView(PermissionRequiredMixin, View):
    permission_required = permissions.VIEW_MATCHING
    raise_exception = True

    def get(self, request):
        data = selectors.matching_performance()
        chart = {
            "labels": [row["band"] for row in data["bands"]],
            "precision": [row["precision"] for row in data["bands"]],
            "auto_rate": [row["auto_rate"] for row in data["bands"]],
        }
        policy = {
            "current": matching_policy(),
            "choices": MatchingPolicy.TieRule.choices,
            "can_set": request.user.has_perm(MANAGE_POLICIES),
        }
        return render(request, "dues/performance.html", {**data, "chart": chart, "policy": policy})


class MatchingPolicySetView(PermissionRequiredMixin, View):
    """A manager chooses what matching does when several open invoices equal the amount."""

    permission_required = MANAGE_POLICIES
    raise_exception = True

    def post(self, request):
        try:
            matching_policy_set(user=request.user, tie_rule=request.POST.get("tie_rule", ""))
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Matching rule saved; the change is in the audit trail.")
        return redirect("dues:performance")


class MemberPendingView(PermissionRequiredMixin, View):
    """The member page's flags: invoices with a payment on its way (loaded there with htmx)."""

    permission_required = VIEW_MEMBERS
    raise_exception = True

    def get(self, request, imis_id: str):
        rows = selectors.pending_for_member(imis_id)
        return render(
            request,
            "dues/partials/_member_pending.html",
            {"rows": rows, "can_see": request.user.has_perm(permissions.VIEW_PAYMENTS)},
        )


class PartySearchView(PermissionRequiredMixin, View):
    """Members and organisations whose name, iMIS id or e-mail matches a search: the options of
    a member picker (the payment-application edit form asks with htmx as the person types)."""

    permission_required = permissions.MANAGE_PAYMENTS
    raise_exception = True

    def get(self, request):
        q = (request.GET.get("q") or "").strip()[:100]
        searched = len(q) >= 2
        parties = (
            list(member_search(MemberFilters(q=q)).order_by("name", "imis_id")[:10])
            if searched
            else []
        )
        return render(
            request,
            "dues/partials/_party_options.html",
            {"parties": parties, "q": q, "searched": searched},
        )
