"""The cash-application queue page: its tabs and filters, and its rows with their top candidate
and names."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dues.models import Payment, PaymentCandidate, WebhookEvent
from dues.selectors.mirror import party_names

S = Payment.Status


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
        ages: dict[str, Any] = {}
        for key in ("min_age", "max_age"):
            raw = (get.get(key) or "").strip()
            ages[key] = int(raw) if raw.isdigit() else None
            if raw and not raw.isdigit():
                problems.append(f"“{raw}” is not a number of days.")
        numbers: dict[str, Any] = {}
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
