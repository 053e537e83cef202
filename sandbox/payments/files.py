"""The files and webhooks that carry sandbox payments, as banks and gateways send them.

- **CSV** (``to_csv``): columns ``date,amount,payer_name,reference,memo,method`` - ISO date,
  amount with two decimals, the payer as the bank shows it, the bank's reference (for a check
  its check number, for a bill-pay ACH the account number the member gave, for a card the
  portal's invoice number), free-text memo, and ``card|ach|check|wire|other``.
- **BAI2** (``to_bai2``): one group, one account, one ``16`` detail record per payment whose text
  continues on ``88`` records; control totals and record counts are exact, so the ``bai2``
  package parses it with its integrity checks on. Detail layouts (text field):

  - check, type 116 (lockbox item): ``LOCKBOX ITEM CHECK <no> REMITTER:<payer> MEMO:<memo>``;
    customer reference = the check number;
  - ACH, type 165 (``IND ID`` = reference) for people or 164 (corporate trade payment) for
    organisations: ``ORIG CO NAME:<payer> ENTRY DESCR:DUES SEC:PPD|CCD IND ID:<ref>
    IND NAME:<payer> ADDENDA:<memo>`` (corporate remittance as X12 ``RMR`` segments);
  - wire, type 195: ``WIRE IN ORIGINATOR:<payer> REF:<ref> OBI:<memo>``;
  - other, type 301: ``DEPOSIT PAYER:<payer> REF:<ref> MEMO:<memo>``.

- **Stripe** (``stripe_events``): ``charge.succeeded`` events shaped like Stripe's own example
  objects (billing name and e-mail, description, ``metadata.invoice_number``), amounts in minor
  units, signed with ``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``.
- **Authorize.Net** (``authorizenet_events``): ``net.authorize.payment.authcapture.created``
  notifications (``payload.authAmount``, ``payload.invoiceNumber``), signed with
  ``X-ANET-Signature: sha512=<HEX HMAC-SHA512 of the body>``, the key being the signature key's
  text as UTF-8 bytes.

``write_payment_files`` puts all of them in a directory with ``truth.json``: per payment the
channel, the key that finds it in its carrier (CSV line, BAI2 bank reference, Stripe event id,
Authorize.Net notification id), the member and the allocation a clerk would make.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from .book import IncomingPayment
from .writing import bai2_text

CSV_COLUMNS = ("date", "amount", "payer_name", "reference", "memo", "method")
STRIPE_PATH = "/webhooks/stripe/"
AUTHORIZENET_PATH = "/webhooks/authorizenet/"
_NAMESPACE = uuid.UUID("6f1c3a52-0d57-4d59-9a39-2e8f7d0c4b11")


@dataclass(frozen=True)
class SignedRequest:
    """A webhook delivery: where it goes, its headers, and the exact body bytes signed."""

    path: str
    headers: dict[str, str]
    body: bytes
    key: str  # the event's id at the provider (dedupe key)
    payment_id: str


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


# --- CSV ------------------------------------------------------------------------------------


def to_csv(payments: list[IncomingPayment]) -> str:
    """The CSV channel's payments as a bank export (line 1 is the header)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in payments:
        reference = p.check_number if p.method == "check" else p.reference
        writer.writerow(
            [p.received_on.isoformat(), _money(p.amount), p.payer_name, reference, p.memo, p.method]
        )
    return out.getvalue()


# --- BAI2 -----------------------------------------------------------------------------------

_TYPE = {"check": "116", "wire": "195", "other": "301"}


def bank_reference(p: IncomingPayment) -> str:
    return "BR" + _digest("bai2", p.payment_id)[:14].upper()


def _detail_text(p: IncomingPayment) -> tuple[str, str, str]:
    """(type code, customer reference, text) of one payment's 16 record."""
    payer, memo = p.payer_name, p.memo
    if p.method == "check":
        text = f"LOCKBOX ITEM CHECK {p.check_number} REMITTER:{payer} MEMO:{memo}"
        return "116", p.check_number, text
    if p.method == "ach":
        corporate = "RMR*" in p.memo or p.scenario.startswith("employer")
        sec = "CCD" if corporate else "PPD"
        text = (
            f"ORIG CO NAME:{payer[:16] if corporate else payer} ENTRY DESCR:DUES SEC:{sec} "
            f"IND ID:{p.reference} IND NAME:{payer} ADDENDA:{memo}"
        )
        return ("164" if corporate else "165"), p.reference, text
    if p.method == "wire":
        return "195", p.reference, f"WIRE IN ORIGINATOR:{payer} REF:{p.reference} OBI:{memo}"
    return "301", p.reference, f"DEPOSIT PAYER:{payer} REF:{p.reference} MEMO:{memo}"


