"""Checks that arrived by post, entered by hand by finance staff."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from common.errors import DomainError
from common.money import format_money, to_money
from dues.intake.store import payment_record
from dues.models import Payment


@transaction.atomic
def check_enter(
    *,
    user,
    check_number: str,
    amount: Decimal,
    received_on: date,
    payer_name: str,
    payer_email: str = "",
    memo: str = "",
) -> Payment:
    """A check that arrived by post, entered by finance staff; the same check twice is refused."""
    number = check_number.strip()
    if not number:
        raise DomainError("Enter the check number printed on the check.")
    if not payer_name.strip():
        raise DomainError("Enter the payer's name as printed on the check.")
    amount = to_money(amount)
    if amount <= 0:
        raise DomainError("The amount must be more than zero.")
    if received_on > timezone.localdate():
        raise DomainError("The date received cannot be in the future.")
    key = f"{number.lstrip('0') or '0'}|{' '.join(payer_name.lower().split())}|{amount}"
    existing = Payment.objects.filter(source=Payment.Source.CHECK, dedupe_key=key).first()
    if existing:
        raise DomainError(
            f"Check {number} from {payer_name.strip()} for {format_money(amount)} was already "
            f"entered on {timezone.localtime(existing.created_at):%Y-%m-%d} as payment "
            f"#{existing.pk}.",
            code="duplicate",
        )
    payment, _ = payment_record(
        source=Payment.Source.CHECK,
        dedupe_key=key,
        amount=amount,
        received_on=received_on,
        raw={
            "check_number": number,
            "payer_name": payer_name.strip(),
            "amount": str(amount),
            "received_on": received_on.isoformat(),
            "memo": memo.strip(),
            "entered_by": user.get_username(),
        },
        payer_name=payer_name.strip(),
        payer_email=payer_email.strip(),
        memo=memo.strip(),
        reference=number,
        method=Payment.Method.CHECK,
        provider_id=number,
        entered_by=user,
    )
    return payment
