"""Pages of the review queues: the queue, an item with its evidence, decisions, bulk accept."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from common.errors import DomainError
from common.models import AuditEvent
from common.tables import keyset_paginate
from reviews import metric_panels, selectors, services
from reviews.drafting import hooks as draft_hooks
from reviews.forms import DecisionForm
from reviews.kinds import get_kind, kinds
from reviews.models import ReviewItem, ReviewPolicy
from reviews.permissions import DECIDE_MANAGER, MANAGE_POLICIES, QUEUE_PERMISSION

QUEUE_SORTS = {"priority": "priority", "age": "created_at", "id": "id"}
EDIT_PREFIX = "payload"  # the names of a kind's edit form fields, apart from the decision's


class QueueMixin:
    """For people with a review queue: they hold any one of ``permission_any``. Which items they
    see is narrowed to their queues by the selectors."""

    permission_any = tuple(QUEUE_PERMISSION.values())

    def dispatch(self, request, *args, **kwargs):
        if not any(request.user.has_perm(perm) for perm in self.permission_any):
            raise PermissionDenied("Your role has no review queue.")
        return super().dispatch(request, *args, **kwargs)


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


class ReviewQueueView(QueueMixin, View):
    def get(self, request):
        get = request.GET
        queryset = selectors.review_items_for(request.user, kind=get.get("kind", ""))
        if (priority := get.get("priority")) and priority.lstrip("-").isdigit():
            queryset = queryset.filter(priority__gte=int(priority))
        if (confidence := _decimal(get.get("min_confidence"))) is not None:
            queryset = queryset.filter(confidence__gte=confidence)
        if (low := _decimal(get.get("min_amount"))) is not None:
            queryset = queryset.filter(amount__gte=low)
        if (high := _decimal(get.get("max_amount"))) is not None:
            queryset = queryset.filter(amount__lte=high)
        page = keyset_paginate(
            queryset,
            sort=get.get("sort"),
            allowed=QUEUE_SORTS,
            default="-priority",
            cursor=get.get("cursor"),
            size=50,
        )
        context = {
            "page": page,
            "counts": selectors.counts_by_kind(request.user),
            "kinds": {k.name: k.label for k in kinds()},
            "queues": selectors.queues_for(request.user),
            "filters": get,
        }
        return render(request, "reviews/queue.html", context)


class ReviewItemDetailView(QueueMixin, View):
    def get(self, request, pk: int):
        item = get_object_or_404(selectors.review_items_for(request.user, status=None), pk=pk)
        return _render_item(request, item)


def _render_item(request, item: ReviewItem, status: int = 200, **extra):
    history = AuditEvent.objects.filter(object_type="review_item", object_id=str(item.pk)).order_by(
        "id"
    )
    spec = get_kind(item.kind)
    edit_form = extra.pop("edit_form", None)
    if (
        edit_form is None
        and spec.edit_form is not None
        and item.status == ReviewItem.Status.PENDING
    ):
        edit_form = spec.edit_form(item=item, prefix=EDIT_PREFIX)
    return render(
        request,
        "reviews/item.html",
        {
            "item": item,
            "form": DecisionForm(),
            "edit_form": edit_form,
            "payload_facts": _facts(spec, item.payload),
            "edit_changes": _changes(spec, item) if item.edit_diff else [],
            "history": history,
            "next_url": _next_url(request.user, item),
            "reversible": spec.reverse is not None,
            "communications": item.communications.all(),
            **extra,
        },
        status=status,
    )


def _facts(spec, payload: dict) -> list[tuple[str, str]]:
    """A typed payload's labelled lines (none for a kind without a payload type)."""
    if spec.payload_type is None:
        return []
    try:
        return spec.payload_type.from_payload(payload).facts()
    except DomainError:  # shown key by key instead, as a kind without a type is
        return []


def _changes(spec, item: ReviewItem) -> list[tuple[str, str, str]]:
    """An edit as (label, before, after) of the lines that changed, for a typed payload."""
    before = dict(_facts(spec, item.original_payload))
    return [
        (label, before.get(label, ""), text)
        for label, text in _facts(spec, item.payload)
        if before.get(label, "") != text
    ]


def _next_url(user, item: ReviewItem) -> str:
    following = (
        selectors.review_items_for(user).exclude(pk=item.pk).order_by("-priority", "id").first()
    )
    return (following and reverse("reviews:item", args=[following.pk])) or reverse("reviews:queue")


