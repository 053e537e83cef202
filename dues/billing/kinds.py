"""The credit-memo review kind: a correction of one invoice, decided in the finance queue.

The payload is flat text so the generic review page can show it: ``memo`` (our id),
``invoice`` (iMIS InvoiceId), ``amount`` (negative: a credit memo; positive: a debit
adjustment), ``reason`` (sent to iMIS with it), ``breakdown`` (the calculator's words) and
``draft`` (the member's explanation). The amount is changed on the memo's own page (it drafts
the explanation again for the new figures and files the proposal again), not here.
"""

from decimal import Decimal

from django.conf import settings

from common.errors import DomainError
from common.money import to_money
from reviews.kinds import ReviewKind


def validate(payload: dict) -> dict:
    from dues.billing.memos import _words
    from dues.models import CreditMemo

    ref = str(payload.get("memo") or "").strip()
    memo = CreditMemo.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    if memo is None:
        raise DomainError(f"Credit memo {ref or '(none)'} does not exist.")
    text = str(payload.get("amount", "")).replace(",", "").replace("$", "").strip()
    try:
        amount = to_money(text)
    except ValueError:
        raise DomainError(f"“{text}” is not an amount; write it like -25.00.") from None
    if amount != memo.amount:
        raise DomainError(
            "Change the amount with Edit amount on the credit memo's page: the member's "
            "explanation is drafted again for the new figures and someone else approves it."
        )
    reason = " ".join(str(payload.get("reason") or "").split())
    if not reason:
        raise DomainError("Give a reason; it goes to iMIS with the adjustment.")
    cleaned = {
        "memo": str(memo.pk),
        "invoice": memo.invoice_id,
        "amount": str(memo.amount),
        "reason": reason[:300],
        "breakdown": _words(memo.breakdown),
    }
    if isinstance(payload.get("draft"), dict):
        cleaned["draft"] = payload["draft"]
    return cleaned


def _effect(item) -> dict:
    from dues.billing.memo_posting import effect

    return effect(item)


def _recheck(item) -> str | None:
    from dues.billing.memo_posting import recheck

    return recheck(item)


def _reverse(item) -> dict:
    from dues.billing.memo_posting import reverse

    return reverse(item)


CREDIT_MEMO = ReviewKind(
    name="dues.credit_memo",
    label="Credit memo or debit adjustment",
    queue="finance",
    validate=validate,
    effect=_effect,
    recheck=_recheck,
    threshold=Decimal(settings.BILLING_MEMO_THRESHOLD),
    reverse=_reverse,
)
