"""Revenue recognition: a hand-built month rolls forward to the cent and ties to the journal."""

from datetime import date
from decimal import Decimal

import pytest

from common import roles
from common.errors import DomainError
from dues.close.recognition import (
    Change,
    InvoiceTerm,
    reshape,
    revenue_events_apply,
    schedules_open,
)
from dues.close.recognition_entries import KIND, recognition_draft
from dues.close.rollforward import roll_forward
from dues.ledger import accounts as acct
from dues.models import RecognitionRun, RevenueEvent, RevenueLine, RevenueSchedule
from reviews.models import ReviewItem
from reviews.services import review_item_decide, review_item_execute

D = Decimal
Kind = RevenueEvent.Kind


def test_reshape_months_spreads_a_year_in_twelve_with_the_remainder_allocated():
    result = reshape(
        slices={},
        begin=date(2026, 3, 15),
        end=date(2027, 3, 14),
        method="months",
        period=date(2026, 3, 1),
        delta=D("100.00"),
    )
    assert list(result.slices) == [
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]
    assert sum(D(v) for v in result.slices.values()) == D("100.00")
    assert sorted(set(result.slices.values())) == ["8.33", "8.34"]


def test_reshape_days_weighs_each_month_by_its_days():
    result = reshape(
        slices={},
        begin=date(2026, 1, 1),
        end=date(2026, 12, 31),
        method="days",
        period=date(2026, 1, 1),
        delta=D("365.00"),
    )
    assert result.slices["2026-02"] == "28.00"
    assert result.slices["2026-01"] == "31.00"


def test_reshape_credit_larger_than_what_is_left_takes_the_rest_from_revenue():
    first = reshape(
        slices={},
        begin=date(2026, 1, 1),
        end=date(2026, 12, 31),
        method="months",
        period=date(2026, 1, 1),
        delta=D("120.00"),
    )
    later = reshape(
        slices=first.slices,
        begin=date(2026, 1, 1),
        end=date(2026, 12, 31),
        method="months",
        period=date(2026, 11, 1),
        delta=D("-50.00"),
    )
    assert (later.applied, later.excess) == (D("-20.00"), D("-30.00"))
    assert "2026-11" not in later.slices and sum(D(v) for v in later.slices.values()) == D("100")


def _hand_built_month(settings):
    """Three invoices; March 2026 has a new invoice, a credit memo and a cancellation."""
    settings.REVENUE_ACCOUNTING = "accrual"
    settings.REVENUE_RECOGNITION = "months"
    schedules_open(
        [
            InvoiceTerm("INV-1", "M1", "DUES/REG", date(2026, 1, 1), date(2026, 12, 31)),
            InvoiceTerm("INV-2", "M2", "DUES/STU", date(2026, 2, 1), date(2027, 1, 31)),
            InvoiceTerm("INV-3", "M3", "DUES/REG", date(2026, 3, 1), date(2027, 2, 28)),
        ]
    )
    revenue_events_apply(
        changes=[
            Change("INV-1", Kind.DEFER, date(2025, 12, 15), D("240.00"), "bill:INV-1"),
            Change("INV-2", Kind.DEFER, date(2026, 1, 20), D("100.00"), "bill:INV-2"),
        ],
        actor_name="test",
    )
    revenue_events_apply(
        changes=[
            Change("INV-3", Kind.DEFER, date(2026, 3, 1), D("360.00"), "bill:INV-3"),
            # INV-2 credited 22.00 on 10 March: its 11 months left (Mar..Jan) share what remains.
            Change("INV-2", Kind.CREDIT_MEMO, date(2026, 3, 10), D("-22.00"), "memo:1"),
            # INV-1 cancelled 1 April with 90.00 credited back; the rest is earned by March.
            Change(
                "INV-1",
                Kind.CANCELLATION,
                date(2026, 3, 20),
                D("-90.00"),
                "memo:2",
                cancel_on=date(2026, 4, 1),
            ),
        ],
        actor_name="test",
    )


def test_hand_built_month_rolls_forward_to_the_cent(db, settings):
    _hand_built_month(settings)

    rf = roll_forward(date(2026, 3, 1))

    # Opening: INV-1 240 - 40 (Jan, Feb at 20) + INV-2 100 - 8.34 (Feb; 100/12: four months
    # of 8.34 take the remainder, the first four) = 291.66
    assert rf.opening == D("291.66")
    assert rf.deferred == D("360.00")
    # INV-1 after the credit: 200 - 90 = 110 left for March alone (term now ends 31 March);
    # INV-2 91.66 - 22 = 69.66 over Mar..Jan (11 months) -> 6.34 x 3 + 6.33 x 8: 6.34 in March;
    # INV-3 360 / 12 = 30.00.
    assert dict(rf.by_account) == {
        "dues_revenue:DUES/REG": D("140.00"),
        "dues_revenue:DUES/STU": D("6.34"),
    }
    assert rf.recognised == D("146.34")
    assert rf.adjusted == D("112.00")
    assert rf.closing == D("393.32")
    assert rf.identity_holds
    assert (rf.ledger_closing, rf.pending) == (D("588.00"), D("194.68"))  # none posted yet
    assert rf.difference == D("0.00")


