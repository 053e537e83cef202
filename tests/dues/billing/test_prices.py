"""Item prices: each shape a site serves parsed in one place, and synced over HTTP."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from common.money import to_money
from dues.billing.calculator import NoPrice, member_types
from dues.billing.policy import current_policy
from dues.billing.prices import price_book
from imis_client.client import ImisClient
from imis_client.contracts import ContractError, Ctx
from imis_client.contracts.prices import parse_item_price
from imis_client.models import ImisItemPrice
from imis_client.services import sync_run_execute

D = Decimal
CTX = Ctx("item_price", "X", ZoneInfo("America/New_York"))
ITEM = "Asi.Soa.Commerce.DataContracts.ItemData, Asi.Contracts"


def test_parse_temp_default_price_with_member_type():
    row = parse_item_price(
        {"$type": ITEM, "ItemId": "DUES/REG", "TempDefaultPrice": 325.0, "MemberType": "reg"}, CTX
    )
    assert (row["price"], row["future_price"], row["member_type"], row["shape"]) == (
        D("325.00"),
        None,
        "REG",
        "TempDefaultPrice",
    )
    assert row["schedule"] == '[{"price":"325.00","effective":null,"label":"current price"}]'


def test_parse_legacy_columns_with_a_future_price():
    row = parse_item_price(
        {
            "$type": ITEM,
            "ItemId": "DUES/STU",
            "PRICE_1": 60.0,
            "FUTURE_PRICE_1": 65.0,
            "FUTURE_PRICE_DATE": "2031-01-01T00:00:00",
        },
        CTX,
    )
    assert row["shape"] == "PRICE_1"
    assert (row["price"], row["future_price"], row["future_date"]) == (
        D("60.00"),
        D("65.00"),
        date(2031, 1, 1),
    )
    assert row["member_type"] == ""


def test_parse_legacy_columns_as_generic_properties_without_a_future_price():
    record = {
        "$type": "Asi.Soa.Core.DataContracts.GenericEntityData, Asi.Contracts",
        "ItemId": "CHAPT/NE",
        "Properties": {
            "$values": [
                {"Name": "PRICE_1", "Value": {"$type": "System.Decimal", "$value": 40}},
                {"Name": "FUTURE_PRICE_1", "Value": {"$type": "System.Decimal", "$value": 0}},
                {"Name": "FUTURE_PRICE_DATE", "Value": "0001-01-01T00:00:00"},
            ]
        },
    }
    row = parse_item_price(record, CTX)
    assert (row["price"], row["future_price"], row["future_date"]) == (D("40.00"), None, None)


def test_parse_item_price_rows_keep_every_dated_price():
    record = {
        "$type": ITEM,
        "ItemId": "DUES/REG",
        "MemberType": {"MemberTypeId": "REG"},
        "ItemPrice": {
            "$values": [
                {"Price": {"Amount": 310.0}, "EffectiveDate": "2020-01-01T00:00:00"},
                {"Price": {"Amount": 340.0}, "EffectiveDate": "2099-01-01T00:00:00"},
            ]
        },
    }
    row = parse_item_price(record, CTX)
    assert row["shape"] == "ItemPrice"
    assert (row["price"], row["future_price"], row["future_date"]) == (
        D("310.00"),
        D("340.00"),
        date(2099, 1, 1),
    )
    assert row["member_type"] == "REG"


def test_parse_a_price_that_is_not_an_amount_is_quarantined():
    with pytest.raises(ContractError, match="field PRICE_1 should be an amount"):
        parse_item_price({"ItemId": "DUES/REG", "PRICE_1": "n/a"}, CTX)


@pytest.fixture
def synced(sandbox, db, settings):
    """Sync the sandbox's items over HTTP in the shape a test chooses."""

    def run(shape: str):
        sandbox.app.association.set_item_shape(shape)
        with ImisClient(sandbox.base_url, "sandbox", "sandbox", concurrency=1) as client:
            run = sync_run_execute(full=True, only=["item_price"], client=client)
        assert run.status == "succeeded", run.results
        return {row.code: row for row in ImisItemPrice.objects.all()}

    return run


@pytest.mark.django_db(transaction=True)
def test_sync_sdk_shape_current_prices_and_member_types(synced, association):
    items = synced("sdk")
    year = association.as_of.year
    reg = items["DUES-REG"]
    assert (reg.shape, reg.member_type, reg.future_price) == ("TempDefaultPrice", "REG", None)
    assert reg.price == D(int(association.prices.cents(0, year))) / 100
    book = price_book()
    assert book.dues_item(current_policy(), "REG") == "DUES-REG"
    assert book.in_force("DUES-REG", date(year, 3, 1)).amount == reg.price


@pytest.mark.django_db(transaction=True)
def test_sync_legacy_shape_future_price_and_the_configured_mapping(synced, association, settings):
    items = synced("legacy")
    year = association.as_of.year
    reg = items["DUES-REG"]
    assert (reg.shape, reg.member_type) == ("PRICE_1", "")
    current = to_money(D(int(association.prices.cents(0, year))) / 100)
    future = to_money(D(int(association.prices.cents(0, year + 1))) / 100)
    assert reg.schedule == [
        {"price": str(current), "effective": None, "label": "current price"},
        {"price": str(future), "effective": f"{year + 1}-01-01", "label": "future price"},
    ]
    # no MemberType in this shape: the mapping names the item
    settings.BILLING_DUES_ITEM = "DUES-{type}"
    policy = current_policy()
    book = price_book()
    assert book.dues_item(policy, "STU") == "DUES-STU"
    assert "STU" in member_types(policy, book)
    assert book.in_force("DUES-REG", date(year + 1, 1, 1)).amount == future
    assert book.in_force("DUES-REG", date(year, 12, 31)).amount == current


@pytest.mark.django_db(transaction=True)
def test_sync_item_price_rows_cover_last_year_too(synced, association):
    items = synced("itemprice")
    year = association.as_of.year
    reg = items["DUES-REG"]
    assert reg.shape == "ItemPrice"
    assert len(reg.schedule) == 3
    book = price_book()
    last_year = D(int(association.prices.cents(0, year - 1))) / 100
    assert book.in_force("DUES-REG", date(year - 1, 6, 1)).amount == last_year
    with pytest.raises(NoPrice, match=f"no price for DUES-REG on {year - 2}-12-31"):
        book.in_force("DUES-REG", date(year - 2, 12, 31))
