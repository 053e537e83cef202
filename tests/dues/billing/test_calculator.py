"""The billing calculator against hand-computed golden cases, and its properties.

Every expected figure below was worked out by hand from billing-policy.md (the arithmetic is in
the comment beside it), not by running the code.
"""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import DomainError
from dues.billing import calculator as calc
from dues.billing.calculator import Price, PriceBook, PriceRow
from dues.billing.policy import BillingPolicy

D = Decimal
POLICY = BillingPolicy()
CALENDAR = replace(POLICY, term_model="calendar")


def rows(*pairs):
    return tuple(PriceRow(D(a) if a is not None else None, e, lbl) for a, e, lbl in pairs)


PRICES = PriceBook(
    rows={
        "DUES/REG": rows(
            ("325.00", None, "current price"), ("340.00", date(2026, 7, 1), "future price")
        ),
        "DUES/STU": rows(("60.00", None, "current price")),
        "DUES/RET": rows(("120.00", None, "current price")),
        "DUES/ORG": rows(("1500.00", None, "current price")),
        "DUES/AFF": rows(("95.35", None, "current price")),
        "DUES/LIFE": rows(("0.00", None, "current price")),
        "DUES/NOPRICE": rows((None, None, "current price")),
        "CHAPT/NE": rows(("40.00", None, "current price")),
        "SUB/JOURNAL": rows(("45.00", None, "current price")),
    },
    names={"DUES/REG": "Regular Member Dues"},
)


def expected(policy=POLICY, *, begin, years=1, **kw):
    term = calc.term_for(policy, begin, years)
    return calc.expected_invoice(policy, PRICES, term=term, **kw)


def price(item, on=date(2026, 1, 1)):
    return PRICES.in_force(item, on)


# --- terms ------------------------------------------------------------------------------


def test_term_anniversary_ends_the_day_before_the_same_date_a_year_later():
    term = calc.anniversary_term(date(2026, 3, 15))
    assert (term.begin, term.end) == (date(2026, 3, 15), date(2027, 3, 14))


def test_term_beginning_on_leap_day_ends_the_day_before_the_shorter_months_last_day():
    # 2025 has no February 29: the same date a year later is February 28, so the term ends on
    # February 27 (2024-02-29 .. 2025-02-27 is 365 days).
    term = calc.anniversary_term(date(2024, 2, 29))
    assert term.end == date(2025, 2, 27)
    assert term.days == 365


def test_term_beginning_on_the_31st_ends_on_the_30th_a_year_later():
    term = calc.anniversary_term(date(2026, 1, 31))
    assert term.end == date(2027, 1, 30)


def test_term_three_years_from_march_first_ends_february_28():
    term = calc.anniversary_term(date(2026, 3, 1), years=3)
    assert (term.end, term.months) == (date(2029, 2, 28), 36)


def test_term_calendar_model_runs_from_the_start_month():
    assert calc.calendar_term(CALENDAR, date(2026, 7, 20)).begin == date(2026, 1, 1)
    july = replace(CALENDAR, term_start_month=7)
    term = calc.calendar_term(july, date(2026, 3, 10))
    assert (term.begin, term.end) == (date(2025, 7, 1), date(2026, 6, 30))


def test_renewal_term_begins_the_day_after_paid_through():
    term = calc.renewal_term(POLICY, date(2026, 2, 28))
    assert (term.begin, term.end) == (date(2026, 3, 1), date(2027, 2, 28))


# --- the expected invoice ----------------------------------------------------------------


def test_expected_regular_one_year_is_the_current_price():
    result = expected(begin=date(2026, 3, 15), member_type="REG")
    assert result.amount == D("325.00")
    assert "Regular Member Dues (DUES/REG)" in result.words()
    assert "in force on March 15, 2026" in result.words()


def test_expected_future_price_applies_from_its_effective_date():
    # The future price 340.00 is in force from 2026-07-01: a term beginning that day takes it.
    on_the_day = expected(begin=date(2026, 7, 1), member_type="REG")
    assert on_the_day.amount == D("340.00")
    assert "future price from July 1, 2026" in on_the_day.words()


def test_expected_day_before_the_effective_date_keeps_the_current_price():
    assert expected(begin=date(2026, 6, 30), member_type="REG").amount == D("325.00")


