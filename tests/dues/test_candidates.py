"""Loading open invoices and parties from the iMIS mirror for matching."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from dues import candidates
from dues.matching import Remittance, auto_applicable, match
from imis_client.models import ImisInvoice, ImisParty


def _party(imis_id, name, **fields):
    return ImisParty.objects.create(
        imis_id=imis_id, name=name, raw={}, raw_hash=0, synced_at=timezone.now(), **fields
    )


def _invoice(imis_id, sold_to, balance, *, bill_to=None, is_open=True, **fields):
    return ImisInvoice.objects.create(
        imis_id=imis_id,
        number=imis_id,
        sold_to_id=sold_to,
        bill_to_id=bill_to or sold_to,
        amount=Decimal(balance),
        balance=Decimal(balance),
        is_open=is_open,
        invoice_date=date(2025, 5, 1),
        raw={},
        raw_hash=0,
        synced_at=timezone.now(),
        **fields,
    )


@pytest.fixture
def mirror(db):
    _party("10100", "Northwind Engineering LLC", is_organization=True)
    _party("10001", "Ana García", first_name="Ana", last_name="García", email="ana@x.org",
           primary_org_id="10100", primary_org_name="Northwind Engineering LLC")  # fmt: skip
    _party("10002", "Ben Okafor", first_name="Ben", last_name="Okafor")
    _party("10003", "Carla Diaz", first_name="Carla", last_name="Diaz")  # nothing open
    _party("10004", "Dev Ito", first_name="Dev", last_name="Ito", deleted_at=timezone.now())
    _invoice("300001", "10001", "315.00")
    _invoice("300002", "10002", "145.00", bill_to="10100")
    _invoice("300003", "10003", "0.00", is_open=False)
    _invoice("300004", "10002", "60.00", deleted_at=timezone.now())


def test_load_open_invoices_keeps_open_undeleted_balances(mirror):
    invoices = candidates.load_open_invoices()

    assert sorted((i.invoice_id, i.member_id, i.payer_id, i.balance) for i in invoices) == [
        ("300001", "10001", "10001", Decimal("315.00")),
        ("300002", "10002", "10100", Decimal("145.00")),
    ]


def test_load_parties_keeps_members_payers_and_employers_only(mirror):
    parties = {p.party_id: p for p in candidates.load_parties()}

    assert sorted(parties) == ["10001", "10002", "10100"]
    assert parties["10100"].is_org
    assert (parties["10001"].org_id, parties["10001"].org_name) == (
        "10100",
        "Northwind Engineering LLC",
    )


def test_match_index_loads_with_one_query_per_table(mirror, django_assert_num_queries):
    with django_assert_num_queries(2):
        index = candidates.match_index()

    assert len(index.invoices) == 2


def test_match_index_matches_a_payment_from_the_mirror(mirror):
    index = candidates.match_index()
    remittance = Remittance(amount=Decimal("315.00"), payer_name="GARCIA, ANA", memo="INV 300001")

    found = match(remittance, index)

    assert found[0].allocations == (("300001", Decimal("315.00")),)
    assert auto_applicable(found, remittance)
