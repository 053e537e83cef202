"""Reads of late-payment risk, for pages, the API and the dunning cadence."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from dues.models import InvoiceRisk, LatePaymentModel, RiskBand
from imis_client.models import ImisParty


def invoice_risk(invoice_ids) -> dict[str, InvoiceRisk]:
    """The stored risk of each invoice that has one, by invoice id (others are left out)."""
    ids = [str(i) for i in invoice_ids if i]
    return {r.invoice_id: r for r in InvoiceRisk.objects.filter(invoice_id__in=ids)}


def band_for(probability: float) -> str:
    """The risk band of a probability under COLLECTIONS_HIGH_RISK / COLLECTIONS_MEDIUM_RISK."""
    if probability >= settings.COLLECTIONS_HIGH_RISK:
        return RiskBand.HIGH
    if probability >= settings.COLLECTIONS_MEDIUM_RISK:
        return RiskBand.MEDIUM
    return RiskBand.LOW


def active_late_payment_model() -> LatePaymentModel | None:
    return LatePaymentModel.objects.filter(status=LatePaymentModel.Status.ACTIVE).first()


# --- the receivables drill-down -------------------------------------------------------------

DRILL_SORTS = {
    "due": "due",
    "balance": "balance",
    "risk": "risk",
    "invoice": "number",
}
PAGE_SIZE = 50


@dataclass
class DrillFilters:
    bucket: str = ""
    band: str = ""
    purpose: str = ""
    q: str = ""
    sort: str = "due"
    page: int = 1
    problems: list = field(default_factory=list)

    @classmethod
    def from_query(cls, query) -> "DrillFilters":
        from dues.collections.receivables import BUCKETS

        problems = []
        bucket = query.get("bucket", "")
        if bucket and bucket not in {k for k, _ in BUCKETS}:
            problems.append(f"“{bucket}” is not an aging bucket.")
            bucket = ""
        band = query.get("band", "")
        if band and band not in {*RiskBand.values, "unscored"}:
            problems.append(f"“{band}” is not a risk band (high, medium, low or unscored).")
            band = ""
        sort = query.get("sort", "") or "due"
        if sort.lstrip("-") not in DRILL_SORTS:
            problems.append(f"“{sort}” is not a column to sort by.")
            sort = "due"
        try:
            page = max(1, int(query.get("page", "1") or 1))
        except ValueError:
            problems.append("The page must be a whole number.")
            page = 1
        return cls(
            bucket=bucket,
            band=band,
            purpose=query.get("purpose", "")[:60],
            q=query.get("q", "").strip()[:100],
            sort=sort,
            page=page,
            problems=problems,
        )


def receivable_invoices(filters: DrillFilters, *, as_of: date) -> dict:
    """One page of open invoices with their days past due, bucket, risk, next step and pause."""
    from dues.collections.receivables import bucket_of, due_expression, open_invoices
    from dues.collections.status import NONE_SHOWN, invoice_statuses

    risk = InvoiceRisk.objects.filter(invoice_id=OuterRef("imis_id"))
    rows = open_invoices(as_of).annotate(
        due=due_expression(),
        risk=Coalesce(Subquery(risk.values("probability")[:1]), Value(-1.0)),
        band=Subquery(risk.values("band")[:1]),
        member_name=Subquery(
            ImisParty.objects.filter(imis_id=OuterRef("sold_to_id")).values("name")[:1]
        ),
    )
    if filters.bucket:
        ranges = {
            "current": Q(due__gte=as_of),
            "1_30": Q(due__lt=as_of, due__gte=as_of - timedelta(days=30)),
            "31_60": Q(due__lt=as_of - timedelta(days=30), due__gte=as_of - timedelta(days=60)),
            "61_90": Q(due__lt=as_of - timedelta(days=60), due__gte=as_of - timedelta(days=90)),
            "over_90": Q(due__lt=as_of - timedelta(days=90)),
        }
        rows = rows.filter(ranges[filters.bucket])
    if filters.band == "unscored":
        rows = rows.filter(band__isnull=True)
    elif filters.band:
        rows = rows.filter(band=filters.band)
    if filters.purpose:
        rows = rows.filter(purpose=filters.purpose)
    if filters.q:
        rows = rows.filter(
            Q(number__icontains=filters.q)
            | Q(sold_to_id=filters.q)
            | Q(imis_id=filters.q)
            | Q(sold_to_name__icontains=filters.q)
        )
    column = DRILL_SORTS[filters.sort.lstrip("-")]
    descending = filters.sort.startswith("-")
    order = [F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)]
    total = rows.count()
    start = (filters.page - 1) * PAGE_SIZE
    items = list(rows.order_by(*order, "imis_id")[start : start + PAGE_SIZE])
    statuses = invoice_statuses([i.imis_id for i in items])
    for item in items:
        item.days_past_due = (as_of - item.due).days
        item.bucket = bucket_of(item.days_past_due)
        item.probability = None if item.risk < 0 else item.risk
        status = statuses[item.imis_id]
        item.next_step = status.next_step or NONE_SHOWN
        item.pause = status.pause or NONE_SHOWN
    return {
        "items": items,
        "total": total,
        "page": filters.page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "sort": filters.sort,
    }


def open_purposes(as_of: date) -> list[str]:
    from dues.collections.receivables import open_invoices

    return sorted(p for p in open_invoices(as_of).values_list("purpose", flat=True).distinct() if p)
