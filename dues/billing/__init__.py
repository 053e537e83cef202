"""Billing: invoices checked and adjusted under the association's billing policy (terms, prices,
proration, credit memos). Empty until the billing issue fills it.

Cash that arrives has its own packages beside this one: ``intake`` (stored), ``matching``
(candidates), ``services`` (filed, decided, applied into the hold, posted, refunded) and
``ledger`` (the journal). Like them, billing files proposals through reviews and never writes to
iMIS itself.
"""
