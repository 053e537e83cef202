"""Authorize.Net's API as the sandbox answers it: ``getTransactionDetails`` for the card payments
its webhooks announce without a payer (bill-to name, e-mail, customer id, invoice number,
description), over HTTP as a WSGI app (serve it with ``sandbox.imis.SandboxServer``).

The answer is shaped like Authorize.Net's JSON API: a UTF-8 byte-order mark first, ``messages``
with ``resultCode`` and coded messages, the ``transaction`` with ``billTo``, ``customer`` and
``order``. Nothing here imports product code.
"""

from __future__ import annotations

import json
import random

from .book import Book, IncomingPayment
from .files import authorizenet_transaction_id
from .writing import bank_ascii

API_PATH = "/xml/v1/request.api"


def transaction_details(book: Book, payments: list[IncomingPayment]) -> dict[str, dict]:
    """Transaction id -> what Authorize.Net keeps of each Authorize.Net payment: the card
    holder's bill-to name (the member's, as the portal filled it), the e-mail and customer id
    the portal sent, the invoice number and a description."""
    out = {}
    for p in payments:
        if p.channel != "authorizenet":
            continue
        rng = random.Random(f"anet-details|{p.payment_id}")
        party = book.parties.get(p.truth_member)
        if party is None or party.is_org:
            first, last, email, customer = "", "", "", ""
            if rng.random() < 0.7:
                first, last = rng.choice(("Alex Morgan", "Sam Lee", "Jordan Blake")).split()
        else:
            first, last = bank_ascii(party.first), bank_ascii(party.last)
            email = party.email if rng.random() < 0.8 else ""
            customer = party.party_id if rng.random() < 0.6 else ""
        trans_id = authorizenet_transaction_id(p)
        out[trans_id] = {
            "transId": trans_id,
            "transactionStatus": "capturedPendingSettlement",
            "responseCode": 1,
            "authAmount": p.amount / 100,
            "order": {"invoiceNumber": p.reference, "description": "Membership dues"},
            "billTo": {"firstName": first, "lastName": last, "zip": p.payer_postal},
            "customer": {"type": "individual", "id": customer, "email": email},
        }
    return out


class AnetTransactionApi:
    """A WSGI app answering ``getTransactionDetailsRequest`` for the transactions it holds."""

    root_path = ""

    def __init__(self, details: dict[str, dict], *, login: str, transaction_key: str) -> None:
        self.details, self.login, self.key = details, login, transaction_key
        self.requests = 0

    def __call__(self, environ, start_response):
        self.requests += 1
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            body = json.loads(environ["wsgi.input"].read(length).decode("utf-8-sig") or "{}")
            request = body["getTransactionDetailsRequest"]
            auth = request.get("merchantAuthentication") or {}
        except (ValueError, KeyError, TypeError, AttributeError):
            return self._answer(start_response, "E00003", "The request could not be read.")
        if auth.get("name") != self.login or auth.get("transactionKey") != self.key:
            return self._answer(
                start_response,
                "E00007",
                "User authentication failed due to invalid authentication values.",
            )
        found = self.details.get(str(request.get("transId") or ""))
        if found is None:
            return self._answer(start_response, "E00040", "The record cannot be found.")
        return self._answer(start_response, "I00001", "Successful.", transaction=found)

    @staticmethod
    def _answer(start_response, code: str, text: str, **rest):
        result = "Ok" if code.startswith("I") else "Error"
        data = {
            **rest,
            "messages": {"resultCode": result, "message": [{"code": code, "text": text}]},
        }
        payload = "\ufeff".encode() + json.dumps(data).encode()
        # The API answers 200 to errors too: the outcome is in messages.resultCode.
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(payload))),
            ],
        )
        return [payload]
