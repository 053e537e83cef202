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
from dues.models.collections import (
    CollectionsAccess,
    InvoiceRisk,
    LatePaymentModel,
    RiskBand,
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
from dues.models.revenue import (
    RecognitionRun,
    RevenueEntry,
    RevenueEvent,
    RevenueLine,
    RevenueSchedule,
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
    "CollectionsAccess",
    "CreditMemo",
    "DuesAccess",
    "Finding",
    "InvoiceCap",
    "InvoiceCheck",
    "InvoiceRisk",
    "JournalLine",
    "JournalTransaction",
    "LatePaymentModel",
    "MatchLabel",
    "MatchingPolicy",
    "Payment",
    "PaymentCandidate",
    "PaymentImport",
    "RecognitionRun",
    "RevenueEntry",
    "RevenueEvent",
    "RevenueLine",
    "RevenueSchedule",
    "RiskBand",
    "WebhookEvent",
]
