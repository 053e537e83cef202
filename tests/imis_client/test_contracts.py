"""Parsing iMIS JSON: real payload shapes from ASI's collections, and the contract's edges."""

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from imis_client.contracts import ContractError, Ctx, local_datetime, money, named_values
from imis_client.contracts import parsers as p

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imis"
NY = ZoneInfo("America/New_York")


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def ctx(entity="party", record_id="1"):
    return Ctx(entity, record_id, NY)


def test_parse_party_reads_asi_person_sample():
    row = p.parse_party(load("PersonData.json"), ctx())
    assert row["imis_id"] == "253"
    assert (row["first_name"], row["middle_name"], row["last_name"]) == ("John", "D.", "Marlowe")
    assert row["name"] == "John D. Marlowe"
    assert row["customer_type"] == "M" and row["customer_type_name"] == "Regular Member"
    assert row["is_member"] is True
    assert row["join_date"] is None  # 0001-01-01T00:00:00 means empty
    assert row["parent_party_id"] == "18143"
    assert row["primary_org_id"] == "18143" and row["primary_org_name"] == "Gossett & Johnson"
    assert row["is_organization"] is False


def test_parse_group_member_reads_asi_sample():
    record = load("GroupMemberData.json")
    record["GroupMemberId"] = "COMMITTEE/AWARDS:18043"
    row = p.parse_group_member(record, ctx("group_member"))
    assert row["imis_id"] == "COMMITTEE/AWARDS:18043"
    assert row["join_date"] == date(2015, 8, 3)
    assert row["is_active"] is True
    assert row["group_id"]


def test_named_values_unboxes_generic_entity_properties():
    props = named_values(load("GenericEntityData_Name_CEU.json")["Properties"])
    assert props["CEU_Hours"] == 10
    assert props["SEQN"] == 2
    assert props["PartyId"] == "23179"
    assert props["CEU_Course"] is None  # iMIS omits Value for empty properties


def test_offset_less_dates_are_read_in_the_site_time_zone():
    moment = local_datetime(ctx(), "2024-05-31T23:30:00", "PaidThruDate")
    assert moment == datetime(2024, 5, 31, 23, 30, tzinfo=NY)
    assert (
        local_datetime(ctx(), {"$type": "System.DateTime", "$value": "0001-01-01T00:00:00"}, "X")
        is None
    )


def test_money_from_every_shape_is_an_exact_decimal():
    assert money(ctx(), 122.94, "Amount") == Decimal("122.94")
    assert money(ctx(), {"$type": "System.Decimal", "$value": 0.1}, "Amount") == Decimal("0.10")
    monetary = {"Amount": 1999.99, "Currency": {"CurrencyCode": "USD"}, "IsAmountDefined": True}
    assert money(ctx(), monetary, "Balance") == Decimal("1999.99")
    assert money(ctx(), None, "Balance") is None


def test_contract_error_names_entity_id_field_and_expectation():
    with pytest.raises(ContractError) as caught:
        money(Ctx("invoice", "300017", NY), "12,34", "Balance")
    assert str(caught.value) == "invoice 300017: field Balance should be an amount, got '12,34'"
    assert (caught.value.entity, caught.value.record_id, caught.value.field) == (
        "invoice",
        "300017",
        "Balance",
    )


def test_parse_party_refuses_an_unknown_type():
    record = load("PersonData.json")
    record["$type"] = "Asi.Soa.Commerce.DataContracts.ItemData, Asi.Contracts"
    with pytest.raises(
        ContractError, match="field \\$type should be PersonData or OrganizationData"
    ):
        p.parse_party(record, ctx())


def test_parse_party_accepts_a_missing_type_as_asi_samples_allow():
    record = load("PersonData.json")
    del record["$type"]
    assert p.parse_party(record, ctx())["imis_id"] == "253"


def test_parse_invoice_open_flag_follows_the_balance():
    record = {
        "$type": "Asi.Soa.Commerce.DataContracts.InvoiceSummaryData, Asi.Contracts",
        "InvoiceId": "300017",
        "InvoiceNumber": "300017",
        "InvoiceDate": "2025-05-01T00:00:00",
        "BillToParty": {"PartyId": "18143", "Name": "Gossett & Johnson"},
        "SoldToParty": {"PartyId": "253", "Name": "John D. Marlowe"},
        "InvoiceAmount": {"Amount": 250.0},
        "PaymentAmount": {"Amount": 100.0},
        "Balance": {"Amount": 150.0},
    }
    row = p.parse_invoice(record, ctx("invoice"))
    assert row["is_open"] is True and row["balance"] == Decimal("150.00")
    assert (row["bill_to_id"], row["sold_to_id"]) == ("18143", "253")
    record["Balance"] = {"Amount": 0.0}
    assert p.parse_invoice(record, ctx("invoice"))["is_open"] is False


def test_parse_invoice_keeps_its_autopay_instruction():
    record = {
        "$type": "Asi.Soa.Commerce.DataContracts.InvoiceSummaryData, Asi.Contracts",
        "InvoiceId": "300018",
        "Balance": {"Amount": 150.0},
        "AutoPayInstructionId": 7001,
    }
    assert p.parse_invoice(record, ctx("invoice"))["autopay_instruction_id"] == "7001"
    del record["AutoPayInstructionId"]
    assert p.parse_invoice(record, ctx("invoice"))["autopay_instruction_id"] == ""


