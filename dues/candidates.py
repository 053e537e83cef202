"""Load what payment matching needs from the iMIS mirror: open invoices and their parties.

One query per table with ``values_list`` (no model instances): a 100,000-invoice book loads in
about a second. The parties loaded are those an open invoice is for or billed to, and the
employers of those members, so an organisation paying for its employees is recognised.
"""

from __future__ import annotations

from django.db.models import Q

from dues.matching import MatchIndex, OpenInvoice, Party, build_index
from imis_client.models import ImisInvoice, ImisParty


def open_invoices_queryset():
    """Open, not deleted invoices with something left to pay."""
    return ImisInvoice.objects.filter(is_open=True, deleted_at__isnull=True, balance__gt=0)


def load_open_invoices() -> list[OpenInvoice]:
    rows = open_invoices_queryset().values_list(
        "imis_id", "number", "sold_to_id", "bill_to_id", "balance", "invoice_date"
    )
    return [
        OpenInvoice(
            invoice_id=imis_id,
            number=number or imis_id,
            member_id=sold_to or bill_to,
            payer_id=bill_to or sold_to,
            balance=balance,
            invoice_date=invoice_date,
        )
        for imis_id, number, sold_to, bill_to, balance, invoice_date in rows.iterator(
            chunk_size=20_000
        )
    ]


def load_parties() -> list[Party]:
    """Parties related to an open invoice (member, bill-to, the member's employer)."""
    invoices = open_invoices_queryset()
    members = invoices.values("sold_to_id")
    payers = invoices.values("bill_to_id")
    employers = ImisParty.objects.filter(imis_id__in=members).values("primary_org_id")
    rows = (
        ImisParty.objects.filter(deleted_at__isnull=True)
        .filter(Q(imis_id__in=members) | Q(imis_id__in=payers) | Q(imis_id__in=employers))
        .values_list(
            "imis_id",
            "name",
            "first_name",
            "last_name",
            "informal_name",
            "email",
            "primary_org_id",
            "primary_org_name",
            "is_organization",
        )
    )
    return [
        Party(
            party_id=imis_id,
            name=name,
            first_name=first,
            last_name=last,
            informal_name=informal,
            email=email,
            org_id=org_id,
            org_name=org_name,
            is_org=is_org,
        )
        for imis_id, name, first, last, informal, email, org_id, org_name, is_org in rows.iterator(
            chunk_size=20_000
        )
    ]


def match_index() -> MatchIndex:
    """The matching index over the mirror as it is now."""
    return build_index(load_open_invoices(), load_parties())
