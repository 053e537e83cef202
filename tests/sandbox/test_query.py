"""Tests for sandbox list queries: paging, clamping, ordering, routing and every filter op."""

from datetime import date

import httpx
import numpy as np
import pytest

from sandbox.imis import SandboxApp, generate


@pytest.fixture(scope="module")
def app():
    return SandboxApp(generate(600, seed=4, as_of=date(2025, 6, 30)), max_page_size=500)


@pytest.fixture(scope="module")
def client(app):
    c = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sandbox/imis")
    token = c.post(
        "/token", data={"grant_type": "password", "username": "sandbox", "password": "sandbox"}
    ).json()["access_token"]
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def _ids(client, entity, key="PartyId", **params) -> list[str]:
    body = client.get(f"/api/{entity}", params={"limit": 500, **params}).json()
    if "limit" not in params:
        assert body["TotalCount"] <= 500, "test expects one page"
    return [row[key] for row in body["Items"]["$values"]]


def _party_ids(client, **params) -> list[str]:
    return _ids(client, "Party", **params)


# -- paging ------------------------------------------------------------------------------------
def test_paging_default_limit_is_100(client):
    body = client.get("/api/Party").json()
    assert (body["Limit"], body["Count"], body["NextOffset"]) == (100, 100, 100)


def test_paging_limit_is_clamped_by_the_server(client):
    # when a client asks for more than the server allows
    body = client.get("/api/Activity", params={"limit": 5000}).json()
    # then it gets the server's maximum and must follow NextOffset
    assert body["Limit"] == 500
    assert body["Count"] == 500
    assert body["HasNext"] is True and body["NextOffset"] == 500


def test_paging_following_next_offset_reads_every_row_once(client, app):
    # given a walk over all parties by NextOffset with a small page
    seen, offset = [], 0
    while True:
        body = client.get("/api/Party", params={"limit": 37, "offset": offset}).json()
        seen += [r["PartyId"] for r in body["Items"]["$values"]]
        if not body["HasNext"]:
            break
        offset = body["NextOffset"]
    # then every party appears once, in stable id order
    assert len(seen) == app.association.parties.n == len(set(seen))
    assert seen == sorted(seen, key=int)
    assert body["NextOffset"] == 0


def test_paging_offset_past_the_end_returns_an_empty_page(client):
    body = client.get("/api/Party", params={"offset": 100000}).json()
    assert (body["Count"], body["HasNext"], body["Items"]["$values"]) == (0, False, [])


@pytest.mark.parametrize("params", [{"limit": "-1"}, {"offset": "-5"}, {"limit": "ten"}])
def test_paging_invalid_parameters_are_rejected(client, params):
    response = client.get("/api/Party", params=params)
    assert response.status_code == 400
    assert "Message" in response.json()


def test_paging_routes_are_case_insensitive(client):
    upper = client.get("/api/Party", params={"limit": 5}).json()
    lower = client.get("/api/party", params={"limit": 5}).json()
    mixed = client.get("/API/PARTY", params={"LIMIT": 5}).json()
    assert upper == lower == mixed


def test_paging_unknown_entity_and_id_give_404(client):
    assert client.get("/api/NoSuchThing").status_code == 404
    assert client.get("/api/Party/999999999").status_code == 404
    assert client.get("/api/Party/abc").status_code == 404


def test_paging_order_by_ascending_and_descending(client):
    asc = _ids(
        client,
        "InvoiceSummary",
        key="InvoiceDate",
        OrderBy="InvoiceDate",
        InvoiceDate="ge:2025-04-01",
    )
    desc = _ids(
        client,
        "InvoiceSummary",
        key="InvoiceDate",
        OrderBy="InvoiceDate:Descending",
        InvoiceDate="ge:2025-04-01",
    )
    assert asc == sorted(asc) and desc == sorted(desc, reverse=True) and asc
    body = client.get(
        "/api/Party", params={"OrderBy": "LastName", "IsOrganization": "false", "limit": 500}
    ).json()
    lasts = [r["PersonName"]["LastName"].lower() for r in body["Items"]["$values"]]
    assert lasts == sorted(lasts)


# -- filters -----------------------------------------------------------------------------------
def _values(app, column, rows=None):
    p = app.association.parties
    return p.col(column) if rows is None else p.col(column)[rows]


def test_filter_eq_is_case_insensitive_on_text(client, app):
    last = app.association.parties.get(300, "last")
    ids = _party_ids(client, LastName=f"eq:{last.upper()}")
    expected = np.flatnonzero(np.char.lower(_values(app, "last").astype(str)) == last.lower())
    assert sorted(ids, key=int) == [str(10001 + i) for i in expected]


