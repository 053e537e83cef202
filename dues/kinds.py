"""The payment-application review item: its payload, how it is checked, and its effect.

The payload is flat text so that the generic review page can show and edit it:
``payment`` (our id), ``action`` (apply | credit | not_ours), ``member`` and ``payer`` (iMIS ids),
``invoices`` ("INVOICE=AMOUNT, ..."; invoice ids or numbers) and ``credit`` (kept on account).
"""

import re
from decimal import Decimal

from django.db import transaction

from common.errors import DomainError
from common.money import ZERO, format_money, to_money
from imis_client.models import ImisInvoice, ImisParty
from reviews.kinds import ReviewKind

KIND = "dues.payment_application"
ACTIONS = ("apply", "credit", "not_ours")
_PAIR = re.compile(r"^\s*([^=\s:]+)\s*[=:]\s*\$?\s*([\d,]+(?:\.\d{1,2})?)\s*$")


def allocations_text(allocations) -> str:
    return ", ".join(f"{invoice}={to_money(amount)}" for invoice, amount in allocations)


def parse_allocations(text: str) -> list[tuple[str, Decimal]]:
    pairs = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]+", str(text or "")))):
        match = _PAIR.match(part)
        if not match:
            raise DomainError(
                f"“{part}” is not INVOICE=AMOUNT (for example 10234=120.00).", code="invalid"
            )
        pairs.append((match.group(1), to_money(match.group(2).replace(",", ""))))
    return pairs


def _resolve_invoices(pairs, invoices: dict) -> list[tuple[str, Decimal]]:
    """``invoices``: the mirror's, by iMIS id and by number (``_invoices_named``)."""
    resolved, seen = [], set()
    for ref, amount in pairs:
        invoice = invoices["id"].get(ref) or invoices["number"].get(ref)
        if invoice is None:
            raise DomainError(f"Invoice {ref} is not in the iMIS mirror; check the number.")
        if invoice.imis_id in seen:
            raise DomainError(f"Invoice {invoice.number} is listed twice; give it one amount.")
        if amount <= 0:
            raise DomainError(f"The amount for invoice {invoice.number} must be more than zero.")
        if not invoice.is_open:
            raise DomainError(f"Invoice {invoice.number} is not open; choose an open invoice.")
        seen.add(invoice.imis_id)
        resolved.append((invoice.imis_id, amount))
    return resolved


def _invoices_named(refs) -> dict:
    refs = list(refs)
    live = ImisInvoice.objects.filter(deleted_at__isnull=True)
    return {
        "id": {inv.imis_id: inv for inv in live.filter(imis_id__in=refs)},
        "number": {inv.number: inv for inv in live.filter(number__in=refs)},
    }


def _party(ref: str, role: str, parties: set[str]) -> str:
    ref = str(ref or "").strip()
    if not ref:
        raise DomainError(f"Name the {role} (iMIS id) the payment is for.")
    if ref not in parties:
        raise DomainError(f"No {role} {ref} in the iMIS mirror; check the id.")
    return ref


def validate(payload: dict) -> dict:
    return validate_many([payload])[0]


def validate_many(payloads: list[dict]) -> list[dict]:
    """Each payload checked against the payments and the mirror, read once for them all."""
    from dues.models import Payment

    refs = [str(p.get("payment", "")).strip() for p in payloads]
    payments = Payment.objects.in_bulk([int(ref) for ref in refs if ref.isdigit()])
    party_refs = {str(p.get(k) or "").strip() for p in payloads for k in ("member", "payer")}
    parties = set(
        ImisParty.objects.filter(imis_id__in=party_refs - {""}).values_list("imis_id", flat=True)
    )
    pairs = []
    for payload in payloads:
        try:
            pairs.append(parse_allocations(payload.get("invoices", "")))
        except DomainError as exc:
            pairs.append(exc)
    invoices = _invoices_named(
        {ref for found in pairs if not isinstance(found, DomainError) for ref, _ in found}
    )
    out = []
    for payload, ref, found in zip(payloads, refs, pairs, strict=True):
        payment = payments.get(int(ref)) if ref.isdigit() else None
        out.append(_validated(payload, payment, parties, found, invoices))
    return out


