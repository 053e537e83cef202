"""Reads of the drafting pages: the template library, preview members, the draft log."""

from django.db.models import Count, Max, Q, QuerySet

from imis_client import models as m
from reviews.drafting.purposes import PURPOSE_SPECS
from reviews.models import DraftRecord, GuardrailRule, MessageTemplate, MessageTemplateVersion


def template_library() -> list[dict]:
    """One row per purpose and channel, with its current version, in the purposes' order."""
    annotated = MessageTemplate.objects.annotate(
        n=Count("versions"), latest=Max("versions__version")
    )
    templates = {(t.purpose, t.channel): t for t in annotated}
    current = {
        (v.template_id, v.version): v
        for v in MessageTemplateVersion.objects.filter(
            template__in=[t.pk for t in templates.values()]
        ).select_related("created_by")
    }
    rows = []
    for spec in PURPOSE_SPECS.values():
        for channel in spec.channels:
            template = templates.get((spec.name, channel))
            version = current.get((template.pk, template.latest)) if template else None
            rows.append(
                {"purpose": spec, "channel": channel, "template": template, "version": version}
            )
    return rows


def template_versions(template: MessageTemplate) -> QuerySet:
    return template.versions.select_related("created_by").order_by("-version")


def preview_members(purpose: str, limit: int = 25) -> list[tuple[str, str, str]]:
    """Members to preview against: (iMIS id, name, an open invoice id) — with an open invoice
    when the purpose is about one."""
    spec = PURPOSE_SPECS[purpose]
    if spec.needs_invoice or purpose in ("inquiry_reply", "credit_explanation"):
        invoices = (
            m.ImisInvoice.objects.filter(is_open=True, balance__gt=0, deleted_at__isnull=True)
            .exclude(sold_to_id="")
            .order_by("-invoice_date", "imis_id")[: limit * 2]
        )
        parties = {
            p.imis_id: p
            for p in m.ImisParty.objects.filter(imis_id__in=[i.sold_to_id for i in invoices])
        }
        rows, seen = [], set()
        for invoice in invoices:
            party = parties.get(invoice.sold_to_id)
            if party and party.imis_id not in seen:
                seen.add(party.imis_id)
                rows.append((party.imis_id, party.name, invoice.imis_id))
        return rows[:limit]
    parties = m.ImisParty.objects.filter(
        Q(is_member=True) | Q(paid_thru__isnull=False),
        deleted_at__isnull=True,
        is_organization=False,
    ).order_by("-paid_thru", "imis_id")[:limit]
    return [(p.imis_id, p.name, "") for p in parties]


def open_invoice_of(member_id: str) -> str:
    invoice = (
        m.ImisInvoice.objects.filter(
            Q(sold_to_id=member_id) | Q(bill_to_id=member_id),
            is_open=True,
            deleted_at__isnull=True,
        )
        .order_by("-invoice_date", "-imis_id")
        .first()
    )
    return invoice.imis_id if invoice else ""


def guardrail_rules(kind: str = "") -> QuerySet:
    queryset = GuardrailRule.objects.select_related("updated_by")
    return queryset.filter(kind=kind) if kind else queryset


def draft_records(*, purpose: str = "", model: str = "") -> QuerySet:
    queryset = DraftRecord.objects.select_related("template_version")
    if purpose:
        queryset = queryset.filter(purpose=purpose)
    if model == "template":
        queryset = queryset.filter(model="")
    elif model:
        queryset = queryset.filter(model=model)
    return queryset
