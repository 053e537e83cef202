"""Reads of the dunning pages: the steps filed, the day's figures, pauses, and one invoice's
collections (plans, pauses, steps, the member's opt-outs)."""

from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from dues.collections import pauses
from dues.models import ContactOptOut, DunningAction, DunningPause, PaymentPlan
from imis_client.models import ImisInvoice


def actions(*, step: str = "", status: str = "", q: str = "") -> QuerySet:
    rows = DunningAction.objects.select_related("step", "review_item")
    if step:
        rows = rows.filter(step__code=step)
    if status:
        rows = rows.filter(status=status)
    if q.strip():
        rows = rows.filter(Q(invoice_id=q.strip()) | Q(party_id=q.strip()))
    return rows


def dunning_summary(*, today: date) -> dict:
    counts = DunningAction.objects.aggregate(
        today=Count("id", filter=Q(planned_for=today)),
        open=Count("id", filter=Q(is_open=True)),
        sent=Count("id", filter=Q(status=DunningAction.Status.SENT)),
    )
    counts["paused"] = (
        DunningPause.objects.filter(ended_at__isnull=True).values("invoice_id").distinct().count()
    )
    counts["opted_out"] = ContactOptOut.objects.filter(withdrawn_at__isnull=True).count()
    counts["plans"] = PaymentPlan.objects.filter(status__in=PaymentPlan.LIVE).count()
    return counts


def dunning_series(*, days: int = 30) -> dict:
    """Steps filed and messages sent per day over the last ``days``, for the chart."""
    since = timezone.localdate() - timedelta(days=days - 1)
    rows = (
        DunningAction.objects.filter(created_at__date__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(filed=Count("id"), sent=Count("id", filter=Q(status=DunningAction.Status.SENT)))
    )
    by_day = {r["day"]: (r["filed"], r["sent"]) for r in rows}
    labels = [since + timedelta(days=n) for n in range(days)]
    return {
        "labels": [d.isoformat() for d in labels],
        "filed": [by_day.get(d, (0, 0))[0] for d in labels],
        "sent": [by_day.get(d, (0, 0))[1] for d in labels],
    }


def open_pauses_list(*, limit: int = 50) -> list[DunningPause]:
    return list(DunningPause.objects.filter(ended_at__isnull=True).order_by("-started_at")[:limit])


def invoice_collections(invoice_id: str) -> dict:
    """What the invoice page shows of collections: plans, why dunning is paused now (asked
    live), the steps filed, the next step, and the member's opt-outs."""
    from dues.collections.planner import next_step
    from dues.models import DunningStep

    invoice = ImisInvoice.objects.filter(imis_id=invoice_id).first()
    party = (invoice.bill_to_id or invoice.sold_to_id) if invoice else ""
    live = pauses.pauses_now([invoice_id]).get(invoice_id, [])
    if invoice is not None and (not invoice.is_open or (invoice.balance or 0) <= 0):
        live = [("closed", "the invoice is paid or closed"), *live]
    if party:
        live += [
            ("opt_out", f"the member opted out of {o.channel}")
            for o in ContactOptOut.objects.filter(party_id=party, withdrawn_at__isnull=True)
        ]
    found = None
    if invoice is not None and invoice.due_date and not live:
        active = list(DunningStep.objects.filter(active=True).order_by("offset_days"))
        filed = set(
            DunningAction.objects.filter(invoice_id=invoice_id).values_list("step_id", flat=True)
        )
        found = next_step(active, filed, invoice.due_date, timezone.localdate())
    plans = list(
        PaymentPlan.objects.filter(invoice_id=invoice_id)
        .prefetch_related("instalments")
        .select_related("review_item", "proposed_by", "last_edited_by")
        .order_by("-created_at")
    )
    return {
        "invoice": invoice,
        "party_id": party,
        "plans": plans,
        "live_plan": next((p for p in plans if p.status in PaymentPlan.LIVE), None),
        "pauses": live,
        "actions": list(
            DunningAction.objects.filter(invoice_id=invoice_id)
            .select_related("step", "review_item")
            .order_by("-created_at")[:20]
        ),
        "next_step": {"step": found[0], "on": found[1]} if found else None,
        "opt_outs": list(ContactOptOut.objects.filter(party_id=party)) if party else [],
    }


def invoice_status(invoice_ids: list[str]) -> dict:
    """Each invoice's next dunning step and pause, for the receivables drill-down
    (registered in ``invoice_status_providers``): pauses as the planner last recorded them."""
    from dues.collections.planner import next_step
    from dues.collections.status import InvoiceStatus
    from dues.models import DunningStep

    today = timezone.localdate()
    active = list(DunningStep.objects.filter(active=True).order_by("offset_days"))
    paused: dict[str, list[str]] = {}
    for pause in DunningPause.objects.filter(invoice_id__in=invoice_ids, ended_at__isnull=True):
        paused.setdefault(pause.invoice_id, []).append(pause.detail or pause.get_reason_display())
    filed: dict[str, set[int]] = {}
    for invoice_id, step_id in DunningAction.objects.filter(invoice_id__in=invoice_ids).values_list(
        "invoice_id", "step_id"
    ):
        filed.setdefault(invoice_id, set()).add(step_id)
    found = {}
    for invoice_id, due_date in ImisInvoice.objects.filter(
        imis_id__in=invoice_ids, is_open=True, due_date__isnull=False
    ).values_list("imis_id", "due_date"):
        if due_date is None:  # excluded by the query; for the types
            continue
        step = next_step(active, filed.get(invoice_id, set()), due_date, today)
        found[invoice_id] = InvoiceStatus(
            next_step=f"{step[0].label} ({step[0].get_channel_display().lower()}) on "
            f"{step[1].isoformat()}"
            if step
            else "",
            pause="Paused: " + "; ".join(paused[invoice_id]) if invoice_id in paused else "",
        )
    return found
