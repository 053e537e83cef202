"""Pages of drafting: the template library with version history and live preview, guardrail
rules, the draft log, and the live re-check of a draft while a person edits it."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Avg, Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from common.errors import DomainError
from common.tables import keyset_paginate
from reviews import selectors as review_selectors
from reviews.drafting import elements, hooks, selectors
from reviews.drafting import services as drafting_services
from reviews.drafting.compose import preview
from reviews.drafting.purposes import PURPOSE_SPECS, get_purpose
from reviews.drafting.templates import validate_template
from reviews.models import GuardrailRule, MessageTemplate
from reviews.permissions import DECIDE_MANAGER, MANAGE_TEMPLATES
from reviews.views import QueueMixin


class TemplateListView(QueueMixin, View):
    def get(self, request):
        return render(
            request,
            "reviews/drafting/template_list.html",
            {
                "rows": selectors.template_library(),
                "can_edit": request.user.has_perm(MANAGE_TEMPLATES),
            },
        )


def _element_lines(spec, channel: str) -> list:
    from django.conf import settings

    return elements.required_elements(
        purpose=spec, channel=channel, auto=False, association=settings.DRAFTING_ASSOCIATION_NAME
    )


class TemplateDetailView(QueueMixin, View):
    def get(self, request, pk: int):
        template = get_object_or_404(MessageTemplate, pk=pk)
        context = _detail_context(request, template)
        wanted = request.GET.get("version", "")
        if wanted.isdigit():
            chosen = [v for v in context["versions"] if v.version == int(wanted)]
            context["shown"] = chosen[0] if chosen else context["shown"]
        return render(request, "reviews/drafting/template_detail.html", context)


class TemplateVersionCreateView(PermissionRequiredMixin, View):
    permission_required = MANAGE_TEMPLATES
    raise_exception = True

    def post(self, request, pk: int):
        template = get_object_or_404(MessageTemplate, pk=pk)
        try:
            version = drafting_services.template_version_create(
                template_id=template.pk,
                user=request.user,
                subject=request.POST.get("subject", ""),
                body=request.POST.get("body", ""),
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            # Keep what the manager wrote: the page shows it again with the error.
            post = request.POST
            context = {
                **_detail_context(request, template),
                "draft_subject": post.get("subject", ""),
                "draft_body": post.get("body", ""),
                "draft_note": post.get("note", ""),
            }
            return render(request, "reviews/drafting/template_detail.html", context)
        messages.success(request, f"Saved as version {version.version}; new drafts use it.")
        return redirect("reviews:template_detail", pk=template.pk)


def _detail_context(request, template) -> dict:
    spec = get_purpose(template.purpose)
    versions = list(selectors.template_versions(template))
    members = selectors.preview_members(template.purpose)
    return {
        "template": template,
        "spec": spec,
        "versions": versions,
        "shown": versions[0] if versions else None,
        "current": versions[0] if versions else None,
        "members": members,
        "default_member": members[0] if members else ("", "", ""),
        "can_edit": request.user.has_perm(MANAGE_TEMPLATES),
        "elements": _element_lines(spec, template.channel),
        "facts": sorted(spec.allowed_facts),
        "sms_limit": elements.SMS_LIMIT,
    }


class TemplatePreviewView(QueueMixin, View):
    """The draft the text being edited would give for the chosen member (htmx fragment)."""

    def post(self, request, pk: int):
        template = get_object_or_404(MessageTemplate, pk=pk)
        subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
        member_id = request.POST.get("member_id", "").strip().split(" ")[0]
        invoice_id = request.POST.get("invoice_id", "").strip()
        spec = get_purpose(template.purpose)
        uses_invoice = any(f in spec.allowed_facts for f in ("invoice_number", "amount_due"))
        if member_id and not invoice_id and uses_invoice:
            invoice_id = selectors.open_invoice_of(member_id)
        context = {
            "template": template,
            "member_id": member_id,
            "invoice_id": invoice_id,
            "error": "",
            "draft": None,
        }
        if not member_id:
            context["error"] = "Choose a member to preview the template against."
        else:
            try:
                validate_template(
                    purpose=template.purpose, channel=template.channel, subject=subject, body=body
                )
            except DomainError as exc:
                context["error"] = str(exc)
            if not context["error"] or "literal text" in context["error"]:
                try:
                    context["draft"] = preview(
                        purpose=template.purpose,
                        channel=template.channel,
                        subject=subject,
                        body=body,
                        member_id=member_id,
                        invoice_id=invoice_id,
                    ).as_payload()
                except DomainError as exc:
                    context["error"] = str(exc)
        return render(request, "reviews/drafting/partials/_preview.html", context)


class GuardrailListView(PermissionRequiredMixin, View):
    permission_required = MANAGE_TEMPLATES
    raise_exception = True

    def get(self, request):
        kind = request.GET.get("kind", "")
        return render(
            request,
            "reviews/drafting/guardrails.html",
            {
                "rules": selectors.guardrail_rules(kind),
                "kinds": GuardrailRule.Kind.choices,
                "severities": GuardrailRule.Severity.choices,
                "kind": kind,
                "purposes": list(PURPOSE_SPECS.values()),
            },
        )


class GuardrailRuleCreateView(PermissionRequiredMixin, View):
    permission_required = MANAGE_TEMPLATES
    raise_exception = True

    def post(self, request):
        post = request.POST
        try:
            rule = drafting_services.guardrail_rule_create(
                user=request.user,
                kind=post.get("kind", ""),
                phrase=post.get("phrase", ""),
                severity=post.get("severity", "block"),
                message=post.get("message", ""),
                purposes=post.getlist("purposes"),
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{rule.get_kind_display()} “{rule.phrase}” added.")
        return redirect("reviews:guardrails")


class GuardrailRuleUpdateView(PermissionRequiredMixin, View):
    permission_required = MANAGE_TEMPLATES
    raise_exception = True

    def post(self, request, pk: int):
        rule = get_object_or_404(GuardrailRule, pk=pk)
        post = request.POST
        try:
            rule = drafting_services.guardrail_rule_update(
                rule_id=rule.pk,
                user=request.user,
                is_active=post.get("is_active") == "on",
                severity=post.get("severity", rule.severity),
                message=post.get("message", rule.message),
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Rule “{rule.phrase}” saved.")
        return redirect("reviews:guardrails")


DRAFT_SORTS = {"created": "created_at", "latency": "latency_ms", "id": "id"}


class DraftLogView(PermissionRequiredMixin, View):
    """Every draft made: versions, model, latency, tokens, fallbacks, flags."""

    permission_required = DECIDE_MANAGER
    raise_exception = True

    def get(self, request):
        get = request.GET
        queryset = selectors.draft_records(
            purpose=get.get("purpose", ""), model=get.get("model", "")
        )
        summary = list(
            queryset.values("model")
            .annotate(
                n=Count("id"),
                latency=Avg("latency_ms"),
                fallbacks=Count("id", filter=~Q(fallback_reason="")),
                blocked=Count("id", filter=Q(blocking=True)),
                blocked_only=Count("id", filter=Q(blocking=True, fallback_reason="")),
            )
            .order_by("model")
        )
        page = keyset_paginate(
            queryset.exclude(latency_ms__isnull=True)
            if get.get("sort", "").endswith("latency")
            else queryset,
            sort=get.get("sort"),
            allowed=DRAFT_SORTS,
            default="-created",
            cursor=get.get("cursor"),
            size=50,
        )
        return render(
            request,
            "reviews/drafting/draft_log.html",
            {
                "page": page,
                "summary": summary,
                "filters": get,
                "purposes": list(PURPOSE_SPECS.values()),
            },
        )


class ReviewItemDraftCheckView(QueueMixin, View):
    """Flags of the draft as the person is editing it, before anything is saved (htmx)."""

    def post(self, request, pk: int):
        queryset = review_selectors.review_items_for(request.user, status=None)
        item = get_object_or_404(queryset, pk=pk)
        if not isinstance(item.payload.get("draft"), dict):
            return render(request, "reviews/drafting/partials/_draft_flags.html", {"draft": None})
        stored = item.payload["draft"]
        edited = {
            "draft": {
                "subject": request.POST.get("payload__draft__subject", stored.get("subject", "")),
                "body": request.POST.get("payload__draft__body", stored.get("body", "")),
            }
        }
        checked = hooks.checked(edited, item.payload)
        return render(
            request,
            "reviews/drafting/partials/_draft_flags.html",
            {"draft": checked["draft"], "item": item},
        )
