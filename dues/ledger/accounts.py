"""The general-ledger accounts the month-end close speaks of, named once.

Every journal entry of the close (reconciliation adjustments, revenue recognition) and every row
of the chart-of-accounts mapping uses these names. Some accounts are one per something: cash per
payment source and bank account, dues revenue and deferred dues revenue per item or member type;
their names are built by the functions below so that two modules never spell one differently.
"""

import re

CASH = "cash"  # cash:<source>[:<bank account>]
RECEIVABLE = "receivable"
DUES_REVENUE = "dues_revenue"  # dues_revenue[:<item or member type>]
DEFERRED_DUES_REVENUE = "deferred_dues_revenue"  # deferred_dues_revenue[:<item or member type>]
CHAPTER_DUES_PAYABLE = "chapter_dues_payable"
REFUNDS_PAYABLE = "refunds_payable"
PROCESSOR_FEES = "processor_fees"
HOLD = "hold"
SUSPENSE = "suspense"
CREDIT_MEMOS = "credit_memos"
WRITE_OFFS = "write_offs"

# The accounts that exist once, with what finance calls them.
FIXED = {
    RECEIVABLE: "Accounts receivable: dues",
    DUES_REVENUE: "Dues revenue",
    DEFERRED_DUES_REVENUE: "Deferred dues revenue",
    CHAPTER_DUES_PAYABLE: "Chapter dues payable",
    REFUNDS_PAYABLE: "Refunds payable",
    PROCESSOR_FEES: "Processor fees",
    HOLD: "Payments on hold (applied, not yet posted)",
    SUSPENSE: "Suspense: unmatched payments",
    CREDIT_MEMOS: "Credit memos and allowances",
    WRITE_OFFS: "Write-offs",
}
PER_SOMETHING = (CASH, DUES_REVENUE, DEFERRED_DUES_REVENUE)

_PART = re.compile(r"^[A-Za-z0-9_./\- ]{1,60}$")


def _part(text: str) -> str:
    """A name part as given where it can be (``DUES/REG``); another association's item codes may
    carry other characters (``DUES&CO``, ``Cotisation É``), which become ``_`` rather than stop a
    month's recognition or reconciliation."""
    text = " ".join(str(text).split())
    if not _PART.fullmatch(text):
        cleaned = re.sub(r"[^A-Za-z0-9_./\- ]", "_", text)[:60]
        if not cleaned.strip("_ "):
            raise ValueError(f"{text!r} cannot be part of an account name")
        text = cleaned
    return text


def cash_account(source: str, bank_account: str = "") -> str:
    """Cash received through one source (stripe, bai2, csv, ...), per bank account when known."""
    name = f"{CASH}:{_part(source)}"
    return f"{name}:{_part(bank_account)}" if bank_account else name


def dues_revenue_account(item: str = "") -> str:
    """Dues revenue, per dues item or member type when given."""
    return f"{DUES_REVENUE}:{_part(item)}" if item else DUES_REVENUE


def deferred_revenue_account(item: str = "") -> str:
    """Deferred dues revenue (a liability), per dues item or member type when given."""
    return f"{DEFERRED_DUES_REVENUE}:{_part(item)}" if item else DEFERRED_DUES_REVENUE


def is_account(name: str) -> bool:
    """Whether ``name`` is one of the close's accounts (fixed, or built by a function above)."""
    if name in FIXED or name == CASH:  # bare cash: the revenue journal's, on a cash basis
        return True
    head, _, rest = name.partition(":")
    if head not in PER_SOMETHING or not rest:
        return False
    parts = rest.split(":")
    limit = 2 if head == CASH else 1
    return len(parts) <= limit and all(_PART.fullmatch(p) for p in parts)


def account_label(name: str) -> str:
    """How a page names an account."""
    if name in FIXED:
        return FIXED[name]
    head, _, rest = name.partition(":")
    if name == CASH:
        return "Cash"
    if head == CASH:
        source, _, bank = rest.partition(":")
        return f"Cash: {source}" + (f", bank account {bank}" if bank else "")
    if head in FIXED:
        return f"{FIXED[head]}: {rest}"
    return name