def _validated(payload: dict, payment, parties: set[str], pairs, invoices: dict) -> dict:
    ref = str(payload.get("payment", "")).strip()
    if payment is None:
        raise DomainError(f"Payment {ref or '(none)'} does not exist.")
    action = str(payload.get("action", "apply")).strip().lower()
    if action not in ACTIONS:
        raise DomainError("The action must be apply, credit or not_ours.")
    if action == "not_ours":
        return {
            "payment": str(payment.pk),
            "action": action,
            "member": "",
            "payer": "",
            "invoices": "",
            "credit": "0.00",
        }
    member = _party(payload.get("member", ""), "member", parties)
    payer = _party(payload.get("payer") or member, "payer", parties)
    if isinstance(pairs, DomainError):
        raise pairs
    allocations = _resolve_invoices(pairs, invoices)
    try:
        credit = to_money(str(payload.get("credit") or "0").replace(",", "").replace("$", ""))
    except ValueError:
        raise DomainError(f"The credit “{payload.get('credit')}” is not an amount.") from None
    applied = sum((amount for _, amount in allocations), ZERO)
    if credit < 0 and applied > payment.available:
        raise DomainError(
            f"The invoices add up to {format_money(applied)}, more than the payment's "
            f"{format_money(payment.available)}; lower an amount."
        )
    if credit < 0:
        raise DomainError("The credit on account cannot be negative.")
    if action == "credit" and allocations:
        raise DomainError("Credit on account goes on no invoice; clear the invoices or apply it.")
    if action == "apply" and not allocations:
        raise DomainError("Name at least one invoice, as INVOICE=AMOUNT.")
    total = sum((amount for _, amount in allocations), ZERO) + credit
    if total != payment.available:
        raise DomainError(
            f"The amounts add up to {format_money(total)} but the payment is "
            f"{format_money(payment.available)}; put the difference on an invoice or in credit."
        )
    return {
        "payment": str(payment.pk),
        "action": action,
        "member": member,
        "payer": payer,
        "invoices": allocations_text(allocations),
        "credit": str(credit),
    }


def effect(item) -> dict:
    from dues import services

    payload = item.payload
    if payload["action"] == "not_ours":
        payment = services.payment_flag_not_ours(payment_id=int(payload["payment"]), item=item)
    else:
        payment = services.payment_apply(
            payment_id=int(payload["payment"]),
            member_id=payload["member"],
            payer_id=payload["payer"],
            allocations=parse_allocations(payload["invoices"]),
            credit=to_money(payload["credit"]),
            item=item,
        )
    return _result(payment)


def effect_many(items) -> dict:
    """Applications carried out together (``payments_apply_many``); a payment flagged as not
    ours one at a time. Item id -> result, or the error that item met."""
    from dues import services

    out: dict = {}
    applications = []
    for item in items:
        payload = item.payload
        if payload["action"] == "not_ours":
            try:
                with transaction.atomic():
                    out[item.pk] = effect(item)
            except Exception as exc:  # kept on the item, as a single effect's would be
                out[item.pk] = exc
            continue
        application = services.Application(
            payment_id=int(payload["payment"]),
            member_id=payload["member"],
            payer_id=payload["payer"],
            allocations=parse_allocations(payload["invoices"]),
            credit=to_money(payload["credit"]),
            item=item,
        )
        applications.append(application)
    results = services.payments_apply_many(applications=applications)
    for application, result in zip(applications, results, strict=True):
        out[application.item.pk] = result if isinstance(result, Exception) else _result(result)
    return out


def _result(payment) -> dict:
    return {
        "payment": payment.pk,
        "status": payment.status,
        "hold_until": payment.hold_until.isoformat() if payment.hold_until else None,
    }


def recheck(item) -> str | None:
    return recheck_many([item])[item.pk]


def recheck_many(items) -> dict:
    from dues.models import Payment

    payments = Payment.objects.in_bulk([int(item.payload["payment"]) for item in items])
    return {item.pk: _stale(item, payments.get(int(item.payload["payment"]))) for item in items}


def _stale(item, payment) -> str | None:
    from dues.models import Payment

    if payment is None:
        return "the payment no longer exists"
    if payment.status not in Payment.OPEN:
        return f"payment #{payment.pk} is already {payment.get_status_display().lower()}"
    if payment.review_item_id not in (None, item.pk):
        return f"payment #{payment.pk} has a newer proposal (#{payment.review_item_id})"
    return None


PAYMENT_APPLICATION = ReviewKind(
    name=KIND,
    label="Payment application",
    queue="finance",
    validate=validate,
    effect=effect,
    recheck=recheck,
    validate_many=validate_many,
    recheck_many=recheck_many,
    effect_many=effect_many,
)
