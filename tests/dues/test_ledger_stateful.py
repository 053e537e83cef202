"""Ledger invariants under random sequences of intake, apply, undo, post and refund."""

import contextlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from common.errors import DomainError
from dues import intake, ledger, services
from dues.models import JournalLine, Payment
from tests.dues.conftest import Mirror

BALANCES = {"9001": Decimal("120.00"), "9002": Decimal("95.00"), "9003": Decimal("240.00")}
amounts = st.integers(min_value=1, max_value=30_000).map(lambda c: Decimal(c) / 100)


class LedgerMachine(RuleBasedStateMachine):
    payments = Bundle("payments")

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.clock = timezone.now()
        self.count = 0

    @initialize()
    def books(self) -> None:
        mirror = Mirror()
        mirror.member("48213", "John Smith")
        for invoice_id, balance in BALANCES.items():
            mirror.invoice(invoice_id, "48213", str(balance))

    @rule(target=payments, amount=amounts)
    def receive(self, amount: Decimal) -> int:
        self.count += 1
        payment, _ = intake.payment_record(
            source="csv",
            dedupe_key=f"h-{self.count}",
            amount=amount,
            received_on=self.clock.date(),
            raw={"n": self.count},
            match=False,
        )
        return payment.pk

    @rule(payment=payments, invoice=st.sampled_from(sorted(BALANCES)), half=st.booleans())
    def apply(self, payment: int, invoice: str, half: bool) -> None:
        available = Payment.objects.get(pk=payment).available
        on_invoice = (available / 2).quantize(Decimal("0.01")) if half else available
        allocations = [(invoice, on_invoice)] if on_invoice > 0 else []
        # refused (not open, or no room left on the invoice) means nothing written
        with contextlib.suppress(DomainError):
            services.payment_apply(
                payment_id=payment,
                member_id="48213",
                payer_id="48213",
                allocations=allocations,
                credit=available - on_invoice,
                now=self.clock,
            )

    @rule(payment=payments)
    def undo(self, payment: int) -> None:
        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(username="frank")
        with contextlib.suppress(DomainError):
            services.payment_undo(payment_id=payment, user=user, now=self.clock)

    @rule(hours=st.integers(min_value=1, max_value=30))
    def time_passes(self, hours: int) -> None:
        self.clock += timedelta(hours=hours)
        services.payments_post_due(now=self.clock)

    @rule(payment=payments, share=st.sampled_from([Decimal("0.25"), Decimal("1")]))
    def refund(self, payment: int, share: Decimal) -> None:
        available = Payment.objects.get(pk=payment).available
        with contextlib.suppress(DomainError):
            services.payment_refund(
                payment_id=payment, amount=(available * share).quantize(Decimal("0.01"))
            )

    @invariant()
    def database_constraints_hold(self) -> None:
        # Fire the deferred constraint triggers now, as a commit would.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "SELECT transaction_id FROM dues_journalline GROUP BY transaction_id "
                "HAVING sum(amount) <> 0"
            )
            assert cursor.fetchall() == []

    @invariant()
    def no_invoice_is_over_applied(self) -> None:
        for invoice_id, balance in BALANCES.items():
            lines = JournalLine.objects.filter(invoice_id=invoice_id)
            applied = -sum((line.amount for line in lines), Decimal(0))
            assert Decimal(0) <= applied <= balance

    @invariant()
    def each_payment_is_where_its_status_says(self) -> None:
        for payment in Payment.objects.all():
            b = ledger.payment_balances(payment.pk)
            assert b["cash_clearing"] == payment.available
            assert sum(b.values()) == 0
            assert b["unapplied"] <= 0 and b["hold"] <= 0 and b["receivable"] <= 0
            if payment.status == "held":
                assert b["hold"] == -payment.available and b["receivable"] == 0
            elif payment.status == "posted":
                assert b["hold"] == 0
            else:
                assert (b["hold"], b["receivable"]) == (0, 0)
                assert b["unapplied"] == -payment.available

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)


@pytest.mark.django_db
def test_ledger_invariants_hold_under_random_sequences():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
