"""Pages of new-member billing: members who joined without a dues line, their proposed packages
and where each stands, and the scan that proposes what is missing."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import redirect, render
from django.views import View

from common.errors import DomainError
from dues.billing import newmember
from dues.close import revenue_permissions as perms
from reviews.models import ReviewItem

SORTS = {"member": "member_id", "amount": "amount", "status": "status", "created": "created_at"}


class NewMemberBillingView(PermissionRequiredMixin, View):
    """Proposed billing packages of new members, sortable and filtered by status."""

    permission_required = perms.VIEW_REVENUE
    raise_exception = True

    def get(self, request):
        sort = request.GET.get("sort", "-created")
        field = SORTS.get(sort.lstrip("-"), "created_at")
        items = ReviewItem.objects.filter(kind=newmember.KIND).order_by(
            f"{'-' if sort.startswith('-') else ''}{field}", "-id"
        )
        status = request.GET.get("status", "")
        if status in ReviewItem.Status.values:
            items = items.filter(status=status)
        context = {
            "items": items[:500],
            "waiting": newmember.new_members_without_billing(),
            "sort": sort,
            "status": status,
            "statuses": ReviewItem.Status.choices,
            "can_run": request.user.has_perm(perms.RUN_RECOGNITION),
        }
        return render(request, "dues/close/newmembers.html", context)


class NewMemberScanView(PermissionRequiredMixin, View):
    """Propose a package for each new member without billing (the sync does it after each run)."""

    permission_required = perms.RUN_RECOGNITION
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request):
        try:
            result = newmember.newmember_scan(user=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("dues:revenue:newmembers")
        text = f"{result['proposed']} billing package(s) proposed for review"
        if result["already"]:
            text += f"; {result['already']} already proposed"
        messages.success(request, text + ".")
        for refusal in result["refused"][:5]:
            messages.warning(request, f"Not proposed: {refusal}")
        return redirect("dues:revenue:newmembers")
