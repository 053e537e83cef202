"""A hand-built November 2026 with known figures, through the product's own services."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from dues import services
from dues.close.deposits import stripe_payout_record
from dues.intake.imports import payment_import_file
from dues.models import Payment
from imis_client.models import ImisInvoice, OutboxWrite

D = Decimal
NOV = date(2026, 11, 1)
CSV = (
    "date,amount,payer name,reference,memo,method\n"
    "2026-11-12,120.00,Jane Smith,INV 10240,Dues,check\n"
    "2026-11-12,40.00,Somebody Else,,unknown,check\n"
)


def _apply(payment: Payment, invoice: str, member: str) -> Payment:
    return services.payment_apply(
        payment_id=payment.pk,
        member_id=member,
        payer_id=member,
        allocations=[(invoice, payment.amount)],
        credit=D("0.00"),
    )


def _post(payment: Payment) -> Payment:
    payment.refresh_from_db()
    services.payments_post_due(now=payment.hold_until + timedelta(minutes=1))
    payment.refresh_from_db()
    return payment


def _delivered(payment: Payment, *, synced_after: bool) -> None:
    """iMIS took the posting; the sync read the invoice back afterwards (or not yet)."""
    when = timezone.now() - timedelta(hours=2)
    OutboxWrite.objects.filter(reference=payment.imis_reference).update(
        state=OutboxWrite.State.DELIVERED, delivered_at=when
    )
    ImisInvoice.objects.filter(imis_id__in=["10234", "10240"]).update(
        synced_at=when + (timedelta(hours=1) if synced_after else -timedelta(hours=1))
    )


def build_november(mirror, make_payment) -> dict:
    """Stripe: 120.00 posted and seen, 95.00 in hold (both paid out 10 Nov, 208.38 net: 6.62
    fee), 50.00 unmatched on 29 Nov and paid out in December. CSV: 120.00 posted, not yet seen
    in iMIS; 40.00 not ours."""
    mirror.member("48213", "John Smith")
    mirror.member("48214", "Jane Smith")
    mirror.invoice("10234", "48213", "120.00")
    mirror.invoice("10240", "48214", "120.00")
    mirror.invoice("10250", "48214", "95.00")
    s1 = make_payment("120.00", source="stripe", received_on=date(2026, 11, 3))
    s2 = make_payment("95.00", source="stripe", received_on=date(2026, 11, 5))
    s3 = make_payment("50.00", source="stripe", received_on=date(2026, 11, 29))
    s1 = _post(_apply(s1, "10234", "48213"))
    _delivered(s1, synced_after=True)
    tz = ZoneInfo("America/New_York")
    arrival = int(datetime(2026, 11, 10, 9, tzinfo=tz).timestamp())
    payout = {"data": {"object": {"id": "po_nov10", "amount": 20838, "arrival_date": arrival}}}
    stripe_payout_record(event=payout)
    record = payment_import_file(filename="nov.csv", content=CSV.encode())
    c1, c2 = Payment.objects.filter(import_file=record).order_by("amount").reverse()
    c1 = _post(_apply(c1, "10240", "48214"))
    services.payment_flag_not_ours(payment_id=c2.pk)
    _apply(s2, "10250", "48214")  # last: posting the others would post it too
    return {"s3": s3, "c1": c1, "c2": c2, "import": record}


def pay_out_december(amount_cents: int = 4850) -> None:
    tz = ZoneInfo("America/New_York")
    arrival = int(datetime(2026, 12, 2, 9, tzinfo=tz).timestamp())
    payout = {
        "data": {"object": {"id": "po_dec02", "amount": amount_cents, "arrival_date": arrival}}
    }
    stripe_payout_record(event=payout)
