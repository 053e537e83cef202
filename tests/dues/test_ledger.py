"""The journal, enforced by the database: balanced, append-only, never over-applied."""

import re
import threading
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from common.errors import DomainError
from dues import ledger, services
from dues.models import JournalLine, JournalTransaction, Payment
from tests.dues.conftest import Mirror

D = Decimal


def exactly(message: str) -> str:
    return "^" + re.escape(message) + "$"


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextmanager
def refused(error, pattern: str):
    """The database refuses what the block does, at the latest when it commits."""
    with pytest.raises(error, match=pattern), transaction.atomic():
        yield


def intake_txn(payment: Payment) -> JournalTransaction:
    return JournalTransaction.objects.get(payment=payment, kind="intake")


LINE = (
    "INSERT INTO dues_journalline (transaction_id, payment_id, account, amount, invoice_id, "
    "member_id) VALUES (%s, %s, 'cash_clearing', 5.00, '', '')"
)
ONE_LINE_TXN = (
    "WITH t AS (INSERT INTO dues_journaltransaction (payment_id, kind, key, memo, actor_name, "
    "created_at) VALUES (%s, 'intake', 'raw-1', 'raw', 'sql', now()) RETURNING id) "
    "INSERT INTO dues_journalline (transaction_id, payment_id, account, amount, invoice_id, "
    "member_id) SELECT id, %s, 'cash_clearing', 7.00, '', '' FROM t"
)


def test_raw_sql_that_unbalances_a_journal_transaction_fails_at_commit(
    transactional_db, make_payment
):
    payment = make_payment("120.00")
    txn = intake_txn(payment)
    # a third line added to a balanced transaction
    balance = r"journal transaction \d+ does not balance: 3 line\(s\) summing to 5\.00"
    with refused(IntegrityError, balance):
        raw(LINE, [txn.pk, payment.pk])
    # a new transaction with a single line
    with refused(IntegrityError, r"does not balance: 1 line\(s\) summing to 7\.00"):
        raw(ONE_LINE_TXN, [payment.pk, payment.pk])
    assert JournalLine.objects.count() == 2


def test_journal_rows_can_be_neither_changed_nor_deleted(transactional_db, make_payment):
    payment = make_payment("120.00")
    for sql in (
        "UPDATE dues_journalline SET amount = amount * 2",
        "DELETE FROM dues_journalline",
        "UPDATE dues_journaltransaction SET memo = 'edited'",
        "DELETE FROM dues_journaltransaction",
    ):
        with refused(DatabaseError, "the journal is append-only"):
            raw(sql)
    with refused(DatabaseError, "the amount, currency, source and payload are what arrived"):
        raw("UPDATE dues_payment SET amount = 1 WHERE id = %s", [payment.pk])
    with refused(DatabaseError, "payments are never deleted"):
        raw("DELETE FROM dues_payment")


def test_raw_sql_that_gives_out_more_than_a_payment_brought_in_fails(
    transactional_db, make_payment
):
    payment = make_payment("100.00")
    with refused(IntegrityError, f"payment {payment.pk} would be over-allocated"):
        ledger.journal_record(
            payment=payment,
            kind="apply",
            key="raw-apply",
            memo="too much",
            actor_name="t",
            lines=[ledger.debit("unapplied", D("150.00")), ledger.credit("hold", D("150.00"))],
        )


def test_raw_sql_that_over_applies_an_invoice_fails(transactional_db, make_payment):
    Mirror().member("48213", "John Smith")
    Mirror().invoice("10234", "48213", "100.00")
    first, second = make_payment("100.00"), make_payment("100.00")
    services.payment_apply(
        payment_id=first.pk,
        member_id="48213",
        payer_id="48213",
        allocations=[("10234", D("100.00"))],
        credit=D("0"),
    )
    over = re.escape(
        "invoice 10234 would be over-applied: 200.00 applied against an open balance of 100.00"
    )
    with refused(IntegrityError, over):
        ledger.journal_record(
            payment=second,
            kind="apply",
            key="raw-over",
            memo="around the service",
            actor_name="t",
            lines=[
                ledger.debit("unapplied", D("100.00")),
                ledger.credit("hold", D("100.00"), invoice_id="10234"),
            ],
        )


def test_two_payments_applied_at_once_to_an_invoice_with_room_for_one(
    transactional_db, make_payment
):
    # given an invoice with $120.00 open and two payments of $120.00
    mirror = Mirror()
    mirror.member("48213", "John Smith")
    mirror.invoice("10234", "48213", "120.00")
    payments = [make_payment("120.00"), make_payment("120.00")]
    barrier = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def apply(payment: Payment) -> None:
        try:
            barrier.wait()
            outcomes[payment.pk] = services.payment_apply(
                payment_id=payment.pk,
                member_id="48213",
                payer_id="48213",
                allocations=[("10234", D("120.00"))],
                credit=D("0"),
            ).status
        except DomainError as exc:
            outcomes[payment.pk] = exc
        finally:
            connection.close()

    # when both are applied at once, on two connections
    threads = [threading.Thread(target=apply, args=(p,)) for p in payments]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then one wins and the other is told why, in words a person can act on
    results = sorted(outcomes.values(), key=lambda v: isinstance(v, DomainError))
    assert results[0] == "held"
    assert isinstance(results[1], DomainError) and results[1].code == "conflict"
    loser = next(pk for pk, v in outcomes.items() if isinstance(v, DomainError))
    assert str(results[1]) == (
        f"Invoice 10234 has $0.00 left to apply; payment #{loser} cannot put $120.00 on it. "
        "Another payment was applied to it first: choose another invoice or keep the money as "
        "credit."
    )
    # and the invoice carries exactly its balance; the loser's money is untouched
    held = JournalLine.objects.filter(invoice_id="10234", account="hold")
    assert sum(line.amount for line in held) == D("-120.00")
    assert Payment.objects.get(pk=loser).status == "received"
    assert ledger.payment_balances(loser)["unapplied"] == D("-120.00")
