"""Aging, DSO and expected collections on a small mirror whose figures are worked out by hand;
the same figures in the API; the page's filters, sorting and bad input."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from common import roles
from dues.collections.receivables import (
    expected_collections,
    receivables_aging,
    receivables_dso_by_month,
)
from dues.collections.status import InvoiceStatus, invoice_status_providers
from dues.models import InvoiceRisk
from imis_client.models import ImisActivity, ImisInvoice, ImisParty
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 12, 7)


def _party(imis_id, customer_type="REG", is_org=False):
    return ImisParty.objects.create(
        imis_id=imis_id,
        raw={},
        raw_hash=0,
        synced_at=timezone.now(),
        name=f"Member {imis_id}",
        customer_type=customer_type,
        is_organization=is_org,
    )


def _invoice(
    imis_id,
    party,
    *,
    issued,
    due,
    amount,
    balance,
    purpose="MembershipRenewal",
    bill_to=None,
    is_open=True,
):
    return ImisInvoice.objects.create(
        imis_id=imis_id,
        raw={},
        raw_hash=0,
        synced_at=timezone.now(),
        number=f"N{imis_id}",
        invoice_date=issued,
        due_date=due,
        purpose=purpose,
        sold_to_id=party,
        sold_to_name=f"Member {party}",
        bill_to_id=bill_to or party,
        amount=Decimal(amount),
        adjustment_amount=Decimal("0"),
        payment_amount=Decimal(amount) - Decimal(balance),
        balance=Decimal(balance),
        is_open=is_open,
    )


@pytest.fixture
def ledger():
    _party("1")
    _party("2", "STU")
    _party("9", "CORP", is_org=True)
    d = AS_OF
    _invoice(
        "100",
        "1",
        issued=d - timedelta(days=20),
        due=d + timedelta(days=10),
        amount="300.00",
        balance="300.00",
    )  # current
    _invoice(
        "101",
        "1",
        issued=d - timedelta(days=60),
        due=d - timedelta(days=15),
        amount="120.50",
        balance="120.50",
        purpose="Event",
    )  # 1-30
    _invoice(
        "102",
        "2",
        issued=d - timedelta(days=90),
        due=d - timedelta(days=45),
        amount="60.00",
        balance="25.25",
    )  # 31-60, part paid
    _invoice(
        "103",
        "2",
        issued=d - timedelta(days=120),
        due=d - timedelta(days=75),
        amount="60.00",
        balance="60.00",
    )  # 61-90
    _invoice(
        "104",
        "2",
        issued=d - timedelta(days=200),
        due=d - timedelta(days=91),
        amount="80.00",
        balance="80.00",
        bill_to="9",
    )  # over 90, employer billed
    _invoice(
        "105",
        "1",
        issued=d - timedelta(days=30),
        due=d,
        amount="50.00",
        balance="0.00",
        is_open=False,
    )  # paid: not in aging
    return d


def test_aging_buckets_in_total_and_by_segment(ledger):
    aging = receivables_aging(as_of=ledger)
    assert aging["total"] == {
        "current": Decimal("300.00"),
        "1_30": Decimal("120.50"),
        "31_60": Decimal("25.25"),
        "61_90": Decimal("60.00"),
        "over_90": Decimal("80.00"),
    }
    assert aging["total_open"] == Decimal("585.75")
    assert aging["invoices"] == 5
    by_type = receivables_aging(as_of=ledger, segment="member_type")
    rows = {s["segment"]: s for s in by_type["segments"]}
    assert rows["REG"]["total"] == Decimal("420.50")
    assert rows["STU"]["buckets"]["over_90"] == Decimal("80.00")
    assert rows["STU"]["count"] == 3
    billed = receivables_aging(as_of=ledger, segment="billed")
    rows = {s["segment"]: s["total"] for s in billed["segments"]}
    assert rows == {
        "Member themselves": Decimal("505.75"),
        "Employer or other payer": Decimal("80.00"),
    }
    with pytest.raises(ValueError, match="segment must be one of"):
        receivables_aging(as_of=ledger, segment="chapter")


def test_expected_collections_follow_the_probabilities(ledger, settings):
    settings.COLLECTIONS_LATE_DAYS = 30
    settings.COLLECTIONS_UNPAID_DAYS = 60
    settings.COLLECTIONS_MEDIUM_RISK = 0.2
    now = timezone.now()
    InvoiceRisk.objects.create(
        invoice_id="100", party_id="1", probability=0.1, band="low", scored_at=now
    )
    InvoiceRisk.objects.create(
        invoice_id="101", party_id="1", probability=0.5, band="high", scored_at=now
    )
    got = expected_collections(as_of=ledger)
    by = {h["days"]: h["amount"] for h in got["horizons"]}
    # 100: due in 10 days: 90% by day 40 (within 60), 5% by day 100 (beyond 90)
    # 101: 15 days past due: 50% at once (within 30), 25% at due+90 = day 75 (within 90)
    # unscored at 0.2: 102 (45 past), 103 (75 past), 104: 80% at once; 102 10% at day 45,
    # 103 10% at day 15, 104 10% at once
    within_30 = (
        Decimal("120.50") * Decimal("0.5")
        + Decimal("25.25") * Decimal("0.8")
        + Decimal("60.00") * Decimal("0.8")
        + Decimal("60.00") * Decimal("0.1")
        + Decimal("80.00") * Decimal("0.9")
    )
    within_60 = within_30 + Decimal("300.00") * Decimal("0.9") + Decimal("25.25") * Decimal("0.1")
    within_90 = within_60 + Decimal("120.50") * Decimal("0.25")
    assert by[30] == within_30.quantize(Decimal("0.01"))
    assert by[60] == within_60.quantize(Decimal("0.01"))
    assert by[90] == within_90.quantize(Decimal("0.01"))
    assert got["scored"] == 2 and got["unscored"] == 3


def test_dso_by_month_from_dated_payments(settings):
    settings.COLLECTIONS_PAYMENT_TYPES = ["DUES"]
    _party("1")
    _invoice(
        "200",
        "1",
        issued=date(2026, 10, 1),
        due=date(2026, 10, 31),
        amount="900.00",
        balance="0.00",
        is_open=False,
    )
    _invoice(
        "201",
        "1",
        issued=date(2026, 11, 15),
        due=date(2026, 12, 15),
        amount="300.00",
        balance="300.00",
    )
    ImisActivity.objects.create(
        imis_id="A1",
        raw={},
        raw_hash=0,
        synced_at=timezone.now(),
        party_id="1",
        activity_type="DUES",
        amount=Decimal("900.00"),
        transaction_date=timezone.make_aware(timezone.datetime(2026, 11, 10, 12)),
    )
    rows = receivables_dso_by_month(months=3, as_of=date(2026, 12, 7))
    assert [r["month"] for r in rows] == ["2026-10", "2026-11", "2026-12"]
    # October: 900 owed of 900 invoiced in 90 days: 90 days
    assert rows[0]["receivables"] == Decimal("900.00")
    assert rows[0]["dso"] == Decimal("90.00")
    # November: 200 paid on the 10th (before 201 was issued), 201 open:
    # 300 owed of 1,200 invoiced: 22.5 days
    assert rows[1]["receivables"] == Decimal("300.00")
    assert rows[1]["invoiced_90_days"] == Decimal("1200.00")
    assert rows[1]["dso"] == Decimal("22.50")
    assert rows[2]["as_of"] == date(2026, 12, 7)


def test_page_and_api_show_the_figures_and_the_dunning_status(
    client, make_user, ledger, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: ledger)
    make_user(roles.FINANCE)
    client.login(username="frank", password=PASSWORD)
    page = client.get(reverse("dues:receivables"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "585.75" in body and "Receivables" in body
    assert body.count("—") >= 5  # no dunning provider registered: next step and pause "—"
    invoice_status_providers.register(
        "test",
        lambda ids: {
            "101": InvoiceStatus("Reminder (email) on 2026-12-14", "Paused: open dispute")
        },
    )
    try:
        part = client.get(reverse("dues:receivables"), {"bucket": "1_30"}, HTTP_HX_REQUEST="true")
    finally:
        invoice_status_providers._entries.pop("test")
    text = part.content.decode()
    assert 'data-invoice="101"' in text and 'data-invoice="100"' not in text
    assert "Reminder (email) on 2026-12-14" in text and "Paused: open dispute" in text
    sorted_page = client.get(
        reverse("dues:receivables"), {"sort": "-balance"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    order = [sorted_page.index(f'data-invoice="{i}"') for i in ("100", "101", "104")]
    assert order == sorted(order)
    bad = client.get(reverse("dues:receivables"), {"bucket": "ancient", "sort": "colour"})
    assert bad.status_code == 200
    assert "is not an aging bucket" in bad.content.decode()
    api = client.get(reverse("api:dues:receivables"), {"segment": "purpose"})
    assert api.status_code == 200
    data = api.json()
    assert data["aging"]["total_open"] == "585.75"
    assert {s["segment"] for s in data["aging"]["segments"]} == {"MembershipRenewal", "Event"}
    assert [h["days"] for h in data["expected_collections"]["horizons"]] == [30, 60, 90]
    assert len(data["dso_by_month"]) == 12
    assert client.get(reverse("api:dues:receivables"), {"segment": "x"}).status_code == 400
