"""Models of payments and cash application: intake, candidates, labels, and the journal."""

from dues.models.ledger import Account, InvoiceCap, JournalLine, JournalTransaction
from dues.models.payments import (
    BankDeposit,
    DuesAccess,
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
    "Payment",
    "PaymentCandidate",
    "PaymentImport",
    "WebhookEvent",
]
