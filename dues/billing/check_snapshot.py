"""What the invoice checks read: the invoices of a run, their members and the members'
subscription lines, loaded with one query per table into plain tuples (``load``), so that
``checks.Checker`` costs no query per invoice.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, Subquery

from common.money import ZERO
from imis_client.models import ImisInvoice, ImisParty, ImisSubscription


@dataclass(slots=True)
class Inv:
    id: str
    number: str
    date: date | None
    purpose: str
    bill_to: str
    sold_to: str
    amount: Decimal | None
    adjustment: Decimal | None

    @property
    def billed(self) -> Decimal:
        """What the invoice bills now: its amount with any adjustment already made."""
        return (self.amount or ZERO) + (self.adjustment or ZERO)


@dataclass(slots=True)
class Sub:
    party: str
    item: str
    item_class: str
    product_type: str
    status: str
    begin: date | None
    through: date | None
    invoice: str
    billed: Decimal | None


@dataclass(slots=True)
class Member:
    id: str
    name: str
    is_org: bool
    type: str
    chapter: str
    join: date | None


@dataclass
class Snapshot:
    invoices: list[Inv]
    members: dict[str, Member]
    subs_by_party: dict[str, list[Sub]]
    lines: dict[str, list[Sub]]


_INV = ("imis_id", "number", "invoice_date", "purpose", "bill_to_id", "sold_to_id", "amount")
_SUB = ("party_id", "item_code", "item_class", "product_type", "status", "bill_begin")
_SUB2 = ("bill_through", "invoice_id", "billed_amount")


def invoices_query(*, since: date | None = None, changed_since=None, invoice_ids=None):
    """The invoices a run covers: dated from ``since``; only those new or changed in the mirror
    (the invoice, or one of its lines) since ``changed_since``; or the ids given."""
    query = ImisInvoice.objects.filter(deleted_at__isnull=True)
    if since is not None:
        query = query.filter(invoice_date__gte=since)
    if invoice_ids is not None:
        query = query.filter(imis_id__in=list(invoice_ids))
    if changed_since is not None:
        touched = ImisSubscription.objects.filter(synced_at__gte=changed_since).exclude(
            invoice_id=""
        )
        query = query.filter(
            Q(synced_at__gte=changed_since) | Q(imis_id__in=Subquery(touched.values("invoice_id")))
        )
    return query


def load(query) -> Snapshot:
    """One read per table: the invoices, their members' subscription rows, the members."""
    invoices = [
        Inv(*row)
        for row in query.values_list(*_INV, "adjustment_amount").order_by("invoice_date", "imis_id")
    ]
    parties = query.values("sold_to_id")
    members = {
        row[0]: Member(*row)
        for row in ImisParty.objects.filter(imis_id__in=Subquery(parties)).values_list(
            "imis_id", "name", "is_organization", "customer_type", "chapter", "join_date"
        )
    }
    subs_by_party: dict[str, list[Sub]] = defaultdict(list)
    lines: dict[str, list[Sub]] = defaultdict(list)
    rows = ImisSubscription.objects.filter(
        party_id__in=Subquery(parties), deleted_at__isnull=True
    ).values_list(*_SUB, *_SUB2)
    for row in rows:
        sub = Sub(*row)
        subs_by_party[sub.party].append(sub)
        if sub.invoice:
            lines[sub.invoice].append(sub)
    return Snapshot(invoices, members, dict(subs_by_party), dict(lines))
