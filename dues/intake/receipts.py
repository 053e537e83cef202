"""A payment as read from what carried it (a webhook event, a bank-file line), before storage.

The readers (``webhooks``, ``bankfiles``) make these without touching the database;
``store`` keeps each as a ``Payment`` with the fields ``payment_fields`` gives.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Receipt:
    """One incoming payment as its carrier describes it."""

    dedupe_key: str  # unique per source: the provider's id, or a bank line's content
    amount: Decimal
    received_on: date
    provider_id: str = ""
    currency: str = "USD"
    payer_name: str = ""
    payer_email: str = ""
    payer_postal_code: str = ""  # the payer's billing address, when the carrier gives it
    memo: str = ""
    reference: str = ""
    method: str = "other"
    line: int | None = None  # the bank file's line it was read from
    raw: dict = field(default_factory=dict)

    def payment_fields(self) -> dict:
        """What the stored payment takes from it, beside its source and where it came from."""
        return {
            "amount": self.amount,
            "received_on": self.received_on,
            "raw": self.raw,
            "currency": self.currency,
            "payer_name": self.payer_name,
            "payer_email": self.payer_email,
            "payer_postal_code": self.payer_postal_code,
            "memo": self.memo,
            "reference": self.reference,
            "method": self.method,
            "provider_id": self.provider_id,
        }
