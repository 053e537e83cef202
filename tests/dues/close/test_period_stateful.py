"""Under random sequences of entries, credit memos' adjustments, payments, closes and reopens:
nothing is ever dated inside a closed period, and the GL journal stays balanced."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from common.errors import DomainError
from dues.close.entries import EntryLine, JournalEntryDraft
from dues.close.periods import period_require_open
from dues.ledger.gl import gl_entry_record
from dues.models import AccountingPeriod, GlEntry, GlEntryLine

MONTHS = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
ACCOUNTS = ["cash:stripe", "processor_fees", "hold", "suspense", "refunds_payable", "receivable"]
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)


class PeriodMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.count = 0
        # (month, closed at) of every close, to check entries against what was closed then
        self.closed: dict[date, bool] = dict.fromkeys(MONTHS, False)
        self.refused = 0

    @rule(
        month=st.sampled_from(MONTHS),
        day=st.integers(min_value=1, max_value=28),
        amounts=st.lists(cents, min_size=1, max_size=4),
        accounts=st.lists(st.sampled_from(ACCOUNTS), min_size=5, max_size=5, unique=True),
        skew=st.sampled_from([Decimal("0"), Decimal("0"), Decimal("0.01")]),
    )
    def record(self, month, day, amounts, accounts, skew) -> None:
        """An entry whose debits are the amounts and whose one credit is their total (plus a
        cent, now and then: an unbalanced entry)."""
        self.count += 1
        lines = [EntryLine(accounts[n], a) for n, a in enumerate(amounts)]
        lines.append(EntryLine(accounts[4], -(sum(amounts, Decimal(0)) + skew)))
        draft = JournalEntryDraft(
            entry_date=month.replace(day=day),
            journal="ADJ",
            reference=f"P-{self.count}",
            memo="",
            lines=tuple(lines),
        )
        was_closed = self.closed[month]
        try:
            with transaction.atomic():
                gl_entry_record(draft=draft, key=f"p-{self.count}")
        except DomainError as exc:
            self.refused += 1
            assert was_closed or skew, str(exc)
            if was_closed and not skew:
                assert f"{month:%B %Y} ({month:%Y-%m}) is a closed period" in str(exc)
            return
        assert not was_closed and not skew

    @rule(month=st.sampled_from(MONTHS))
    def close(self, month) -> None:
        period, _ = AccountingPeriod.objects.get_or_create(month=month)
        AccountingPeriod.objects.filter(pk=period.pk).update(
            status="closed", closed_at=timezone.now()
        )
        self.closed[month] = True

    @rule(month=st.sampled_from(MONTHS))
    def reopen(self, month) -> None:
        AccountingPeriod.objects.filter(month=month).update(status="open")
        self.closed[month] = False

    @rule(month=st.sampled_from(MONTHS), day=st.integers(min_value=1, max_value=28))
    def raw_insert_around_the_service(self, month, day) -> None:
        """The database refuses a closed month's date even when the service is bypassed."""
        self.count += 1
        try:
            with transaction.atomic():
                GlEntry.objects.create(
                    key=f"raw-{self.count}",
                    entry_date=month.replace(day=day),
                    journal="ADJ",
                    reference="R",
                    memo="",
                )
                GlEntryLine.objects.create(
                    entry_id=GlEntry.objects.get(key=f"raw-{self.count}").pk,
                    account="hold",
                    amount=Decimal("1.00"),
                )
                GlEntryLine.objects.create(
                    entry_id=GlEntry.objects.get(key=f"raw-{self.count}").pk,
                    account="suspense",
                    amount=Decimal("-1.00"),
                )
        except Exception as exc:  # the trigger's refusal
            assert self.closed[month], str(exc)
            assert "is a closed period" in str(exc)
            return
        assert not self.closed[month]

    @invariant()
    def nothing_dated_in_a_closed_period_after_it_closed(self) -> None:
        for period in AccountingPeriod.objects.filter(status="closed"):
            late = GlEntry.objects.filter(
                entry_date__year=period.month.year,
                entry_date__month=period.month.month,
                created_at__gt=period.closed_at,
            )
            assert not late.exists()
            with pytest.raises(DomainError):
                period_require_open(period.month)

    @invariant()
    def every_entry_balances(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT entry_id FROM dues_glentryline GROUP BY entry_id HAVING sum(amount) <> 0"
            )
            assert cursor.fetchall() == []

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)


@pytest.mark.django_db
def test_nothing_is_dated_in_a_closed_period_and_the_journal_balances():
    run_state_machine_as_test(
        PeriodMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
