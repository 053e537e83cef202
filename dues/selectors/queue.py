"""Reads of payments and cash application, for pages, the API, jobs and other apps."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from common.money import ZERO, format_money, to_money
from dues import ledger
from dues.models import (
    Account,
    JournalLine,
    MatchLabel,
    Payment,
    PaymentCandidate,
    WebhookEvent,
)
from imis_client.models import ImisInvoice, ImisParty, OutboxWrite

S = Payment.Status


# --- the queue ----------------------------------------------------------------------------

TABS = (
    ("unmatched", "Unmatched", [S.UNMATCHED, S.RECEIVED]),
    ("proposed", "Proposed", [S.PROPOSED]),
    ("held", "On hold", [S.HELD]),
    ("posted", "Posted", [S.POSTED]),
    ("not_ours", "Not ours / refunds", [S.NOT_OURS, S.REFUNDED]),
)
TAB_STATUSES = {key: statuses for key, _, statuses in TABS}


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


@dataclass
class QueueFilters:
    tab: str = "proposed"
    source: str = ""
    method: str = ""
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    min_age: int | None = None  # days since received
    max_age: int | None = None
    min_confidence: Decimal | None = None
    max_confidence: Decimal | None = None
    q: str = ""
    problems: list = field(default_factory=list)

    @classmethod
    def from_query(cls, get) -> "QueueFilters":
        problems = []
        ages = {}
        for key in ("min_age", "max_age"):
            raw = (get.get(key) or "").strip()
            ages[key] = int(raw) if raw.isdigit() else None
            if raw and not raw.isdigit():
                problems.append(f"“{raw}” is not a number of days.")
        numbers = {}
        for key in ("min_amount", "max_amount", "min_confidence", "max_confidence"):
            raw = (get.get(key) or "").strip()
            numbers[key] = _decimal(raw)
            if raw and numbers[key] is None:
                problems.append(f"“{raw}” is not a number.")
        tab = get.get("tab") or "proposed"
        return cls(
            tab=tab if tab in TAB_STATUSES or tab == "all" else "proposed",
            source=get.get("source", ""),
            method=get.get("method", ""),
            q=(get.get("q") or "").strip()[:200],
            problems=problems,
            **ages,
            **numbers,
        )


def payment_queue(filters: QueueFilters) -> QuerySet[Payment]:
    queryset = Payment.objects.select_related("review_item", "import_file")
    if filters.tab != "all":
        queryset = queryset.filter(status__in=TAB_STATUSES[filters.tab])
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.method:
        queryset = queryset.filter(method=filters.method)
    if filters.min_amount is not None:
        queryset = queryset.filter(amount__gte=filters.min_amount)
    if filters.max_amount is not None:
        queryset = queryset.filter(amount__lte=filters.max_amount)
    today = timezone.localdate()
    if filters.min_age is not None:
        queryset = queryset.filter(received_on__lte=today - timedelta(days=filters.min_age))
    if filters.max_age is not None:
        queryset = queryset.filter(received_on__gte=today - timedelta(days=filters.max_age))
    if filters.min_confidence is not None:
        queryset = queryset.filter(top_confidence__gte=filters.min_confidence)
    if filters.max_confidence is not None:
        queryset = queryset.filter(top_confidence__lte=filters.max_confidence)
    if filters.q:
        q = filters.q
        queryset = queryset.filter(
            Q(payer_name__icontains=q)
            | Q(memo__icontains=q)
            | Q(reference__icontains=q)
            | Q(payer_email__icontains=q)
            | Q(member_id=q)
        )
    return queryset


def failed_events() -> list[WebhookEvent]:
    """Provider events that could not be turned into a payment or refund, newest first."""
    return list(WebhookEvent.objects.filter(status=WebhookEvent.Status.FAILED).order_by("-id")[:20])


def tab_counts() -> dict[str, int]:
    by_status = dict(Payment.objects.values_list("status").annotate(n=Count("id")))
    return {key: sum(by_status.get(s, 0) for s in statuses) for key, _, statuses in TABS}


def annotate_rows(payments: list[Payment]) -> list[Payment]:
    """Give each row its top candidate, the names behind the ids, in three queries in all."""
    tops = {c.payment_id: c for c in PaymentCandidate.objects.filter(payment__in=payments, rank=1)}
    names = party_names({p.member_id for p in payments} | {c.member_id for c in tops.values()})
    for payment in payments:
        payment.top = tops.get(payment.pk)
        shown = payment.member_id or (payment.top.member_id if payment.top else "")
        payment.member_shown = shown
        payment.member_name = names.get(shown, "")
    return payments


# --- names and invoices -------------------------------------------------------------------


def party_names(ids) -> dict[str, str]:
    ids = [i for i in ids if i]
    return dict(ImisParty.objects.filter(imis_id__in=ids).values_list("imis_id", "name"))


def invoices_by_id(ids) -> dict[str, ImisInvoice]:
    return {inv.imis_id: inv for inv in ImisInvoice.objects.filter(imis_id__in=list(ids))}


@dataclass
class CandidateView:
    """A stored candidate in the shape the matcher returns (allocations as Decimals)."""

    member_id: str
    payer_id: str
    allocations: list
    credit: Decimal
    shortfall: Decimal
    confidence: float
    explanation: str
    signals: dict


def candidate_view(candidate: PaymentCandidate) -> CandidateView:
    return CandidateView(
        member_id=candidate.member_id,
        payer_id=candidate.payer_id,
        allocations=[(inv, to_money(amount)) for inv, amount in candidate.allocations],
        credit=candidate.credit,
        shortfall=candidate.shortfall,
        confidence=float(candidate.confidence),
        explanation=candidate.explanation,
        signals=candidate.signals,
    )


# --- invoice room -------------------------------------------------------------------------


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
        when = delivered.get(references.get(pk))
        if when is not None and synced[invoice_id] is not None and when <= synced[invoice_id]:
            caps[invoice_id] += amount
    return caps


def invoice_room(invoice: ImisInvoice) -> Decimal:
    return max(invoice_cap_value(invoice) - ledger.invoice_applied(invoice.imis_id), ZERO)


# --- one payment --------------------------------------------------------------------------


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
        Payment.objects.select_related("review_item", "import_file", "entered_by")
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


# --- hold summary -------------------------------------------------------------------------


def hold_summary(*, now=None) -> dict:
    """What is on hold and when each posts: the next 24 hours first, then the rest."""
    now = now or timezone.now()
    held = list(
        Payment.objects.filter(status=S.HELD)
        .select_related("review_item")
        .order_by("hold_until", "id")
    )
    lines = JournalLine.objects.filter(payment__in=held, account=Account.HOLD)
    per_payment: dict[int, list] = defaultdict(list)
    for line in lines:
        per_payment[line.payment_id].append(line)
    invoices = invoices_by_id({li.invoice_id for li in lines if li.invoice_id})
    names = party_names({p.member_id for p in held} | {p.payer_id for p in held})
    soon_limit = now + timedelta(hours=24)
    for payment in held:
        amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in per_payment[payment.pk]:
            amounts[line.invoice_id] -= line.amount
        payment.hold_rows = [
            {"invoice": invoices.get(inv), "invoice_id": inv, "amount": amt}
            for inv, amt in sorted(amounts.items())
            if amt
        ]
        payment.member_name = names.get(payment.member_id, "")
        payment.posts_soon = payment.hold_until <= soon_limit
    soon = [p for p in held if p.posts_soon]
    return {
        "now": now,
        "payments": held,
        "soon": soon,
        "soon_total": sum((p.available for p in soon), ZERO),
        "total": sum((p.available for p in held), ZERO),
        "by_policy": sum(1 for p in held if p.applied_by_policy),
    }


# --- matching performance -----------------------------------------------------------------

BANDS = (
    (Decimal("0"), Decimal("0.5")),
    (Decimal("0.5"), Decimal("0.8")),
    (Decimal("0.8"), Decimal("0.9")),
    (Decimal("0.9"), Decimal("0.95")),
    (Decimal("0.95"), Decimal("0.98")),
    (Decimal("0.98"), Decimal("0.99")),
    (Decimal("0.99"), Decimal("1.001")),
)


def band_of(confidence: Decimal) -> int:
    for index, (low, high) in enumerate(BANDS):
        if low <= confidence < high:
            return index
    return len(BANDS) - 1


def matching_performance() -> dict:
    """Per confidence band: payments matched, auto-applied, labelled by people (or policy and
    left standing), and how often the top candidate was right (precision)."""
    latest = {}
    auto = set()
    for label in MatchLabel.objects.order_by("payment_id", "id").values(
        "payment_id", "top_correct", "by_policy", "outcome"
    ):
        latest[label["payment_id"]] = label
        if label["by_policy"]:
            auto.add(label["payment_id"])
    rows = [
        {
            "band": f"{int(low * 100)} to {min(int(high * 100), 100)} %",
            "low": low,
            "high": high,
            "payments": 0,
            "auto": 0,
            "labelled": 0,
            "correct": 0,
        }
        for low, high in BANDS
    ]
    for pk, confidence in Payment.objects.filter(top_confidence__isnull=False).values_list(
        "pk", "top_confidence"
    ):
        row = rows[band_of(confidence)]
        row["payments"] += 1
        row["auto"] += pk in auto
        label = latest.get(pk)
        if label is not None:
            row["labelled"] += 1
            row["correct"] += label["top_correct"]
    for row in rows:
        row["precision"] = round(row["correct"] / row["labelled"], 4) if row["labelled"] else None
        row["auto_rate"] = round(row["auto"] / row["payments"], 4) if row["payments"] else None
        row["precision_pct"] = _pct(row["precision"])
        row["auto_pct"] = _pct(row["auto_rate"])
    labelled = sum(r["labelled"] for r in rows)
    totals = {
        "payments": sum(r["payments"] for r in rows),
        "auto": sum(r["auto"] for r in rows),
        "labelled": labelled,
        "correct": sum(r["correct"] for r in rows),
        "unmatched": Payment.objects.filter(top_confidence__isnull=True)
        .exclude(status=S.RECEIVED)
        .count(),
    }
    totals["precision"] = round(totals["correct"] / labelled, 4) if labelled else None
    totals["auto_rate"] = (
        round(totals["auto"] / totals["payments"], 4) if totals["payments"] else None
    )
    totals["precision_pct"], totals["auto_pct"] = (
        _pct(totals["precision"]),
        _pct(totals["auto_rate"]),
    )
    labels = dict(MatchLabel.Outcome.choices)
    outcomes = [
        (labels.get(outcome, outcome), n)
        for outcome, n in MatchLabel.objects.values_list("outcome")
        .annotate(n=Count("id"))
        .order_by("-n", "outcome")
    ]
    return {"bands": rows, "totals": totals, "outcomes": outcomes}


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f} %"


# --- pending payments on invoices ---------------------------------------------------------


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
    payments = {}
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
    for row in probable:
        payments[row["payment_id"]] = None
        for invoice_id, amount in row["allocations"]:
            if invoice_id in invoice_ids:
                found[invoice_id].append(
                    {
                        "payment_id": row["payment_id"],
                        "kind": "probable",
                        "amount": to_money(amount),
                        "confidence": row["confidence"],
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
    if not entries:
        return {}
    text = " ".join(entry["text"] for entry in entries[:3])
    ids = ", ".join(f"#{entry['payment_id']}" for entry in entries[:3])
    return {"pending_payment_notice": (text, f"dues payments {ids}")}


def split_choices(payment: Payment, candidates: list) -> list[ImisInvoice]:
    """Open invoices a person may spread the payment over: the candidates' members' and payers'."""
    parties = {c.member_id for c in candidates} | {c.payer_id for c in candidates if c.payer_id}
    parties.discard("")
    invoice_ids = {inv for c in candidates for inv in c.invoice_ids}
    if not parties and not invoice_ids:
        return []
    names = party_names(parties)
    invoices = list(
        ImisInvoice.objects.filter(is_open=True, deleted_at__isnull=True)
        .filter(Q(sold_to_id__in=parties) | Q(bill_to_id__in=parties) | Q(imis_id__in=invoice_ids))
        .order_by("due_date", "imis_id")[:40]
    )
    for invoice in invoices:
        invoice.member_name = names.get(invoice.sold_to_id) or invoice.sold_to_name
    return invoices
