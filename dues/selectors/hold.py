"""The Hold page and the finance lead's daily summary: what is on hold and when each posts."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from common.money import ZERO
from dues.models import Account, JournalLine, Payment
from dues.selectors.mirror import invoices_by_id, party_names

S = Payment.Status


def hold_summary(*, now=None) -> dict:
    """What is on hold and when each posts: the next 24 hours first, then the rest."""
    now = now or timezone.now()
    held = list(
        Payment.objects.filter(status=S.HELD)
        .select_related("review_item")
        .order_by("hold_until", "id")
    )
    lines = JournalLine.objects.filter(payment__in=held, account=Account.HOLD)
    per_payment: dict[int, list] = defaultdict(list)
    for line in lines:
        per_payment[line.payment_id].append(line)
    invoices = invoices_by_id({li.invoice_id for li in lines if li.invoice_id})
    names = party_names({p.member_id for p in held} | {p.payer_id for p in held})
    soon_limit = now + timedelta(hours=24)
    for payment in held:
        amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in per_payment[payment.pk]:
            amounts[line.invoice_id] -= line.amount
        payment.hold_rows = [
            {"invoice": invoices.get(inv), "invoice_id": inv, "amount": amt}
            for inv, amt in sorted(amounts.items())
            if amt
        ]
        payment.member_name = names.get(payment.member_id, "")
        payment.posts_soon = payment.hold_until <= soon_limit
    soon = [p for p in held if p.posts_soon]
    return {
        "now": now,
        "payments": held,
        "soon": soon,
        "soon_total": sum((p.available for p in soon), ZERO),
        "total": sum((p.available for p in held), ZERO),
        "by_policy": sum(1 for p in held if p.applied_by_policy),
    }
