"""Writing the journal: balanced transactions appended, and reversals of them.

The database enforces the same rules again at commit (migration 0002); checking here first gives
a person a message they can act on instead of a constraint error.
"""

from dataclasses import dataclass
from decimal import Decimal

from common.money import ZERO
from dues.models import JournalLine, JournalTransaction, Payment


@dataclass(frozen=True)
class Line:
    account: str
    amount: Decimal  # debit +, credit -
    invoice_id: str = ""
    member_id: str = ""


def debit(account: str, amount: Decimal, **kw) -> Line:
    return Line(account, amount, **kw)


def credit(account: str, amount: Decimal, **kw) -> Line:
    return Line(account, -amount, **kw)


@dataclass(frozen=True)
class Entry:
    """One transaction to append: what happened to which payment, in balanced lines."""

    payment: Payment
    kind: str
    key: str
    memo: str
    lines: list[Line]
    actor_name: str
    reverses: JournalTransaction | None = None


def journal_record_many(entries: list[Entry]) -> list[JournalTransaction]:
    """Append balanced transactions: one INSERT for the transactions, one for their lines.

    The caller holds the payments' row locks. Lines go in together so that the database's
    balance check sees each transaction whole even when constraints are checked immediately.
    """
    for entry in entries:
        total = sum((line.amount for line in entry.lines), ZERO)
        if len([li for li in entry.lines if li.amount]) < 2 or total != 0:
            raise ValueError(f"journal transaction {entry.key} does not balance: sum {total}")
    transactions = JournalTransaction.objects.bulk_create(
        [
            JournalTransaction(
                payment=e.payment,
                kind=e.kind,
                key=e.key,
                memo=e.memo[:300],
                actor_name=e.actor_name[:150],
                reverses=e.reverses,
            )
            for e in entries
        ],
        batch_size=1000,
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(
                transaction=txn,
                payment=entry.payment,
                account=line.account,
                amount=line.amount,
                invoice_id=line.invoice_id,
                member_id=line.member_id,
            )
            for txn, entry in zip(transactions, entries, strict=True)
            for line in entry.lines
            if line.amount
        ],
        batch_size=2000,
    )
    return transactions


def journal_record(
    *,
    payment: Payment,
    kind: str,
    key: str,
    memo: str,
    lines: list[Line],
    actor_name: str,
    reverses: JournalTransaction | None = None,
) -> JournalTransaction:
    """Append one balanced transaction."""
    entry = Entry(payment, kind, key, memo, lines, actor_name, reverses)
    return journal_record_many([entry])[0]


def journal_reverse(
    *, original: JournalTransaction, kind: str, key: str, memo: str, actor_name: str
) -> JournalTransaction:
    """The mirror image of a transaction: how an undo is recorded (never by editing)."""
    lines = [
        Line(line.account, -line.amount, line.invoice_id, line.member_id)
        for line in original.lines.all()
    ]
    return journal_record(
        payment=original.payment,
        kind=kind,
        key=key,
        memo=memo,
        lines=lines,
        actor_name=actor_name,
        reverses=original,
    )
