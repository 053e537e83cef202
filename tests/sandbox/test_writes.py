"""Tests for the writes the product makes to iMIS, and reading them back by reference."""

from datetime import date

import httpx
import numpy as np
import pytest

from sandbox.imis import SandboxApp, generate

T_GENERIC = "Asi.Soa.Core.DataContracts.GenericEntityData, Asi.Contracts"
FORM = {"grant_type": "password", "username": "sandbox", "password": "sandbox"}


@pytest.fixture
def app():
    return SandboxApp(generate(300, seed=21, as_of=date(2025, 6, 30)))


@pytest.fixture
def client(app):
    c = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sandbox/imis")
    c.headers["Authorization"] = "Bearer " + c.post("/token", data=FORM).json()["access_token"]
    return c


def generic(entity: str, **props) -> dict:
    values = []
    for name, value in props.items():
        if isinstance(value, float):
            value = {"$type": "System.Decimal", "$value": value}
        values.append(
            {
                "$type": "Asi.Soa.Core.DataContracts.GenericPropertyData, Asi.Contracts",
                "Name": name,
                "Value": value,
            }
        )
    return {
        "$type": T_GENERIC,
        "EntityTypeName": entity,
        "Properties": {"$type": "GenericPropertyDataCollection", "$values": values},
    }


def props_of(row: dict) -> dict:
    out = {}
    for p in row["Properties"]["$values"]:
        value = p.get("Value")
        out[p["Name"]] = value["$value"] if isinstance(value, dict) else value
    return out


def open_invoice(client) -> dict:
    body = client.get("/api/InvoiceSummary", params={"Balance": "gt:0", "limit": 1}).json()
    return body["Items"]["$values"][0]


# -- AI_RenewalRisk ------------------------------------------------------------------------------
def test_risk_put_creates_then_replaces_the_row(client):
    # when the same party's risk is PUT twice
    body = generic(
        "AI_RenewalRisk",
        PartyId="10050",
        RiskBand="High",
        RiskScore=0.8125,
        TopReasons="price rise; fewer logins",
        ScoredOn="2025-06-30T09:00:00",
        ModelVersion="m-1",
    )
    first = client.put("/api/AI_RenewalRisk/10050", json=body)
    body["Properties"]["$values"][1]["Value"] = "Medium"
    second = client.put("/api/AI_RenewalRisk/10050", json=body)
    # then one row exists with the latest values, readable by id and by filter
    assert (first.status_code, second.status_code) == (201, 200)
    row = client.get("/api/AI_RenewalRisk/10050").json()
    assert props_of(row)["RiskBand"] == "Medium"
    assert props_of(row)["RiskScore"] == 0.8125
    listed = client.get("/api/AI_RenewalRisk", params={"RiskBand": "eq:medium"}).json()
    assert listed["TotalCount"] == 1


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        ({"PartyId": "10051", "RiskScore": "high"}, "RiskScore must be a number"),
        ({"PartyId": "10099"}, "does not match"),
        ({"PartyId": "10051", "Colour": "red"}, "Property 'Colour' does not exist"),
        ({"PartyId": "10051", "ScoredOn": "30/06/2025"}, "ScoredOn is not a valid date"),
    ],
)
def test_risk_put_invalid_body_is_rejected_with_a_message(client, props, fragment):
    response = client.put("/api/AI_RenewalRisk/10051", json=generic("AI_RenewalRisk", **props))
    assert response.status_code == 400
    assert fragment in response.json()["Message"]
    assert client.get("/api/AI_RenewalRisk/10051").status_code == 404


def test_risk_put_unknown_party_is_404(client):
    response = client.put("/api/AI_RenewalRisk/99999", json=generic("AI_RenewalRisk"))
    assert response.status_code == 404


# -- AI_Audit_Log, Activity, PartyNote -----------------------------------------------------------
def test_audit_post_is_readable_by_outbox_id(client):
    response = client.post(
        "/api/AI_Audit_Log",
        json=generic(
            "AI_Audit_Log",
            Action="outreach.sent",
            Actor="maya",
            ReviewItemId="RI-7",
            Summary="Renewal e-mail approved",
            OutboxId="outbox-42",
        ),
    )
    assert response.status_code == 201
    found = client.get("/api/AI_Audit_Log", params={"OutboxId": "eq:outbox-42"}).json()
    assert found["TotalCount"] == 1
    assert props_of(found["Items"]["$values"][0])["ReviewItemId"] == "RI-7"
    assert (
        client.get("/api/AI_Audit_Log", params={"OutboxId": "eq:other"}).json()["TotalCount"] == 0
    )


