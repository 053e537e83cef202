"""Authorize.Net's transaction details (``getTransactionDetails``): the payer its webhooks leave
out - bill-to name, e-mail, customer id, invoice number, description.

Configured like the other providers, from settings (``AUTHORIZENET_API_LOGIN_ID``,
``AUTHORIZENET_TRANSACTION_KEY``, ``AUTHORIZENET_API_URL``); no key, no call. Answers are read
as the API writes them: a byte-order mark first, and errors as ``messages.resultCode`` "Error"
under an HTTP 200.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import httpx
from django.conf import settings


class AnetApiError(Exception):
    """The details could not be had (network, credentials, unknown transaction)."""


@dataclass(frozen=True)
class TransactionDetails:
    trans_id: str
    bill_to_name: str = ""
    company: str = ""
    email: str = ""
    customer_id: str = ""
    invoice_number: str = ""
    description: str = ""
    postal_code: str = ""

    @property
    def payer_name(self) -> str:
        return self.bill_to_name or self.company

    def as_raw(self) -> dict:
        return asdict(self)


def configured() -> bool:
    return bool(settings.AUTHORIZENET_API_LOGIN_ID and settings.AUTHORIZENET_TRANSACTION_KEY)


def transaction_details(trans_id: str) -> TransactionDetails:
    """Ask Authorize.Net for one transaction's details."""
    request = {
        "getTransactionDetailsRequest": {
            "merchantAuthentication": {
                "name": settings.AUTHORIZENET_API_LOGIN_ID,
                "transactionKey": settings.AUTHORIZENET_TRANSACTION_KEY,
            },
            "transId": trans_id,
        }
    }
    try:
        response = httpx.post(
            settings.AUTHORIZENET_API_URL,
            json=request,
            timeout=settings.AUTHORIZENET_API_TIMEOUT_S,
        )
        response.raise_for_status()
        data = json.loads(response.content.decode("utf-8-sig"))
    except (httpx.HTTPError, ValueError) as exc:
        raise AnetApiError(f"Authorize.Net did not answer with the details: {exc}") from None
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, dict) or messages.get("resultCode") != "Ok":
        said = ((messages or {}).get("message") or [{}])[0]
        raise AnetApiError(
            f"Authorize.Net refused getTransactionDetails for {trans_id}: "
            f"{said.get('code', '?')} {said.get('text', '')}".strip()
        )
    txn = data.get("transaction") or {}
    bill = txn.get("billTo") or {}
    customer = txn.get("customer") or {}
    order = txn.get("order") or {}
    name = " ".join(str(bill.get(k) or "").strip() for k in ("firstName", "lastName"))
    return TransactionDetails(
        trans_id=str(txn.get("transId") or trans_id),
        bill_to_name=" ".join(name.split())[:300],
        company=str(bill.get("company") or "")[:300],
        email=str(customer.get("email") or "")[:254],
        customer_id=str(customer.get("id") or "")[:80],
        invoice_number=str(order.get("invoiceNumber") or "")[:200],
        description=str(order.get("description") or "")[:500],
        postal_code=str(bill.get("zip") or "").strip()[:20],
    )
