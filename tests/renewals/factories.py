"""Hand-built mirror rows for renewals tests: a member, their invoices, payments and activity."""

from datetime import date, datetime, time
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from imis_client import models as m

_ids = count(1)


def _site(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(settings.IMIS_TIME_ZONE))


def _mirror(model, **fields):
    return model.objects.create(
        imis_id=fields.pop("imis_id", f"T{next(_ids)}"),
        raw=fields.pop("raw", {}),
        raw_hash=0,
        synced_at=timezone.now(),
        **fields,
    )


def party(imis_id: str, **fields) -> m.ImisParty:
    defaults = {
        "name": f"Member {imis_id}",
        "first_name": "Alex",
        "last_name": f"Member{imis_id}",
        "email": f"m{imis_id}@example.org",
        "status": "A",
        "customer_type": "REG",
        "is_member": True,
        "join_date": date(2015, 4, 1),
        "paid_thru": date(2025, 8, 31),
        "chapter": "NE",
    }
    return _mirror(m.ImisParty, imis_id=imis_id, **{**defaults, **fields})


def invoice(
    member: str,
    invoice_date: date,
    due: date,
    amount: str,
    *,
    purpose="MembershipRenewal",
    bill_to: str | None = None,
    balance: str = "0.00",
    adjustment: str | None = None,
    paid: str | None = None,
    note: str = "",
) -> m.ImisInvoice:
    """A dues invoice; ``adjustment`` (AdjustmentAmount), ``paid`` (PaymentAmount) and ``note``
    only where the test's site sends them."""
    return _mirror(
        m.ImisInvoice,
        raw={"Note": note} if note else {},
        adjustment_amount=None if adjustment is None else Decimal(adjustment),
        payment_amount=None if paid is None else Decimal(paid),
        number=f"INV{next(_ids)}",
        invoice_date=invoice_date,
        due_date=due,
        purpose=purpose,
        sold_to_id=member,
        bill_to_id=bill_to or member,
        amount=Decimal(amount),
        balance=Decimal(balance),
        is_open=Decimal(balance) > 0,
    )


def payment(member: str, day: date, amount: str, member_type: str = "REG") -> m.ImisActivity:
    return _mirror(
        m.ImisActivity,
        party_id=member,
        activity_type="DUES",
        transaction_date=_site(day),
        amount=Decimal(amount),
        units=Decimal(1),
        member_type=member_type,
        product_code=f"DUES-{member_type}",
    )


def activity(member: str, kind: str, start: date, end: date, last: date, units: int):
    """An aggregated engagement row: ``units`` events between start and end, the last on
    ``last`` (as iMIS sites keep one row per member, type and period)."""
    return _mirror(
        m.ImisActivity,
        party_id=member,
        activity_type=kind,
        transaction_date=_site(last),
        effective_date=_site(start, 0),
        thru_date=_site(end, 0),
        units=Decimal(units),
    )


def event(code: str, day: date, chapter: str = "") -> m.ImisEvent:
    return _mirror(
        m.ImisEvent,
        imis_id=code,
        name=f"Event {code}",
        starts_at=_site(day, 9),
        ends_at=_site(day, 17),
        chapter=chapter,
    )


def registration(member: str, ev: m.ImisEvent, registered: date, attended: bool | None):
    return _mirror(
        m.ImisEventRegistration,
        event_id=ev.imis_id,
        party_id=member,
        registered_on=_site(registered),
        status="Registered",
        attended=attended,
    )


def committee(member: str, start: date, end: date | None = None, role: str = "Member"):
    return _mirror(
        m.ImisGroupMember,
        group_id="COMMITTEE/EDU",
        group_name="Education",
        group_class="COMMITTEE",
        party_id=member,
        join_date=start,
        effective_date=start,
        expiration_date=end,
        is_active=True,
        role=role,
    )


def communication(member: str, day: date, status: str = "Sent"):
    return _mirror(
        m.ImisCommunication,
        party_id=member,
        sent_on=_site(day),
        channel="Email",
        subject="Your renewal",
        template="REMINDER_1",
        status=status,
    )


def owner(member: str, staff_user_id: str):
    return _mirror(
        m.ImisRelationshipOwner,
        party_id=member,
        staff_user_id=staff_user_id,
        role="Account Manager",
    )
