"""Tests for the iMIS JSON shapes the sandbox serves."""

import re
from datetime import date
from decimal import Decimal

import httpx
import orjson
import pytest

from sandbox.imis import SandboxApp, generate

ENTITIES = [
    "Party",
    "Subscription",
    "LegacySubscription",
    "InvoiceSummary",
    "Item",
    "Event",
    "EventRegistration",
    "Activity",
    "GroupMember",
    "CommunicationLog",
    "Name_RelationshipManager",
    "Payment",
]
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?$")


@pytest.fixture(scope="module")
def client():
    app = SandboxApp(generate(400, seed=2, as_of=date(2025, 6, 30)))
    c = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sandbox/imis")
    token = c.post(
        "/token", data={"grant_type": "password", "username": "sandbox", "password": "sandbox"}
    ).json()["access_token"]
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def _items(client, entity, **params):
    body = client.get(f"/api/{entity}", params={"limit": 200, **params}).json()
    return body["Items"]["$values"]


def _props(collection) -> dict:
    return {p["Name"]: p.get("Value") for p in collection["$values"]}


@pytest.mark.parametrize("entity", ENTITIES)
def test_shapes_every_object_carries_a_type(client, entity):
    # when a page of the entity is read
    body = client.get(f"/api/{entity}", params={"limit": 50}).json()
    # then the envelope, every row and every nested object carry $type
    missing = [path for path, obj in _walk(body) if "$type" not in obj]
    assert missing == []
    assert body["Items"]["$values"], entity


@pytest.mark.parametrize("entity", ENTITIES)
def test_shapes_dates_have_no_offset_and_collections_use_values(client, entity):
    body = client.get(f"/api/{entity}", params={"limit": 50}).json()
    for path, obj in _walk(body):
        for key, value in obj.items():
            if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}T", value):
                assert DATE_RE.match(value), (path, key, value)
        if "$values" in obj:
            assert isinstance(obj["$values"], list)
            assert set(obj) == {"$type", "$values"}


def test_shapes_paged_result_envelope(client):
    body = client.get("/api/Party", params={"limit": 10}).json()
    assert body["$type"] == "Asi.Soa.Core.DataContracts.PagedResult, Asi.Contracts"
    assert {
        "Items",
        "Offset",
        "Limit",
        "Count",
        "TotalCount",
        "HasNext",
        "NextOffset",
        "NextPageLink",
    } <= set(body)
    assert (body["Offset"], body["Limit"], body["Count"], body["HasNext"]) == (0, 10, 10, True)
    assert body["NextOffset"] == 10
    generic = client.get("/api/Activity", params={"limit": 1}).json()
    assert "GenericEntityData" in generic["$type"]


def test_shapes_party_boxes_booleans_and_keeps_member_dates_as_strings(client):
    # given the persons and organisations of a page
    rows = _items(client, "Party")
    types = {r["$type"] for r in rows}
    assert types == {
        "Asi.Soa.Membership.DataContracts.PersonData, Asi.Contracts",
        "Asi.Soa.Membership.DataContracts.OrganizationData, Asi.Contracts",
    }
    attrs = _props(rows[0]["AdditionalAttributes"])
    # then booleans are boxed System.Boolean and ids are strings
    assert attrs["IsMember"]["$type"] == "System.Boolean"
    assert isinstance(attrs["IsMember"]["$value"], bool)
    assert isinstance(rows[0]["PartyId"], str)
    assert isinstance(attrs["JoinDate"], str)
    assert rows[0]["Status"]["PartyStatusId"] in {"A", "I", "S", "D"}


def test_shapes_empty_dates_are_year_one(client):
    # given non-members, who have no join or paid-through date
    rows = _items(client, "Party", CustomerTypeCode="eq:NM")
    attrs = _props(rows[0]["AdditionalAttributes"])
    # then the dates are iMIS's empty value, not null
    assert attrs["JoinDate"] == "0001-01-01T00:00:00"
    assert attrs["PaidThruDate"] == "0001-01-01T00:00:00"
    open_subs = _items(client, "Subscription", PaymentDate="isEmpty:")
    assert open_subs and open_subs[0]["PaymentDate"] == "0001-01-01T00:00:00"


