"""Point-in-time features: what is known as of a date, and nothing from after it."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from renewals.conf import renewal_settings
from renewals.features import compute_features
from renewals.selectors import day_number
from renewals.services import load_frames
from tests.renewals import factories as f

AS_OF = date(2025, 2, 1)  # the day the 2025 renewal is billed
MIRROR_DAY = date(2025, 6, 30)


def _member_history() -> None:
    f.party("2001", join_date=date(2015, 4, 1))
    f.invoice("2001", date(2023, 2, 1), date(2023, 3, 31), "325.00")
    f.payment("2001", date(2023, 3, 10), "325.00")
    f.invoice("2001", date(2024, 2, 1), date(2024, 3, 31), "340.00")
    f.payment("2001", date(2024, 4, 20), "340.00")  # paid 20 days after the due date
    f.invoice("2001", date(2025, 2, 1), date(2025, 3, 31), "360.00", balance="360.00")
    for start, end, last, units in [
        (date(2023, 7, 1), date(2023, 12, 31), date(2023, 12, 20), 20),
        (date(2024, 1, 1), date(2024, 6, 30), date(2024, 6, 2), 30),
        (date(2024, 7, 1), date(2024, 12, 31), date(2024, 11, 30), 10),
    ]:
        f.activity("2001", "WEBLOGIN", start, end, last, units)
    f.registration("2001", f.event("CONF22", date(2022, 12, 1)), date(2022, 11, 1), True)
    f.registration("2001", f.event("CONF23", date(2023, 5, 1)), date(2023, 4, 1), True)
    f.registration("2001", f.event("SPRING24", date(2024, 6, 10)), date(2024, 5, 1), True)
    f.registration("2001", f.event("SPRING25", date(2025, 3, 5)), date(2025, 1, 15), None)
    f.committee("2001", date(2023, 1, 1), date(2026, 1, 1))
    f.communication("2001", date(2024, 12, 1))


def _features_as_of(day: date) -> pd.Series:
    frames = load_frames()
    m = frames.member_codes(["2001"])[0]
    renewal = frames.invoices[
        (frames.invoices["m"] == m) & (frames.invoices["invoice_day"] == day_number(day))
    ]
    snaps = pd.DataFrame({"m": [m], "day": [day_number(day)], "inv": [renewal.index[0]]})
    conf = renewal_settings()
    features = compute_features(
        frames, snaps, data_day=day_number(MIRROR_DAY), config=conf.features
    )
    return features.iloc[0]


@pytest.mark.django_db
def test_features_as_of_a_date_do_not_change_when_later_activity_is_added():
    # given a member's history up to the day their renewal is billed
    _member_history()
    before = _features_as_of(AS_OF)
    # when activity dated after that day arrives: the renewal paid, a half-year of logins that
    # spans the day, an event attended and another registered for, committee service, a bounce
    f.payment("2001", date(2025, 2, 20), "360.00")
    f.activity("2001", "WEBLOGIN", date(2025, 1, 1), date(2025, 6, 30), date(2025, 5, 30), 50)
    f.activity("2001", "EMAIL_OPEN", date(2025, 2, 1), date(2025, 2, 1), date(2025, 2, 1), 3)
    f.registration("2001", f.event("SUMMER25", date(2025, 4, 10)), date(2025, 3, 1), True)
    f.committee("2001", date(2025, 3, 1), role="Chair")
    f.communication("2001", date(2025, 2, 15), status="Bounced")
    f.invoice("2001", date(2026, 2, 1), date(2026, 3, 31), "380.00", balance="380.00")
    after = _features_as_of(AS_OF)
    # then every feature as of that day is the same
    pd.testing.assert_series_equal(before, after)


@pytest.mark.django_db
def test_features_read_dues_payments_and_periods_known_before_the_date():
    _member_history()
    x = _features_as_of(AS_OF)
    assert x["tenure_years"] == pytest.approx((AS_OF - date(2015, 4, 1)).days / 365.25)
    assert x["member_type"] == "REG"
    assert x["dues_amount"] == 360.0
    assert x["dues_change_pct"] == pytest.approx(100 * (360 / 340 - 1))
    assert (x["past_renewals"], x["past_late"], x["past_partial"]) == (2, 1, 0)
    assert x["last_days_to_pay"] == (date(2024, 4, 20) - date(2024, 2, 1)).days
    # Logins: half-years ended by the date, spread evenly over their days, scaled up from the
    # 334 days of the last 365 the mirror covers (its history starts 2023-07-01 and is known
    # through 2024-12-31 as of 2025-02-01).
    in_window = 30 * 150 / 182 + 10
    assert x["logins_365"] == pytest.approx(in_window * 365 / 334)
    assert x["days_since_logins"] == (AS_OF - date(2024, 11, 30)).days
    # The year before: the history covers 216 of its days (from 2023-07-01).
    assert x["logins_prior_365"] == pytest.approx((20 + 30 * 32 / 182) * 365 / 216)
    assert np.isnan(x["email_opens_365"])  # no e-mail history at all: unknown, not zero
    assert (x["events_365"], x["events_prior_365"]) == (1, 1)
    assert (x["registered_ahead"], x["committees_now"]) == (1, 1)
    assert x["days_since_event"] == (AS_OF - date(2024, 6, 10)).days


@pytest.mark.django_db
def test_features_of_change_against_the_members_own_history():
    # given a member whose card was declined twice before the 2025 renewal, one decline after
    # the day it was billed, and who paid the last renewal 20 days late
    _member_history()
    f.activity("2001", "PAYFAIL", date(2024, 9, 3), date(2024, 9, 3), date(2024, 9, 3), 1)
    f.activity("2001", "PAYFAIL", date(2025, 1, 10), date(2025, 1, 10), date(2025, 1, 10), 1)
    f.activity("2001", "PAYFAIL", date(2025, 2, 20), date(2025, 2, 20), date(2025, 2, 20), 1)
    # when its features are taken as of the billing day
    row = _features_as_of(AS_OF)
    # then the declines known then, the last one 22 days before, and the lateness are read
    assert row["payment_failures_365"] == 2
    assert row["days_since_payment_failure"] == 22
    assert row["last_days_late"] == 20
    # a person sponsors no one: the organisation features are unknown, not zero
    assert np.isnan(row["sponsored_365"]) and np.isnan(row["payer_mean_days_to_pay"])


@pytest.mark.django_db
def test_features_of_an_organisation_member_count_the_employees_it_sponsors():
    # given an organisation member billed for three employees' dues in 2023 and one in 2024
    f.party("9000", is_organization=True, name="Acme Labs", customer_type="CORP")
    f.invoice("9000", date(2024, 2, 1), date(2024, 3, 31), "1500.00", paid="1500.00")
    f.invoice("9000", date(2025, 2, 1), date(2025, 3, 31), "1500.00", balance="1500.00")
    for n, member in enumerate(("9001", "9002", "9003")):
        f.party(member, primary_org_id="9000")
        billed = date(2023, 5, 1 + n)
        f.invoice(member, billed, billed, "325.00", bill_to="9000", paid="325.00")
        f.payment("9000", billed + pd.Timedelta(days=10 * (n + 1)), "325.00")
    f.invoice("9001", date(2024, 5, 1), date(2024, 5, 1), "325.00", bill_to="9000", paid="325.00")
    frames = load_frames()
    m = frames.member_codes(["9000"])[0]
    renewal = frames.invoices[
        (frames.invoices["m"] == m) & (frames.invoices["invoice_day"] == day_number(AS_OF))
    ]
    snaps = pd.DataFrame({"m": [m], "day": [day_number(AS_OF)], "inv": [renewal.index[0]]})
    # when its features are taken as of the day its 2025 renewal is billed
    row = compute_features(
        frames, snaps, data_day=day_number(MIRROR_DAY), config=renewal_settings().features
    ).iloc[0]
    # then it sponsored one member in the last year, three the year before
    assert (row["sponsored_365"], row["sponsored_prior_365"], row["sponsored_change"]) == (1, 3, -2)