def test_audit_post_requires_action(client):
    response = client.post("/api/AI_Audit_Log", json=generic("AI_Audit_Log", Actor="maya"))
    assert response.status_code == 400
    assert response.json()["Errors"]["$values"][0]["PropertyName"] == "Action"


def test_activity_post_ai_email_is_readable_back(client):
    body = generic(
        "Activity",
        ACTIVITY_TYPE="AI_EMAIL",
        PartyId="10060",
        DESCRIPTION="Your renewal",
        NOTE="Summary of the e-mail",
        UF_1="outbox-77",
    )
    response = client.post("/api/Activity", json=body)
    assert response.status_code == 201
    row = response.json()
    assert props_of(row)["TRANSACTION_DATE"] == "2025-06-30T00:00:00"
    found = client.get(
        "/api/Activity", params={"UF_1": "eq:outbox-77", "ACTIVITY_TYPE": "eq:AI_EMAIL"}
    )
    assert found.json()["TotalCount"] == 1


def test_activity_post_without_a_known_party_is_rejected(client):
    response = client.post(
        "/api/Activity", json=generic("Activity", ACTIVITY_TYPE="AI_SMS", PartyId="1")
    )
    assert response.status_code == 400
    assert "PartyId '1' does not exist" in response.json()["Message"]


def test_party_note_post_and_read_back(client):
    response = client.post(
        "/api/PartyNote",
        json={
            "$type": "Asi.Soa.Membership.DataContracts.PartyNoteData, Asi.Contracts",
            "PartyId": "10061",
            "Purpose": "AI outreach",
            "Text": "Called about renewal [outbox-5]",
        },
    )
    assert response.status_code == 201
    note_id = response.json()["PartyNoteId"]
    assert client.get(f"/api/PartyNote/{note_id}").json()["Text"].endswith("[outbox-5]")
    found = client.get("/api/PartyNote", params={"Text": "contains:[outbox-5]"}).json()
    assert found["TotalCount"] == 1


