"""The local double-entry journal of payments: cash clearing, unapplied credit, hold, receivable.

``journal`` appends balanced transactions and their reversals, ``balances`` reads them back
(per payment, per invoice), and ``caps`` keeps and locks each invoice's cap. The database
enforces the same rules again at commit (migration 0002).
"""

from dues.ledger.balances import (
    invoice_applied,
    invoices_applied,
    payment_balances,
    payment_held_allocations,
    payment_posted_invoices,
)
from dues.ledger.caps import invoice_caps_lock
from dues.ledger.journal import (
    Entry,
    Line,
    credit,
    debit,
    journal_record,
    journal_record_many,
    journal_reverse,
)

__all__ = [
    "Entry",
    "Line",
    "credit",
    "debit",
    "invoice_applied",
    "invoice_caps_lock",
    "invoices_applied",
    "journal_record",
    "journal_record_many",
    "journal_reverse",
    "payment_balances",
    "payment_held_allocations",
    "payment_posted_invoices",
]
