"""The local double-entry journal of payments: balanced entries, reversals, balances, caps.

``journal`` appends balanced transactions and reversals. The database enforces the same rules
again at commit (migration 0002).
"""

from dues.ledger.journal import (
    Entry,
    Line,
    credit,
    debit,
    invoice_cap_lock,
    invoice_caps_lock,
    journal_record,
    journal_record_many,
    journal_reverse,
    payment_balances,
    payment_held_allocations,
)

__all__ = [
    "Entry",
    "Line",
    "credit",
    "debit",
    "invoice_cap_lock",
    "invoice_caps_lock",
    "journal_record",
    "journal_record_many",
    "journal_reverse",
    "payment_balances",
    "payment_held_allocations",
]
