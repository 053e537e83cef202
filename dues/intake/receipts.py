"""A payment as read from what carried it (a webhook event, a bank-file line), before storage,
and a bank file as read: its receipts, and the lines refused, doubted or skipped.

The readers (``webhooks``, ``bai2file``, ``csvfile``) make these without touching the database;
``store`` keeps each as a ``Payment`` with the fields ``payment_fields`` gives.
"""

import hashlib
import re
from collections import Counter
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
    deposit_key: str = ""  # the lockbox deposit (a BAI2 115) it arrived in, by its dedupe key

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


@dataclass
class Deposit:
    """A bank's deposit record (a BAI2 115 lockbox deposit): not a payment but the total of the
    items that follow it. ``items`` counts them, ``items_total`` sums them; with none, the
    deposit waits for the lockbox detail."""

    dedupe_key: str
    amount: Decimal
    received_on: date
    line: int
    currency: str = "USD"
    account: str = ""
    bank_reference: str = ""
    lockbox: str = ""  # the customer reference: the lockbox number most banks put there
    text: str = ""
    items: int = 0
    items_total: Decimal = Decimal("0.00")
    raw: dict = field(default_factory=dict)


@dataclass
class ParseResult:
    file_format: str
    lines: list[Receipt] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"line", "error"}: not imported
    warnings: list[dict] = field(default_factory=list)  # {"line", "warning"}: imported, check it
    skipped: list[dict] = field(default_factory=list)  # {"line", "reason"}: not a payment
    deposits: list[Deposit] = field(default_factory=list)  # grouping records, not payments
    fatal: str = ""  # the whole file was refused

    def error(self, line: int, message: str) -> None:
        self.errors.append({"line": line, "error": message})


class LineKeys:
    """Dedupe keys: the line's content plus its occurrence count, so that the same file read
    twice gives the same keys and two identical lines in one file stay two payments."""

    def __init__(self) -> None:
        self.seen: Counter = Counter()

    def __call__(self, *parts) -> str:
        content = "|".join(re.sub(r"\s+", " ", str(p)).strip().lower() for p in parts)
        self.seen[content] += 1
        digest = hashlib.sha256(content.encode()).hexdigest()[:40]
        return f"{digest}#{self.seen[content]}"