def test_expected_three_year_term_at_ten_percent():
    # 3 x 325.00 x (1 - 0.10) = 975.00 x 0.9 = 877.50
    result = expected(begin=date(2026, 3, 1), years=3, member_type="REG")
    assert result.amount == D("877.50")
    assert "less the 10 % multi-year discount" in result.words()


def test_expected_two_year_term_at_five_percent():
    # 2 x 325.00 x 0.95 = 617.50
    assert expected(begin=date(2026, 3, 1), years=2, member_type="REG").amount == D("617.50")


def test_expected_multi_year_discounts_the_dues_line_only():
    # dues 877.50 + chapter 3 x 40.00 = 120.00 + journal 3 x 45.00 = 135.00 → 1,132.50
    result = expected(
        begin=date(2026, 3, 1),
        years=3,
        member_type="REG",
        chapter="NE",
        subscriptions=["SUB/JOURNAL"],
    )
    assert [(li.kind, li.amount) for li in result.lines] == [
        ("dues", D("877.50")),
        ("chapter", D("120.00")),
        ("subscription", D("135.00")),
    ]
    assert result.amount == D("1132.50")


def test_expected_chapter_without_an_item_adds_no_line():
    result = expected(begin=date(2026, 3, 1), member_type="REG", chapter="SW")
    assert (result.amount, len(result.lines)) == (D("325.00"), 1)


def test_expected_complimentary_type_is_zero_even_with_a_chapter():
    result = expected(begin=date(2026, 3, 1), member_type="LIFE", chapter="NE")
    assert result.amount == D("0.00")
    assert "complimentary" in result.words()


def test_expected_complimentary_flag_is_zero():
    assert expected(begin=date(2026, 3, 1), member_type="REG", complimentary=True).amount == D(
        "0.00"
    )


def test_expected_organisation_pays_the_organisational_price():
    result = expected(begin=date(2026, 3, 1), member_type="ORG", organisation=True)
    assert result.amount == D("1500.00")
    assert "organisational type ORG" in result.words()


def test_expected_half_up_at_an_exact_half_cent():
    # 2 x 95.35 x 0.95 = 181.165: half up → 181.17 (banker's rounding would give 181.16)
    assert expected(begin=date(2026, 3, 1), years=2, member_type="AFF").amount == D("181.17")
    bankers = replace(POLICY, rounding="bankers")
    assert expected(bankers, begin=date(2026, 3, 1), years=2, member_type="AFF").amount == D(
        "181.16"
    )


def test_expected_three_years_half_up():
    # 3 x 95.35 x 0.9 = 286.05 x 0.9 = 257.445 → 257.45
    assert expected(begin=date(2026, 3, 1), years=3, member_type="AFF").amount == D("257.45")


def test_expected_no_price_names_the_item_and_date():
    with pytest.raises(calc.NoPrice, match="no price for DUES/XYZ on 2026-03-01"):
        expected(begin=date(2026, 3, 1), member_type="XYZ")
    with pytest.raises(calc.NoPrice, match="no price for DUES/NOPRICE on 2026-03-01"):
        expected(begin=date(2026, 3, 1), member_type="NOPRICE")


def test_expected_without_member_type_says_what_to_fix():
    with pytest.raises(DomainError, match="Choose the member type"):
        expected(begin=date(2026, 3, 1), member_type="")


def test_expected_calendar_joiner_on_the_10th_counts_the_month():
    # Term 2026-01-01..12-31; April 10 is day 10 of April's period: 9 months left.
    # dues 325 x 9/12 = 243.75; chapter 40 x 9/12 = 30.00; total 273.75
    result = expected(
        CALENDAR,
        begin=date(2026, 4, 10),
        member_type="REG",
        chapter="NE",
        join_date=date(2026, 4, 10),
    )
    assert [li.amount for li in result.lines] == [D("243.75"), D("30.00")]
    assert result.amount == D("273.75")


def test_expected_calendar_joiner_on_the_20th_does_not_count_the_month():
    # 8 months left: dues 325 x 8/12 = 216.666… → 216.67; chapter 40 x 8/12 = 26.666… → 26.67
    result = expected(
        CALENDAR,
        begin=date(2026, 4, 20),
        member_type="REG",
        chapter="NE",
        join_date=date(2026, 4, 20),
    )
    assert result.amount == D("243.34")


