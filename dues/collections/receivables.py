"""Where the receivables stand: aging buckets (by segment), DSO by month and the collections to
expect in the next 30, 60 and 90 days from the late-payment probabilities. The receivables page,
its API and the month-end board pack read these functions; amounts are Decimal (sums in
PostgreSQL, rounding through common.money).

Definitions (also on the page):

* **Aging** as of a date: each invoice issued by then and still open, by days past its due date
  (current: not yet due), at its balance.
* **DSO** of a month: receivables at the month's end divided by what was invoiced in the 90 days
  ending then, times 90. Receivables at a month's end are the invoices issued by then and not
  yet paid in full by then (the day each was paid in full comes from the dated payments, as
  for the late-payment labels); an invoice closed without a payment day on record (cancelled,
  or paid by an employer) leaves the receivables at its due date.
* **Expected collections** within a horizon: for each open invoice with probability ``p`` of
  being paid late, ``1 - p`` of its balance is expected by its due date + the late threshold,
  and ``p / 2`` by its due date + the unpaid threshold + 30 days (half of late payers pay in
  the end); an invoice not scored yet counts at the medium-risk threshold.
"""

from calendar import monthrange
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from common.money import ZERO, from_minor_units, to_money
from dues.models import InvoiceRisk
from imis_client.models import ImisInvoice, ImisParty

BUCKETS = [
    ("current", "Current"),
    ("1_30", "1\u201330 days"),
    ("31_60", "31\u201360 days"),
    ("61_90", "61\u201390 days"),
    ("over_90", "Over 90 days"),
]
SEGMENTS = {
    "member_type": "Member type",
    "purpose": "Invoice purpose",
    "billed": "Billed to",
}
MONEY = DecimalField(max_digits=16, decimal_places=2)


def open_invoices(as_of: date):
    """Invoices issued by ``as_of`` with a balance still open (the mirror's current balance)."""
    return ImisInvoice.objects.filter(
        deleted_at__isnull=True, is_open=True, balance__gt=0, invoice_date__lte=as_of
    )


def due_expression():
    """An invoice's due date (none given: 30 days after the invoice) as a query expression."""
    later = Cast(
        ExpressionWrapper(F("invoice_date") + timedelta(days=30), output_field=DateField()),
        DateField(),
    )
    return Coalesce(F("due_date"), later, output_field=DateField())


def bucket_of(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1_30"
    if days_past_due <= 60:
        return "31_60"
    if days_past_due <= 90:
        return "61_90"
    return "over_90"


def _bucket_case(as_of: date) -> tuple[Case, Coalesce]:
    due = due_expression()
    return Case(
        When(due__gte=as_of, then=Value("current")),
        When(due__gte=as_of - timedelta(days=30), then=Value("1_30")),
        When(due__gte=as_of - timedelta(days=60), then=Value("31_60")),
        When(due__gte=as_of - timedelta(days=90), then=Value("61_90")),
        default=Value("over_90"),
    ), due


def _segment_expression(segment: str):
    if segment == "purpose":
        return Coalesce(F("purpose"), Value(""))
    if segment == "billed":
        return Case(
            When(Q(bill_to_id="") | Q(bill_to_id=F("sold_to_id")), then=Value("Member themselves")),
            default=Value("Employer or other payer"),
        )
    member_type = ImisParty.objects.filter(imis_id=OuterRef("sold_to_id")).values("customer_type")[
        :1
    ]
    return Coalesce(Subquery(member_type), Value(""))


def receivables_aging(*, as_of: date, segment: str | None = None) -> dict:
    """Open balances by aging bucket, in total and (``segment``: member_type, purpose or
    billed) per segment, largest first. Amounts are Decimal, counts int."""
    if segment is not None and segment not in SEGMENTS:
        raise ValueError(f"segment must be one of {', '.join(SEGMENTS)}, not {segment!r}")
    bucket, due = _bucket_case(as_of)
    rows = open_invoices(as_of).annotate(due=due).annotate(bucket=bucket)
    fields = ["bucket"]
    if segment:
        rows = rows.annotate(segment=_segment_expression(segment))
        fields.append("segment")
    grouped = rows.values(*fields).annotate(amount=Sum("balance"), n=Count("id"))
    total = {key: ZERO for key, _ in BUCKETS}
    counts = {key: 0 for key, _ in BUCKETS}
    per_segment: dict[str, dict] = {}
    for row in grouped:
        amount = to_money(row["amount"] or ZERO)
        total[row["bucket"]] += amount
        counts[row["bucket"]] += row["n"]
        if segment:
            name = row["segment"] or "(none)"
            seg = per_segment.setdefault(
                name, {"segment": name, "buckets": {k: ZERO for k, _ in BUCKETS}, "count": 0}
            )
            seg["buckets"][row["bucket"]] += amount
            seg["count"] += row["n"]
    segments = []
    for seg in per_segment.values():
        seg["total"] = sum(seg["buckets"].values(), ZERO)
        segments.append(seg)
    segments.sort(key=lambda s: (-s["total"], s["segment"]))
    return {
        "as_of": as_of,
        "buckets": [{"key": k, "label": label} for k, label in BUCKETS],
        "total": total,
        "counts": counts,
        "total_open": sum(total.values(), ZERO),
        "invoices": sum(counts.values()),
        "segment": segment,
        "segments": segments,
    }


def _month_ends(months: int, as_of: date) -> list[date]:
    ends = []
    year, month = as_of.year, as_of.month
    for _ in range(months):
        last = date(year, month, monthrange(year, month)[1])
        ends.append(min(last, as_of))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(ends))


