"""The payment page: one payment with its candidates, journal, events, outbox writes, labels and
history, and the open invoices a person may spread it over."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from common.money import ZERO, to_money
from dues.models import Account, JournalLine, Payment, WebhookEvent
from dues.selectors.mirror import invoices_by_id, party_names
from imis_client.models import ImisInvoice, OutboxWrite


@dataclass
class PaymentRecord:
    payment: Payment
    candidates: list
    allocations: list  # [(invoice, amount, state)] applied: held or posted
    credit_on_account: Decimal
    journal: list
    events: list
    outbox: list
    labels: list
    history: list
    names: dict


def payment_detail(payment_id: int) -> PaymentRecord | None:
    from common.models import AuditEvent

    payment = (
        Payment.objects.select_related("review_item", "import_file", "deposit", "entered_by")
        .filter(pk=payment_id)
        .first()
    )
    if payment is None:
        return None
    candidates = list(payment.candidates.all())
    invoice_ids = {inv for c in candidates for inv in c.invoice_ids}
    lines = list(JournalLine.objects.filter(payment=payment).select_related("transaction"))
    applied: dict[str, dict] = defaultdict(lambda: {"held": ZERO, "posted": ZERO})
    for line in lines:
        if line.invoice_id and line.account == Account.HOLD:
            applied[line.invoice_id]["held"] -= line.amount
        elif line.invoice_id and line.account == Account.RECEIVABLE:
            applied[line.invoice_id]["posted"] -= line.amount
    invoice_ids |= set(applied)
    invoices = invoices_by_id(invoice_ids)
    for candidate in candidates:
        candidate.rows = [
            {"invoice": invoices.get(inv), "invoice_id": inv, "amount": to_money(amount)}
            for inv, amount in candidate.allocations
        ]
    allocations = [
        {"invoice": invoices.get(inv), "invoice_id": inv, "held": v["held"], "posted": v["posted"]}
        for inv, v in sorted(applied.items())
        if v["held"] or v["posted"]
    ]
    hold_credit = -sum(
        (li.amount for li in lines if li.account == Account.HOLD and not li.invoice_id), ZERO
    )
    names = party_names(
        {c.member_id for c in candidates}
        | {c.payer_id for c in candidates}
        | {payment.member_id, payment.payer_id}
    )
    for candidate in candidates:
        candidate.member_name = names.get(candidate.member_id, "")
        candidate.payer_name = names.get(candidate.payer_id, "")
    payment.member_name = names.get(payment.member_id, "")
    for line in lines:
        line.debit = line.amount if line.amount > 0 else None
        line.credit = -line.amount if line.amount < 0 else None
    history = AuditEvent.objects.filter(object_type="payment", object_id=str(payment.pk)).order_by(
        "id"
    )
    transactions: dict[int, dict] = {}
    for line in lines:
        entry = transactions.setdefault(line.transaction_id, {"txn": line.transaction, "lines": []})
        entry["lines"].append(line)
    return PaymentRecord(
        payment=payment,
        candidates=candidates,
        allocations=allocations,
        credit_on_account=hold_credit,
        journal=list(transactions.values()),
        events=list(WebhookEvent.objects.filter(payment=payment).order_by("id")),
        outbox=list(
            OutboxWrite.objects.filter(
                reference__in=[r.strip() for r in payment.imis_reference.split(",") if r.strip()]
            )
        ),
        labels=list(payment.labels.select_related("decided_by")),
        history=list(history),
        names=names,
    )


def split_choices(payment: Payment, candidates: list) -> list[ImisInvoice]:
    """Open invoices a person may spread the payment over: the candidates' members' and payers'."""
    parties = {c.member_id for c in candidates} | {c.payer_id for c in candidates}
    return _named_for(open_invoices_of(parties, {i for c in candidates for i in c.invoice_ids}))


def application_invoices(payment: Payment, application) -> list[tuple[str, ImisInvoice | None]]:
    """The invoices an edit of a payment application offers, as (invoice id, the mirror's
    invoice or None): those it names first, open or not, then the open invoices of its member
    and payer and of the payment's candidates."""
    named = [a.invoice_id for a in application.allocations]
    found = invoices_by_id(named)
    candidates = list(payment.candidates.all())
    parties = {application.member_id, application.payer_id}
    parties |= {c.member_id for c in candidates} | {c.payer_id for c in candidates}
    others = open_invoices_of(parties, {i for c in candidates for i in c.invoice_ids})
    rows = [(i, found.get(i)) for i in named]
    rows += [(invoice.imis_id, invoice) for invoice in others if invoice.imis_id not in found]
    _named_for([invoice for _, invoice in rows if invoice is not None])
    return rows


def open_invoices_of(parties, invoice_ids, *, limit: int = 40) -> list[ImisInvoice]:
    """Open invoices for or billed to ``parties``, and those of ``invoice_ids`` that are open,
    soonest due first."""
    parties, invoice_ids = set(parties) - {""}, set(invoice_ids) - {""}
    if not parties and not invoice_ids:
        return []
    return list(
        ImisInvoice.objects.filter(is_open=True, deleted_at__isnull=True)
        .filter(Q(sold_to_id__in=parties) | Q(bill_to_id__in=parties) | Q(imis_id__in=invoice_ids))
        .order_by("due_date", "imis_id")[:limit]
    )


def _named_for(invoices: list[ImisInvoice]) -> list[ImisInvoice]:
    """Each invoice with the name of whom it is for (``member_name``), one query."""
    names = party_names({invoice.sold_to_id for invoice in invoices})
    for invoice in invoices:
        invoice.member_name = names.get(invoice.sold_to_id) or invoice.sold_to_name
    return invoices
