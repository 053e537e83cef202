"""Billing correctness: the policy, the calculator, invoice checks and credit memos.

Like the cash packages beside it (intake, matching, services, ledger), billing files proposals
through reviews and never writes to iMIS itself.
"""
