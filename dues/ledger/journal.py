"""Writing and reading the journal: balanced transactions, reversals, balances per payment.

The database enforces the same rules again at commit (migration 0002); checking here first gives
a person a message they can act on instead of a constraint error.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from common.bulk import rows_update
from common.money import ZERO
from dues.models import Account, InvoiceCap, JournalLine, JournalTransaction, Payment


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


def payment_balances(payment_id: int) -> dict[str, Decimal]:
    """Signed balance per account for one payment (debit +)."""
    rows = (
        JournalLine.objects.filter(payment_id=payment_id)
        .values("account")
        .annotate(total=Sum("amount"))
    )
    balances = {account: ZERO for account in Account.values}
    balances.update({row["account"]: row["total"] for row in rows})
    return balances


def payment_held_allocations(payment_id: int) -> tuple[list[tuple[str, Decimal]], Decimal]:
    """What a payment has in hold: [(invoice id, amount)] and the credit on account."""
    per_invoice: dict[str, Decimal] = defaultdict(lambda: ZERO)
    credit_amount = ZERO
    for line in JournalLine.objects.filter(payment_id=payment_id, account=Account.HOLD):
        if line.invoice_id:
            per_invoice[line.invoice_id] -= line.amount
        else:
            credit_amount -= line.amount
    allocations = [(inv, amount) for inv, amount in sorted(per_invoice.items()) if amount]
    return allocations, credit_amount


def invoice_cap_lock(invoice_id: str, *, cap: Decimal) -> InvoiceCap:
    """Record the invoice's cap and hold its row lock until the transaction ends."""
    return invoice_caps_lock({invoice_id: cap})[invoice_id]


def invoice_caps_lock(caps: dict[str, Decimal]) -> dict[str, InvoiceCap]:
    """Record each invoice's cap and hold the rows' locks until the transaction ends, taken in
    invoice-id order (the lock order).

    INSERT .. ON CONFLICT waits for a concurrent creator to commit, then the rows are locked; the
    second of two racing applications therefore sees the first one's lines.
    """
    ids = sorted(caps)
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dues_invoicecap (invoice_id, cap, updated_at) "
            "SELECT invoice_id, cap, now() FROM unnest(%s::text[], %s::numeric[]) "
            "AS t(invoice_id, cap) ORDER BY invoice_id ON CONFLICT (invoice_id) DO NOTHING",
            [ids, [caps[i] for i in ids]],
        )
    rows = {
        row.invoice_id: row
        for row in InvoiceCap.objects.select_for_update()
        .filter(invoice_id__in=ids)
        .order_by("invoice_id")
    }
    changed = [row for invoice_id, row in rows.items() if row.cap != caps[invoice_id]]
    for row in changed:
        row.cap = caps[row.invoice_id]
    rows_update(changed, ["cap"])
    return rows
