"""Reads of the billing pages: findings with filters and counts, an invoice against the policy,
memos by status. Each returns what a page shows in a fixed number of queries."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db.models import Count, Q, QuerySet

from dues.billing import check_snapshot, checks
from dues.billing.policy import current_policy
from dues.billing.prices import price_book
from dues.models import CheckRun, CreditMemo, Finding, InvoiceCheck
from imis_client.models import ImisInvoice, ImisParty, ImisSubscription


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text not in (None, "") else None
    except InvalidOperation:
        return None


@dataclass
class FindingFilters:
    kind: str = ""
    status: str = "active"
    q: str = ""
    min_difference: Decimal | None = None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, get) -> "FindingFilters":
        filters = cls(
            kind=get.get("kind", "") if get.get("kind") in Finding.Kind.values else "",
            status=get.get("status") or "active",
            q=(get.get("q") or "").strip()[:100],
        )
        raw = get.get("min_difference")
        filters.min_difference = _decimal(raw)
        if raw and filters.min_difference is None:
            filters.problems.append(f"“{raw}” is not an amount.")
        return filters


def findings(filters: FindingFilters) -> QuerySet:
    query = Finding.objects.all()
    if filters.status == "active":
        query = query.filter(status__in=Finding.ACTIVE)
    elif filters.status in Finding.Status.values:
        query = query.filter(status=filters.status)
    if filters.kind:
        query = query.filter(kind=filters.kind)
    if filters.q:
        query = query.filter(
            Q(invoice_number__icontains=filters.q)
            | Q(invoice_id=filters.q)
            | Q(member_id=filters.q)
            | Q(member_name__icontains=filters.q)
        )
    if filters.min_difference is not None:
        query = query.filter(
            Q(difference__gte=filters.min_difference) | Q(difference__lte=-filters.min_difference)
        )
    return query


def kind_counts(filters: FindingFilters) -> list[tuple[str, str, int]]:
    """Findings per kind under the status filter (the kind filter aside)."""
    base = findings(FindingFilters(status=filters.status, q=filters.q))
    counts = dict(base.values_list("kind").annotate(n=Count("id")).order_by())
    return [(value, label, counts.get(value, 0)) for value, label in Finding.Kind.choices]


def check_summary() -> dict:
    """The share of checked invoices that are clean, and the latest run."""
    counts = dict(InvoiceCheck.objects.values_list("outcome").annotate(n=Count("id")).order_by())
    checked = counts.get("clean", 0) + counts.get("flagged", 0)
    return {
        "checked": checked,
        "clean": counts.get("clean", 0),
        "flagged": counts.get("flagged", 0),
        "skipped": counts.get("skipped", 0),
        "clean_share": round(100 * counts.get("clean", 0) / checked, 1) if checked else None,
        "last_run": CheckRun.objects.order_by("-id").first(),
    }


def memos(*, status: str = "") -> QuerySet:
    query = CreditMemo.objects.select_related("review_item", "finding", "proposed_by")
    if status in CreditMemo.Status.values:
        query = query.filter(status=status)
    return query


def memo_counts() -> list[tuple[str, str, int]]:
    counts = dict(CreditMemo.objects.values_list("status").annotate(n=Count("id")).order_by())
    return [(value, label, counts.get(value, 0)) for value, label in CreditMemo.Status.choices]


@dataclass
class InvoiceView:
    invoice: ImisInvoice
    member: ImisParty | None
    outcome: checks.Outcome | None
    lines: list
    findings: list
    memos: list
    check: InvoiceCheck | None

    @property
    def kind_label(self) -> str:
        kind = self.outcome.kind if self.outcome else ""
        return dict(Finding.Kind.choices).get(kind, kind)


def invoice_view(invoice_id: str) -> InvoiceView | None:
    """One invoice: its lines, what the policy expects of it now, its findings and memos."""
    invoice = ImisInvoice.objects.filter(imis_id=invoice_id).first()
    if invoice is None:
        return None
    snapshot = check_snapshot.load(check_snapshot.invoices_query(invoice_ids=[invoice_id]))
    outcome = None
    if snapshot.invoices:
        checker = checks.Checker(current_policy(), price_book(), snapshot, explain=True)
        outcome = checker.check(snapshot.invoices[0])
    return InvoiceView(
        invoice=invoice,
        member=ImisParty.objects.filter(imis_id=invoice.sold_to_id).first(),
        outcome=outcome,
        lines=list(
            ImisSubscription.objects.filter(invoice_id=invoice_id).order_by(
                "-is_member_component", "item_code"
            )
        ),
        findings=list(Finding.objects.filter(invoice_id=invoice_id).order_by("-id")),
        memos=list(CreditMemo.objects.filter(invoice_id=invoice_id).order_by("-id")),
        check=InvoiceCheck.objects.filter(invoice_id=invoice_id).first(),
    )
