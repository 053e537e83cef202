"""Revenue recognition under random sequences of billing, payments, credit memos, refunds,
cancellations, tier changes and monthly recognition: the roll-forward identity holds and ties
to the journal, every schedule sums to what it deferred, the journal stays balanced, and nothing
counts in a month already recognised."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from common import roles
from dues.close.recognition import (
    Change,
    InvoiceTerm,
    month_start,
    next_month,
    open_period,
    revenue_events_apply,
    schedules_open,
)
from dues.close.recognition_entries import KIND, recognition_draft
from dues.close.rollforward import roll_forward
from dues.models import RevenueEvent, RevenueSchedule
from reviews.models import ReviewItem
from reviews.services import review_item_decide, review_item_execute

Kind = RevenueEvent.Kind
INVOICES = ("A", "B", "C")
cents = st.integers(min_value=1, max_value=60_000).map(lambda c: Decimal(c) / 100)
START = date(2026, 1, 1)


class RevenueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.today = START
        self.count = 0
        self.months: set[date] = set()

    @initialize(
        method=st.sampled_from(["months", "days"]), how=st.sampled_from(["accrual", "cash"])
    )
    def books(self, method: str, how: str) -> None:
        from django.conf import settings as dj

        dj.REVENUE_RECOGNITION, dj.REVENUE_ACCOUNTING = method, how
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        self.checker = get_user_model().objects.create_user(username=f"chk{id(self)}")
        self.checker.groups.add(Group.objects.get(name=roles.MANAGER))
        schedules_open(
            [
                InvoiceTerm("A", "M1", "DUES/REG", date(2026, 1, 1), date(2026, 12, 31)),
                InvoiceTerm("B", "M2", "DUES/STU", date(2026, 2, 15), date(2027, 2, 14)),
                InvoiceTerm("C", "M3", "DUES/REG", date(2025, 11, 1), date(2026, 10, 31)),
            ]
        )

    def _apply(self, invoice: str, kind: str, amount: Decimal, back: int, cancel=False) -> None:
        self.count += 1
        on = self.today - timedelta(days=back)
        opened = open_period()
        revenue_events_apply(
            changes=[Change(invoice, kind, on, amount, f"e{self.count}", on if cancel else None)],
            actor_name="hypothesis",
        )
        event = RevenueEvent.objects.filter(reference=f"e{self.count}").first()
        if event is not None and opened is not None:
            assert event.period >= opened, "an event counted in a recognised month"
        self.months.add(month_start(on))

    @rule(days=st.integers(min_value=1, max_value=45))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(invoice=st.sampled_from(INVOICES), amount=cents, back=st.integers(0, 40))
    def defer(self, invoice, amount, back) -> None:
        self._apply(invoice, Kind.DEFER, amount, back)

    @rule(
        invoice=st.sampled_from(INVOICES),
        amount=cents,
        back=st.integers(0, 40),
        kind=st.sampled_from([Kind.CREDIT_MEMO, Kind.REFUND, Kind.TIER_CHANGE]),
    )
    def reduce(self, invoice, amount, back, kind) -> None:
        self._apply(invoice, kind, -amount, back)

    @rule(invoice=st.sampled_from(INVOICES), amount=cents)
    def tier_up(self, invoice, amount) -> None:
        self._apply(invoice, Kind.TIER_CHANGE, amount, 0)

    @rule(invoice=st.sampled_from(INVOICES), credit=st.sampled_from(["0", "15.00"]))
    def cancel(self, invoice, credit) -> None:
        self._apply(invoice, Kind.CANCELLATION, -Decimal(credit), 0, cancel=True)

    @rule()
    def recognise_next_month(self) -> None:
        period = open_period() or date(2025, 11, 1)
        if period >= month_start(self.today):
            return  # only months that have begun
        recognition_draft(period=period)
        for item in ReviewItem.objects.filter(kind=KIND, object_ref__endswith=f"{period:%Y-%m}"):
            review_item_decide(item_id=item.pk, user=self.checker, decision="accept")
            review_item_execute(item_id=item.pk)
        self.months.add(period)

    @invariant()
    def schedules_sum_to_what_they_deferred(self) -> None:
        for schedule in RevenueSchedule.objects.all():
            assert sum(Decimal(v) for v in schedule.slices.values()) == schedule.deferred
            assert all(Decimal(v) >= 0 for v in schedule.slices.values())

    @invariant()
    def journal_balanced(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the commit-time checks, now
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "SELECT entry_id FROM dues_revenueline GROUP BY entry_id "
                "HAVING sum(amount) <> 0 OR count(*) < 2"
            )
            assert cursor.fetchall() == []
            cursor.execute("SELECT coalesce(sum(amount), 0) FROM dues_revenueline")
            assert cursor.fetchone()[0] == 0

    @invariant()
    def roll_forward_identity_and_tie(self) -> None:
        if not self.months:
            return
        month = min(self.months)
        previous = None
        while month <= max(self.months):
            rf = roll_forward(month)
            assert rf.identity_holds
            assert rf.difference == 0, rf.as_dict()
            if previous is not None:
                assert rf.opening == previous.closing
            previous, month = rf, next_month(month)

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)


@pytest.mark.django_db
def test_recognition_invariants_hold_under_random_sequences():
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        RevenueMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