def _lines(head: str, text: str, width: int = 80) -> list[str]:
    """A record whose last field runs on over 88 records, broken between words: readers join
    the pieces with one space (and a piece ending in '/' would end the field)."""
    out, line, fresh = [], head, True  # fresh: nothing of the text on this line yet
    for word in text.split():
        room = width - len(line) - (0 if fresh else 1)
        if len(word) <= room:
            line = f"{line}{word}" if fresh else f"{line} {word}"
            fresh = False
            continue
        out.append(line)
        # A word longer than a record (a run of remittance segments) goes whole on its own
        # continuation record: cutting it would drop invoice references.
        line, fresh = "88," + word, False
    out.append(line)
    return out


def to_bai2(
    payments: list[IncomingPayment],
    *,
    as_of: date,
    sender: str = "121000248",
    receiver: str = "DUESDESK",
    account: str = "000123456789",
    file_id: str = "1",
) -> str:
    """A previous-day BAI2 file with one detail record per payment."""
    stamp = as_of.strftime("%y%m%d")
    details: list[str] = []
    total = 0
    for p in payments:
        type_code, customer_ref, text = _detail_text(p)
        customer_ref = customer_ref.replace(",", " ").replace("/", " ")
        head = f"16,{type_code},{p.amount},0,{bank_reference(p)},{customer_ref},"
        details.extend(_lines(head, bai2_text(text)))
        total += p.amount
    summary = f"03,{account},USD,010,0,,,015,{total},,,100,{total},{len(payments)},0/"
    account_records = 1 + len(details) + 1
    account_total = total + total + total  # summary amounts (015, 100) and the details
    lines = [
        f"01,{sender},{receiver},{stamp},0600,{file_id},80,,2/",
        f"02,{receiver},{sender},1,{stamp},0600,USD,2/",
        summary,
        *details,
        f"49,{account_total},{account_records}/",
        f"98,{account_total},1,{account_records + 2}/",
        f"99,{account_total},1,{account_records + 4}/",
    ]
    return "\n".join(lines) + "\n"


# --- webhooks -------------------------------------------------------------------------------


