"""Billing correctness: the policy, the calculator, invoice checks and credit memos (issue #15)."""
