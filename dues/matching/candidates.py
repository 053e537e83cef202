"""Load what payment matching needs from the iMIS mirror: open invoices, their parties, history.

One query per table with ``values_list`` (no model instances): a 100,000-invoice book loads in
about a second. The parties loaded are those an open invoice is for or billed to, the employers
of those members, whoever was billed for one of those members' invoices before, and the people
living with them (same surname, same postal code), so that an organisation, a household member
or a past payer paying for a member is recognised; with each person come the surnames they were
known by (a maiden name the site keeps in a custom attribute, ``IMIS_FORMER_NAME_ATTRIBUTE``).
The billing history is the mirror's closed invoices billed to someone other than the member; the
product's own record of applied payments (payer name and e-mail as each payment said, and the
member it was applied to) is the rest of it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Lower, Replace, Upper
from django.utils import timezone

from dues.matching.index import MatchIndex, cents_of
from dues.matching.matcher import build_index
from dues.matching.records import OpenInvoice, Party, PastPayment
from dues.models import Payment, PaymentPlan, PlanInstalment
from imis_client.models import ImisInvoice, ImisParty

_OPEN = Q(is_open=True, balance__gt=0)


def _past_billing() -> Q:
    """Closed invoices of members who owe now, billed to someone other than the member."""
    owing = open_invoices_queryset().values("sold_to_id")
    return (
        Q(is_open=False, sold_to_id__in=owing) & ~Q(bill_to_id="") & ~Q(bill_to_id=F("sold_to_id"))
    )


def open_invoices_queryset():
    """Open, not deleted invoices with something left to pay."""
    return ImisInvoice.objects.filter(_OPEN, deleted_at__isnull=True)


def past_billing_queryset():
    """Closed invoices of members who owe now, billed to someone other than the member."""
    return ImisInvoice.objects.filter(_past_billing(), deleted_at__isnull=True)


def load_open_invoices() -> list[OpenInvoice]:
    return load_invoices()[0]


def load_invoices() -> tuple[list[OpenInvoice], list[PastPayment]]:
    """Open invoices, and the billing history of their members, in one query: who was billed
    for a member's invoices before when not the member (an employer, a household member), a
    party who may well pay for them again."""
    rows = (
        ImisInvoice.objects.filter(_OPEN | _past_billing(), deleted_at__isnull=True)
        .values_list(
            "imis_id", "number", "sold_to_id", "bill_to_id", "balance", "invoice_date", "is_open"
        )
        .iterator(chunk_size=20_000)
    )
    open_invoices, history = [], []
    for imis_id, number, sold_to, bill_to, balance, invoice_date, is_open in rows:
        if not is_open:
            history.append(PastPayment(member_id=sold_to, payer_id=bill_to, paid_on=invoice_date))
            continue
        open_invoices.append(
            OpenInvoice(
                invoice_id=imis_id,
                number=number or imis_id,
                member_id=sold_to or bill_to,
                payer_id=bill_to or sold_to,
                balance=balance,
                invoice_date=invoice_date,
            )
        )
    return open_invoices, history


def _household():
    """A person's surname and postal code as one comparable key ("garcia|02139")."""
    return Concat(
        Lower("last_name"), Value("|"), Upper(Replace("postal_code", Value(" "), Value("")))
    )


def load_parties() -> list[Party]:
    """Parties related to an open invoice (member, bill-to, the member's employer, who was
    billed for the member before, who lives with the member)."""
    invoices = open_invoices_queryset()
    members = invoices.values("sold_to_id")
    payers = invoices.values("bill_to_id")
    employers = ImisParty.objects.filter(imis_id__in=members).values("primary_org_id")
    past_payers = past_billing_queryset().values("bill_to_id")
    households = (
        ImisParty.objects.filter(imis_id__in=members, is_organization=False)
        .exclude(postal_code="")
        .exclude(last_name="")
        .annotate(household=_household())
        .values("household")
    )
    rows = (
        ImisParty.objects.filter(deleted_at__isnull=True)
        .annotate(household=_household())
        .filter(
            Q(imis_id__in=members)
            | Q(imis_id__in=payers)
            | Q(imis_id__in=employers)
            | Q(imis_id__in=past_payers)
            | Q(is_organization=False, household__in=households)
        )
        # Party's fields, in their order.
        .values_list(
            "imis_id",
            "name",
            "first_name",
            "last_name",
            "email",
            "primary_org_id",
            "primary_org_name",
            "is_organization",
            "informal_name",
            "postal_code",
            "middle_name",
            "former_names",
        )
    )
    return [
        Party(*row[:-1], former_names=split_former_names(row[-1]))
        for row in rows.iterator(chunk_size=20_000)
    ]


def split_former_names(text: str) -> tuple[str, ...]:
    """The mirror's former surnames ("Garcia; Lopez", as the party parser joins them)."""
    return (
        tuple(name for name in (part.strip() for part in text.split(";")) if name) if text else ()
    )


def load_payment_history() -> list[PastPayment]:
    """Payments the product applied (on hold or posted): the member each was applied to, and the
    payer's name and e-mail as the payment said them. One query."""
    rows = (
        Payment.objects.filter(status__in=[Payment.Status.HELD, Payment.Status.POSTED])
        .exclude(member_id="")
        .values_list("member_id", "payer_name", "payer_email", "received_on")
        .iterator(chunk_size=20_000)
    )
    return [
        PastPayment(member_id=member, payer_name=name, email=email, paid_on=paid_on)
        for member, name, email, paid_on in rows
    ]


def load_expected_payments() -> dict[str, list[int]]:
    """What each open payment plan (offered or accepted) expects next on its invoice, in cents:
    its first unpaid instalment, and that with every unpaid instalment before it when some are
    overdue (a member catching up pays them together). One query; a completed or cancelled
    plan expects nothing."""
    rows = (
        PlanInstalment.objects.filter(
            plan__status__in=[PaymentPlan.Status.OFFERED, PaymentPlan.Status.ACTIVE]
        )
        .exclude(status=PlanInstalment.Status.PAID)
        .order_by("plan_id", "number")
        .values_list("plan_id", "plan__invoice_id", "due_on", "amount", "paid_amount")
    )
    today = timezone.localdate()
    expected: dict[str, list[int]] = {}
    reached: set[int] = set()  # plans whose instalment not yet overdue has been counted
    running: dict[int, int] = {}
    for plan_id, invoice_id, due_on, amount, paid in rows:
        if plan_id in reached:
            continue
        running[plan_id] = running.get(plan_id, 0) + cents_of(amount - paid)
        expected.setdefault(invoice_id, []).append(running[plan_id])
        if due_on >= today:
            reached.add(plan_id)
    return expected


def match_index(
    *, history: Iterable[PastPayment] | None = None, tie_rule: str = "propose"
) -> MatchIndex:
    """The matching index over the mirror as it is now, with the mirror's billing history and
    ``history``: the payments the product applied (``load_payment_history``, read when not
    given); ``tie_rule``: the manager's rule for several open invoices of the amount; and what
    open payment plans expect next (``load_expected_payments``)."""
    open_invoices, billing = load_invoices()
    if history is None:
        history = load_payment_history()
    return build_index(
        open_invoices,
        load_parties(),
        [*billing, *history],
        tie_rule=tie_rule,
        expected=load_expected_payments(),
    )
