"""A month's reconciliation: a hand-built month ties to the cent, every difference has its
cause, and the entries drafted for it balance and are not drafted twice."""

from decimal import Decimal

import pytest

from dues.close.entries import JournalEntryDraft
from dues.close.reconcile import pending_entries, reconciliation_run
from dues.models import Difference
from tests.dues.close.month import NOV, build_november

pytestmark = pytest.mark.django_db
D = Decimal


def _causes(recon) -> list[tuple[str, str, Decimal]]:
    return sorted(recon.differences.values_list("cause", "source", "amount"))


def test_a_hand_built_month_reconciles_to_the_cent(mirror, make_payment):
    build_november(mirror, make_payment)

    recon = reconciliation_run(month=NOV)

    assert recon.status == "done"
    assert _causes(recon) == [
        ("fee", "stripe", D("6.62")),
        ("hold", "stripe", D("95.00")),
        ("not_ours", "csv", D("40.00")),
        ("not_seen", "csv", D("120.00")),
        ("timing", "stripe", D("50.00")),
        ("unmatched", "stripe", D("50.00")),
    ]
    f = recon.figures
    assert f["unexplained"] == 0
    assert f["sources"]["stripe"]["received"] == "265.00"
    assert f["sources"]["stripe"]["applied"] == "215.00"
    assert f["sources"]["stripe"]["posted"] == "120.00"
    assert f["sources"]["stripe"]["seen_in_imis"] == "120.00"
    assert f["sources"]["stripe"]["deposits"] == "208.38"
    assert f["sources"]["stripe"]["fees"] == "6.62"
    assert f["sources"]["csv"]["received"] == "160.00"
    assert f["sources"]["csv"]["deposits"] == "160.00"
    assert f["sources"]["csv"]["seen_in_imis"] == "0.00"
    # deposits + fees + timing out = received, per tied source, to the cent
    stripe = f["sources"]["stripe"]
    assert D(stripe["deposits"]) + D(stripe["fees"]) + D("50.00") == D(stripe["received"])


def test_each_cause_needing_an_entry_gets_one_balanced_draft(mirror, make_payment):
    build_november(mirror, make_payment)

    recon = reconciliation_run(month=NOV)

    items = {i.object_ref.split()[-1]: i for i in pending_entries(NOV)}
    assert sorted(items) == ["fee", "hold", "not_ours", "unmatched"]
    drafts = {k: JournalEntryDraft.from_payload(i.payload) for k, i in items.items()}
    assert all(d.balanced for d in drafts.values())
    assert {k: [(li.account, li.amount) for li in d.lines] for k, d in drafts.items()} == {
        "fee": [("cash:stripe", D("-6.62")), ("processor_fees", D("6.62"))],
        "hold": [("cash:stripe", D("95.00")), ("hold", D("-95.00"))],
        "not_ours": [("cash:csv", D("40.00")), ("refunds_payable", D("-40.00"))],
        "unmatched": [("cash:stripe", D("50.00")), ("suspense", D("-50.00"))],
    }
    assert all(d.entry_date.isoformat() == "2026-11-30" for d in drafts.values())
    fee = recon.differences.get(cause=Difference.Cause.FEE)
    assert fee.review_item_id == items["fee"].pk


def test_reconciling_again_drafts_nothing_twice(mirror, make_payment):
    build_november(mirror, make_payment)
    reconciliation_run(month=NOV)

    again = reconciliation_run(month=NOV)

    assert again.figures["entries_drafted"] == []
    assert pending_entries(NOV).count() == 4