def test_expected_calendar_joiner_with_a_july_year():
    # Term 2025-07-01..2026-06-30; March 16 is day 16 of the 9th period (not counted):
    # 12 - 8 - 1 = 3 months: 325 x 3/12 = 81.25
    july = replace(CALENDAR, term_start_month=7)
    result = expected(july, begin=date(2026, 3, 16), member_type="REG", join_date=date(2026, 3, 16))
    assert result.amount == D("81.25")


# --- proration ---------------------------------------------------------------------------

YEAR_2026 = calc.anniversary_term(date(2026, 1, 1))


def test_prorate_the_15th_counts_its_month():
    # April 15 is the 15th day of April's period: 12 - 3 = 9 months; 325 x 9/12 = 243.75
    result = calc.prorate(POLICY, price=D("325.00"), term=YEAR_2026, on=date(2026, 4, 15))
    assert (result.amount, result.steps[0].months) == (D("243.75"), 9)


def test_prorate_the_16th_does_not_count_its_month():
    # 8 months: 325 x 8/12 = 216.666… → 216.67
    result = calc.prorate(POLICY, price=D("325.00"), term=YEAR_2026, on=date(2026, 4, 16))
    assert (result.amount, result.steps[0].months) == (D("216.67"), 8)


def test_prorate_term_from_the_31st_uses_month_end_periods():
    # Periods of a term from 2026-01-31: Jan 31 to Feb 27, Feb 28 to Mar 30, ...
    term = calc.anniversary_term(date(2026, 1, 31))
    # March 14 is 14 days after Feb 28 (day 15 of the period): 12 - 1 = 11 months
    assert calc.portion(POLICY, term, date(2026, 3, 14)).left == 11
    # March 15 is day 16 of it: 10 months
    assert calc.portion(POLICY, term, date(2026, 3, 15)).left == 10


def test_prorate_leap_year_period_from_the_29th_of_february():
    # Term from 2024-01-30: the second period starts 2024-02-29 (February's last day)
    term = calc.anniversary_term(date(2024, 1, 30))
    assert calc.portion(POLICY, term, date(2024, 2, 29)).left == 11
    # March 15 is 15 days after February 29 (day 16): 10 months
    assert calc.portion(POLICY, term, date(2024, 3, 15)).left == 10


def test_prorate_daily_counts_the_change_day():
    # 2026-09-01..2027-03-14 is 195 days of 365: 325 x 195/365 = 173.630… → 173.63
    daily = replace(POLICY, proration="daily")
    term = calc.anniversary_term(date(2026, 3, 15))
    result = calc.prorate(daily, price=D("325.00"), term=term, on=date(2026, 9, 1))
    assert (result.amount, result.steps[0].days) == (D("173.63"), 195)


def test_prorate_daily_in_a_leap_year_term():
    # one day of 366: 325 / 366 = 0.8879… → 0.89
    daily = replace(POLICY, proration="daily")
    term = calc.anniversary_term(date(2024, 1, 1))
    assert term.days == 366
    assert calc.prorate(daily, price=D("325.00"), term=term, on=date(2024, 12, 31)).amount == D(
        "0.89"
    )


def test_prorate_none_charges_the_full_price():
    none = replace(POLICY, proration="none")
    assert calc.prorate(none, price=D("325.00"), term=YEAR_2026, on=date(2026, 9, 20)).amount == D(
        "325.00"
    )


def test_prorate_date_outside_the_term_says_what_to_fix():
    with pytest.raises(
        DomainError,
        match="The date January 1, 2027 is outside the term January 1, 2026 to December 31, 2026",
    ):
        calc.prorate(POLICY, price=D("325.00"), term=YEAR_2026, on=date(2027, 1, 1))


def test_prorate_negative_price_is_refused():
    with pytest.raises(DomainError, match="The price cannot be negative"):
        calc.prorate(POLICY, price=D("-1.00"), term=YEAR_2026, on=date(2026, 5, 1))


# --- tier changes ------------------------------------------------------------------------


def test_tier_change_student_to_regular_on_the_10th():
    # June 10: 7 months left. credit 60 x 7/12 = 35.00; charge 325 x 7/12 = 189.583…;
    # net (325 - 60) x 7/12 = 1855/12 = 154.583… → 154.58 (a debit)
    result = calc.tier_change(
        POLICY,
        old=price("DUES/STU"),
        new=price("DUES/REG"),
        term=YEAR_2026,
        change_date=date(2026, 6, 10),
    )
    assert result.amount == D("154.58")
    assert result.direction == "debit"
    assert (result.parts["credit"], result.parts["charge"]) == (D("-35.00"), D("189.58"))


