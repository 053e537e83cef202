"""Payments on their way to an invoice (applied and on hold, or probably paying it), for the
member page and for drafting, which blocks reminders for such invoices."""

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from common.money import format_money, to_money
from dues.models import Account, JournalLine, Payment, PaymentCandidate
from imis_client.models import ImisInvoice

S = Payment.Status


def pending_payments(invoice_ids) -> dict[str, list[dict]]:
    """Invoices with money on its way: applied and on hold, or probably paid by an open payment.

    Returns {invoice id: [{"payment", "kind": "held"|"probable", "text"}]}.
    """
    invoice_ids = [i for i in invoice_ids if i]
    found: dict[str, list[dict]] = defaultdict(list)
    if not invoice_ids:
        return found
    held = (
        JournalLine.objects.filter(
            invoice_id__in=invoice_ids, account=Account.HOLD, payment__status=S.HELD
        )
        .values("invoice_id", "payment_id")
        .annotate(total=Sum("amount"))
    )
    payments: dict[int, None] = {}
    for row in held:
        if row["total"] < 0:
            payments[row["payment_id"]] = None
            found[row["invoice_id"]].append(
                {"payment_id": row["payment_id"], "kind": "held", "amount": -row["total"]}
            )
    minimum = Decimal(str(settings.DUES_PENDING_FLAG_CONFIDENCE))
    probable = PaymentCandidate.objects.filter(
        rank=1,
        invoice_ids__overlap=invoice_ids,
        confidence__gte=minimum,
        payment__status__in=Payment.OPEN,
    ).values("payment_id", "allocations", "confidence")
    for candidate in probable:
        payments[candidate["payment_id"]] = None
        for invoice_id, amount in candidate["allocations"]:
            if invoice_id in invoice_ids:
                found[invoice_id].append(
                    {
                        "payment_id": candidate["payment_id"],
                        "kind": "probable",
                        "amount": to_money(amount),
                        "confidence": candidate["confidence"],
                    }
                )
    loaded = Payment.objects.in_bulk(list(payments))
    for entries in found.values():
        for entry in entries:
            payment = loaded[entry["payment_id"]]
            entry["payment"] = payment
            entry["text"] = pending_text(payment, entry)
    return found


def pending_text(payment: Payment, entry: dict) -> str:
    received = (
        f"{format_money(payment.amount, payment.currency)} received "
        f"{payment.received_on:%Y-%m-%d} ({payment.get_source_display()}"
        f"{', ' + payment.payer_name if payment.payer_name else ''})"
    )
    if entry["kind"] == "held":
        return (
            f"Payment #{payment.pk} of {received} is applied to this invoice "
            f"({format_money(entry['amount'])}) and posts to iMIS after "
            f"{timezone.localtime(payment.hold_until):%Y-%m-%d %H:%M}."
        )
    return (
        f"Payment #{payment.pk} of {received} probably pays {format_money(entry['amount'])} "
        f"of this invoice ({int(entry['confidence'] * 100)} % confidence); it is not applied yet."
    )


def pending_for_member(member_id: str) -> list[dict]:
    """The member's invoices that have money on its way, for the member page."""
    invoices = list(
        ImisInvoice.objects.filter(Q(sold_to_id=member_id) | Q(bill_to_id=member_id))
        .filter(is_open=True, deleted_at__isnull=True)
        .order_by("-invoice_date")[:100]
    )
    flags = pending_payments([i.imis_id for i in invoices])
    return [
        {"invoice": invoice, "entries": flags[invoice.imis_id]}
        for invoice in invoices
        if flags.get(invoice.imis_id)
    ]


def pending_payment_notice(member_id: str, invoice_id: str) -> dict:
    """The drafting layer's fact: {"pending_payment_notice": (text, source)} or nothing."""
    entries = pending_payments([invoice_id]).get(invoice_id) if invoice_id else None
    if not entries and member_id and not invoice_id:
        entries = [e for row in pending_for_member(member_id) for e in row["entries"]]
    return _notice(entries)


def pending_payment_notices(pairs: list[tuple[str, str]]) -> dict:
    """``pending_payment_notice`` for many (member_id, invoice_id) pairs, the payments on their
    way read at once for all of them: {(member_id, invoice_id): facts}."""
    members = sorted({member for member, invoice in pairs if member and not invoice})
    theirs: dict[str, list[str]] = defaultdict(list)  # a member's open invoices, latest first
    if members:
        for imis_id, sold_to, bill_to in (
            ImisInvoice.objects.filter(Q(sold_to_id__in=members) | Q(bill_to_id__in=members))
            .filter(is_open=True, deleted_at__isnull=True)
            .order_by("-invoice_date")
            .values_list("imis_id", "sold_to_id", "bill_to_id")
        ):
            for member in {sold_to, bill_to} & set(members):
                if len(theirs[member]) < 100:
                    theirs[member].append(imis_id)
    wanted = [invoice for _, invoice in pairs if invoice]
    found = pending_payments(wanted + [i for ids in theirs.values() for i in ids])
    notices = {}
    for member, invoice in pairs:
        if invoice:
            entries = found.get(invoice)
        else:
            entries = [e for i in theirs.get(member, []) for e in found.get(i, [])]
        notices[member, invoice] = _notice(entries)
    return notices


def _notice(entries) -> dict:
    if not entries:
        return {}
    text = " ".join(entry["text"] for entry in entries[:3])
    ids = ", ".join(f"#{entry['payment_id']}" for entry in entries[:3])
    return {"pending_payment_notice": (text, f"dues payments {ids}")}