def receivables_dso_by_month(*, months: int, as_of: date, frames=None) -> list[dict]:
    """DSO at the end of each of the last ``months`` months (the current one to ``as_of``):
    [{month: "2026-11", as_of, receivables, invoiced_90_days, dso}], oldest first; dso is None
    when nothing was invoiced in the 90 days. ``frames``: the mirror already read."""
    if months < 1 or months > 60:
        raise ValueError("months must be between 1 and 60")
    import numpy as np

    from common.ml.frames import day_number
    from dues.collections.features import settle
    from dues.collections.frames import late_frames

    frames = frames if frames is not None else late_frames()
    inv = frames.invoices
    settled = settle(frames)
    # whole cents as integers: sums stay exact, and become Decimal only through common.money
    owed = np.rint(settled["owed"].to_numpy(float) * 100).astype(np.int64)
    billed = np.rint(inv["amount"].to_numpy(float) * 100).astype(np.int64)
    issued = inv["invoice_day"].to_numpy(float)
    full = settled["full_day"].to_numpy(float)
    # paid on record without a day, or closed with nothing paid (cancelled): out at the due day
    closed_undated = np.isnan(full) & ~inv["is_open"].to_numpy(bool)
    out_day = np.where(closed_undated, inv["due_day"].to_numpy(float), full)
    out = []
    for end in _month_ends(months, as_of):
        day = day_number(end)
        outstanding = (issued <= day) & ~(out_day <= day)
        recent = (issued <= day) & (issued > day - 90)
        receivable = from_minor_units(int(owed[outstanding].sum()))
        invoiced = from_minor_units(int(billed[recent].sum()))
        dso = to_money(receivable / invoiced * 90) if invoiced > 0 else None
        out.append(
            {
                "month": end.strftime("%Y-%m"),
                "as_of": end,
                "receivables": receivable,
                "invoiced_90_days": invoiced,
                "dso": dso,
            }
        )
    return out


def expected_collections(*, as_of: date, horizons=(30, 60, 90)) -> dict:
    """Balance expected to be collected within each horizon, from the late-payment
    probabilities (see the module docstring); cumulative amounts."""
    late_days = settings.COLLECTIONS_LATE_DAYS
    unpaid_days = settings.COLLECTIONS_UNPAID_DAYS
    unscored = Decimal(str(settings.COLLECTIONS_MEDIUM_RISK))
    risk = InvoiceRisk.objects.filter(invoice_id=OuterRef("imis_id")).values("probability")[:1]
    rows = (
        open_invoices(as_of)
        .annotate(
            due=due_expression(),
            p=Subquery(risk),
        )
        .values_list("due", "balance", "p")
    )
    sums = {h: ZERO for h in horizons}
    total = ZERO
    scored = missing = 0
    for due, balance, p in rows.iterator(chunk_size=5000):
        balance = to_money(balance)
        total += balance
        if p is None:
            missing += 1
            share_late = unscored
        else:
            scored += 1
            share_late = Decimal(str(round(p, 6)))
        on_time_by = max(due + timedelta(days=late_days), as_of)
        late_by = max(due + timedelta(days=unpaid_days + 30), as_of)
        for h in horizons:
            end = as_of + timedelta(days=h)
            expected = ZERO
            if on_time_by <= end:
                expected += balance * (1 - share_late)
            if late_by <= end:
                expected += balance * share_late / 2
            sums[h] += expected
    return {
        "as_of": as_of,
        "open_balance": total,
        "horizons": [{"days": h, "amount": to_money(sums[h])} for h in horizons],
        "scored": scored,
        "unscored": missing,
    }