def test_tier_change_on_the_16th():
    # June 16: 6 months. net 265 x 6/12 = 132.50
    result = calc.tier_change(
        POLICY,
        old=price("DUES/STU"),
        new=price("DUES/REG"),
        term=YEAR_2026,
        change_date=date(2026, 6, 16),
    )
    assert result.amount == D("132.50")


def test_tier_change_to_a_cheaper_tier_is_a_credit_memo():
    # April 1: 9 months. (120 - 325) x 9/12 = -153.75
    result = calc.tier_change(
        POLICY,
        old=price("DUES/REG"),
        new=price("DUES/RET"),
        term=YEAR_2026,
        change_date=date(2026, 4, 1),
    )
    assert (result.amount, result.direction) == (D("-153.75"), "credit")
    assert "back to the member (a credit memo)" in result.words()


def test_tier_change_net_is_rounded_once():
    # 7 months: credit 100 x 7/12 = 58.333…, charge 101 x 7/12 = 58.916…; rounded separately
    # they would give 58.92 - 58.33 = 0.59, but the net 1 x 7/12 = 0.583… rounds to 0.58
    old = Price("A", D("100.00"), "current price")
    new = Price("B", D("101.00"), "current price")
    result = calc.tier_change(
        POLICY, old=old, new=new, term=YEAR_2026, change_date=date(2026, 6, 1)
    )
    assert result.amount == D("0.58")


def test_tier_change_before_the_join_date_is_refused():
    with pytest.raises(
        DomainError,
        match="The change date March 1, 2026 is before the member joined on April 2, 2026",
    ):
        calc.tier_change(
            POLICY,
            old=price("DUES/STU"),
            new=price("DUES/REG"),
            term=YEAR_2026,
            change_date=date(2026, 3, 1),
            join_date=date(2026, 4, 2),
        )


def test_tier_change_outside_the_term_is_refused():
    with pytest.raises(DomainError, match="is outside the term"):
        calc.tier_change(
            POLICY,
            old=price("DUES/STU"),
            new=price("DUES/REG"),
            term=YEAR_2026,
            change_date=date(2025, 12, 31),
        )


# --- cancellations ------------------------------------------------------------------------


def test_cancellation_paid_in_full_within_the_window():
    # Feb 10 (day 40): 11 months unused: 325 x 11/12 = 297.916… → 297.92; owed 27.08;
    # refund 325.00 - 27.08 = 297.92
    result = calc.cancellation(
        POLICY, billed=D("325.00"), paid=D("325.00"), term=YEAR_2026, cancel_date=date(2026, 2, 10)
    )
    assert (result.parts["refund"], result.parts["write_off"], result.amount) == (
        D("297.92"),
        D("0.00"),
        D("-297.92"),
    )


def test_cancellation_fee_is_kept():
    with_fee = replace(POLICY, cancellation_fee=D("25.00"))
    result = calc.cancellation(
        with_fee,
        billed=D("325.00"),
        paid=D("325.00"),
        term=YEAR_2026,
        cancel_date=date(2026, 2, 10),
    )
    # owed 27.08 + 25.00 = 52.08; refund 272.92
    assert result.parts["refund"] == D("272.92")


def test_cancellation_unpaid_is_written_off_and_nothing_refunded():
    result = calc.cancellation(
        POLICY, billed=D("325.00"), paid=D("0.00"), term=YEAR_2026, cancel_date=date(2026, 2, 10)
    )
    assert (result.parts["refund"], result.parts["write_off"], result.amount) == (
        D("0.00"),
        D("325.00"),
        D("-325.00"),
    )


def test_cancellation_part_paid_refunds_only_what_was_paid_beyond_what_is_owed():
    # owed 27.08; paid 100.00 → refund 72.92; unpaid 225.00 written off
    result = calc.cancellation(
        POLICY, billed=D("325.00"), paid=D("100.00"), term=YEAR_2026, cancel_date=date(2026, 2, 10)
    )
    assert (result.parts["refund"], result.parts["write_off"]) == (D("72.92"), D("225.00"))