def test_repeated_dates_and_amounts_give_the_same_values_as_the_first_time():
    # dates and amounts repeat across a sync and are remembered; what comes back must not change
    for _ in range(2):
        assert local_datetime(ctx(), "2024-11-03T01:30:00", "X") == datetime(
            2024, 11, 3, 1, 30, tzinfo=NY
        )
        assert local_datetime(ctx(), "2024-11-03T01:30:00Z", "X") == datetime(
            2024, 11, 3, 1, 30, tzinfo=UTC
        )
        assert money(ctx(), 305.1, "Amount") == Decimal("305.10")
        assert str(money(ctx(), -0.0, "Amount")) == "-0.00"
        assert str(money(ctx(), 0.0, "Amount")) == "0.00"


def _activity(**properties) -> dict:
    return {
        "$type": "Asi.Soa.Core.DataContracts.GenericEntityData, Asi.Contracts",
        "EntityTypeName": "Activity",
        "Identity": {"$type": "x", "IdentityElements": {"$values": ["5000001"]}},
        "Properties": {
            "$type": "Asi.Soa.Core.DataContracts.GenericPropertyDataCollection, Asi.Contracts",
            "$values": [
                {"$type": "GenericPropertyData", "Name": name, **({} if v is ... else {"Value": v})}
                for name, v in properties.items()
            ],
        },
    }


@pytest.mark.parametrize(
    "record",
    [
        load("GenericEntityData_Name_CEU.json"),
        _activity(
            SEQN={"$type": "System.Int32", "$value": 7},
            PartyId="101",
            ACTIVITY_TYPE="DUES",
            TRANSACTION_DATE={"$type": "System.DateTime", "$value": "2024-05-31T00:00:00"},
            AMOUNT={"$type": "System.Decimal", "$value": 305.5},
            DESCRIPTION=...,
            UNITS=None,
        ),
        # shapes the partial decoder does not take: decoded whole, so parsed the same way
        _activity(SEQN="8", PartyId="101", AMOUNT={"Amount": 12.5}),
        _activity(SEQN="9", PartyId="101", MEMBER_TYPE=["M", "CM"]),
        {**_activity(SEQN="10"), "Properties": [{"Name": "PartyId", "Value": "9"}, "junk"]},
        {"$type": "GenericEntityData", "Properties": {"$values": [{"Value": "no name"}]}},
    ],
)
def test_partial_decoding_parses_exactly_as_whole_decoding(record):
    from imis_client.contracts.wire import record_decoder

    raw = json.dumps(record).encode()
    for entity, parse in (
        ("activity", p.parse_activity),
        ("relationship_owner", p.parse_relationship),
    ):
        whole, partial = json.loads(raw), record_decoder(entity)(raw)
        assert p.generic_id_of(partial) == p.generic_id_of(whole)
        try:
            expected = parse(whole, ctx(entity))
        except ContractError as exc:
            with pytest.raises(ContractError, match=re.escape(str(exc))):
                parse(partial, ctx(entity))
        else:
            assert parse(partial, ctx(entity)) == expected


def _invoice(**fields) -> dict:
    money = {"$type": "Asi.Soa.Core.DataContracts.MonetaryAmountData, Asi.Contracts"}
    return {
        "$type": "Asi.Soa.Commerce.DataContracts.InvoiceSummaryData, Asi.Contracts",
        "InvoiceId": "301501",
        "InvoiceNumber": "301501",
        "InvoiceDate": "2023-08-01T00:00:00",
        "DueDate": "2023-09-30T00:00:00",
        "InvoicePurpose": "MembershipRenewal",
        "BillToParty": {"$type": "PartySummaryData", "PartyId": "16348", "Name": "Zoë Morris"},
        "SoldToParty": {"PartyId": "16348", "Name": "Zoë Morris", "Id": "16348"},
        "InvoiceAmount": {**money, "Amount": 315.0, "Currency": {"CurrencyCode": "USD"}},
        "AdjustmentAmount": {"$type": "System.Decimal", "$value": -15.5},
        "PaymentAmount": 300,
        "Balance": "0.00",
        "Description": "Membership renewal 2023-2024",
        "FinancialEntity": {"EntityCode": "ASSN"},
        **fields,
    }


@pytest.mark.parametrize(
    ("entity", "record"),
    [
        ("party", load("PersonData.json")),
        ("party", {**load("PersonData.json"), "Emails": "not a list", "Phones": None}),
        # shapes the typed decoder does not take: decoded whole, so parsed the same way
        ("party", {**load("PersonData.json"), "AdditionalAttributes": [{"Value": "no name"}]}),
        ("invoice", _invoice()),
        ("invoice", _invoice(BillToParty=None, Balance=None, PaymentAmount={"Currency": "USD"})),
        ("invoice", _invoice(SoldToParty="16348")),
        ("invoice", _invoice(InvoiceAmount={"Amount": 1.0, "$value": 2.0})),
        ("invoice", _invoice(InvoiceAmount=[315.0])),
        ("invoice", _invoice(AutoPayInstructionId=7001)),
        ("invoice", {"InvoiceId": None}),
    ],
)
def test_typed_decoding_of_parties_and_invoices_parses_exactly_as_whole_decoding(entity, record):
    from imis_client.contracts.wire import record_decoder

    parse, id_of = {
        "party": (p.parse_party, p.party_id_of),
        "invoice": (p.parse_invoice, p.invoice_id_of),
    }[entity]
    raw = json.dumps(record).encode()
    whole, partial = json.loads(raw), record_decoder(entity)(raw)
    assert id_of(partial) == id_of(whole)
    try:
        expected = parse(whole, ctx(entity))
    except ContractError as exc:
        with pytest.raises(ContractError, match=re.escape(str(exc))):
            parse(partial, ctx(entity))
    else:
        assert parse(partial, ctx(entity)) == expected
