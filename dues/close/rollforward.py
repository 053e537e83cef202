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
from django.db.models import Sum

from common.money import ZERO
from dues.billing.calculator import add_months
from dues.close.recognition import month_key, month_start
from dues.ledger import accounts as acct
from dues.models import RecognitionRun, RevenueEvent, RevenueLine


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


def _slices_by_month() -> dict[str, Decimal]:
    """What the schedules recognise in each month, all schedules, one scan."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.key, sum(s.value::numeric) "
            "FROM dues_revenueschedule r, jsonb_each_text(r.slices) s GROUP BY s.key"
        )
        return {key: Decimal(total) for key, total in cursor.fetchall()}


def recognised_by_account(period: date) -> list[tuple[str, Decimal]]:
    """What the schedules recognise in a month, per revenue account."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.revenue_account, sum((r.slices ->> %s)::numeric) "
            "FROM dues_revenueschedule r WHERE r.slices ? %s "
            "GROUP BY r.revenue_account ORDER BY r.revenue_account",
            [month_key(period), month_key(period)],
        )
        return [(account, Decimal(total)) for account, total in cursor.fetchall() if total]


def _before(totals: dict, upto) -> Decimal:
    return sum((v for k, v in totals.items() if k < upto), ZERO)


def roll_forward_many(periods: list[date]) -> list[RollForward]:
    """The roll-forwards of several months from a handful of aggregate queries."""
    periods = [month_start(p) for p in periods]
    slices = _slices_by_month()
    events: dict[tuple[date, str], tuple[Decimal, Decimal]] = {
        (row["period"], row["kind"]): (row["amount"], row["excess"])
        for row in RevenueEvent.objects.values("period", "kind")
        .annotate(amount=Sum("amount"), excess=Sum("excess"))
        .order_by()
    }
    ledger: dict[tuple[date, str], Decimal] = {
        (row["entry__period"], row["entry__kind"]): row["total"]
        for row in RevenueLine.objects.filter(account=acct.DEFERRED_DUES_REVENUE)
        .values("entry__period", "entry__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    runs = dict(RecognitionRun.objects.filter(period__in=periods).values_list("period", "status"))
    defer = RevenueEvent.Kind.DEFER
    result = []
    for period in periods:
        key, after = month_key(period), add_months(period, 1)
        in_month = {kind: v for (p, kind), v in events.items() if p == period}
        before = sum((v[0] for (p, _), v in events.items() if p < period), ZERO)
        opening = before - _before(slices, key)
        deferred = in_month.get(defer, (ZERO, ZERO))[0]
        adjusted = -sum((v[0] for kind, v in in_month.items() if kind != defer), ZERO)
        by_account = recognised_by_account(period)
        recognised = slices.get(key, ZERO)
        posted = sum(
            (v for (p, kind), v in ledger.items() if p < after and kind == "recognise"), ZERO
        )
        result.append(
            RollForward(
                period=period,
                opening=opening,
                deferred=deferred,
                recognised=recognised,
                adjusted=adjusted,
                closing=opening + deferred - recognised - adjusted,
                ledger_opening=-sum((v for (p, _), v in ledger.items() if p < period), ZERO),
                ledger_closing=-sum((v for (p, _), v in ledger.items() if p < after), ZERO),
                recognition_status=runs.get(period, ""),
                pending=_before(slices, month_key(after)) - posted,
                by_account=by_account,
                adjusted_by_kind=[
                    (RevenueEvent.Kind(kind).label, -v[0])
                    for kind, v in sorted(in_month.items())
                    if kind != defer
                ],
                excess=-sum((v[1] for v in in_month.values()), ZERO),
            )
        )
    return result


def roll_forward(period: date) -> RollForward:
    return roll_forward_many([period])[0]


def roll_forward_series(*, through: date, months: int = 12) -> list[RollForward]:
    """The last ``months`` months' roll-forwards, oldest first (the page's chart)."""
    last = month_start(through)
    return roll_forward_many([add_months(last, -k) for k in range(months - 1, -1, -1)])
