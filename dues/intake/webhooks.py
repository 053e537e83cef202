"""Payment-provider webhooks: signature checks and the reading of their events (no ORM here).

Stripe signs ``"{t}.{raw body}"`` with HMAC-SHA256 and sends ``Stripe-Signature: t=..,v1=..``
(several v1 values while a secret is being rolled). Authorize.Net sends
``X-ANET-Signature: sha512=<HEX>``, HMAC-SHA512 over the raw body with the signature key.
Both are checked on the raw bytes before anything is parsed.
"""

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from common.money import from_minor_units, to_money
from dues.intake.receipts import Receipt


class WebhookRejected(Exception):
    """The request is not a genuine, fresh, well-formed event; nothing is stored."""


@dataclass(frozen=True)
class VerifiedEvent:
    event_id: str
    event_type: str
    payload: dict


@dataclass(frozen=True)
class Refund:
    """A refund read from an event: the payment's key and the total refunded so far."""

    dedupe_key: str
    refunded_total: Decimal | None  # Stripe sends the running total
    amount: Decimal | None  # Authorize.Net sends this refund's amount
    provider_id: str


def _hex_digest(value: str, *, length: int) -> bytes | None:
    """The bytes of a hex signature, or None unless it is exactly ``length`` ASCII hex digits.

    Headers arrive as str (WSGI decodes them as latin-1), and ``hmac.compare_digest`` raises on
    str with non-ASCII characters, so the format is checked first and bytes are compared.
    """
    if len(value) != length or not value.isascii():
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def _refuse_constant(name: str):
    raise WebhookRejected(f"The body is not JSON: {name} is not a JSON number.")


def _strings(data):
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _has_nul(data) -> bool:
    return any("\x00" in value for value in _strings(data))


def _has_lone_surrogate(data) -> bool:
    """An escaped half of a UTF-16 pair (\\udc00 alone): no character at all."""
    for value in _strings(data):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def _loads(body: bytes) -> dict:
    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise WebhookRejected(f"The body is not JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise WebhookRejected("The body is not a JSON object.")
    # PostgreSQL's text and jsonb hold no NUL character and no lone surrogate, and no payment
    # event carries either
    if _has_nul(data):
        raise WebhookRejected("The body holds a NUL character (\\u0000), which no event carries.")
    if _has_lone_surrogate(data):
        raise WebhookRejected(
            "The body holds half of a UTF-16 surrogate pair (\\ud800-\\udfff alone), which no "
            "event carries."
        )
    return data


# --- Stripe -------------------------------------------------------------------------------

STRIPE_EVENTS = (
    "payment_intent.succeeded",
    "charge.succeeded",
    "charge.refunded",
    "invoice.paid",
    "payout.paid",  # a payout reached the bank: a deposit for the close (dues.close.deposits)
)


def stripe_verify(
    body: bytes, header: str | None, *, secret: str, now: float, tolerance: int
) -> VerifiedEvent:
    """Check the Stripe-Signature header against the raw body, then read the event."""
    if not header:
        raise WebhookRejected("The Stripe-Signature header is missing.")
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    # isdigit() alone takes "²" and other scripts' digits; a Unix time is ASCII
    valid_time = timestamp is not None and timestamp.isascii() and timestamp.isdigit()
    if not valid_time or not signatures:
        raise WebhookRejected("The Stripe-Signature header has no timestamp or no v1 signature.")
    digests = [_hex_digest(given, length=64) for given in signatures]
    if None in digests:
        raise WebhookRejected("The Stripe-Signature v1 signature is not 64 hex digits.")
    signed = timestamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    if not any(hmac.compare_digest(expected, given) for given in digests):
        raise WebhookRejected("No v1 signature matches the body.")
    age = now - int(timestamp)
    if age > tolerance or age < -tolerance:
        raise WebhookRejected(
            f"The signature is {int(abs(age))} s {'old' if age > 0 else 'in the future'}; "
            f"signatures are accepted for {tolerance} s."
        )
    event = _loads(body)
    event_id, event_type = event.get("id"), event.get("type")
    obj = (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not event_id:
        raise WebhookRejected("The body is not a Stripe event: it has no id or type.")
    if not isinstance(obj, dict):
        raise WebhookRejected("The body is not a Stripe event: it has no data.object.")
    return VerifiedEvent(event_id, event_type, event)


def stripe_sign(body: bytes, *, secret: str, timestamp: int) -> str:
    """The header Stripe would send (for the sandbox generator and the tests)."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


REFERENCE_KEYS = ("invoice", "invoice_number", "reference")
# The largest amount a payment holds (its column: 14 digits, 2 after the point).
MAX_AMOUNT = Decimal("999999999999.99")
MAX_ID_LENGTH = 120  # a provider's id (Stripe's are about 30 characters, Authorize.Net's 12)

# An event is read field by field with these: a field of another JSON type than the provider
# documents reads as absent, rather than failing the reader half-way.


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _text(value) -> str:
    """A string or number as text; "" for anything else (null, true, an object, a list)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return ""


def _id(value, what: str) -> str:
    text = _text(value).strip()
    if len(text) > MAX_ID_LENGTH:
        raise WebhookRejected(f"The {what} is longer than {MAX_ID_LENGTH} characters.")
    return text


def _metadata_text(metadata) -> str:
    """Metadata a person reads as remittance; the key taken as the reference is left out."""
    if not isinstance(metadata, dict):
        return ""
    taken = next((k for k in REFERENCE_KEYS if metadata.get(k)), None)
    return "; ".join(f"{k}: {v}" for k, v in metadata.items() if v not in (None, "") and k != taken)


def _join(*parts) -> str:
    return " | ".join(str(p).strip() for p in parts if p and str(p).strip())


def _stripe_day(epoch, tz: ZoneInfo) -> date:
    try:
        return datetime.fromtimestamp(int(epoch), tz=UTC).astimezone(tz).date()
    except (TypeError, ValueError, OverflowError, OSError, ArithmeticError):
        return datetime.now(tz).date()


def _stripe_method(obj: dict) -> str:
    kind = _text(_dict(obj.get("payment_method_details")).get("type"))
    types = _list(obj.get("payment_method_types"))
    if (
        kind in ("us_bank_account", "ach_debit", "ach_credit_transfer")
        or "us_bank_account" in types
    ):
        return "ach"
    return "card"


def _postal_code(address) -> str:
    """The postal code of a billing address object (Stripe's ``address``), or ""."""
    return _text(_dict(address).get("postal_code")).strip()[:20]


def _minor(value, what: str) -> Decimal:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | Decimal)
        or value < 0
        or value > MAX_AMOUNT * 100
        or (isinstance(value, Decimal) and value != value.to_integral_value())
    ):
        raise WebhookRejected(f"The {what} is not an amount in minor units: {value!r}.")
    return from_minor_units(int(value))


