"""Models of payments and cash application: intake, candidates, labels, and the journal."""

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
    "BankDeposit",
    "DuesAccess",
    "InvoiceCap",
    "JournalLine",
    "JournalTransaction",
    "MatchLabel",
    "MatchingPolicy",
    "Payment",
    "PaymentCandidate",
    "PaymentImport",
    "WebhookEvent",
]
