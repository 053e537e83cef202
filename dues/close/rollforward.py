"""The deferred revenue roll-forward of a month, from the schedules, tied to the revenue journal.

opening deferred + deferred this month - recognised - adjusted = closing, where the schedules
give each figure (events for deferred and adjusted, slices for recognised) and the journal's
deferred-revenue account gives the same opening and closing once the month's recognition is
posted. A difference is shown, never hidden.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Q, Sum

from common.money import ZERO
from dues.billing.calculator import add_months
from dues.close.recognition import month_key, month_start
from dues.ledger import accounts as acct
from dues.models import RecognitionRun, RevenueEntry, RevenueEvent, RevenueLine


@dataclass
class RollForward:
    period: date
    opening: Decimal
    deferred: Decimal
    recognised: Decimal
    adjusted: Decimal  # reductions of deferred revenue (credits, refunds, cancellations) net
    closing: Decimal
    ledger_opening: Decimal
    ledger_closing: Decimal
    recognition_status: str  # "", drafted, posted
    pending: Decimal  # recognised by the schedules through the month, not (yet) in the journal
    by_account: list[tuple[str, Decimal]] = field(default_factory=list)
    adjusted_by_kind: list[tuple[str, Decimal]] = field(default_factory=list)
    excess: Decimal = ZERO  # credits beyond what was deferred, taken from revenue

    @property
    def identity_holds(self) -> bool:
        return self.opening + self.deferred - self.recognised - self.adjusted == self.closing

    @property
    def difference(self) -> Decimal:
        """What the schedules and the journal disagree by, once pending recognition is counted."""
        return self.ledger_closing - self.pending - self.closing

    def as_dict(self) -> dict:
        return {
            "period": month_key(self.period),
            "opening": str(self.opening),
            "deferred": str(self.deferred),
            "recognised": str(self.recognised),
            "adjusted": str(self.adjusted),
            "closing": str(self.closing),
            "ledger_closing": str(self.ledger_closing),
            "pending_recognition": str(self.pending),
            "difference": str(self.difference),
            "recognition": self.recognition_status or "not drafted",
        }


def _slices_sum(where: str, key: str, *, by_account: bool = False):
    group = ", r.revenue_account" if by_account else ""
    sql = (
        f"SELECT coalesce(sum(s.value::numeric), 0){group} "  # noqa: S608 (fixed fragments)
        "FROM dues_revenueschedule r, jsonb_each_text(r.slices) s "
        f"WHERE s.key {where} %s"
        + (" GROUP BY r.revenue_account ORDER BY r.revenue_account" if by_account else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        rows = cursor.fetchall()
    if by_account:
        return [(account, Decimal(total)) for total, account in rows if total]
    return Decimal(rows[0][0]).quantize(Decimal("0.01"))


def recognised_by_account(period: date) -> list[tuple[str, Decimal]]:
    """What the schedules recognise in a month, per revenue account."""
    return _slices_sum("=", month_key(period), by_account=True)


def _deferred_balance(*, before: date) -> Decimal:
    """The journal's deferred revenue (a credit balance, shown positive) before a date."""
    total = RevenueLine.objects.filter(
        account=acct.DEFERRED_DUES, entry__period__lt=before
    ).aggregate(t=Sum("amount"))["t"]
    return -(total or ZERO)


def roll_forward(period: date) -> RollForward:
    period = month_start(period)
    key, after = month_key(period), add_months(period, 1)
    events = RevenueEvent.objects.aggregate(
        before=Sum("amount", filter=Q(period__lt=period)),
        deferred=Sum("amount", filter=Q(period=period, kind=RevenueEvent.Kind.DEFER)),
        adjusted=Sum("amount", filter=Q(period=period) & ~Q(kind=RevenueEvent.Kind.DEFER)),
        excess=Sum("excess", filter=Q(period=period)),
    )
    by_kind = (
        RevenueEvent.objects.filter(period=period)
        .exclude(kind=RevenueEvent.Kind.DEFER)
        .values("kind")
        .annotate(total=Sum("amount"))
        .order_by("kind")
    )
    by_account = recognised_by_account(period)
    opening = (events["before"] or ZERO) - _slices_sum("<", key)
    deferred = events["deferred"] or ZERO
    adjusted = -(events["adjusted"] or ZERO)
    recognised = sum((amount for _, amount in by_account), ZERO)
    run = RecognitionRun.objects.filter(period=period).first()
    posted = RevenueLine.objects.filter(
        account=acct.DEFERRED_DUES,
        entry__kind=RevenueEntry.Kind.RECOGNISE,
        entry__period__lt=after,
    ).aggregate(t=Sum("amount"))["t"]
    return RollForward(
        period=period,
        opening=opening,
        deferred=deferred,
        recognised=recognised,
        adjusted=adjusted,
        closing=opening + deferred - recognised - adjusted,
        ledger_opening=_deferred_balance(before=period),
        ledger_closing=_deferred_balance(before=after),
        recognition_status=run.status if run else "",
        pending=_slices_sum("<=", key) - (posted or ZERO),
        by_account=by_account,
        adjusted_by_kind=[(RevenueEvent.Kind(row["kind"]).label, -row["total"]) for row in by_kind],
        excess=-(events["excess"] or ZERO),
    )


def roll_forward_series(*, through: date, months: int = 12) -> list[RollForward]:
    """The last ``months`` months' roll-forwards, oldest first (the page's chart)."""
    last = month_start(through)
    return [roll_forward(add_months(last, -k)) for k in range(months - 1, -1, -1)]
