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
from dues.models.inquiries import Inquiry, InquiryMessage, PolicyChunk, PolicyDocument
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
    "AdjustmentAccount",
    "AdjustmentEntry",
    "AdjustmentLine",
    "BankDeposit",
    "BillingAccess",
    "BillingPolicySetting",
    "CheckRun",
    "CreditMemo",
    "DuesAccess",
    "Finding",
    "Inquiry",
    "InquiryMessage",
    "InvoiceCap",
    "InvoiceCheck",
    "JournalLine",
    "JournalTransaction",
    "MatchLabel",
    "MatchingPolicy",
    "Payment",
    "PaymentCandidate",
    "PaymentImport",
    "PolicyChunk",
    "PolicyDocument",
    "WebhookEvent",
]
