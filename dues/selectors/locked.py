"""Reads taken under locks by an application: each invoice's cap (its open balance in the mirror,
corrected for what iMIS already counted of our postings) and the room left on it.

The caller locks the payments, then reads the caps, locks the invoices' cap rows
(``ledger.invoice_caps_lock``) and only then reads what the journal has applied, so that a
racing application's lines are committed by the time they are read.
"""

from decimal import Decimal

from django.db.models import Sum

from common.money import ZERO
from dues import ledger
from dues.models import Account, JournalLine, Payment
from imis_client.models import ImisInvoice, OutboxWrite


def invoice_for_cap(invoice_id: str) -> ImisInvoice | None:
    return invoices_for_cap([invoice_id]).get(invoice_id)


def invoices_for_cap(invoice_ids) -> dict[str, ImisInvoice]:
    """The mirror's invoices by iMIS id (not deleted), one query."""
    found = ImisInvoice.objects.filter(imis_id__in=list(invoice_ids), deleted_at__isnull=True)
    return {invoice.imis_id: invoice for invoice in found}


def invoice_cap_value(invoice: ImisInvoice) -> Decimal:
    return invoice_cap_values([invoice])[invoice.imis_id]


def invoice_cap_values(invoices) -> dict[str, Decimal]:
    """Each invoice's open balance in the mirror, plus what we posted that iMIS had already
    counted when the mirror last read it (the mirror's balance has it subtracted). Three
    queries, however many invoices."""
    caps = {
        inv.imis_id: max(inv.balance or ZERO, ZERO) if inv.is_open else ZERO for inv in invoices
    }
    posted = (
        JournalLine.objects.filter(invoice_id__in=list(caps), account=Account.RECEIVABLE)
        .values("invoice_id", "payment_id")
        .annotate(total=Sum("amount"))
    )
    by_payment = [(row["invoice_id"], row["payment_id"], -row["total"]) for row in posted]
    if not by_payment:
        return caps
    references = {
        pk: (ref.split(",")[0].strip())
        for pk, ref in Payment.objects.filter(pk__in={pk for _, pk, _ in by_payment}).values_list(
            "pk", "imis_reference"
        )
    }
    delivered = dict(
        OutboxWrite.objects.filter(
            reference__in=set(references.values()), state=OutboxWrite.State.DELIVERED
        ).values_list("reference", "delivered_at")
    )
    synced = {inv.imis_id: inv.synced_at for inv in invoices}
    for invoice_id, pk, amount in by_payment:
        when = delivered.get(references.get(pk, ""))
        if when is not None and synced[invoice_id] is not None and when <= synced[invoice_id]:
            caps[invoice_id] += amount
    return caps


def invoice_room(invoice: ImisInvoice) -> Decimal:
    return max(invoice_cap_value(invoice) - ledger.invoice_applied(invoice.imis_id), ZERO)
