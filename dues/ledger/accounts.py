"""Ledger account names shared by the month-end close (reconciliation, recognition, GL export).

One module, so the chart-of-accounts mapping, the adjusting entries and the revenue journal name
the same accounts. Revenue per dues item is ``dues_revenue:<item code>``.
"""

CASH = "cash"
RECEIVABLE = "accounts_receivable"
DEFERRED_DUES = "deferred_dues_revenue"
DUES_REVENUE = "dues_revenue"
CHAPTER_DUES_PAYABLE = "chapter_dues_payable"
CREDIT_MEMOS = "credit_memos"
REFUNDS_PAYABLE = "refunds_payable"
PROCESSOR_FEES = "processor_fees"
SUSPENSE = "hold_suspense"

LABELS = {
    CASH: "Cash",
    RECEIVABLE: "Accounts receivable: dues",
    DEFERRED_DUES: "Deferred dues revenue",
    DUES_REVENUE: "Dues revenue",
    CHAPTER_DUES_PAYABLE: "Chapter dues payable",
    CREDIT_MEMOS: "Credit memos and allowances",
    REFUNDS_PAYABLE: "Refunds payable",
    PROCESSOR_FEES: "Processor fees",
    SUSPENSE: "Hold and suspense",
}


def dues_revenue(item_code: str) -> str:
    """The revenue account of one dues item (``dues_revenue:DUES/REG``)."""
    return f"{DUES_REVENUE}:{item_code}" if item_code else DUES_REVENUE


def label(account: str) -> str:
    base, _, item = account.partition(":")
    return f"{LABELS.get(base, base)}{f' ({item})' if item else ''}"