def test_cancellation_on_the_last_day_of_the_window():
    # April 1 is day 90: 9 months unused = 243.75 refunded
    result = calc.cancellation(
        POLICY, billed=D("325.00"), paid=D("325.00"), term=YEAR_2026, cancel_date=date(2026, 4, 1)
    )
    assert result.parts["refund"] == D("243.75")


def test_cancellation_after_the_window_refunds_nothing():
    result = calc.cancellation(
        POLICY, billed=D("325.00"), paid=D("325.00"), term=YEAR_2026, cancel_date=date(2026, 4, 2)
    )
    assert (result.parts["refund"], result.amount) == (D("0.00"), D("0.00"))
    assert "after the 90-day refund window" in result.words()


def test_cancellation_negative_amount_is_refused():
    with pytest.raises(DomainError, match="The amount paid cannot be negative"):
        calc.cancellation(
            POLICY,
            billed=D("325.00"),
            paid=D("-5.00"),
            term=YEAR_2026,
            cancel_date=date(2026, 2, 1),
        )


def test_cancellation_paid_more_than_billed_is_refused():
    with pytest.raises(DomainError, match="is more than the invoice"):
        calc.cancellation(
            POLICY,
            billed=D("325.00"),
            paid=D("400.00"),
            term=YEAR_2026,
            cancel_date=date(2026, 2, 1),
        )


# --- instalments --------------------------------------------------------------------------


def test_instalments_last_takes_the_remainder():
    assert calc.instalments(D("100.00"), 3) == [D("33.33"), D("33.33"), D("33.34")]
    # 877.50 / 4 = 219.375 → 219.37 each, last 877.50 - 658.11 = 219.39
    assert calc.instalments(D("877.50"), 4) == [D("219.37")] * 3 + [D("219.39")]


def test_breakdown_carries_rule_price_source_dates_and_discount():
    result = expected(begin=date(2026, 3, 1), years=3, member_type="REG")
    steps = {s["rule"]: s for s in result.breakdown()}
    assert steps["price in force"]["price"] == "325.00"
    assert steps["price in force"]["price_source"] == "current price"
    assert steps["term"]["begin"] == "2026-03-01"
    assert steps["term"]["end"] == "2029-02-28"
    assert steps["multi-year discount"]["discount"] == "10"


# --- properties ---------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
begins = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))
modes = st.sampled_from(["monthly", "daily"])


@settings(max_examples=300, deadline=None)
@given(
    old=amounts, new=amounts, begin=begins, years=st.integers(1, 3), at=st.floats(0, 1), mode=modes
)
def test_property_tier_change_credit_plus_charge_is_the_prorated_difference(
    old, new, begin, years, at, mode
):
    policy = replace(POLICY, proration=mode)
    term = calc.anniversary_term(begin, years)
    change = term.begin + timedelta(days=int(at * (term.days - 1)))
    result = calc.tier_change(
        policy,
        old=Price("OLD", old, "current price"),
        new=Price("NEW", new, "current price"),
        term=term,
        change_date=change,
    )
    share = result.exact["share"]
    difference = (calc._frac(new) - calc._frac(old)) * years * share
    assert result.exact["charge"] - result.exact["credit"] == difference
    assert result.amount == calc._money(policy, difference)
    # the shown parts may differ from the net by at most a cent of rounding
    assert abs(result.parts["charge"] + result.parts["credit"] - result.amount) <= D("0.01")


@settings(max_examples=300, deadline=None)
@given(
    billed=amounts,
    paid_share=st.floats(0, 1),
    begin=begins,
    at=st.floats(0, 1),
    mode=st.sampled_from(["monthly", "daily", "none"]),
    fee=st.decimals(min_value=0, max_value=100, places=2),
)
def test_property_refund_never_exceeds_what_was_paid(billed, paid_share, begin, at, mode, fee):
    policy = replace(POLICY, proration=mode, cancellation_fee=fee)
    paid = (billed * D(str(paid_share))).quantize(D("0.01"), rounding="ROUND_DOWN")
    term = calc.anniversary_term(begin)
    cancel = term.begin + timedelta(days=int(at * (term.days - 1)))
    result = calc.cancellation(policy, billed=billed, paid=paid, term=term, cancel_date=cancel)
    refund, write_off = result.parts["refund"], result.parts["write_off"]
    assert D(0) <= refund <= paid
    assert write_off == billed - paid
    # what the member ends up paying: never more than they paid, never more than they owe
    assert billed + result.amount == min(paid, result.parts["owed"])