def stripe_receipt(event: dict, *, tz: ZoneInfo) -> Receipt | Refund | None:
    """The payment or refund an event describes; None for event types that are not payments."""
    kind = event["type"]
    obj = event["data"]["object"]
    if kind not in STRIPE_EVENTS:
        return None
    if kind.startswith("charge."):
        charge_id = _id(obj.get("id"), "charge id")
    elif kind.startswith("payment_intent."):
        latest = obj.get("latest_charge")
        charge_id = _id(_dict(latest).get("id") if isinstance(latest, dict) else latest, "charge")
    else:
        charge_id = _id(obj.get("charge"), "charge")
    intent = obj.get("id") if kind.startswith("payment_intent.") else obj.get("payment_intent")
    key = _id(intent, "payment intent") or charge_id or _id(obj.get("id"), "object id")
    if not key:
        raise WebhookRejected("The event's object has no id.")
    if kind == "charge.refunded":
        refunded = _minor(obj.get("amount_refunded", 0), "amount refunded")
        return Refund(dedupe_key=key, refunded_total=refunded, amount=None, provider_id=charge_id)
    currency = (_text(obj.get("currency")) or "usd").upper()[:3]
    metadata = _metadata_text(obj.get("metadata"))
    if kind == "invoice.paid":
        amount = _minor(obj.get("amount_paid", 0), "amount paid")
        name, email = _text(obj.get("customer_name")), _text(obj.get("customer_email"))
        postal = _postal_code(obj.get("customer_address"))
        lines = _list(_dict(obj.get("lines")).get("data"))
        line_text = "; ".join(_text(_dict(li).get("description")) for li in lines[:5] if li)
        memo = _join(_text(obj.get("description")), line_text, metadata)
        reference = _text(obj.get("number"))
        day, method = _stripe_day(obj.get("created"), tz), "card"
    else:
        if kind == "payment_intent.succeeded":
            amount = _minor(obj.get("amount_received", obj.get("amount", 0)), "amount received")
            charges = _list(_dict(obj.get("charges")).get("data"))
            latest = obj.get("latest_charge")
            charge = latest if isinstance(latest, dict) else _dict(charges[0] if charges else {})
        else:
            captured = obj.get("amount_captured") or obj.get("amount", 0)
            amount = _minor(captured, "amount")
            charge = obj
        billing = _dict(charge.get("billing_details"))
        shipping = _dict(obj.get("shipping"))
        name = _text(billing.get("name")) or _text(shipping.get("name"))
        email = _text(obj.get("receipt_email")) or _text(billing.get("email"))
        postal = _postal_code(billing.get("address"))
        memo = _join(_text(obj.get("description")), metadata)
        meta = _dict(obj.get("metadata"))
        reference = _text(next((meta[k] for k in REFERENCE_KEYS if meta.get(k)), ""))
        day, method = _stripe_day(obj.get("created"), tz), _stripe_method(charge or obj)
    if amount <= 0:
        raise WebhookRejected("The payment's amount is zero.")
    return Receipt(
        dedupe_key=key,
        provider_id=charge_id or key,
        amount=amount,
        currency=currency,
        received_on=day,
        payer_name=name[:300],
        payer_email=email[:254],
        payer_postal_code=postal,
        memo=memo[:2000],
        reference=reference[:200],
        method=method,
        raw=obj,
    )