def test_recognition_drafted_approved_and_posted_ties_the_journal(db, settings, make_user):
    _hand_built_month(settings)
    for month in (1, 2):
        run = recognition_draft(period=date(2026, month, 1))
        for item in ReviewItem.objects.filter(kind=KIND, object_ref=f"recognition:2026-0{month}"):
            review_item_decide(
                item_id=item.pk,
                user=make_user(roles.FINANCE, f"f{month}{item.pk}"),
                decision="accept",
            )
            review_item_execute(item_id=item.pk)
        run.refresh_from_db()
        assert run.status == RecognitionRun.Status.POSTED
    proposer = make_user(roles.FINANCE, "proposer")
    run = recognition_draft(period=date(2026, 3, 1), user=proposer)
    items = list(ReviewItem.objects.filter(kind=KIND, object_ref="recognition:2026-03"))
    assert sorted(i.payload["lines"] for i in items) == [
        "Dr deferred_dues_revenue 140.00\nCr dues_revenue:DUES/REG 140.00",
        "Dr deferred_dues_revenue 6.34\nCr dues_revenue:DUES/STU 6.34",
    ]
    with pytest.raises(DomainError, match=r"You proposed this item"):
        review_item_decide(item_id=items[0].pk, user=proposer, decision="accept")
    checker = make_user(roles.FINANCE, "checker")
    for item in items:
        review_item_decide(item_id=item.pk, user=checker, decision="accept")
        review_item_execute(item_id=item.pk)
        review_item_execute(item_id=item.pk)  # a second run posts nothing more
    run.refresh_from_db()
    rf = roll_forward(date(2026, 3, 1))
    assert run.status == RecognitionRun.Status.POSTED
    assert (rf.closing, rf.ledger_closing, rf.difference) == (D("393.32"), D("393.32"), D("0"))
    revenue = RevenueLine.objects.filter(
        account="dues_revenue:DUES/REG", entry__period="2026-03-01"
    )
    assert sum(line.amount for line in revenue) == D("-140.00")
    # a credit memo dated in recognised March now counts in April, the open period
    revenue_events_apply(
        changes=[Change("INV-3", Kind.CREDIT_MEMO, date(2026, 3, 31), D("-11.00"), "memo:3")],
        actor_name="test",
    )
    assert RevenueEvent.objects.get(reference="memo:3").period == date(2026, 4, 1)
    assert roll_forward(date(2026, 3, 1)).difference == D("0")


def test_edited_lines_that_do_not_balance_are_refused(db, settings, make_user):
    _hand_built_month(settings)
    recognition_draft(period=date(2026, 1, 1))
    item = ReviewItem.objects.filter(kind=KIND).first()
    from reviews.services import review_item_edit

    payload = {
        **item.payload,
        "lines": "Dr deferred_dues_revenue 20.00\nCr dues_revenue:DUES/REG 19.00",
    }
    with pytest.raises(
        DomainError, match=r"does not balance: debits and credits differ by \$1\.00"
    ):
        review_item_edit(item_id=item.pk, user=make_user(roles.FINANCE, "editor"), payload=payload)


def test_months_are_drafted_in_order_once(db, settings):
    _hand_built_month(settings)
    recognition_draft(period=date(2026, 1, 1))
    with pytest.raises(DomainError, match="Draft 2026-02 next"):
        recognition_draft(period=date(2026, 3, 1))
    with pytest.raises(DomainError, match="already drafted"):
        recognition_draft(period=date(2026, 1, 1))


def test_a_term_that_ends_before_it_begins_is_refused_with_the_invoice(db, settings):
    with pytest.raises(DomainError, match="Invoice 77: its term ends 2026-01-01 before"):
        schedules_open(
            [InvoiceTerm("X", "M", "DUES/REG", date(2026, 2, 1), date(2026, 1, 1), "77")]
        )
    assert not RevenueSchedule.objects.exists()
    assert acct.dues_revenue_account("DUES/REG") == "dues_revenue:DUES/REG"
