"""Pages of billing: the policy, checks and findings, an invoice against policy, credit memos,
and the proration & refund calculator. One view per action; each checks its permission."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views import View

from common.errors import DomainError
from dues.billing import permissions, services
from dues.billing.forms import BillingPolicyForm
from dues.billing.policy import RULES, as_texts, current_policy, defaults
from dues.models import BillingPolicySetting


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

    def post(self, request):
        if not request.user.has_perm(permissions.MANAGE_POLICY):
            raise PermissionDenied("Only a manager can change the billing policy.")
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