# --- Authorize.Net ------------------------------------------------------------------------

ANET_CAPTURES = (
    "net.authorize.payment.authcapture.created",
    "net.authorize.payment.capture.created",
    "net.authorize.payment.priorAuthCapture.created",
)
ANET_REFUNDS = ("net.authorize.payment.refund.created",)
_FRACTION = re.compile(r"(\.\d{6})\d+")


def anet_sign(body: bytes, *, key: str) -> str:
    return "sha512=" + hmac.new(key.encode(), body, hashlib.sha512).hexdigest().upper()


def anet_time(value) -> datetime:
    if not isinstance(value, str) or not value:
        raise WebhookRejected("The event has no eventDate.")
    text = _FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise WebhookRejected(f"The eventDate {value!r} is not a date and time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def anet_verify(
    body: bytes, header: str | None, *, key: str, now: float, tolerance: int
) -> VerifiedEvent:
    """Check X-ANET-Signature against the raw body, then read the event and its freshness."""
    if not header:
        raise WebhookRejected("The X-ANET-Signature header is missing.")
    scheme, _, given = header.strip().partition("=")
    if scheme.lower() != "sha512" or not given:
        raise WebhookRejected("The X-ANET-Signature header is not of the form sha512=<hex>.")
    digest = _hex_digest(given.strip(), length=128)
    if digest is None:
        raise WebhookRejected("The X-ANET-Signature signature is not 128 hex digits.")
    expected = hmac.new(key.encode(), body, hashlib.sha512).digest()
    if not hmac.compare_digest(expected, digest):
        raise WebhookRejected("The signature does not match the body.")
    event = _loads(body)
    event_id, event_type = event.get("notificationId"), event.get("eventType")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise WebhookRejected("The body is not an Authorize.Net event: no notificationId.")
    if not isinstance(event.get("payload"), dict):
        raise WebhookRejected("The body is not an Authorize.Net event: no payload.")
    age = now - anet_time(event.get("eventDate")).timestamp()
    if age > tolerance or age < -tolerance:
        raise WebhookRejected(
            f"The event is {int(abs(age))} s {'old' if age > 0 else 'in the future'}; "
            f"events are accepted for {tolerance} s."
        )
    return VerifiedEvent(event_id, event_type, event)


def _anet_amount(value) -> Decimal:
    try:
        amount = to_money(value if isinstance(value, Decimal | int | str) else str(value))
    except (ValueError, TypeError, ArithmeticError):
        raise WebhookRejected(f"The authAmount {value!r} is not an amount.") from None
    if amount <= 0:
        raise WebhookRejected("The payment's amount is zero.")
    if amount > MAX_AMOUNT:
        raise WebhookRejected(f"The authAmount {value!r} is larger than any payment.")
    return amount


def anet_receipt(event: dict, *, tz: ZoneInfo) -> Receipt | Refund | None:
    kind, payload = event["eventType"], event["payload"]
    txn = _id(payload.get("id"), "transaction id")
    if kind not in ANET_CAPTURES + ANET_REFUNDS:
        return None
    if not txn:
        raise WebhookRejected("The event's payload has no transaction id.")
    if kind in ANET_REFUNDS:
        original = _id(payload.get("refTransId") or payload.get("refTransID"), "refTransId")
        return Refund(
            dedupe_key=original,
            refunded_total=None,
            amount=_anet_amount(payload.get("authAmount")),
            provider_id=txn,
        )
    if str(payload.get("responseCode", "1")) != "1":
        return None  # declined or held for review: no money arrived
    bill_to = _dict(payload.get("billTo"))
    customer = _dict(payload.get("customer"))
    name = " ".join(
        _text(bill_to.get(k)).strip() for k in ("firstName", "lastName") if _text(bill_to.get(k))
    ) or _text(bill_to.get("company"))
    when = anet_time(event.get("eventDate")).astimezone(tz).date()
    memo = _join(_text(payload.get("description")), _text(payload.get("merchantReferenceId")))
    return Receipt(
        dedupe_key=txn,
        provider_id=txn,
        amount=_anet_amount(payload.get("authAmount")),
        currency="USD",
        received_on=when,
        payer_name=name[:300],
        payer_email=(_text(customer.get("email")) or _text(payload.get("email")))[:254],
        payer_postal_code=_text(bill_to.get("zip")).strip()[:20],
        memo=memo[:2000],
        reference=_text(payload.get("invoiceNumber"))[:200],
        method="card",
        raw=payload,
    )
