"""Loading open invoices and parties from the iMIS mirror for matching."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from dues.matching import PastPayment, Remittance, auto_applicable, candidates, match
from dues.models import Payment
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
    _party(
        "10001",
        "Ana García",
        first_name="Ana",
        last_name="García",
        email="ana@x.org",
        primary_org_id="10100",
        primary_org_name="Northwind Engineering LLC",
    )
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
    # open invoices with the billing history, parties, the product's applied payments, what
    # payment plans expect
    with django_assert_num_queries(4):
        index = candidates.match_index()

    assert len(index.invoices) == 2


def test_payment_history_is_the_applied_payments_as_their_payers_wrote_them(mirror, make_payment):
    held = make_payment(payer_name="KIM OKAFOR", payer_email="kim@example.net")
    posted = make_payment(payer_name="Elena Park", received_on=date(2025, 4, 2))
    make_payment(payer_name="Not Applied")  # still open: nobody decided whom it was for
    Payment.objects.filter(pk=held.pk).update(status="held", member_id="10002")
    Payment.objects.filter(pk=posted.pk).update(status="posted", member_id="10001")

    history = candidates.load_payment_history()

    assert sorted((h.member_id, h.payer_name, h.email, h.paid_on) for h in history) == [
        ("10001", "Elena Park", "", date(2025, 4, 2)),
        ("10002", "KIM OKAFOR", "kim@example.net", date(2026, 3, 2)),
    ]
    found = match(
        Remittance(amount=Decimal("145.00"), payer_name="Kim Okafor"), candidates.match_index()
    )
    assert found[0].member_id == "10002"
    assert "payer paid this member's dues before" in found[0].explanation


def test_match_index_matches_a_payment_from_the_mirror(mirror):
    index = candidates.match_index()
    remittance = Remittance(amount=Decimal("315.00"), payer_name="GARCIA, ANA", memo="INV 300001")

    found = match(remittance, index)

    assert found[0].allocations == (("300001", Decimal("315.00")),)
    assert auto_applicable(found, remittance)


@pytest.fixture
def households(mirror):
    # Ana García lives at 02139; Luis García, on file without anything open, lives with her;
    # Pedro García lives elsewhere. Ben's dues were billed to Elena Park last year.
    ImisParty.objects.filter(imis_id="10001").update(postal_code="02139")
    _party("10010", "Luis García", first_name="Luis", last_name="García", postal_code="02139")
    _party("10011", "Pedro García", first_name="Pedro", last_name="García", postal_code="94110")
    _party("10012", "Elena Park", first_name="Elena", last_name="Park")
    _invoice("290002", "10002", "140.00", bill_to="10012", is_open=False)
    _invoice("290003", "10002", "140.00", is_open=False)  # paid by Ben himself: no link


def test_load_parties_adds_household_members_and_past_bill_to_parties(households):
    parties = {p.party_id: p for p in candidates.load_parties()}

    assert sorted(parties) == ["10001", "10002", "10010", "10012", "10100"]
    assert (parties["10010"].postal_code, parties["10001"].postal_code) == ("02139", "02139")


def test_load_invoices_returns_the_billing_history_beside_the_open_invoices(households):
    open_invoices, history = candidates.load_invoices()

    assert sorted(i.invoice_id for i in open_invoices) == ["300001", "300002"]
    assert [(h.member_id, h.payer_id, h.paid_on) for h in history] == [
        ("10002", "10012", date(2025, 5, 1))
    ]


def test_match_index_with_history_still_one_query_per_table(households, django_assert_num_queries):
    history = [PastPayment("10002", payer_name="KIM OKAFOR", email="kim@example.net")]

    with django_assert_num_queries(3):  # invoices, parties, what payment plans expect
        index = candidates.match_index(history=history)

    found = match(Remittance(amount=Decimal("145.00"), payer_name="Kim Okafor"), index)
    assert found[0].member_id == "10002"
    assert "payer paid this member's dues before" in found[0].explanation


@pytest.mark.parametrize(
    ("payer", "member", "why"),
    [
        ("LUIS GARCIA", "10001", "payer lives with the member (same surname and postal code)"),
        ("Elena Park", "10002", "payer paid this member's dues before"),
    ],
)
def test_match_index_links_household_and_past_payers_from_the_mirror(
    households, payer, member, why
):
    amount = {"10001": "315.00", "10002": "145.00"}[member]

    found = match(Remittance(amount=Decimal(amount), payer_name=payer), candidates.match_index())

    assert found[0].member_id == member
    assert why in found[0].explanation


def test_a_member_paying_in_her_former_name_is_found_through_the_mirror(mirror):
    # Maria is on file under her married name; the site keeps her maiden name (the party
    # parser's former_names column). José Reyes owes the same amount.
    _party(
        "10020",
        "Maria Lopez",
        first_name="Maria",
        last_name="Lopez",
        former_names="Reyes; Ortega",
    )
    _party("10021", "José Reyes", first_name="José", last_name="Reyes")
    _invoice("300020", "10020", "210.00")
    _invoice("300021", "10021", "210.00")

    loaded = {p.party_id: p for p in candidates.load_parties()}
    found = match(
        Remittance(amount=Decimal("210.00"), payer_name="MARIA REYES", method="check"),
        candidates.match_index(),
    )

    assert loaded["10020"].former_names == ("Reyes", "Ortega")
    assert loaded["10021"].former_names == ()
    assert found[0].member_id == "10020"
    assert found[0].allocations == (("300020", Decimal("210.00")),)
