"""Where the schedules' events come from: the iMIS mirror (dues invoices, their dues lines, what
was paid and cancelled) and billing's posted credit memos. Each source row makes its event once
(its reference), so the refresh runs as often as the sync does."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from common.money import ZERO
from dues.billing.memos import REASONS
from dues.billing.policy import current_policy
from dues.billing.prices import price_book
from dues.close.recognition import Change, InvoiceTerm, revenue_events_apply, schedules_open
from dues.models import CreditMemo, RevenueEvent, RevenueSchedule
from imis_client.models import ImisInvoice, ImisSubscription

Kind = RevenueEvent.Kind
ACTOR = "revenue refresh"


def _dues_lines(invoice_ids: list[str]) -> dict[str, ImisSubscription]:
    """Each invoice's dues line (the member component, or an item that bills a member type)."""
    policy, prices = current_policy(), price_book()
    lines: dict[str, ImisSubscription] = {}
    rows = ImisSubscription.objects.filter(
        invoice_id__in=invoice_ids, deleted_at__isnull=True, bill_begin__isnull=False
    ).order_by("invoice_id", "bill_begin")
    for row in rows:
        is_dues = row.is_member_component or prices.member_type_of(policy, row.item_code)
        if is_dues and row.bill_through and row.invoice_id not in lines:
            lines[row.invoice_id] = row
    return lines


def _memo_kind(memo: CreditMemo) -> str:
    if memo.reason == REASONS["cancellation"]:
        return Kind.CANCELLATION
    if memo.reason in (REASONS["tier_change"], REASONS["tier_change_not_prorated"]):
        return Kind.TIER_CHANGE
    return Kind.CREDIT_MEMO if memo.amount < 0 else Kind.DEBIT


def revenue_refresh(*, today: date | None = None) -> dict:
    """Open schedules for dues invoices not yet scheduled and apply what happened since."""
    today = today or timezone.localdate()
    cash = settings.REVENUE_ACCOUNTING == RevenueSchedule.Basis.CASH
    invoices = ImisInvoice.objects.filter(
        deleted_at__isnull=True, purpose__in=settings.BILLING_DUES_PURPOSES
    ).exclude(invoice_date__isnull=True)
    known = set(RevenueSchedule.objects.values_list("invoice_id", flat=True))
    fresh = {inv.imis_id: inv for inv in invoices if inv.imis_id not in known}
    lines = _dues_lines(list(fresh))
    opened = schedules_open(
        InvoiceTerm(
            invoice_id=inv_id,
            invoice_number=fresh[inv_id].number,
            member_id=line.party_id,
            item_code=line.item_code,
            begin=line.bill_begin,
            end=line.bill_through,
        )
        for inv_id, line in lines.items()
    )
    changes: list[Change] = []
    scheduled = {s.invoice_id: s for s in RevenueSchedule.objects.all()}
    all_lines = _dues_lines(list(scheduled))
    deferred_by_payment: dict[str, Decimal] = {}
    for event in RevenueEvent.objects.filter(kind=Kind.DEFER, reference__startswith="pay:"):
        invoice_id = event.reference.split(":")[1]
        deferred_by_payment[invoice_id] = deferred_by_payment.get(invoice_id, ZERO) + event.amount
    for invoice_id, line in all_lines.items():
        if not cash and line.billed_amount:
            invoice = fresh.get(invoice_id)
            on = invoice.invoice_date if invoice else line.bill_date or line.bill_begin
            changes.append(
                Change(invoice_id, Kind.DEFER, on, line.billed_amount, f"bill:{invoice_id}")
            )
        paid = line.payment_amount or ZERO
        if cash and paid > deferred_by_payment.get(invoice_id, ZERO):
            delta = paid - deferred_by_payment.get(invoice_id, ZERO)
            on = line.payment_date or today
            changes.append(Change(invoice_id, Kind.DEFER, on, delta, f"pay:{invoice_id}:{paid}"))
        if line.cancelled_as_of:
            on = line.cancelled_as_of
            changes.append(
                Change(invoice_id, Kind.CANCELLATION, on, ZERO, f"cancel:{invoice_id}", on)
            )
    memos = CreditMemo.objects.filter(
        status=CreditMemo.Status.POSTED, invoice_id__in=list(scheduled)
    ).exclude(posted_at__isnull=True)
    for memo in memos:
        kind = _memo_kind(memo)
        amount = memo.amount
        if cash:  # only money returned changes what cash deferred
            amount = -Decimal(memo.parts.get("refund") or 0)
            kind = Kind.REFUND if amount else kind
        if amount:
            on = timezone.localdate(memo.posted_at)
            changes.append(Change(memo.invoice_id, kind, on, amount, f"memo:{memo.pk}"))
    applied = revenue_events_apply(changes=changes, actor_name=ACTOR)
    return {"schedules_opened": opened, "events": applied}