class ReviewItemDecideView(QueueMixin, View):
    def post(self, request, pk: int):
        item = get_object_or_404(selectors.review_items_for(request.user, status=None), pk=pk)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose Accept, Save edit, or Reject.")
            return redirect("reviews:item", pk=pk)
        decision = form.cleaned_data["decision"]
        spec = get_kind(item.kind)
        edit_form = None
        if decision == "edit" and spec.edit_form is not None:
            # The kind's own form: its errors are shown beside the fields, the edit kept.
            edit_form = spec.edit_form(request.POST, item=item, prefix=EDIT_PREFIX)
            if not edit_form.is_valid():
                return _render_item(request, item, 400, edit_form=edit_form)
            payload = edit_form.payload()
        elif decision == "edit":
            payload = form.payload(request.POST, item)
        else:
            payload = None
        try:
            item = services.review_item_decide(
                item_id=item.pk,
                user=request.user,
                decision=decision,
                payload=payload,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, f"#{pk}: {exc}")
            if edit_form is not None:
                item.refresh_from_db()  # decided meanwhile, perhaps; the edit stays on the page
                return _render_item(request, item, 400, edit_form=edit_form)
            if exc.code == "draft_blocked" and decision == "edit":
                # Keep the person's text on the page, with its flags, rather than lose it.
                edited = draft_hooks.checked(form.payload(request.POST, item), item.payload)
                return _render_item(request, item, 400, draft_override=edited["draft"])
            return redirect("reviews:item", pk=pk)
        if decision == "edit":
            messages.success(
                request,
                f"#{item.pk} {item.title}: your edit is saved; someone else must approve it.",
            )
            return redirect("reviews:item", pk=item.pk)
        messages.success(request, f"#{item.pk} {item.title}: {item.get_status_display().lower()}.")
        return redirect(_next_url(request.user, item))


class ReviewItemRetryView(QueueMixin, View):
    def post(self, request, pk: int):
        item = get_object_or_404(selectors.review_items_for(request.user, status=None), pk=pk)
        try:
            services.review_item_retry(item_id=item.pk, user=request.user)
        except DomainError as exc:
            messages.error(request, f"#{pk}: {exc}")
        else:
            messages.success(request, f"#{pk}: the effect will run again in a moment.")
        return redirect("reviews:item", pk=pk)


class ReviewItemReverseView(QueueMixin, View):
    def post(self, request, pk: int):
        item = get_object_or_404(selectors.review_items_for(request.user, status=None), pk=pk)
        try:
            services.review_item_reverse(
                item_id=item.pk, user=request.user, reason=request.POST.get("reason", "")
            )
        except DomainError as exc:
            messages.error(request, f"#{pk}: {exc}")
        else:
            messages.success(request, f"#{pk}: reversed; the reversal is in the audit trail.")
        return redirect("reviews:item", pk=pk)


class ReviewBulkAcceptView(QueueMixin, View):
    def post(self, request):
        ids = [int(i) for i in request.POST.getlist("items") if i.isdigit()][:200]
        if not ids:
            messages.error(request, "Select the items to accept first.")
            return redirect("reviews:queue")
        # Only items in the person's own queues: another queue's item is neither decided nor
        # described (not even who decided it).
        visible = set(
            selectors.review_items_for(request.user, status=None)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        accepted = 0
        for item_id in ids:
            if item_id not in visible:
                messages.warning(request, f"#{item_id} not accepted: it is not in your queues.")
                continue
            try:
                services.review_item_decide(item_id=item_id, user=request.user, decision="accept")
                accepted += 1
            except (DomainError, ReviewItem.DoesNotExist) as exc:
                messages.warning(request, f"#{item_id} not accepted: {exc}")
        messages.success(request, f"Accepted {accepted} of {len(ids)} selected items.")
        return redirect("reviews:queue")


class GovernanceView(PermissionRequiredMixin, View):
    """Managers choose, per kind and segment, who decides: nobody yet, a person, or a policy."""

    permission_required = MANAGE_POLICIES
    raise_exception = True

    def get(self, request):
        policies = {
            (p.kind, p.segment): p for p in ReviewPolicy.objects.select_related("updated_by")
        }
        rows = []
        for kind in kinds():
            segments = sorted({seg for (k, seg) in policies if k == kind.name} | {""})
            for segment in segments:
                rows.append(
                    {"kind": kind, "segment": segment, "policy": policies.get((kind.name, segment))}
                )
        return render(
            request, "reviews/governance.html", {"rows": rows, "modes": ReviewPolicy.Mode.choices}
        )

    def post(self, request):
        post = request.POST
        try:
            services.review_policy_set(
                user=request.user,
                kind=post.get("kind", ""),
                segment=post.get("segment", "").strip(),
                mode=post.get("mode", ""),
                min_confidence=_decimal(post.get("min_confidence")),
                max_amount=_decimal(post.get("max_amount")),
            )
        except (DomainError, LookupError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Policy saved; the change is in the audit trail.")
        return redirect("reviews:governance")


class ReviewMetricsView(PermissionRequiredMixin, View):
    permission_required = DECIDE_MANAGER
    raise_exception = True

    def get(self, request):
        return render(
            request,
            "reviews/metrics.html",
            {
                "rows": selectors.review_metrics(),
                "series": selectors.decisions_by_day(),
                "labels": {k.name: k.label for k in kinds()},
                "panels": metric_panels.panels(),
            },
        )


class ManagerView(PermissionRequiredMixin, View):
    permission_required = DECIDE_MANAGER
    raise_exception = True

    def get(self, request):
        return render(request, "reviews/manager.html", selectors.manager_attention(request.user))
