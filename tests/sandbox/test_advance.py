"""Tests for time moving forward in the sandbox (incremental sync needs real changes)."""

from datetime import date

import numpy as np
import pytest

from sandbox.imis import SandboxApp, generate
from sandbox.imis.entities import ENTITIES
from sandbox.imis.shapes import serialize_rows

AS_OF = date(2025, 6, 30)


def _snapshot(assoc, key):
    spec = ENTITIES[key]
    table = assoc.tables[spec.table]
    return serialize_rows(assoc, spec, np.arange(table.n))


@pytest.fixture(scope="module")
def advanced():
    """(association before, the same association 45 days later, snapshots taken before)."""
    assoc = generate(1500, seed=12, as_of=AS_OF)
    before = {k: _snapshot(assoc, k) for k in ("party", "subscription", "invoicesummary")}
    stamps = {
        "party": assoc.parties.col("updated_on").copy(),
        "subscription": assoc.subscriptions.col("last_updated").copy(),
    }
    status = assoc.parties.col("status").copy()
    old_now = assoc.now
    counts = assoc.advance(45)
    return assoc, before, stamps, status, old_now, counts


def test_advance_moves_the_clock_forward(advanced):
    assoc, *_ = advanced
    assert assoc.today == date(2025, 8, 14)
    with pytest.raises(ValueError):
        assoc.advance(-1)


def test_advance_stamps_exactly_the_changed_rows(advanced):
    # given the rows and stamps from before 45 days passed
    assoc, before, stamps, _status, old_now, _counts = advanced
    for key, column in (("party", "updated_on"), ("subscription", "last_updated")):
        after = _snapshot(assoc, key)
        table = assoc.tables[ENTITIES[key].table]
        old = stamps[key]
        new = table.col(column)[: len(old)]
        changed = np.array([a != b for a, b in zip(after, before[key], strict=False)])
        restamped = new != old
        # then every changed row has a new, later stamp and no unchanged row was restamped
        assert changed.any(), key
        assert np.array_equal(changed, restamped), key
        assert (new[restamped] > old_now).all(), key


def test_advance_creates_renewal_invoices_for_terms_coming_due(advanced):
    assoc, before, *_ = advanced
    inv = assoc.invoices
    new = np.arange(len(before["invoicesummary"]), inv.n)
    renewals = new[inv.col("purpose")[new] == "MembershipRenewal"]
    assert len(renewals) > 50
    # billed two months ahead: July's run bills September, August's bills October
    begins = set(inv.col("term_begin")[renewals].astype("datetime64[D]").astype(str))
    assert begins == {"2025-09-01", "2025-10-01"}


def test_advance_payments_reduce_balances_and_add_payment_rows(advanced):
    assoc, before, *_ = advanced
    old = len(before["invoicesummary"])
    inv = assoc.invoices
    paid_now = inv.col("paid")[:old]
    was = np.array([b.count(b'"Balance"') for b in before["invoicesummary"]])  # shape check
    assert was.all()
    recent = assoc.payments.col("payment_date") > np.datetime64("2025-06-30")
    assert recent.sum() > 20
    assert paid_now.sum() > 0
    assert np.all(inv.col("balance") == inv.col("amount") - inv.col("paid"))


def test_advance_unpaid_members_lapse_after_grace(advanced):
    # given members whose grace ended inside the 45 days (terms that began 1 May 2025)
    assoc, _before, _stamps, status, *_ = advanced
    p = assoc.parties
    lapsed_now = (p.col("status")[: len(status)] == "I") & (status == "A")
    # then some became inactive, keeping the PaidThruDate of their last paid term
    assert lapsed_now.sum() > 5
    paid = p.col("paid_thru")[: len(status)][lapsed_now]
    assert (paid < np.datetime64("2025-08-01")).all()


def test_advance_adds_new_members_and_activity(advanced):
    assoc, before, *_, counts = advanced
    assert assoc.parties.n > len(before["party"])
    assert counts["Activity"] > 100
    acts = assoc.activities
    assert (acts.col("tx_date") > np.datetime64("2025-06-30")).sum() > 100


def test_advance_incremental_filter_finds_exactly_the_changed_parties(advanced):
    assoc, _before, stamps, *_ = advanced
    app = SandboxApp(assoc)
    import httpx

    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://s/imis")
    token = client.post(
        "/token", data={"grant_type": "password", "username": "sandbox", "password": "sandbox"}
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    high_water = str(stamps["party"].max())
    body = client.get("/api/Party", params={"UpdatedOn": f"gt:{high_water}", "limit": 500}).json()
    expected = int((assoc.parties.col("updated_on") > stamps["party"].max()).sum())
    assert body["TotalCount"] == expected > 0


def test_advance_in_chunks_equals_advance_at_once():
    first = generate(300, seed=13, as_of=AS_OF)
    second = generate(300, seed=13, as_of=AS_OF)
    first.advance(40)
    second.advance(15)
    second.advance(25)
    assert first.digest() == second.digest()


def test_advance_zero_days_changes_nothing():
    assoc = generate(300, seed=13, as_of=AS_OF)
    digest = assoc.digest()
    assert assoc.advance(0) == {}
    assert assoc.digest() == digest


def test_advance_records_new_terms_in_the_truth(advanced):
    assoc, *_ = advanced
    terms = assoc.truth.terms
    new = terms[terms.renewal_date >= np.datetime64("2025-09-01")]
    assert len(new) > 50
    assert set(new.cycle) <= {3, 4}
    assert new.invoice_id.isin(assoc.invoices.col("invoice_id").astype(str)).all()