def sign_stripe(body: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header value for ``body`` signed at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def sign_authorizenet(body: bytes, signature_key: str) -> str:
    """The X-ANET-Signature header value for ``body``."""
    mac = hmac.new(signature_key.encode(), body, hashlib.sha512)
    return f"sha512={mac.hexdigest().upper()}"


def _moment(p: IncomingPayment) -> datetime:
    seconds = int(_digest("time", p.payment_id)[:8], 16) % (9 * 3600)
    start = datetime.combine(p.received_on, time(8, 0), tzinfo=UTC)
    return datetime.fromtimestamp(start.timestamp() + seconds, tz=UTC)


def stripe_event_id(p: IncomingPayment) -> str:
    return "evt_" + _digest("stripe", p.payment_id)[:24]


def _stripe_charge(p: IncomingPayment, created: int) -> dict:
    h = _digest("charge", p.payment_id)
    return {
        "id": f"ch_{h[:24]}",
        "object": "charge",
        "amount": p.amount,
        "amount_captured": p.amount,
        "amount_refunded": 0,
        "balance_transaction": f"txn_{h[24:48]}",
        "billing_details": {
            "address": {
                **dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state")),
                **({"country": "US", "postal_code": p.payer_postal} if p.payer_postal else {}),
            },
            "email": p.email or None,
            "name": p.payer_name or None,
            "phone": None,
        },
        "captured": True,
        "created": created,
        "currency": "usd",
        "customer": None,
        "description": p.memo or None,
        "disputed": False,
        "livemode": False,
        "metadata": {"invoice_number": p.reference} if p.reference else {},
        "outcome": {"network_status": "approved_by_network", "type": "authorized"},
        "paid": True,
        "payment_intent": f"pi_{h[:24]}",
        "payment_method": f"pm_{h[8:32]}",
        "payment_method_details": {
            "card": {
                "brand": ("visa", "mastercard", "amex")[int(h[0], 16) % 3],
                "country": "US",
                "exp_month": 1 + int(h[1], 16) % 12,
                "exp_year": 2027 + int(h[2], 16) % 4,
                "funding": "credit",
                "last4": f"{int(h[3:7], 16) % 10000:04d}",
            },
            "type": "card",
        },
        "receipt_email": p.email or None,
        "refunded": False,
        "status": "succeeded",
    }


def stripe_events(
    payments: list[IncomingPayment], secret: str, *, signed_at: int | None = None
) -> list[SignedRequest]:
    """``charge.succeeded`` deliveries, each signed (at ``signed_at`` or its own moment)."""
    out = []
    for p in payments:
        created = int(_moment(p).timestamp())
        event = {
            "id": stripe_event_id(p),
            "object": "event",
            "api_version": "2024-06-20",
            "created": created,
            "data": {"object": _stripe_charge(p, created)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": "charge.succeeded",
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        header = sign_stripe(body, secret, signed_at if signed_at is not None else created)
        out.append(
            SignedRequest(
                STRIPE_PATH,
                {"Content-Type": "application/json", "Stripe-Signature": header},
                body,
                event["id"],
                p.payment_id,
            )
        )
    return out


def authorizenet_notification_id(p: IncomingPayment) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"anet|{p.payment_id}"))


def authorizenet_transaction_id(p: IncomingPayment) -> str:
    """The transaction id Authorize.Net gives the payment (its webhook's ``payload.id``)."""
    return str(int(_digest("anet", p.payment_id)[6:16], 16) % 10**11)


def authorizenet_events(payments: list[IncomingPayment], signature_key: str) -> list[SignedRequest]:
    """``net.authorize.payment.authcapture.created`` notifications, signed."""
    out = []
    webhook_id = str(uuid.uuid5(_NAMESPACE, "anet-webhook"))
    for p in payments:
        h = _digest("anet", p.payment_id)
        moment = _moment(p)
        payload = {
            "responseCode": 1,
            "authCode": h[:6].upper(),
            "avsResponse": "Y",
            "authAmount": "__AMOUNT__",
            "entityName": "transaction",
            "id": authorizenet_transaction_id(p),
        }
        if p.reference:
            payload["invoiceNumber"] = p.reference
        notification = {
            "notificationId": authorizenet_notification_id(p),
            "eventType": "net.authorize.payment.authcapture.created",
            "eventDate": moment.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{int(h[16:22], 16) % 10**7:07d}Z",
            "webhookId": webhook_id,
            "payload": payload,
        }
        # The amount is a JSON number with two decimals, as Authorize.Net writes it.
        text = json.dumps(notification, separators=(",", ":"))
        body = text.replace('"__AMOUNT__"', _money(p.amount)).encode()
        out.append(
            SignedRequest(
                AUTHORIZENET_PATH,
                {
                    "Content-Type": "application/json",
                    "X-ANET-Signature": sign_authorizenet(body, signature_key),
                },
                body,
                notification["notificationId"],
                p.payment_id,
            )
        )
    return out


# --- all at once ----------------------------------------------------------------------------


def write_payment_files(
    payments: list[IncomingPayment],
    directory: Path,
    *,
    as_of: date,
    stripe_secret: str,
    authorizenet_key: str,
) -> dict:
    """Write payments.csv, payments.bai2, webhooks.jsonl and truth.json; returns counts."""
    directory.mkdir(parents=True, exist_ok=True)
    by_channel: dict[str, list[IncomingPayment]] = {}
    for p in payments:
        by_channel.setdefault(p.channel, []).append(p)
    csv_payments = by_channel.get("csv", [])
    bai2_payments = by_channel.get("bai2", [])
    (directory / "payments.csv").write_text(to_csv(csv_payments), encoding="utf-8")
    (directory / "payments.bai2").write_text(to_bai2(bai2_payments, as_of=as_of), encoding="ascii")
    requests = stripe_events(by_channel.get("stripe", []), stripe_secret)
    requests += authorizenet_events(by_channel.get("authorizenet", []), authorizenet_key)
    with (directory / "webhooks.jsonl").open("w", encoding="utf-8") as out:
        for r in requests:
            out.write(json.dumps({"path": r.path, "headers": r.headers, "body": r.body.decode()}))
            out.write("\n")
    keys = {p.payment_id: f"line {n}" for n, p in enumerate(csv_payments, start=2)}
    keys.update({p.payment_id: bank_reference(p) for p in bai2_payments})
    keys.update({r.payment_id: r.key for r in requests})
    truth = [truth_record(p, keys[p.payment_id]) for p in payments]
    (directory / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return {
        "csv": len(csv_payments),
        "bai2": len(bai2_payments),
        "stripe": len(by_channel.get("stripe", [])),
        "authorizenet": len(by_channel.get("authorizenet", [])),
    }


def truth_record(p: IncomingPayment, source_key: str) -> dict:
    return {
        "payment_id": p.payment_id,
        "channel": p.channel,
        "source_key": source_key,
        "method": p.method,
        "received_on": p.received_on.isoformat(),
        "amount": _money(p.amount),
        "scenario": p.scenario,
        "member_id": p.truth_member,
        "allocations": [[i, _money(c)] for i, c in p.truth_allocations],
        "credit": _money(p.truth_credit),
    }