def test_write_with_invalid_json_is_400(client):
    response = client.post(
        "/api/PartyNote", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_write_to_a_read_only_entity_is_405(client):
    assert client.post("/api/Party", json={}).status_code == 405
    assert client.get("/api/ComboOrder").status_code == 405


# -- ComboOrder ----------------------------------------------------------------------------------
def combo(invoice_ids, amount, payor, reference) -> dict:
    return {
        "$type": "Asi.Soa.Commerce.DataContracts.ComboOrderData, Asi.Contracts",
        "Invoices": {
            "$values": [
                {
                    "$type": "Asi.Soa.Commerce.DataContracts.InvoiceSummaryData, Asi.Contracts",
                    "InvoiceId": i,
                }
                for i in invoice_ids
            ]
        },
        "Payments": {
            "$values": [
                {
                    "$type": "Asi.Soa.Commerce.DataContracts.RemittanceData, Asi.Contracts",
                    "PayorParty": {"PartyId": payor},
                    "Amount": {
                        "$type": "Asi.Soa.Core.DataContracts.MonetaryAmountData, Asi.Contracts",
                        "Amount": amount,
                        "Currency": {"CurrencyCode": "USD"},
                    },
                    "PaymentMethod": {"PaymentMethodId": "CHECK", "PaymentType": "Check"},
                    "ReferenceNumber": reference,
                    "Message": "Bank lockbox",
                }
            ]
        },
    }


def test_combo_order_partial_payment_reduces_the_balance(client):
    # given an open invoice
    invoice = open_invoice(client)
    balance = invoice["Balance"]["Amount"]
    # when part of it is paid
    response = client.post(
        "/api/ComboOrder",
        json=combo([invoice["InvoiceId"]], 10.5, invoice["BillToParty"]["PartyId"], "REF-1"),
    )
    # then the invoice balance drops by exactly that and a Payment row carries the reference
    assert response.status_code == 201
    after = client.get(f"/api/InvoiceSummary/{invoice['InvoiceId']}").json()
    assert after["Balance"]["Amount"] == pytest.approx(balance - 10.5)
    assert after["PaymentAmount"]["Amount"] == pytest.approx(
        invoice["PaymentAmount"]["Amount"] + 10.5
    )
    payments = client.get("/api/Payment", params={"ReferenceNumber": "eq:REF-1"}).json()
    assert payments["TotalCount"] == 1
    payment = payments["Items"]["$values"][0]
    assert payment["Amount"]["Amount"] == 10.5
    assert payment["InvoiceId"] == invoice["InvoiceId"]


def test_combo_order_paying_in_full_advances_paid_thru(client, app):
    invoice = open_invoice(client)
    member = invoice["SoldToParty"]["PartyId"]
    client.post(
        "/api/ComboOrder",
        json=combo(
            [invoice["InvoiceId"]],
            invoice["Balance"]["Amount"],
            invoice["BillToParty"]["PartyId"],
            "REF-FULL",
        ),
    )
    after = client.get(f"/api/InvoiceSummary/{invoice['InvoiceId']}").json()
    assert after["Balance"]["Amount"] == 0
    party = client.get(f"/api/Party/{member}").json()
    attrs = {p["Name"]: p.get("Value") for p in party["AdditionalAttributes"]["$values"]}
    inv = app.association.invoices
    row = int(invoice["InvoiceId"]) - 300001
    term_end = str(inv.col("term_end")[row].astype("datetime64[s]"))
    assert attrs["PaidThruDate"] == term_end
    assert party["Status"]["PartyStatusId"] == "A"
    subs = client.get(
        "/api/Subscription", params={"PartyId": f"eq:{member}", "Status": "eq:Active"}
    )
    assert any(s["Balance"] == 0 for s in subs.json()["Items"]["$values"])


def test_combo_order_posted_twice_pays_twice_so_callers_must_read_back(client):
    invoice = open_invoice(client)
    body = combo([invoice["InvoiceId"]], 1.0, invoice["BillToParty"]["PartyId"], "REF-TWICE")
    client.post("/api/ComboOrder", json=body)
    client.post("/api/ComboOrder", json=body)
    found = client.get("/api/Payment", params={"ReferenceNumber": "eq:REF-TWICE"}).json()
    assert found["TotalCount"] == 2


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"Invoices": {"$values": []}}, "The order contains no items"),
        ({"Payments": {"$values": []}}, "The order contains no payments"),
    ],
)
def test_combo_order_without_invoices_or_payments_is_rejected(client, change, fragment):
    invoice = open_invoice(client)
    body = {**combo([invoice["InvoiceId"]], 1, invoice["BillToParty"]["PartyId"], "R"), **change}
    response = client.post("/api/ComboOrder", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["Message"]


def test_combo_order_overpayment_and_bad_amounts_change_nothing(client, app):
    invoice = open_invoice(client)
    before = app.association.invoices.col("balance").copy()
    payor = invoice["BillToParty"]["PartyId"]
    too_much = client.post("/api/ComboOrder", json=combo([invoice["InvoiceId"]], 99999, payor, "X"))
    precise = client.post("/api/ComboOrder", json=combo([invoice["InvoiceId"]], 1.005, payor, "X"))
    unknown = client.post("/api/ComboOrder", json=combo(["1"], 1, payor, "X"))
    assert "exceeds the balance due" in too_much.json()["Message"]
    assert "more than two decimal places" in precise.json()["Message"]
    assert "Invoice '1' was not found" in unknown.json()["Message"]
    assert np.array_equal(app.association.invoices.col("balance"), before)
    assert client.get("/api/Payment", params={"ReferenceNumber": "eq:X"}).json()["TotalCount"] == 0


def test_write_counters_record_writes(client, app):
    client.post("/api/AI_Audit_Log", json=generic("AI_Audit_Log", Action="a", Actor="b"))
    assert app.counters["writes"]["AI_Audit_Log"] == 1
    assert app.counters["writes_applied"]["AI_Audit_Log"] == 1
