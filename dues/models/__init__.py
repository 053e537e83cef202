"""Models of payments and cash application: intake, candidates, labels, and the journal."""

from dues.models.billing import (
    AdjustmentAccount,
    AdjustmentEntry,
    AdjustmentLine,
    BillingAccess,
    BillingPolicySetting,
    CheckRun,
    CreditMemo,
    Finding,
    InvoiceCheck,
)
from dues.models.close import (
    AccountingPeriod,
    CloseAccess,
    Difference,
    GlEntry,
    GlEntryLine,
    GlMapping,
    Reconciliation,
)
from dues.models.ledger import Account, InvoiceCap, JournalLine, JournalTransaction
from dues.models.payments import (
    BankDeposit,
    DuesAccess,
    MatchingPolicy,
    MatchLabel,
    Payment,
    PaymentCandidate,
    PaymentImport,
    WebhookEvent,
)

__all__ = [
    "Account",
    "AccountingPeriod",
    "AdjustmentAccount",
    "AdjustmentEntry",
    "AdjustmentLine",
    "BankDeposit",
    "BillingAccess",
    "BillingPolicySetting",
    "CheckRun",
    "CloseAccess",
    "CreditMemo",
    "Difference",
    "DuesAccess",
    "Finding",
    "GlEntry",
    "GlEntryLine",
    "GlMapping",
    "InvoiceCap",
    "InvoiceCheck",
    "JournalLine",
    "JournalTransaction",
    "MatchLabel",
    "MatchingPolicy",
    "Payment",
    "PaymentCandidate",
    "PaymentImport",
    "Reconciliation",
    "WebhookEvent",
]