def test_filter_bare_value_means_equality_and_property_names_ignore_case(client):
    assert _party_ids(client, customertypecode="CORP") == _party_ids(
        client, CustomerTypeCode="eq:CORP"
    )


def test_filter_ne_gt_ge_lt_le_on_ids(client):
    assert "10005" not in _party_ids(client, PartyId="ne:10005", limit=10)
    assert len(_party_ids(client, PartyId="ne:10005", limit=10)) == 10
    assert _party_ids(client, PartyId="gt:10598") == [str(i) for i in range(10599, 10625)]
    assert _party_ids(client, PartyId="ge:10620") == [str(i) for i in range(10620, 10625)]
    assert _party_ids(client, PartyId="lt:10003") == ["10001", "10002"]
    assert _party_ids(client, PartyId="le:10002") == ["10001", "10002"]


def test_filter_contains_and_starts_with(client):
    ids = _party_ids(client, Name="contains:smith")
    assert ids
    names = _ids(client, "Party", key="Name", Name="contains:smith")
    assert all("smith" in n.lower() for n in names)
    starts = _ids(client, "Party", key="Name", Name="startsWith:jo", IsOrganization="false")
    assert starts and all(n.lower().startswith("jo") for n in starts)


def test_filter_in_takes_pipe_separated_values(client):
    assert _party_ids(client, PartyId="in:10003|10007|10011") == ["10003", "10007", "10011"]
    statuses = _ids(client, "Party", key="Status", Status="in:S|D")
    assert statuses and {s["PartyStatusId"] for s in statuses} <= {"S", "D"}


def test_filter_between_is_inclusive(client):
    assert _party_ids(client, PartyId="between:10010|10012") == ["10010", "10011", "10012"]
    dates = _ids(
        client,
        "InvoiceSummary",
        key="InvoiceDate",
        InvoiceDate="between:2025-05-01|2025-05-31T23:59:59",
    )
    assert dates and all("2025-05-01" <= d[:10] <= "2025-05-31" for d in dates)


def test_filter_is_empty_and_not_empty(client, app):
    empty = _party_ids(client, Email="isEmpty:")
    not_empty = client.get("/api/Party", params={"Email": "notEmpty:"}).json()["TotalCount"]
    assert len(empty) + not_empty == app.association.parties.n
    no_join = client.get("/api/Party", params={"JoinDate": "isEmpty:"}).json()["TotalCount"]
    assert no_join == int(np.isnat(_values(app, "join_date")).sum())


def test_filter_several_params_are_anded(client):
    both = _party_ids(client, CustomerTypeCode="eq:REG", Status="eq:I")
    regs = set(_party_ids(client, CustomerTypeCode="eq:REG"))
    inactive = set(_party_ids(client, Status="eq:I"))
    assert set(both) == regs & inactive and both


def test_filter_money_compares_exact_amounts(client):
    open_rows = client.get("/api/InvoiceSummary", params={"Balance": "ne:0", "limit": 500}).json()
    assert open_rows["TotalCount"] > 0
    assert all(r["Balance"]["Amount"] != 0 for r in open_rows["Items"]["$values"])
    big = client.get("/api/InvoiceSummary", params={"InvoiceAmount": "ge:1000.00"}).json()
    assert all(r["InvoiceAmount"]["Amount"] >= 1000 for r in big["Items"]["$values"])


def test_filter_dates_with_an_offset_are_converted_to_site_time(client):
    # given the site runs at UTC-5: 05:00Z on a day is midnight there
    local = client.get("/api/Party", params={"UpdatedOn": "ge:2025-06-01T00:00:00"}).json()
    utc = client.get("/api/Party", params={"UpdatedOn": "ge:2025-06-01T05:00:00+00:00"}).json()
    assert local["TotalCount"] == utc["TotalCount"] > 0


def test_filter_booleans_and_nested_group_properties(client):
    orgs = client.get("/api/Party", params={"IsOrganization": "isTrue:"}).json()
    assert all(
        r["$type"].endswith("OrganizationData, Asi.Contracts") for r in orgs["Items"]["$values"]
    )
    committees = client.get("/api/GroupMember", params={"GroupClassId": "eq:COMMITTEE"}).json()
    assert committees["TotalCount"] > 0


@pytest.mark.parametrize(
    "params",
    [
        {"NoSuchProperty": "eq:1"},
        {"PartyId": "gt:abc"},
        {"UpdatedOn": "ge:yesterday"},
        {"PartyId": "between:1"},
        {"LastName": "isTrue:"},
        {"OrderBy": "Name:Sideways"},
    ],
)
def test_filter_malformed_requests_get_400_with_a_message(client, params):
    response = client.get("/api/Party", params=params)
    assert response.status_code == 400
    assert response.json()["Message"]