def test_shapes_person_without_email_has_no_email_entry(client):
    rows = _items(client, "Party", Email="isEmpty:", IsOrganization="false")
    assert rows
    assert rows[0]["Emails"]["$values"] == []
    assert rows[0]["PrimaryOrganization"]["$type"].endswith(
        "PrimaryOrganizationInformationData, Asi.Contracts"
    )


def test_shapes_invoice_money_is_monetary_amount_data(client):
    row = _items(client, "InvoiceSummary")[0]
    balance = row["Balance"]
    assert balance["$type"] == "Asi.Soa.Core.DataContracts.MonetaryAmountData, Asi.Contracts"
    assert balance["Currency"]["CurrencyCode"] == "USD"
    assert isinstance(row["InvoiceId"], str)
    assert row["BillToParty"]["$type"].endswith("PartySummaryData, Asi.Contracts")


def test_shapes_subscription_money_is_a_bare_number(client):
    row = _items(client, "Subscription")[0]
    assert isinstance(row["BilledAmount"], float)
    assert row["Item"]["ItemClass"]["ItemClassId"] == "DUES"


def test_shapes_money_parses_exactly_as_decimal(client):
    # given raw bytes parsed with Decimal floats, as the client should
    raw = client.get("/api/InvoiceSummary", params={"limit": 200}).content
    import json

    body = json.loads(raw, parse_float=Decimal)
    for row in body["Items"]["$values"]:
        amounts = [row[k]["Amount"] for k in ("InvoiceAmount", "PaymentAmount", "Balance")]
        # then amounts have at most two decimals and balance = amount - payments
        assert all(a == a.quantize(Decimal("0.01")) for a in amounts)
        assert amounts[0] - amounts[1] == amounts[2]


def test_shapes_activity_is_generic_entity_data_with_boxed_scalars(client):
    row = _items(client, "Activity", ACTIVITY_TYPE="eq:DUES")[0]
    assert row["$type"] == "Asi.Soa.Core.DataContracts.GenericEntityData, Asi.Contracts"
    assert row["EntityTypeName"] == "Activity"
    props = _props(row["Properties"])
    assert props["AMOUNT"]["$type"] == "System.Decimal"
    assert props["SEQN"]["$type"] == "System.Int32"
    assert props["TRANSACTION_DATE"]["$type"] == "System.DateTime"
    assert isinstance(props["PartyId"], str)
    assert row["Identity"]["IdentityElements"]["$values"] == [str(props["SEQN"]["$value"])]
    assert row["PrimaryParentIdentity"]["IdentityElements"]["$values"] == [props["PartyId"]]
    empty = next(p for p in row["Properties"]["$values"] if p["Name"] == "UF_1")
    assert "Value" not in empty


def test_shapes_group_member_and_relationship_owner(client):
    gm = _items(client, "GroupMember", GroupClassId="eq:COMMITTEE")[0]
    assert gm["Group"]["GroupClass"]["GroupClassId"] == "COMMITTEE"
    assert gm["GroupMemberId"] == f"{gm['Group']['GroupId']}:{gm['Party']['PartyId']}"
    owner = _items(client, "Name_RelationshipManager")[0]
    assert set(_props(owner["Properties"])) == {"PartyId", "StaffUserId", "Role"}


def test_shapes_get_by_id_returns_the_bare_object(client):
    row = _items(client, "Party")[3]
    single = client.get(f"/api/Party/{row['PartyId']}")
    assert single.status_code == 200
    assert orjson.loads(single.content) == row
    sub = _items(client, "Subscription")[0]
    by_key = client.get(f"/api/Subscription/~{sub['PartyId']}|{sub['ItemId']}")
    assert by_key.json() == sub
